import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// Everything `TrainingRun` needs: model, data, recipe and where files go.
/// The CLI fills it from flags; tests fill it directly.
public struct TrainingConfiguration: Sendable {
    public var depth: Int
    public var activation: Activation
    /// A dataset directory (its train split is used) or a CIFAR-10 file.
    public var dataPath: String
    /// Test images; nil means `dataPath`'s test split.
    public var testDataPath: String?
    public var recipe: TrainingRecipe
    /// Train on the first `trainLimit` images only (file order); nil: all.
    public var trainLimit: Int?
    /// Evaluate on the first `evalLimit` test images only; nil: all.
    public var evalLimit: Int?
    public var threads: Int
    /// How the training convolutions run (`TrainingNetwork.convolution`): the register kernels by
    /// default where the CPU has them (`TrainingNetwork.preferredAlgorithm`), `im2col` for the BLAS path.
    public var convolution: ConvolutionAlgorithm = TrainingNetwork.preferredAlgorithm
    /// Time every phase of every step (`TrainingRun.profile`).
    public var profile = false
    /// The final weights (safetensors); the model card goes beside them.
    public var output: URL
    /// The training state, rewritten after every epoch and on a stop.
    public var checkpoint: URL
    /// When set, the weights after every epoch go to `DIR/epoch-NNN.safetensors`
    /// (or every `snapshotEvery` steps to `DIR/step-NNNNNNN.safetensors`).
    public var snapshots: URL?
    /// Optimizer steps between snapshots; nil: one per epoch. Step 0 (the initial
    /// weights) and the last step (the final model) are always snapshots.
    public var snapshotEvery: Int?
    /// Continue from `checkpoint` (which must exist) instead of starting afresh.
    public var resume: Bool
    /// The command line's settings as strings, recorded in the model card.
    public var recipeFlags: [String: String]
    /// The model's name in its card; defaults to the output file's base name.
    public var name: String?

    public init(depth: Int, activation: Activation, dataPath: String, testDataPath: String? = nil,
                recipe: TrainingRecipe, trainLimit: Int? = nil, evalLimit: Int? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, output: URL, checkpoint: URL? = nil,
                snapshots: URL? = nil, snapshotEvery: Int? = nil, resume: Bool = false,
                recipeFlags: [String: String] = [:], name: String? = nil) {
        self.depth = depth; self.activation = activation; self.dataPath = dataPath; self.testDataPath = testDataPath
        self.recipe = recipe; self.trainLimit = trainLimit; self.evalLimit = evalLimit; self.threads = threads
        self.output = output; self.checkpoint = checkpoint ?? Self.defaultCheckpoint(for: output)
        self.snapshots = snapshots; self.snapshotEvery = snapshotEvery; self.resume = resume; self.recipeFlags = recipeFlags; self.name = name
    }

    /// `OUT.checkpoint.safetensors` beside the weights (`Models/x.safetensors` → `Models/x.checkpoint.safetensors`).
    public static func defaultCheckpoint(for output: URL) -> URL {
        output.deletingPathExtension().appendingPathExtension("checkpoint.safetensors")
    }

    /// Where the snapshot after `epoch` completed epochs goes (epoch 0: the initial weights).
    public func snapshotURL(epoch: Int) -> URL? {
        snapshots?.appendingPathComponent(String(format: "epoch-%03d.safetensors", epoch))
    }

    /// Where the snapshot after `step` optimizer steps goes (`--snapshot-every`).
    public func snapshotURL(step: Int) -> URL? {
        snapshots?.appendingPathComponent(String(format: "step-%07d.safetensors", step))
    }

    /// Refuses a snapshot rate without a directory, or one below a step.
    public func validateSnapshots() throws {
        guard let every = snapshotEvery else { return }
        guard every >= 1 else {
            throw LandscapeError.invalidRequest("--snapshot-every \(every): expected at least 1 optimizer step")
        }
        guard snapshots != nil else {
            throw LandscapeError.invalidRequest("--snapshot-every \(every): expected --snapshots DIR to write the snapshots to")
        }
    }
}

/// The figures of a run so far, saved inside the checkpoint so a resumed
/// run reports exactly what an uninterrupted one would (times aside).
public struct TrainingLog: Sendable, Codable, Equatable {
    /// One finished epoch. Train figures are training-mode means over the
    /// epoch's augmented batches; test figures are eval-mode.
    public struct Epoch: Sendable, Codable, Equatable {
        public var epoch: Int            // 1-based
        public var trainLoss: Double
        public var trainAccuracy: Double
        public var testLoss: Double
        public var testAccuracy: Double
        public var images: Int
        public var trainSeconds: Double
        public var learningRate: Double  // at the epoch's last batch
        public var imagesPerSecond: Double { trainSeconds > 0 ? Double(images) / trainSeconds : 0 }
    }

    public var epochs: [Epoch] = []
    /// Sums over the batches of the epoch in progress.
    public var lossSum = 0.0
    public var correct = 0
    public var images = 0
    public var trainSeconds = 0.0
    /// Sums over the batches since the last snapshot (`--snapshot-every`); optional so
    /// that checkpoints written before snapshots existed still decode.
    public var snapshotLossSum: Double?
    public var snapshotImages: Int?
    /// Totals over all finished sessions up to the last save.
    public var wallSeconds = 0.0
    public var totalTrainSeconds = 0.0
    public var totalImages = 0

    public init() {}

    /// Adds one batch of `size` images (mean loss and accuracy as the trainer reports them).
    mutating func record(_ progress: TrainingProgress, size: Int) {
        lossSum += progress.loss * Double(size)
        snapshotLossSum = (snapshotLossSum ?? 0) + progress.loss * Double(size)
        snapshotImages = (snapshotImages ?? 0) + size
        correct += Int((progress.accuracy * Double(size)).rounded())
        images += size
        let seconds = progress.imagesPerSecond > 0 ? Double(size) / progress.imagesPerSecond : 0
        trainSeconds += seconds
        totalTrainSeconds += seconds
        totalImages += size
    }

    /// Closes the epoch in progress with its test figures.
    mutating func finishEpoch(_ epoch: Int, test: EvaluationResult, learningRate: Double) -> Epoch {
        let record = Epoch(epoch: epoch, trainLoss: images > 0 ? lossSum / Double(images) : 0,
                           trainAccuracy: images > 0 ? Double(correct) / Double(images) : 0,
                           testLoss: test.meanLoss, testAccuracy: test.accuracy, images: images,
                           trainSeconds: trainSeconds, learningRate: learningRate)
        epochs.append(record)
        lossSum = 0; correct = 0; images = 0; trainSeconds = 0
        return record
    }

    /// The mean training loss over the batches since the last snapshot, and starts a new window.
    mutating func takeSnapshotLoss() -> Double? {
        defer { snapshotLossSum = 0; snapshotImages = 0 }
        guard let images = snapshotImages, images > 0, let sum = snapshotLossSum else { return nil }
        return sum / Double(images)
    }

    public var trainingImagesPerSecond: Double { totalTrainSeconds > 0 ? Double(totalImages) / totalTrainSeconds : 0 }

    static let metadataKey = "run_log"

    func json() -> String { LandscapeJSON.text(self) }

    static func decode(_ text: String, source: String) throws -> TrainingLog {
        do { return try LandscapeJSON.decoder.decode(TrainingLog.self, from: Data(text.utf8)) } catch {
            throw LandscapeError.invalidRequest("\(source): metadata '\(metadataKey)' is not a valid training log: \(LandscapeJSON.describe(error))")
        }
    }
}
