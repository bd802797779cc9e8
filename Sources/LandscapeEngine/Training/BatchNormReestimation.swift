import Foundation

extension TrainingNetwork {
    /// Replaces every BatchNorm's running statistics in `model` by estimates
    /// from `imageCount` NCHW normalized images, forwarded in training mode in
    /// consecutive batches of `batchSize` (the last one may be shorter): the
    /// running mean and variance become the plain average over batches of the
    /// batch means and unbiased batch variances, as PyTorch's
    /// `torch.optim.swa_utils.update_bn` (momentum=None) computes them. Trainable
    /// parameters are left alone. Used for loss landscapes in BN `recompute`
    /// mode: at perturbed weights the trained running statistics no longer
    /// describe the activations.
    public func reestimateBatchNormStatistics(model: inout ResNetModel, images: UnsafeBufferPointer<Float>,
                                              imageCount: Int, batchSize: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        guard batchSize >= 1, batchSize <= batchCapacity else {
            throw TrainingError.invalidBatch("re-estimation batch size \(batchSize): expected 1...\(batchCapacity) (the batch capacity)")
        }
        guard imageCount >= 1 else { throw TrainingError.invalidBatch("re-estimation needs at least 1 image, got 0") }
        let imageSize = architecture.inputChannels * height * width
        guard images.count == imageCount * imageSize else {
            throw TrainingError.invalidBatch("\(images.count) pixels for \(imageCount) images of "
                                             + "\(architecture.inputChannels)x\(height)x\(width): expected \(imageCount * imageSize)")
        }
        let batchStarts = Array(stride(from: 0, to: imageCount, by: batchSize))
        // Labels are never read by the forward pass; they only satisfy the batch checks.
        let labels = [Int32](repeating: 0, count: batchSize)
        for start in batchStarts {
            let count = min(batchSize, imageCount - start)
            try validate(model: model, imageCount: count * imageSize, labels: Array(labels.prefix(count)))
        }
        model.values.withUnsafeMutableBufferPointer { values in
            labels.withUnsafeBufferPointer { labelBuffer in
                for (n, start) in batchStarts.enumerated() {
                    let count = min(batchSize, imageCount - start)
                    let pointers = StepPointers(values: values.baseAddress!, images: images.baseAddress! + start * imageSize,
                                                labels: labelBuffer.baseAddress!)
                    forward(pointers, batch: count, update: .cumulative(batchIndex: n))
                }
            }
        }
    }

    public func reestimateBatchNormStatistics(model: inout ResNetModel, images: [Float], imageCount: Int,
                                              batchSize: Int) throws {
        try images.withUnsafeBufferPointer {
            try reestimateBatchNormStatistics(model: &model, images: $0, imageCount: imageCount, batchSize: batchSize)
        }
    }
}
