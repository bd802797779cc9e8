import LandscapeCore
/// Where training examples come from: a dataset with its augmentation.
/// The trainer decides the order (a seeded shuffle per epoch); the source
/// only turns example indices into pixels and labels.
public protocol TrainingBatchSource {
    /// Number of training examples; indices are 0..<count.
    var count: Int { get }
    /// The size of every image (channels come from the architecture).
    var imageHeight: Int { get }
    var imageWidth: Int { get }
    /// Writes the examples `indices` in that order: NCHW normalized pixels
    /// (`indices.count` images) and labels. Random augmentation must draw
    /// only from `generator`, so that a resumed run repeats it exactly.
    func fill(_ indices: ArraySlice<Int>, pixels: UnsafeMutableBufferPointer<Float>,
              labels: UnsafeMutableBufferPointer<Int32>, generator: inout SeededGenerator) throws
}

/// How to train: the hyperparameters of a run, all of which a resumed run
/// must reuse (they travel inside `TrainingState`).
public struct TrainingRecipe: Sendable, Equatable, Codable {
    public var epochs: Int
    public var batchSize: Int
    /// The learning rate over training progress measured in epochs
    /// (fractional: epoch + batch/batchesPerEpoch), so milestones are epochs.
    public var schedule: LearningRateSchedule
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    /// PyTorch's SGD decays every parameter; false spares BN scales and biases.
    public var decaysOneDimensionalTensors: Bool
    /// Seeds initialization, the per-epoch shuffles and augmentation.
    public var seed: UInt64
    /// Whether a last batch smaller than `batchSize` is skipped (PyTorch's `drop_last`).
    public var dropsLastPartialBatch: Bool

    public init(epochs: Int, batchSize: Int = 128, schedule: LearningRateSchedule, momentum: Double = 0.9,
                nesterov: Bool = false, weightDecay: Double = 5e-4, decaysOneDimensionalTensors: Bool = true,
                seed: UInt64 = 0, dropsLastPartialBatch: Bool = false) throws {
        guard epochs >= 1 else { throw TrainingError.invalidHyperparameter("epochs \(epochs): expected at least 1") }
        guard batchSize >= 2 else {
            throw TrainingError.invalidHyperparameter("batchSize \(batchSize): expected at least 2 (BatchNorm needs a batch)")
        }
        try schedule.validate()
        self.epochs = epochs
        self.batchSize = batchSize
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decaysOneDimensionalTensors = decaysOneDimensionalTensors
        self.seed = seed
        self.dropsLastPartialBatch = dropsLastPartialBatch
        _ = try makeOptimizer(momentumBuffer: [], stepCount: 0)   // validates momentum, nesterov, decay
    }

    /// Batches in one epoch of `count` examples.
    public func batchesPerEpoch(count: Int) -> Int {
        dropsLastPartialBatch ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The rate for batch `batch` of epoch `epoch` (0-based).
    public func learningRate(epoch: Int, batch: Int, batchesPerEpoch: Int) -> Double {
        let progress = Double(epoch) + Double(batch) / Double(max(batchesPerEpoch, 1))
        return schedule.rate(at: progress, of: Double(epochs))
    }

    func makeOptimizer(momentumBuffer: [Float], stepCount: Int) throws -> SGD {
        try SGD(learningRate: 0, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay,
                decaysOneDimensionalTensors: decaysOneDimensionalTensors, momentumBuffer: momentumBuffer,
                stepCount: stepCount)
    }

    // Streams of SeededGenerator(seed: seed, stream:): epoch e shuffles with stream e;
    // initialization and augmentation use streams far above any epoch count.
    static let initializationStream: UInt64 = 1 << 40
    static let augmentationStream: UInt64 = 1 << 41
}
