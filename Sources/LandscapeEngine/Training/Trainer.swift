import Foundation
import LandscapeCore

/// What the trainer reports after every batch.
public struct TrainingProgress: Sendable, Equatable {
    public let epoch: Int
    /// 0-based batch within the epoch, of `batchesPerEpoch`.
    public let batch: Int
    public let batchesPerEpoch: Int
    /// Optimizer updates so far, this batch's included.
    public let step: Int
    public let loss: Double
    public let accuracy: Double
    public let learningRate: Double
    /// This batch's images over its wall time (filling the batch included).
    public let imagesPerSecond: Double
}

/// What the trainer reports at the end of every epoch (training-mode figures;
/// the evaluation callback measures the test set itself).
public struct EpochSummary: Sendable, Equatable {
    public let epoch: Int
    /// Means over the epoch's images (the batches run in this session only, after a resume).
    public let loss: Double
    public let accuracy: Double
    public let images: Int
    public let seconds: Double
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}

/// Runs a `TrainingRecipe` epoch by epoch on a `TrainingBatchSource`:
/// shuffles each epoch with `SeededGenerator(seed: recipe.seed, stream: epoch)`,
/// sets the learning rate from the schedule before every step, reports each
/// batch and each epoch, and keeps a `TrainingState` that can be captured
/// between batches and handed to a new trainer to continue bit-identically.
public final class Trainer: @unchecked Sendable {
    public let network: TrainingNetwork
    public let source: any TrainingBatchSource
    /// The state after the last completed batch. Read it from the callbacks
    /// or after `run` returns (not from another thread while it runs).
    public var state: TrainingState {
        var state = current
        state.momentumBuffer = optimizer.momentumBuffer
        state.step = optimizer.stepCount
        return state
    }
    /// `state` without the momentum, which lives in `optimizer` while training
    /// (so the velocity buffer is not copied on every step).
    private var current: TrainingState
    private var optimizer: SGD
    private let lock = NSLock()
    private var stopRequested = false
    private var pixels: [Float]
    private var labels: [Int32]

    /// How `run` ended.
    public enum Outcome: Sendable, Equatable {
        case finished
        /// `requestStop()` was called; `state` is where to resume.
        case stopped
    }

    /// A trainer continuing from `state` (use `TrainingState.initial` to start).
    public init(state: TrainingState, source: any TrainingBatchSource,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                shards: Int = TrainingNetwork.defaultShardCount,
                convolution: ConvolutionAlgorithm = .preferred) throws {
        let recipe = state.recipe
        guard source.count >= 1, recipe.batchesPerEpoch(count: source.count) >= 1 else {
            throw TrainingError.invalidBatch("source has \(source.count) examples: expected at least one batch of \(recipe.batchSize)")
        }
        let batches = recipe.batchesPerEpoch(count: source.count)
        guard state.batchInEpoch <= batches else {
            throw TrainingError.invalidState("batch_in_epoch \(state.batchInEpoch): expected at most \(batches) batches per epoch")
        }
        network = try TrainingNetwork(architecture: state.model.architecture, batchCapacity: recipe.batchSize,
                                      height: source.imageHeight, width: source.imageWidth,
                                      threads: threads, shards: shards, convolution: convolution)
        self.source = source
        current = state
        optimizer = try recipe.makeOptimizer(momentumBuffer: state.momentumBuffer, stepCount: state.step)
        current.momentumBuffer = []
        pixels = [Float](repeating: 0, count: recipe.batchSize * state.model.architecture.inputChannels
                                              * source.imageHeight * source.imageWidth)
        labels = [Int32](repeating: 0, count: recipe.batchSize)
    }

    /// Makes `run` return `.stopped` after the batch in progress (any thread).
    public func requestStop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    /// Trains until the recipe's last epoch is done or a stop is requested.
    /// `progress` runs after every batch, `endOfEpoch` after every epoch with
    /// the model at that point (for evaluation); both on the calling thread.
    @discardableResult
    public func run(progress: (TrainingProgress) throws -> Void = { _ in },
                    endOfEpoch: (EpochSummary, ResNetModel) throws -> Void = { _, _ in }) throws -> Outcome {
        lock.lock()
        stopRequested = false
        lock.unlock()
        let recipe = current.recipe
        let batches = recipe.batchesPerEpoch(count: source.count)
        while !current.isFinished {
            let order = Self.order(count: source.count, seed: recipe.seed, epoch: current.epoch)
            var lossSum = 0.0, correct = 0, images = 0
            let epochStart = Date()
            while current.batchInEpoch < batches {
                if shouldStop { return .stopped }
                let start = current.batchInEpoch * recipe.batchSize
                let indices = order[start..<min(start + recipe.batchSize, order.count)]
                let batchStart = Date()
                optimizer.learningRate = recipe.learningRate(epoch: current.epoch, batch: current.batchInEpoch,
                                                             batchesPerEpoch: batches)
                let result = try trainBatch(indices)
                lossSum += result.loss * Double(result.batchSize)
                correct += result.correct
                images += result.batchSize
                let seconds = Date().timeIntervalSince(batchStart)
                try progress(TrainingProgress(epoch: current.epoch, batch: current.batchInEpoch - 1,
                                              batchesPerEpoch: batches, step: optimizer.stepCount, loss: result.loss, accuracy: result.accuracy,
                                              learningRate: optimizer.learningRate,
                                              imagesPerSecond: seconds > 0 ? Double(result.batchSize) / seconds : 0))
            }
            let summary = EpochSummary(epoch: current.epoch, loss: images > 0 ? lossSum / Double(images) : 0,
                                       accuracy: images > 0 ? Double(correct) / Double(images) : 0,
                                       images: images, seconds: Date().timeIntervalSince(epochStart))
            current.epoch += 1
            current.batchInEpoch = 0
            try endOfEpoch(summary, current.model)
        }
        return .finished
    }

    /// Fills one batch, steps, and advances the position. The network
    /// validates the batch before it changes anything, so a refused batch
    /// leaves the state as it was.
    private func trainBatch(_ indices: ArraySlice<Int>) throws -> TrainingStepResult {
        let imageSize = pixels.count / current.recipe.batchSize
        var generator = current.generator
        try pixels.withUnsafeMutableBufferPointer { pixelBuffer in
            try labels.withUnsafeMutableBufferPointer { labelBuffer in
                try source.fill(indices, pixels: UnsafeMutableBufferPointer(rebasing: pixelBuffer[0..<(indices.count * imageSize)]),
                                labels: UnsafeMutableBufferPointer(rebasing: labelBuffer[0..<indices.count]),
                                generator: &generator)
            }
        }
        let batchLabels = Array(labels[0..<indices.count])
        let result = try pixels.withUnsafeBufferPointer { pixelBuffer in
            try network.trainStep(model: &current.model, optimizer: &optimizer,
                                  images: UnsafeBufferPointer(rebasing: pixelBuffer[0..<(indices.count * imageSize)]),
                                  labels: batchLabels)
        }
        current.generator = generator
        current.batchInEpoch += 1
        return result
    }

    /// The epoch's example order: a Fisher–Yates shuffle of 0..<count.
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        var generator = SeededGenerator(seed: seed, stream: UInt64(epoch))
        generator.shuffle(&order)
        return order
    }
}
