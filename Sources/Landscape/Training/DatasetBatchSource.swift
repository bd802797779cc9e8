import Foundation
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// Training batches from an `ImageDataset`: normalized like evaluation, then
/// augmented (random crop, optional flip) with draws taken only from the
/// generator the trainer passes in, so a run resumed from a checkpoint
/// repeats the same crops.
public struct DatasetBatchSource: TrainingBatchSource, Sendable {
    public let dataset: ImageDataset
    public let normalization: Normalization
    public let augmentation: DataAugmentation
    /// Which dataset images are the training examples (example i is `examples[i]`).
    public let examples: [Int]

    /// `limit` keeps the first `limit` images in file order (all when nil).
    public init(dataset: ImageDataset, normalization: Normalization, augmentation: DataAugmentation,
                limit: Int? = nil) throws {
        try normalization.validate(channels: dataset.channels)
        guard augmentation.fill.count == dataset.channels, augmentation.padding >= 0 else {
            throw LandscapeError.invalidRequest("augmentation: fill has \(augmentation.fill.count) values and padding "
                + "\(augmentation.padding): expected \(dataset.channels) values (one per channel) and padding >= 0")
        }
        if let limit, limit < 1 {
            throw LandscapeError.invalidRequest("train limit \(limit): expected at least 1 image")
        }
        self.dataset = dataset
        self.normalization = normalization
        self.augmentation = augmentation
        examples = Array(0..<min(limit ?? dataset.count, dataset.count))
    }

    /// The recipe's usual choice: the dataset's statistics and `DataAugmentation.standard`.
    public static func standard(_ dataset: ImageDataset, limit: Int? = nil) throws -> DatasetBatchSource {
        let normalization = Normalization.default(for: dataset)
        return try DatasetBatchSource(dataset: dataset, normalization: normalization,
                                      augmentation: .standard(for: dataset, normalization: normalization), limit: limit)
    }

    public var count: Int { examples.count }
    public var imageHeight: Int { dataset.height }
    public var imageWidth: Int { dataset.width }

    public func fill(_ indices: ArraySlice<Int>, pixels: UnsafeMutableBufferPointer<Float>,
                     labels: UnsafeMutableBufferPointer<Int32>, generator: inout SeededGenerator) throws {
        guard pixels.count == indices.count * dataset.imageSize, labels.count == indices.count else {
            throw TrainingError.invalidBatch("buffers of \(pixels.count) pixels and \(labels.count) labels: expected "
                + "\(indices.count * dataset.imageSize) and \(indices.count) for \(indices.count) images")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= examples.count }) {
            throw TrainingError.invalidBatch("example index \(bad): expected 0..<\(examples.count)")
        }
        let chosen = indices.map { examples[$0] }
        guard let base = pixels.baseAddress, !chosen.isEmpty else { return }
        try dataset.fillBatch(indices: chosen, normalization: normalization, into: base)
        augmentation.apply(to: base, count: chosen.count, channels: dataset.channels, height: dataset.height,
                           width: dataset.width, generator: &generator)
        for (slot, index) in chosen.enumerated() { labels[slot] = Int32(dataset.labels[index]) }
    }
}
