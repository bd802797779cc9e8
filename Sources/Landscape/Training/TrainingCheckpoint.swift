import Foundation
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// A `TrainingState` on disk: one safetensors file holding the weights under
/// PyTorch's names, the momentum under `optimizer.momentum.*`, and the
/// position, recipe and generator in `__metadata__`. Written atomically, so
/// a crash mid-save leaves the previous checkpoint intact.
public enum TrainingCheckpoint {
    /// Saves `state`; `extra` adds metadata of the caller's (keys must not
    /// clash with the state's own, which win).
    public static func save(_ state: TrainingState, to url: URL, extra: [String: String] = [:]) throws {
        let metadata = extra.merging(state.metadata) { _, own in own }
        try Safetensors.write(StateDict(state.tensors, metadata: metadata), to: url)
    }

    /// Reads a state saved by `save`; errors name the file and the bad field.
    public static func load(from url: URL) throws -> TrainingState {
        try loadWithMetadata(from: url).state
    }

    /// The state and the file's whole `__metadata__` (the caller's `extra` included).
    public static func loadWithMetadata(from url: URL) throws -> (state: TrainingState, metadata: [String: String]) {
        let dict = try Safetensors.read(url)
        do {
            let state = try TrainingState(tensors: dict.items.map { ($0.name, $0.tensor) }, metadata: dict.metadata)
            return (state, dict.metadata)
        } catch {
            // TrainingError for the position and recipe; ResNetModel(stateDict:)'s own error for weights.
            throw CheckpointError.safetensors(source: url.path, problem: "not a training checkpoint: \(error)")
        }
    }
}
