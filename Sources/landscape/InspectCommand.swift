import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a checkpoint's tensors, shapes, parameter count and metadata.")

    @Argument(help: "A .safetensors, PyTorch zip (.pt/.pth) or legacy (.th/.tar) checkpoint.") var model: String
    @Option(help: "Activation, if the checkpoint and its card do not say (relu, swish, mish, ...).") var activation: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let loaded = try LoadedModel.load(URL(fileURLWithPath: model), activation: activation.map(Activation.init(parsing:)))
        let dict = loaded.stateDict
        if json {
            let tensors = dict.items.map { ["name": $0.name, "shape": $0.tensor.shape] as [String: Any] }
            let object: [String: Any] = [
                "path": model, "sha256": loaded.sha256, "architecture": loaded.model.architecture.name,
                "activation": loaded.model.architecture.activation.name, "parameters": loaded.model.parameterCount,
                "tensors": tensors, "metadata": dict.metadata]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            return
        }
        print("\(model)")
        print("  sha256        \(loaded.sha256)")
        print("  architecture  \(loaded.model.architecture.description)")
        print("  parameters    \(loaded.model.parameterCount.formatted()) trainable (+ BN running statistics)")
        print("  tensors       \(dict.count)")
        for (key, value) in dict.metadata.sorted(by: { $0.key < $1.key }) { print("  metadata      \(key) = \(value)") }
        if let card = loaded.card { print("  model card    \(card.dataset ?? "?") test accuracy \(card.metrics?.testAccuracy.map { String(format: "%.2f %%", $0 * 100) } ?? "?")") }
        let width = dict.names.map(\.count).max() ?? 0
        for (name, tensor) in dict.items {
            print("    \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(tensor.shape)")
        }
    }
}
