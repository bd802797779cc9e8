import Foundation
import LandscapeEngine
import LandscapeIO

/// The images a surface (or `landscape eval`) is computed on: a dataset
/// split, a deterministic subset of it, normalized once into float32.
public struct EvaluationSetRequest: Sendable, Hashable {
    public var path: String
    /// nil: the test split of a dataset directory, or what a single file holds.
    public var split: DatasetSplit?
    public var samples: Int?          // nil: every image of the split
    /// `samples` was a default, not asked for: a smaller split is used whole instead of refused.
    public var samplesAtMost: Bool
    public var subset: SubsetRule
    public var subsetSeed: UInt64
    public var normalization: Normalization?   // nil: the model card's, else the dataset default

    /// Images per surface point when a request does not say: enough for a standard error of
    /// ≈ 1 % of the loss near a minimum, and what the shipped surfaces use.
    public static let defaultSurfaceSamples = 1000

    public init(path: String, split: DatasetSplit? = nil, samples: Int? = nil, samplesAtMost: Bool = false,
                subset: SubsetRule = .first, subsetSeed: UInt64 = 0, normalization: Normalization? = nil) {
        self.path = path; self.split = split; self.samples = samples; self.samplesAtMost = samplesAtMost
        self.subset = subset; self.subsetSeed = subsetSeed; self.normalization = normalization
    }

    /// The split to read and the name to record. A dataset directory holds both splits; a single
    /// file holds one, known only from its name (CIFAR-10's `test_batch.bin` / `data_batch_N.bin`,
    /// or "test" / "train" in it): asking a file for another split is refused, never relabelled.
    func resolvedSplit() throws -> (read: DatasetSplit, recorded: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return (split ?? .test, (split ?? .test).rawValue)
        }
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        let fromName: DatasetSplit? = name.contains("test") ? .test
            : name.contains("train") || name.contains("data_batch") ? .train : nil
        switch (split, fromName) {
        case let (asked?, known?) where asked != known:
            throw LandscapeError.invalidRequest("dataset \(path) is a single file holding the \(known.rawValue) split (by its name): "
                + "split '\(asked.rawValue)' applies to dataset directories; pass the directory or the \(asked.rawValue) file")
        case (let asked?, nil):
            throw LandscapeError.invalidRequest("dataset \(path) is a single file whose split is unknown: split '\(asked.rawValue)' "
                + "cannot be honoured; leave the split out to use the file as it is")
        default:
            return (fromName ?? .test, fromName?.rawValue ?? "file")
        }
    }
}

public enum EvaluationSet {
    /// Loads, subsets and normalizes. `card` supplies the preprocessing the
    /// model was trained with when the request does not override it.
    public static func build(_ request: EvaluationSetRequest, card: ModelCard? = nil) throws -> SurfaceData {
        let split = try request.resolvedSplit()
        let dataset = try DatasetLoader.load(path: request.path, split: split.read)
        if let card, let mean = card.preprocessing?.mean, mean.count != dataset.channels {
            throw LandscapeError.invalidRequest("model \(card.name ?? "of this card") takes \(mean.count)-channel images (its card's normalization), "
                + "dataset \(request.path) (\(dataset.name)) has \(dataset.channels)-channel \(dataset.height)x\(dataset.width) images: "
                + "expected the kind of data the model was trained on" + (card.dataset.map { " (\($0))" } ?? ""))
        }
        var count = request.samples ?? dataset.count
        if request.samplesAtMost { count = min(count, dataset.count) }
        let indices = try request.subset.indices(in: dataset, count: count, seed: request.subsetSeed)
        let normalization = request.normalization
            ?? card?.preprocessing.map { Normalization(mean: $0.mean.map(Float.init), std: $0.std.map(Float.init)) }
            ?? Normalization.default(for: dataset)
        let imageSize = dataset.channels * dataset.height * dataset.width
        var pixels = [Float](repeating: 0, count: indices.count * imageSize)
        try pixels.withUnsafeMutableBufferPointer { try dataset.fillBatch(indices: indices, normalization: normalization, into: $0.baseAddress!) }
        let labels = indices.map { Int32(dataset.labels[$0]) }
        let data = try EvaluationData(channels: dataset.channels, height: dataset.height, width: dataset.width,
                                      pixels: pixels, labels: labels)
        var hash = SHA256()
        pixels.withUnsafeBytes { hash.update($0) }
        labels.withUnsafeBytes { hash.update($0) }
        let info = Surface.DatasetInfo(
            name: dataset.name, path: request.path, split: split.recorded, samples: indices.count,
            subset: request.subset.rawValue, subsetSeed: request.subsetSeed,
            mean: normalization.mean.map(Double.init), std: normalization.std.map(Double.init),
            contentSha256: hash.hexDigest())
        return SurfaceData(data: data, info: info)
    }
}
