import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// Where in training a snapshot's weights were taken, written into the
/// snapshot's safetensors metadata (strings) beside the model's own keys
/// (`arch`, `activation`, `dataset`), so one file is the whole record.
public struct SnapshotInfo: Sendable, Codable, Equatable {
    /// Optimizer steps taken (0: the initial weights).
    public var step: Int
    /// Epochs completed, fractional between epoch ends (step / batches per epoch).
    public var epoch: Double
    /// The learning rate of the last step (of the first step for step 0).
    public var learningRate: Double
    /// Mean training-mode loss over the batches since the previous snapshot; nil at step 0.
    public var trainLoss: Double?

    public init(step: Int, epoch: Double, learningRate: Double, trainLoss: Double?) {
        self.step = step; self.epoch = epoch; self.learningRate = learningRate; self.trainLoss = trainLoss
    }

    static let stepKey = "snapshot_step"
    static let epochKey = "snapshot_epoch"
    static let learningRateKey = "learning_rate"
    static let trainLossKey = "train_loss"

    /// Decimal strings that read back to the same doubles (Swift's shortest round-trip form).
    public var metadata: [String: String] {
        var result = [Self.stepKey: String(step), Self.epochKey: String(epoch), Self.learningRateKey: String(learningRate)]
        if let trainLoss { result[Self.trainLossKey] = String(trainLoss) }
        return result
    }

    /// The info in a snapshot file's metadata; nil when the file is not a training snapshot
    /// (no step recorded); an error names the file and the malformed key.
    public init?(metadata: [String: String], source: String) throws {
        guard let stepText = metadata[Self.stepKey] else { return nil }
        func number(_ key: String) throws -> Double {
            guard let text = metadata[key], let value = Double(text), value.isFinite else {
                throw LandscapeError.invalidRequest("\(source): metadata '\(key)' is \(metadata[key].map { "'\($0)'" } ?? "missing"): "
                    + "expected a finite number")
            }
            return value
        }
        guard let step = Int(stepText), step >= 0 else {
            throw LandscapeError.invalidRequest("\(source): metadata '\(Self.stepKey)' is '\(stepText)': expected an integer >= 0")
        }
        self.step = step
        epoch = try number(Self.epochKey)
        learningRate = try number(Self.learningRateKey)
        trainLoss = metadata[Self.trainLossKey] == nil ? nil : try number(Self.trainLossKey)
    }
}
