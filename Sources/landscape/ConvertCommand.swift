import ArgumentParser
import Foundation
import Landscape
import LandscapeIO

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert any supported checkpoint to safetensors (float32, PyTorch tensor names).")

    @Argument(help: "Input checkpoint (.safetensors, .pt/.pth zip, .th legacy).") var input: String
    @Argument(help: "Output .safetensors file (written atomically).") var output: String

    func validate() throws {
        guard output.hasSuffix(".safetensors") else { throw ValidationError("output must end in .safetensors, got '\(output)'") }
    }

    func run() throws {
        let loaded = try LoadedModel.load(URL(fileURLWithPath: input))
        var metadata = loaded.stateDict.metadata
        metadata["source"] = metadata["source"] ?? URL(fileURLWithPath: input).lastPathComponent
        metadata["source_sha256"] = loaded.sha256
        metadata["arch"] = loaded.model.architecture.name
        metadata["activation"] = loaded.model.architecture.activation.name
        try Safetensors.write(loaded.model.stateDict(metadata: metadata), to: URL(fileURLWithPath: output))
        print("wrote \(output): \(loaded.model.layout.entries.count) tensors, \(loaded.model.parameterCount.formatted()) parameters")
    }
}
