import Foundation
import LandscapeEngine
import LandscapeIO

/// One `landscape train` run without the command line: loads the data,
/// starts or resumes the state, trains epoch by epoch with a test
/// evaluation and a checkpoint after each, and writes the weights and model
/// card at the end. A stop (Ctrl-C) saves the checkpoint; a run resumed from
/// it gives bit-identical weights and the same figures.
public final class TrainingRun: @unchecked Sendable {
    public let configuration: TrainingConfiguration
    public let trainSet: ImageDataset
    public let source: DatasetBatchSource
    public let testData: EvaluationData
    public let testSetName: String
    public let architecture: ResNetArchitecture
    /// The figures so far (restored from the checkpoint on resume).
    public private(set) var log: TrainingLog
    /// Where a resumed run picked up: (epoch, batch in epoch), nil for a fresh start.
    public let resumedAt: (epoch: Int, batch: Int)?
    private let trainer: Trainer
    private let evaluator: Evaluator
    private let lock = NSLock()
    private var stopRequested = false
    private let sessionStart = Date()
    private let wallBefore: Double

    public enum Outcome: Sendable, Equatable {
        /// The weights and card are written.
        case finished
        /// Stopped between batches; the checkpoint holds where to resume.
        case stopped
    }

    public init(_ configuration: TrainingConfiguration) throws {
        self.configuration = configuration
        trainSet = try DatasetLoader.load(path: configuration.dataPath, split: .train)
        source = try DatasetBatchSource.standard(trainSet, limit: configuration.trainLimit)
        let test = try Self.loadTestData(configuration, normalization: source.normalization)
        testData = test.data
        testSetName = test.name
        architecture = try ResNetArchitecture(depth: configuration.depth, inputChannels: trainSet.channels,
                                              classCount: trainSet.classNames.count, activation: configuration.activation)
        try configuration.validateSnapshots()
        let state: TrainingState
        let fileManager = FileManager.default
        if configuration.resume {
            guard fileManager.fileExists(atPath: configuration.checkpoint.path) else {
                throw LandscapeError.invalidRequest("--resume: no checkpoint at \(configuration.checkpoint.path)")
            }
            let loaded = try TrainingCheckpoint.loadWithMetadata(from: configuration.checkpoint)
            try Self.check(loaded.state, loaded.metadata, against: configuration, architecture: architecture,
                           examples: source.count, dataset: trainSet.name)
            state = loaded.state
            log = try loaded.metadata[TrainingLog.metadataKey]
                .map { try TrainingLog.decode($0, source: configuration.checkpoint.path) } ?? TrainingLog()
            resumedAt = (state.epoch, state.batchInEpoch)
        } else {
            guard !fileManager.fileExists(atPath: configuration.checkpoint.path) else {
                throw LandscapeError.invalidRequest("checkpoint \(configuration.checkpoint.path) already exists: "
                    + "pass --resume to continue it, or delete it to start afresh")
            }
            state = .initial(recipe: configuration.recipe, architecture: architecture)
            log = TrainingLog()
            resumedAt = nil
        }
        wallBefore = log.wallSeconds
        trainer = try Trainer(state: state, source: source, threads: configuration.threads,
                              convolution: configuration.convolution)
        if configuration.profile { trainer.network.profile = TrainingProfile(shards: trainer.network.shardCount) }
        evaluator = Evaluator(threads: configuration.threads)
        for directory in [configuration.output.deletingLastPathComponent(),
                          configuration.checkpoint.deletingLastPathComponent()] + [configuration.snapshots].compactMap({ $0 }) {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }

    /// The state after the last completed batch.
    public var state: TrainingState { trainer.state }
    /// The per-phase step times so far, when `configuration.profile` asked for them.
    public var profile: TrainingProfile? { trainer.network.profile }
    /// How the convolutions run (the configuration's algorithm on this CPU).
    public var convolution: ConvolutionAlgorithm { trainer.network.convolution }
    public var batchesPerEpoch: Int { configuration.recipe.batchesPerEpoch(count: source.count) }

    /// Makes `run` save and return `.stopped` after the batch in progress (any thread, any time).
    public func requestStop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
        trainer.requestStop()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    /// Trains to the end or to a stop. `progress` runs after every batch,
    /// `epochEnd` after every epoch's evaluation and checkpoint.
    public func run(progress: (TrainingProgress) throws -> Void = { _ in },
                    epochEnd: (TrainingLog.Epoch) throws -> Void = { _ in }) throws -> Outcome {
        let recipe = configuration.recipe
        if resumedAt == nil, trainer.state.step == 0, configuration.snapshots != nil {
            let rate = recipe.learningRate(epoch: 0, batch: 0, batchesPerEpoch: batchesPerEpoch)
            try writeSnapshot(trainer.state.model, SnapshotInfo(step: 0, epoch: 0, learningRate: rate, trainLoss: nil))
        }
        let every = configuration.snapshotEvery
        let outcome: Trainer.Outcome = shouldStop ? .stopped : try trainer.run(progress: { report in
            let size = min(recipe.batchSize, source.count - report.batch * recipe.batchSize)
            log.record(report, size: size)
            if let every, report.step % every == 0 {
                try writeSnapshot(trainer.state.model, snapshotInfo(step: report.step, learningRate: report.learningRate))
            }
            // Trainer.run clears stop requests made before it started: repeat ours.
            if shouldStop { trainer.requestStop() }
            try progress(report)
        }, endOfEpoch: { _, model in
            let state = trainer.state
            let test = try evaluator.evaluate(InferenceNetwork(model), on: testData)
            let rate = recipe.learningRate(epoch: state.epoch - 1, batch: batchesPerEpoch - 1, batchesPerEpoch: batchesPerEpoch)
            let record = log.finishEpoch(state.epoch, test: test, learningRate: rate)
            if every == nil, configuration.snapshots != nil {
                try writeSnapshot(model, snapshotInfo(step: state.step, learningRate: rate))
            }
            try saveCheckpoint(state)
            try epochEnd(record)
        })
        switch outcome {
        case .stopped:
            try saveCheckpoint(trainer.state)
            return .stopped
        case .finished:
            let state = trainer.state
            // The final model is the last snapshot, whatever the rate.
            // (An empty window means it was written before a stop that came after the last batch.)
            if let every, state.step % every != 0, (log.snapshotImages ?? 0) > 0 {
                let rate = recipe.learningRate(epoch: recipe.epochs - 1, batch: batchesPerEpoch - 1, batchesPerEpoch: batchesPerEpoch)
                try writeSnapshot(state.model, snapshotInfo(step: state.step, learningRate: rate))
            }
            try saveCheckpoint(trainer.state)
            try Safetensors.write(trainer.state.model.stateDict(metadata: weightsMetadata), to: configuration.output)
            try modelCard().write(forWeights: configuration.output)
            return .finished
        }
    }

    /// Where the run is at `step`, with the mean training loss since the last snapshot.
    private func snapshotInfo(step: Int, learningRate: Double) -> SnapshotInfo {
        SnapshotInfo(step: step, epoch: Double(step) / Double(batchesPerEpoch), learningRate: learningRate,
                     trainLoss: log.takeSnapshotLoss())
    }

    /// One snapshot file (atomic): the weights, the model's metadata and where in training they are.
    private func writeSnapshot(_ model: ResNetModel, _ info: SnapshotInfo) throws {
        let url = configuration.snapshotEvery == nil
            ? configuration.snapshotURL(epoch: info.step / batchesPerEpoch) : configuration.snapshotURL(step: info.step)
        guard let url else { return }
        try Safetensors.write(model.stateDict(metadata: weightsMetadata.merging(info.metadata) { own, _ in own }), to: url)
    }

    /// Writes `state` with the log, the dataset name and example count (checked on resume).
    private func saveCheckpoint(_ state: TrainingState) throws {
        log.wallSeconds = wallSeconds
        try TrainingCheckpoint.save(state, to: configuration.checkpoint, extra: [
            TrainingLog.metadataKey: log.json(),
            Self.datasetKey: trainSet.name,
            Self.examplesKey: String(source.count),
            Self.snapshotEveryKey: configuration.snapshotEvery.map(String.init) ?? "epoch",
            Self.convolutionKey: convolution.rawValue,
        ])
    }

    /// Wall time over every session, this one up to now.
    public var wallSeconds: Double { wallBefore + Date().timeIntervalSince(sessionStart) }

    /// What the weights file records beside the tensors (read back by `LoadedModel`).
    public var weightsMetadata: [String: String] {
        ["activation": architecture.activation.name, "arch": architecture.name, "dataset": trainSet.name]
    }

    static let datasetKey = "train_dataset"
    static let examplesKey = "train_examples"
    static let snapshotEveryKey = "snapshot_every"
    /// How the run's convolutions were computed (`TrainingNetwork.convolution`): another path rounds
    /// differently, so a resume on it would not continue bit-identically. Checkpoints written before
    /// the key existed (all on im2col) are not checked.
    static let convolutionKey = "convolution"

    /// Refuses a checkpoint made for other data, another model or another recipe.
    static func check(_ state: TrainingState, _ metadata: [String: String], against configuration: TrainingConfiguration,
                      architecture: ResNetArchitecture, examples: Int, dataset: String) throws {
        let path = configuration.checkpoint.path
        func refuse(_ what: String, _ saved: String, _ asked: String) -> LandscapeError {
            .invalidRequest("--resume: checkpoint \(path) has \(what) \(saved) but this run asks for \(asked); "
                + "resume with the original flags or start a new run")
        }
        if state.model.architecture != architecture {
            throw refuse("architecture", state.model.architecture.description, architecture.description)
        }
        if state.recipe != configuration.recipe {
            throw refuse("recipe", "\(state.recipe)", "\(configuration.recipe)")
        }
        if let saved = metadata[datasetKey], saved != dataset { throw refuse("dataset", saved, dataset) }
        let convolution = configuration.convolution.effective.rawValue
        if let saved = metadata[convolutionKey], saved != convolution {
            throw refuse("convolutions", saved, "\(convolution) (--convolution; on this CPU)")
        }
        if let saved = metadata[examplesKey], saved != String(examples) {
            throw refuse("training examples", saved, "\(examples) (--train-limit)")
        }
        // Snapshots at another rate after a resume would make a path with uneven steps.
        let every = configuration.snapshotEvery.map(String.init) ?? "epoch"
        if configuration.snapshots != nil, let saved = metadata[snapshotEveryKey], saved != every {
            throw refuse("snapshots every", saved, "\(every) (--snapshot-every)")
        }
    }

    /// The first `evalLimit` images of the test split, normalized like the training images.
    static func loadTestData(_ configuration: TrainingConfiguration,
                             normalization: Normalization) throws -> (data: EvaluationData, name: String) {
        let path = configuration.testDataPath ?? configuration.dataPath
        let dataset = try DatasetLoader.load(path: path, split: .test)
        let count = min(configuration.evalLimit ?? dataset.count, dataset.count)
        let indices = Array(0..<count)
        var pixels = [Float](repeating: 0, count: count * dataset.imageSize)
        try pixels.withUnsafeMutableBufferPointer {
            try dataset.fillBatch(indices: indices, normalization: normalization, into: $0.baseAddress!)
        }
        let data = try EvaluationData(channels: dataset.channels, height: dataset.height, width: dataset.width,
                                      pixels: pixels, labels: dataset.labels(at: indices))
        return (data, dataset.name)
    }
}
