import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a CIFAR ResNet with SGD; resumable (Ctrl-C saves a checkpoint, --resume continues it exactly).")

    @Option(help: "Architecture resnetN, N = 6n+2 (8, 14, 20, 32, 44, 56, ...).") var arch = "resnet20"
    @Option(help: "Activation: relu, swish, mish, nish:<t>, ...") var activation = "relu"
    @Option(help: "Training data: a dataset directory (its train split) or a CIFAR-10 .bin file.") var data: String
    @Option(name: .customLong("test-data"), help: "Test data (default: --data's test split).") var testData: String?
    @Option(help: "Epochs (passes over the training images).") var epochs: Int
    @Option(help: "Images per batch.") var batch = 128
    @Option(help: "Learning rate (the peak for onecycle).") var lr = 0.1
    @Option(help: "Learning-rate schedule: cosine, multistep (x0.1 at each milestone) or onecycle.")
    var schedule: ScheduleName = .cosine
    @Option(help: "Linear warm-up, in epochs (cosine, onecycle; onecycle defaults to 30 % of --epochs).") var warmup: Double?
    @Option(help: "multistep milestones: fractions of --epochs if all are <= 1, else epoch numbers.") var milestones = "0.5,0.75"
    @Option(help: "SGD momentum.") var momentum = 0.9
    @Flag(help: "Nesterov momentum.") var nesterov = false
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (on every parameter, as PyTorch's SGD).")
    var weightDecay = 5e-4
    @Option(help: "Seed of initialization, shuffling and augmentation.") var seed: UInt64 = 0
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Final weights (.safetensors); the model card goes beside them (.json).") var out: String
    @Option(help: "Training state file (default: OUT with .checkpoint.safetensors).") var checkpoint: String?
    @Flag(help: "Continue from --checkpoint with the same flags.") var resume = false
    @Option(help: "Directory for the weights after every epoch (epoch-NNN.safetensors), or every --snapshot-every steps.")
    var snapshots: String?
    @Option(name: .customLong("snapshot-every"),
            help: "Optimizer steps between snapshots (step-NNNNNNN.safetensors; step 0 and the final model included).")
    var snapshotEvery: Int?
    @Option(name: .customLong("train-limit"), help: "Train on the first N images only (a quick check).") var trainLimit: Int?
    @Option(name: .customLong("eval-limit"), help: "Evaluate on the first N test images only.") var evalLimit: Int?
    @Option(help: "Training convolutions: winograd, winograd4 or direct (register kernels: forward and stride-1 input gradients, winograd4 by F(4x4, 3x3); on winograd and winograd4 the stride-1 weight gradients by Winograd F(2x2, 3x3) too, else by GEMM), or im2col (OpenBLAS GEMMs throughout). Default: winograd4 where the CPU has AVX2 and FMA, else im2col.")
    var convolution = TrainingNetwork.preferredAlgorithm
    @Flag(help: "Print where the training steps' time went, phase by phase, at the end.") var profile = false

    enum ScheduleName: String, ExpressibleByArgument, CaseIterable { case cosine, multistep, onecycle }

    /// PyTorch's OneCycleLR defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4.
    static let oneCycleWarmupFraction = 0.3
    static let oneCycleDivFactor = 25.0
    static let oneCycleFinalDivFactor = 1e4
    /// A cosine warm-up starts at a tenth of the rate (not 0, which would waste the first step).
    static let warmupStartFactor = 0.1
    /// MultiStepLR's usual gamma in the CIFAR ResNet recipe (He et al. 2016).
    static let multiStepGamma = 0.1
    /// The largest batch the trainer's buffers are sized for comfortably in memory.
    static let maxBatch = 4096

    func validate() throws {
        _ = try depth()
        guard TrainingNetwork.trainingAlgorithms.contains(convolution) else {
            throw ValidationError("--convolution \(convolution.rawValue): training runs "
                + TrainingNetwork.trainingAlgorithms.map(\.rawValue).joined(separator: ", ") + " (evaluation-only algorithms have no gradient kernels)")
        }
        do { _ = try Activation(parsing: activation) } catch {
            throw ValidationError("--activation '\(activation)': \(error)")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batch >= 2 && batch <= Self.maxBatch else {
            throw ValidationError("--batch must be in 2...\(Self.maxBatch), got \(batch)")
        }
        guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        guard momentum >= 0 && momentum < 1 else { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        if nesterov && momentum == 0 { throw ValidationError("--nesterov needs --momentum > 0") }
        guard weightDecay >= 0 && weightDecay.isFinite else {
            throw ValidationError("--weight-decay must be >= 0, got \(weightDecay)")
        }
        if let warmup {
            guard warmup >= 0 && warmup <= Double(epochs) else {
                throw ValidationError("--warmup must be in 0...\(epochs) epochs (--epochs), got \(warmup)")
            }
            if schedule == .multistep { throw ValidationError("--warmup applies to cosine and onecycle, not multistep") }
        }
        if schedule == .multistep { _ = try milestoneEpochs() }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let trainLimit, trainLimit < batch {
            throw ValidationError("--train-limit must be at least --batch (\(batch)), got \(trainLimit)")
        }
        if let evalLimit, evalLimit < 1 { throw ValidationError("--eval-limit must be at least 1, got \(evalLimit)") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors, got '\(out)'") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else {
            throw ValidationError("--data: no file or directory at \(data)")
        }
        if !isDirectory.boolValue && testData == nil {
            throw ValidationError("--data is a single file: give the test images with --test-data")
        }
        _ = try makeRecipe()
        do { try configuration().validateSnapshots() } catch let error as LandscapeError {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let flag = CancellationFlag()
        InterruptHandler.install(flag, message: "interrupted: stopping after this batch and saving the checkpoint…")
        let config = try configuration()
        let run = try TrainingRun(config)
        let batches = run.batchesPerEpoch
        if let at = run.resumedAt {
            print(run.state.isFinished ? "\(config.checkpoint.path) has finished training: writing the weights and card"
                : "resuming \(config.checkpoint.path) at epoch \(at.epoch + 1), batch \(at.batch)/\(batches)")
        }
        print("\(run.architecture.description): \(run.state.model.parameterCount) parameters; "
            + "\(run.source.count) \(run.trainSet.name) train images, \(run.testData.count) test images; "
            + "\(batches) batches of \(config.recipe.batchSize) per epoch, \(config.threads) threads, "
            + "\(run.convolution.rawValue) convolutions (\(run.convolution.kernelISA.rawValue))")
        let bar = TrainingProgressBar(epochs: config.recipe.epochs)
        var watcher: Thread?
        watcher = Thread { [weak run] in
            while !flag.isCancelled { usleep(50_000) }
            run?.requestStop()
        }
        watcher?.start()
        let outcome = try run.run(progress: { bar.update($0) }, epochEnd: { epoch in
            bar.finish()
            print(String(format: "epoch %3d/%d  train loss %.4f acc %6.2f %%  test loss %.4f acc %6.2f %%  lr %.5f  %.0f img/s  %.1f s",
                         epoch.epoch, config.recipe.epochs, epoch.trainLoss, epoch.trainAccuracy * 100,
                         epoch.testLoss, epoch.testAccuracy * 100, epoch.learningRate, epoch.imagesPerSecond,
                         epoch.trainSeconds))
            fflush(nil)   // one line per epoch, visible at once in a log file
        })
        bar.finish()
        if let profile = run.profile { print(profile.table) }
        switch outcome {
        case .stopped:
            let state = run.state
            FileHandle.standardError.write(Data(("stopped at epoch \(state.epoch + 1), batch \(state.batchInEpoch)/\(batches) "
                + "(step \(state.step)); checkpoint saved to \(config.checkpoint.path)\n"
                + "resume with the same command plus --resume\n").utf8))
            throw ExitCode(130)
        case .finished:
            flag.cancel()   // ends the watcher thread
            print("wrote \(config.output.path) and \(ModelCard.url(forWeights: config.output).path) "
                + String(format: "(%.0f img/s training, %.1f s wall)", run.log.trainingImagesPerSecond, run.wallSeconds))
        }
    }

    func depth() throws -> Int {
        guard arch.lowercased().hasPrefix("resnet"), let depth = Int(arch.dropFirst(6)), depth >= 8, (depth - 2) % 6 == 0 else {
            throw ValidationError("--arch '\(arch)': expected resnetN with N = 6n+2 (resnet8, resnet20, resnet56, ...)")
        }
        return depth
    }

    func milestoneEpochs() throws -> [Double] {
        let values = try milestones.split(separator: ",").map { part -> Double in
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                throw ValidationError("--milestones: expected comma-separated positive numbers, got '\(milestones)'")
            }
            return value
        }
        guard !values.isEmpty else { throw ValidationError("--milestones: expected at least one milestone") }
        let epochsOf = values.allSatisfy { $0 <= 1 } ? values.map { $0 * Double(epochs) } : values
        if let late = epochsOf.first(where: { $0 > Double(epochs) }) {
            throw ValidationError("--milestones: epoch \(late) is past --epochs \(epochs)")
        }
        return epochsOf
    }

    func makeSchedule() throws -> LearningRateSchedule {
        switch schedule {
        case .cosine:
            guard let warmup, warmup > 0 else { return .cosine(rate: lr, floor: 0) }
            return .oneCycle(peak: lr, warmupFraction: warmup / Double(epochs), initialRate: lr * Self.warmupStartFactor,
                             floor: 0)
        case .multistep:
            return .multiStep(rate: lr, milestones: try milestoneEpochs(), gamma: Self.multiStepGamma)
        case .onecycle:
            let initial = lr / Self.oneCycleDivFactor
            return .oneCycle(peak: lr, warmupFraction: (warmup.map { $0 / Double(epochs) }) ?? Self.oneCycleWarmupFraction,
                             initialRate: initial, floor: initial / Self.oneCycleFinalDivFactor)
        }
    }

    func makeRecipe() throws -> TrainingRecipe {
        do {
            return try TrainingRecipe(epochs: epochs, batchSize: batch, schedule: try makeSchedule(), momentum: momentum,
                                      nesterov: nesterov, weightDecay: weightDecay, seed: seed)
        } catch let error as TrainingError {
            throw ValidationError("\(error)")
        }
    }

    func configuration() throws -> TrainingConfiguration {
        let output = URL(fileURLWithPath: out)
        var flags: [String: String] = [
            "arch": arch, "activation": activation, "data": data, "test_data": testData ?? "\(data) (test split)",
            "epochs": String(epochs), "batch": String(batch), "lr": String(lr), "schedule": schedule.rawValue,
            "momentum": String(momentum), "nesterov": String(nesterov), "weight_decay": String(weightDecay),
            "seed": String(seed), "threads": String(threads), "out": out, "convolution": convolution.effective.rawValue,
            "train_limit": trainLimit.map(String.init) ?? "all", "eval_limit": evalLimit.map(String.init) ?? "all",
        ]
        if let warmup { flags["warmup"] = String(warmup) }
        if let snapshotEvery { flags["snapshot_every"] = String(snapshotEvery) }
        if schedule == .multistep { flags["milestones"] = milestones }
        flags["schedule_detail"] = "\(try makeSchedule())"
        var configuration = TrainingConfiguration(
            depth: try depth(), activation: try Activation(parsing: activation), dataPath: data, testDataPath: testData,
            recipe: try makeRecipe(), trainLimit: trainLimit, evalLimit: evalLimit, threads: threads, output: output,
            checkpoint: checkpoint.map { URL(fileURLWithPath: $0) }, snapshots: snapshots.map { URL(fileURLWithPath: $0) },
            snapshotEvery: snapshotEvery, resume: resume, recipeFlags: flags)
        configuration.convolution = convolution
        configuration.profile = profile
        return configuration
    }
}
