import Foundation
import LandscapeCore

/// Everything a training run needs to continue exactly where it stopped:
/// the recipe, the weights with the BatchNorm running statistics, the
/// optimizer's momentum, the augmentation generator and the position
/// (epoch, batch, step). A run restored from a state captured between two
/// batches gives bit-identical weights to one that never stopped.
public struct TrainingState: Sendable, Equatable {
    public var recipe: TrainingRecipe
    public var model: ResNetModel
    /// SGD's velocity, aligned with `model.values`; empty before the first step.
    public var momentumBuffer: [Float]
    /// Drawn from by `TrainingBatchSource.fill` (augmentation).
    public var generator: SeededGenerator
    /// The epoch in progress (0-based); `recipe.epochs` once training is done.
    public var epoch: Int
    /// Batches of `epoch` already trained on.
    public var batchInEpoch: Int
    /// Optimizer updates so far.
    public var step: Int

    public var isFinished: Bool { epoch >= recipe.epochs }

    public init(recipe: TrainingRecipe, model: ResNetModel, momentumBuffer: [Float] = [],
                generator: SeededGenerator, epoch: Int = 0, batchInEpoch: Int = 0, step: Int = 0) {
        self.recipe = recipe
        self.model = model
        self.momentumBuffer = momentumBuffer
        self.generator = generator
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.step = step
    }

    /// The start of a run: He-initialized weights and generators, all from `recipe.seed`.
    public static func initial(recipe: TrainingRecipe, architecture: ResNetArchitecture) -> TrainingState {
        var initialization = SeededGenerator(seed: recipe.seed, stream: TrainingRecipe.initializationStream)
        return TrainingState(recipe: recipe,
                             model: .randomlyInitialized(architecture, using: &initialization),
                             generator: SeededGenerator(seed: recipe.seed, stream: TrainingRecipe.augmentationStream))
    }

    // MARK: - Tensors and metadata (a safetensors file's contents)

    /// Momentum tensors are named after their parameter under this prefix.
    public static let momentumPrefix = "optimizer.momentum."
    static let formatName = "landscape-training-state/1"

    /// The model's tensors under PyTorch's names, then the momentum of each
    /// trainable tensor (once the optimizer has stepped), in `state_dict()` order.
    public var tensors: [(String, Tensor)] {
        var pairs = model.stateDict().items.map { ($0.name, $0.tensor) }
        if !momentumBuffer.isEmpty {
            for entry in model.layout.entries where entry.role.isTrainable {
                pairs.append((Self.momentumPrefix + entry.name,
                              Tensor(shape: entry.shape, scalars: Array(momentumBuffer[entry.range]))))
            }
        }
        return pairs
    }

    /// Strings only: the architecture and recipe as JSON, the position and the
    /// generator state in decimal (a UInt64 does not fit a float tensor).
    public var metadata: [String: String] {
        [
            "format": Self.formatName,
            "architecture": Self.json(model.architecture),
            "recipe": Self.json(recipe),
            "epoch": String(epoch),
            "batch_in_epoch": String(batchInEpoch),
            "step": String(step),
            "rng_state": String(generator.state),
        ]
    }

    /// Rebuilds a state from `tensors` and `metadata`; names every missing or malformed field.
    public init(tensors: [(String, Tensor)], metadata: [String: String]) throws {
        guard metadata["format"] == Self.formatName else {
            throw TrainingError.invalidState("metadata 'format' is \(metadata["format"].map { "'\($0)'" } ?? "missing"): "
                                             + "expected '\(Self.formatName)'")
        }
        let architecture: ResNetArchitecture = try Self.decode("architecture", metadata)
        recipe = try Self.decode("recipe", metadata)
        epoch = try Self.integer("epoch", metadata)
        batchInEpoch = try Self.integer("batch_in_epoch", metadata)
        step = try Self.integer("step", metadata)
        guard let rngText = metadata["rng_state"], let rng = UInt64(rngText) else {
            throw TrainingError.invalidState("metadata 'rng_state' is \(metadata["rng_state"] ?? "missing"): expected a UInt64")
        }
        generator = SeededGenerator(state: rng)

        let weights = tensors.filter { !$0.0.hasPrefix(Self.momentumPrefix) }
        model = try ResNetModel(architecture: architecture, stateDict: StateDict(weights))
        let momenta = Dictionary(tensors.filter { $0.0.hasPrefix(Self.momentumPrefix) }) { first, _ in first }
        guard !momenta.isEmpty else {
            momentumBuffer = []
            return
        }
        var buffer = [Float](repeating: 0, count: model.layout.totalCount)
        for entry in model.layout.entries where entry.role.isTrainable {
            let name = Self.momentumPrefix + entry.name
            guard let tensor = momenta[name], tensor.shape == entry.shape else {
                throw TrainingError.invalidState("tensor '\(name)' is \(momenta[name].map { "\($0.shape)" } ?? "missing"): "
                                                 + "expected shape \(entry.shape)")
            }
            buffer.replaceSubrange(entry.range, with: tensor.scalars)
        }
        momentumBuffer = buffer
    }

    private static func json(_ value: some Encodable) -> String { LandscapeJSON.text(value) }

    private static func decode<T: Decodable>(_ key: String, _ metadata: [String: String]) throws -> T {
        guard let text = metadata[key] else { throw TrainingError.invalidState("metadata '\(key)' is missing") }
        do {
            return try LandscapeJSON.decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw TrainingError.invalidState("metadata '\(key)' is not a valid \(T.self) in JSON: \(error)")
        }
    }

    private static func integer(_ key: String, _ metadata: [String: String]) throws -> Int {
        guard let text = metadata[key], let value = Int(text), value >= 0 else {
            throw TrainingError.invalidState("metadata '\(key)' is \(metadata[key] ?? "missing"): expected an integer >= 0")
        }
        return value
    }
}
