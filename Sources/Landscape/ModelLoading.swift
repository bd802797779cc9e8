import Foundation
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// A model file read and checked against the architecture, with its card
/// and content hash.
public struct LoadedModel: Sendable {
    public let url: URL
    public let name: String
    public let model: ResNetModel
    public let card: ModelCard?
    public let sha256: String
    public let stateDict: StateDict

    /// Reads any supported checkpoint. The architecture comes from the tensor
    /// shapes (depth, input channels, classes); the activation, which no
    /// shape reveals, from `activation`, else the card, else the checkpoint
    /// metadata, else ReLU (what the reference checkpoint uses).
    public static func load(_ url: URL, activation: Activation? = nil) throws -> LoadedModel {
        // One read: the bytes are hashed and parsed (the reader's errors name the path and what is wrong with it).
        let bytes = try Checkpoint.contents(of: url)
        let dict = try Checkpoint.load(data: bytes, source: url.path)
        try refuseNonFiniteValues(dict, source: url.path)
        let card = try ModelCard.load(forWeights: url)
        let chosen = try activation
            ?? card?.activation.map(Activation.init(parsing:))
            ?? dict.metadata["activation"].map(Activation.init(parsing:))
            ?? Activation(.relu)
        let architecture = try inferArchitecture(dict, activation: chosen, source: url.path)
        let model = try ResNetModel(architecture: architecture, stateDict: dict)
        return LoadedModel(url: url, name: card?.name ?? url.deletingPathExtension().lastPathComponent,
                           model: model, card: card, sha256: SHA256.hex(bytes), stateDict: dict)
    }

    /// Refuses images the network cannot take, naming both files (the engine alone can only say "3 channels").
    public func checkInput(_ set: SurfaceData) throws {
        let architecture = model.architecture
        guard architecture.inputChannels == set.data.channels else {
            throw LandscapeError.invalidRequest("model \(url.path) takes \(architecture.inputChannels)-channel images, "
                + "dataset \(set.info.path) (\(set.info.name)) has \(set.data.channels)-channel \(set.data.height)x\(set.data.width) images: "
                + "expected the kind of data the model was trained on")
        }
    }

    /// A NaN or ±∞ anywhere in the weights or BN statistics makes every loss
    /// NaN: say so at load, naming the tensors, instead of plotting nothing.
    static func refuseNonFiniteValues(_ dict: StateDict, source: String) throws {
        var bad: [String] = []
        for name in dict.names {
            guard let tensor = dict[name] else { continue }
            let count = tensor.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            if count > 0 { bad.append("\(name) (\(count) of \(tensor.scalars.count))") }
        }
        guard bad.isEmpty else {
            throw LandscapeError.invalidRequest("\(source): non-finite values (NaN or ±inf) in "
                + bad.prefix(5).joined(separator: ", ") + (bad.count > 5 ? " and \(bad.count - 5) more tensors" : "")
                + ": expected finite weights and BN statistics (was the training run diverged?)")
        }
    }

    /// depth = 6·(blocks per stage) + 2, counted from `layer1.N.conv1.weight` names.
    public static func inferArchitecture(_ dict: StateDict, activation: Activation, source: String) throws -> ResNetArchitecture {
        guard let stem = dict["conv1.weight"], stem.shape.count == 4 else {
            throw LandscapeError.invalidRequest("\(source): no 4-D conv1.weight, not a CIFAR ResNet checkpoint")
        }
        guard let head = dict["linear.weight"], head.shape.count == 2 else {
            throw LandscapeError.invalidRequest("\(source): no 2-D linear.weight, not a CIFAR ResNet checkpoint")
        }
        var blocks = 0
        while dict["layer1.\(blocks).conv1.weight"] != nil { blocks += 1 }
        guard blocks > 0 else { throw LandscapeError.invalidRequest("\(source): no layer1.0.conv1.weight") }
        return try ResNetArchitecture(depth: 6 * blocks + 2, inputChannels: stem.shape[1],
                                      classCount: head.shape[0], activation: activation)
    }

    public var info: Surface.ModelInfo {
        Surface.ModelInfo(name: name, path: url.path, sha256: sha256, architecture: model.architecture.name,
                          activation: model.architecture.activation.name, testAccuracy: card?.metrics?.testAccuracy)
    }

    public var surfaceModel: SurfaceModel { SurfaceModel(model: model, info: info) }
}
