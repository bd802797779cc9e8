import Foundation
import LandscapeCore

/// Any supported checkpoint file → a `StateDict` under PyTorch's names. The
/// format is told by content, not by extension: a ZIP archive is
/// `torch.save`'s zip format, a pickle is the legacy format, and an 8-byte
/// length followed by `{` is safetensors.
public enum Checkpoint {
    /// Training scripts save `{"state_dict": ..., "epoch": ..., ...}`; these
    /// keys hold the weights, tried in this order.
    public static let wrapperKeys = ["state_dict", "model_state_dict", "model"]
    /// `nn.DataParallel` prefixes every name with this; the engine's names do not have it.
    public static let dataParallelPrefix = "module."

    /// Largest checkpoint accepted, file or bytes: 256 MiB. Our models
    /// (ResNet-20, 0.27 M parameters) are 1.1 MB; even ResNet-1202, the
    /// deepest CIFAR ResNet (19.4 M parameters), is 78 MB in float32.
    public static let maxFileBytes = 256 << 20
    /// Most scalars decoded from one checkpoint, counted once over its
    /// storages and once over the tensors copied out of them: 64 Mi floats,
    /// 256 MiB, the same budget as `maxFileBytes`. It bounds what a small file
    /// can make us allocate with 1-byte dtypes, deflate or zero strides.
    public static let maxElements = 1 << 26

    public static func load(_ url: URL) throws -> StateDict {
        try load(data: contents(of: url), source: url.path)
    }

    /// The bytes of a checkpoint file, for callers that also keep or hash
    /// them: the file must be a regular file of at most `maxFileBytes`, and
    /// every failure is a `CheckpointError` naming the path ("is a
    /// directory", "no such file", "permission denied").
    public static func contents(of url: URL) throws -> Data { try CheckpointError.readFile(url) }

    public enum Format: String, Sendable { case safetensors, torchZip, torchLegacy }

    /// The format `data` is in, or nil.
    public static func sniff(_ data: Data) -> Format? {
        let head = [UInt8](data.prefix(9))
        if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) || head.starts(with: [0x50, 0x4b, 0x05, 0x06]) { return .torchZip }
        if head.first == 0x80 { return .torchLegacy }  // pickle PROTO opcode
        if head.count == 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        return nil
    }

    public static func load(data: Data, source: String) throws -> StateDict {
        guard data.count <= maxFileBytes else {
            throw CheckpointError.file(source: source, problem: InputFile.Problem.tooLarge(size: data.count, limit: maxFileBytes)
                .description(expected: CheckpointError.expectedFile))
        }
        let dict: StateDict
        switch sniff(data) {
        case .safetensors?:
            dict = try Safetensors.read(data: data, source: source)
        case .torchZip?:
            dict = try stateDict(from: TorchCheckpoint.readZip(data: data, source: source))
        case .torchLegacy?:
            dict = try stateDict(from: TorchCheckpoint.readLegacy(bytes: [UInt8](data), source: source))
        case nil:
            let first = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw CheckpointError.unknownFormat(source: source, firstBytes: first.isEmpty ? "nothing: empty file" : first)
        }
        return try stripPrefix(dict, source: source)
    }

    /// Finds the state dict inside the unpickled objects: the top-level dict,
    /// or the dict under a wrapper key, whose scalar siblings (`best_prec1`,
    /// `epoch`) become metadata strings.
    static func stateDict(from checkpoint: TorchCheckpoint) throws -> StateDict {
        let source = checkpoint.source
        guard case .dict(let top) = checkpoint.root else {
            throw CheckpointError.torch(source: source, problem: "the saved object is a \(checkpoint.root.kind), expected a dict of tensors")
        }
        var weights = top
        var metadata: [String: String] = [:]
        for key in wrapperKeys {
            if case .dict(let inner)? = top[key] {
                weights = inner
                for (name, value) in top.items {
                    if let name = name.stringValue, name != key, let text = value.scalarText { metadata[name] = text }
                }
                break
            }
        }
        var pairs: [(String, Tensor)] = []
        var budget = maxElements  // scalars the tensors may still take
        for (key, value) in weights.items {
            guard case .tensor(let view) = value else { continue }  // e.g. `_metadata`, counters saved as numbers
            guard let name = key.stringValue else {
                throw CheckpointError.torch(source: source, problem: "a tensor is stored under a \(key.kind) key, expected a name")
            }
            pairs.append((name, try checkpoint.tensor(view, name: name, budget: &budget)))
        }
        guard !pairs.isEmpty else { throw CheckpointError.noTensors(source: source) }
        return StateDict(pairs, metadata: metadata)
    }

    /// Drops `module.` from names saved by DataParallel.
    static func stripPrefix(_ dict: StateDict, source: String) throws -> StateDict {
        guard dict.names.contains(where: { $0.hasPrefix(dataParallelPrefix) }) else { return dict }
        var stripped = StateDict()
        stripped.metadata = dict.metadata
        for (name, tensor) in dict.items {
            let short = name.hasPrefix(dataParallelPrefix) ? String(name.dropFirst(dataParallelPrefix.count)) : name
            guard stripped[short] == nil else {
                throw CheckpointError.torch(source: source, problem: "both '\(name)' and another tensor map to '\(short)'")
            }
            stripped[short] = tensor
        }
        return stripped
    }
}
