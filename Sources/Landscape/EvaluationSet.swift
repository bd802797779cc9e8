import Foundation
import LandscapeEngine
import LandscapeIO

/// The images a surface (or `landscape eval`) is computed on: a dataset
/// split, a deterministic subset of it, normalized once into float32.
public struct EvaluationSetRequest: Sendable, Hashable {
    public var path: String
    public var split: DatasetSplit
    public var samples: Int?          // nil: every image of the split
    public var subset: SubsetRule
    public var subsetSeed: UInt64
    public var normalization: Normalization?   // nil: the model card's, else the dataset default

    public init(path: String, split: DatasetSplit = .test, samples: Int? = nil, subset: SubsetRule = .first,
                subsetSeed: UInt64 = 0, normalization: Normalization? = nil) {
        self.path = path; self.split = split; self.samples = samples; self.subset = subset
        self.subsetSeed = subsetSeed; self.normalization = normalization
    }
}

public enum EvaluationSet {
    /// Loads, subsets and normalizes. `card` supplies the preprocessing the
    /// model was trained with when the request does not override it.
    public static func build(_ request: EvaluationSetRequest, card: ModelCard? = nil) throws -> SurfaceData {
        let dataset = try DatasetLoader.load(path: request.path, split: request.split)
        let count = request.samples ?? dataset.count
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
            name: dataset.name, path: request.path, split: request.split.rawValue, samples: indices.count,
            subset: request.subset.rawValue, subsetSeed: request.subsetSeed,
            mean: normalization.mean.map(Double.init), std: normalization.std.map(Double.init),
            contentSha256: hash.hexDigest())
        return SurfaceData(data: data, info: info)
    }
}
