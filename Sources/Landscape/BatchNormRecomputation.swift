import Foundation
import LandscapeEngine
import LandscapeIO

/// BN `recompute` mode: at every point of a surface the BatchNorm running
/// statistics of the perturbed model are re-estimated from the same training
/// images before the loss is evaluated, so the landscape shows the weights'
/// quality rather than the mismatch between moved weights and stale statistics.
///
/// The images are the first `batches × batchSize` of the training split in file
/// order, normalized like the evaluation images, without augmentation; they go
/// through the network in training mode in consecutive batches, and each
/// BatchNorm's running mean and variance become the plain average over batches
/// of the batch mean and unbiased batch variance (PyTorch's
/// `torch.optim.swa_utils.update_bn`, momentum=None).
public struct BatchNormRecomputation: Sendable {
    public var images: EvaluationData
    public var batchSize: Int
    public var info: Surface.BatchNormRecomputeInfo

    public static let defaultBatches = 8
    public static let defaultBatchSize = 128

    public init(images: EvaluationData, batchSize: Int, info: Surface.BatchNormRecomputeInfo) {
        self.images = images; self.batchSize = batchSize; self.info = info
    }

    /// The number of training images `batches` × `batchSize` re-estimates from,
    /// checked (field by field, then the product without overflow) against
    /// `maximumImages`: both numbers may come straight from a request.
    public static func imageCount(batches: Int, batchSize: Int, maximumImages: Int = .max) throws -> Int {
        guard batches >= 1 else { throw LandscapeError.invalidRequest("bn batches \(batches): expected at least 1") }
        guard batchSize >= 2 else {
            throw LandscapeError.invalidRequest("bn batch size \(batchSize): expected at least 2 (a batch variance needs two images)")
        }
        let (images, overflow) = batches.multipliedReportingOverflow(by: batchSize)
        guard !overflow, images <= maximumImages else {
            let cap = maximumImages == .max ? "a number of images" : "at most \(maximumImages) training images per point"
            throw LandscapeError.invalidRequest("bn batches x bn batch size: expected \(cap), got \(batches) x \(batchSize)")
        }
        return images
    }

    /// Loads the training images of the dataset at `path`, normalized with the evaluation set's mean and std.
    /// (Callers cap the image count through `SurfaceSpec`; here only the product's overflow is checked.)
    public static func build(path: String, batches: Int, batchSize: Int,
                             normalizedLike evaluation: Surface.DatasetInfo) throws -> BatchNormRecomputation {
        let count = try imageCount(batches: batches, batchSize: batchSize)
        let normalization = Normalization(mean: evaluation.mean.map(Float.init), std: evaluation.std.map(Float.init))
        let set = try EvaluationSet.build(EvaluationSetRequest(path: path, split: .train, samples: count,
                                                               subset: .first, normalization: normalization))
        guard set.data.count == count else {
            throw LandscapeError.invalidRequest("bn recompute: \(batches) batches of \(batchSize) need \(count) "
                                                + "training images, \(path) has \(set.data.count)")
        }
        let info = Surface.BatchNormRecomputeInfo(batches: batches, batchSize: batchSize, dataset: set.info)
        return BatchNormRecomputation(images: set.data, batchSize: batchSize, info: info)
    }

    /// What goes into a surface's content key.
    var keyPart: String { "bn-recompute=\(info.batches)x\(batchSize):\(info.dataset.contentSha256)" }

    /// `model` with its BatchNorm statistics re-estimated on the images.
    func apply(to model: inout ResNetModel, network: TrainingNetwork) throws {
        try images.pixels.withUnsafeBufferPointer {
            try network.reestimateBatchNormStatistics(model: &model, images: $0, imageCount: images.count, batchSize: batchSize)
        }
    }
}

extension Surface {
    /// How BN statistics were re-estimated at each point (BN mode `recompute`).
    public struct BatchNormRecomputeInfo: Sendable, Codable, Equatable {
        public var batches: Int
        public var batchSize: Int
        /// The training images used (split "train", subset "first", batches × batch_size samples).
        public var dataset: DatasetInfo
        public var method: String
        public init(batches: Int, batchSize: Int, dataset: DatasetInfo,
                    method: String = "training-mode forward in consecutive batches; running mean and variance = "
                        + "average over batches of the batch mean and unbiased variance (torch.optim.swa_utils.update_bn)") {
            self.batches = batches; self.batchSize = batchSize; self.dataset = dataset; self.method = method
        }
    }
}
