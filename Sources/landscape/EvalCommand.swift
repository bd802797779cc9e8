import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Loss and accuracy of a model on a dataset (BatchNorm in eval mode).")

    @Option(help: "Checkpoint (.safetensors, .pt, .th).") var model: String
    @OptionGroup var data: DataOptions
    @Option(help: "Evaluate only this many samples (chosen by --subset).") var limit: Int?
    @Option(help: "Activation, overriding the model card and checkpoint metadata.") var activation: String?
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp(stringLiteral: ConvolutionAlgorithm.help))
    var convolution = ConvolutionAlgorithm.auto
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let loaded = try LoadedModel.load(URL(fileURLWithPath: model), activation: activation.map(Activation.init(parsing:)))
        let set = try EvaluationSet.build(try data.request(samples: limit), card: loaded.card)
        try loaded.checkInput(set)
        // Built before the clock starts: `auto` may measure the algorithms first (once per CPU model).
        let evaluator = Evaluator(threads: threads, algorithm: convolution)
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try evaluator.evaluate(InferenceNetwork(loaded.model), on: set.data)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let rate = Double(result.count) / seconds
        if json {
            let object: [String: Any] = [
                "model": model, "sha256": loaded.sha256, "architecture": loaded.model.architecture.name,
                "activation": loaded.model.architecture.activation.name, "dataset": set.info.path,
                "split": set.info.split, "subset": set.info.subset, "samples": result.count,
                "loss": result.meanLoss, "loss_stderr": result.lossStandardError, "correct": result.correctCount,
                "accuracy": result.accuracy, "seconds": seconds, "images_per_second": rate]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            print("\(loaded.name) (\(loaded.model.architecture.description)) on \(set.info.name) \(set.info.split), \(result.count) samples (\(set.info.subset))")
            print(String(format: "  loss      %.6f ± %.6f (standard error)", result.meanLoss, result.lossStandardError))
            print(String(format: "  accuracy  %.3f %% (%d of %d)", result.accuracy * 100, result.correctCount, result.count))
            print(String(format: "  speed     %.0f images/s (%d threads, %.2f s)", rate, threads, seconds))
        }
    }
}
