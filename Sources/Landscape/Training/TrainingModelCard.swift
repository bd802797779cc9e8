import Foundation
import LandscapeEngine
import LandscapeIO

extension TrainingRun {
    /// The card written beside the final weights: what was trained, how, on
    /// what machine, and the last epoch's figures.
    public func modelCard() -> ModelCard {
        var card = ModelCard()
        card.name = configuration.name ?? configuration.output.deletingPathExtension().lastPathComponent
        card.architecture = architecture.name
        card.depth = architecture.depth
        card.activation = architecture.activation.name
        card.dataset = trainSet.name
        card.split = DatasetSplit.train.rawValue
        card.inputChannels = architecture.inputChannels
        card.classCount = architecture.classCount
        card.preprocessing = ModelCard.Preprocessing(mean: source.normalization.mean.map(Double.init),
                                                     std: source.normalization.std.map(Double.init))
        card.recipe = configuration.recipeFlags
        card.seed = configuration.recipe.seed
        card.epochs = configuration.recipe.epochs
        if let last = log.epochs.last {
            card.metrics = ModelCard.Metrics(trainLoss: last.trainLoss, trainAccuracy: last.trainAccuracy,
                                             testLoss: last.testLoss, testAccuracy: last.testAccuracy)
        }
        card.parameterCount = state.model.parameterCount
        card.wallTimeSeconds = wallSeconds
        card.trainingImagesPerSecond = log.trainingImagesPerSecond
        card.machine = MachineDescription.current
        card.commit = MachineDescription.gitCommit()
        card.source = "landscape train"
        card.notes = "Trained on \(source.count) of \(trainSet.count) \(trainSet.name) train images "
            + "(\(trainSet.sourcePath)) with random crop (padding \(source.augmentation.padding))"
            + (source.augmentation.horizontalFlip ? " and horizontal flip" : "")
            + ". Train metrics: training-mode means over the last epoch's augmented batches (BatchNorm batch statistics). "
            + "Test metrics: eval-mode BatchNorm on the first \(testData.count) \(testSetName) test images."
        return card
    }
}

/// The machine and source revision a model was trained with, for its card.
public enum MachineDescription {
    /// "CPU model (N cores)" from /proc/cpuinfo, or the core count alone.
    public static var current: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return "\(model ?? "unknown CPU") (\(cores) cores)"
    }

    /// `git rev-parse --short HEAD` in the current directory, or "unknown".
    public static func gitCommit() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try process.run() } catch { return "unknown" }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !text.isEmpty ? text : "unknown"
    }
}
