import Foundation

/// What the restricted unpickler builds: plain data, plus the few PyTorch
/// objects a state dict is made of, each *interpreted* by this loader.
/// Nothing in a pickle ever names code that runs.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for Int (LONG1/LONG4): little-endian two's complement.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Tuples are immutable: their nesting height is fixed when built.
    case tuple([PickleValue], height: Int)
    /// Lists and dicts are references: pickles mutate them after memoizing.
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(TorchStorage)
    case tensor(TorchTensor)

    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return global.qualifiedName
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    var intValue: Int? { if case .int(let value) = self { return value } else { return nil } }
    var stringValue: String? { if case .string(let value) = self { return value } else { return nil } }
    var tupleValue: [PickleValue]? {
        switch self {
        case .tuple(let items, _): return items
        case .list(let list): return list.items
        default: return nil
        }
    }
    /// Levels of containers in this value: 0 for a scalar, 1 for a container
    /// of scalars. Constant time: tuples, lists and dicts store theirs.
    var height: Int {
        switch self {
        case .tuple(_, let height): return height
        case .list(let list): return list.height
        case .dict(let dict): return dict.height
        default: return 0
        }
    }

    /// The list or dict this value is, if it is one.
    var container: PickleContainer? {
        switch self {
        case .list(let list): return list
        case .dict(let dict): return dict
        default: return nil
        }
    }

    /// A scalar rendered as text for metadata (`best_prec1` → "91.78000183105469").
    var scalarText: String? {
        switch self {
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .float(let value): return String(value)
        case .string(let value): return value
        default: return nil
        }
    }
}

/// What lists and dicts share: the nesting bookkeeping that keeps a pickle
/// from building objects deeper than `Unpickler.maxDepth` (releasing such a
/// tree recurses once per level and would overflow the thread's stack).
class PickleContainer {
    /// 1 + the largest height of the items, 1 when empty.
    var height: Int
    /// Set once the container is placed inside another object. From then on
    /// it may not grow deeper: its parents' heights would be out of date.
    var isNested = false
    init(height: Int) { self.height = height }
}

final class PickleList: PickleContainer {
    var items: [PickleValue]
    /// `height` must be what `Unpickler` computed for `items`.
    init(_ items: [PickleValue] = [], height: Int = 1) {
        self.items = items
        super.init(height: height)
    }
}

/// An insertion-ordered dict (Python dicts and OrderedDicts both keep order).
/// Keys are compared by their text for strings and ints, which is all a state
/// dict uses; other keys are kept but never merged.
final class PickleDict: PickleContainer {
    private(set) var items: [(key: PickleValue, value: PickleValue)] = []
    private var index: [String: Int] = [:]

    init() { super.init(height: 1) }

    func set(_ key: PickleValue, _ value: PickleValue) {
        guard let text = PickleDict.indexKey(key) else { items.append((key, value)); return }
        if let position = index[text] {
            items[position].value = value
        } else {
            index[text] = items.count
            items.append((key, value))
        }
    }

    subscript(key: String) -> PickleValue? { index["s:" + key].map { items[$0].value } }

    private static func indexKey(_ key: PickleValue) -> String? {
        switch key {
        case .string(let value): return "s:" + value
        case .int(let value): return "i:\(value)"
        default: return nil
        }
    }
}

/// The allow-list: the only globals a pickle may name. Anything else,
/// `os.system`, `builtins.eval`, `torch.storage._load_from_bytes`, is refused
/// when the GLOBAL opcode is read, before any object is built.
enum PickleGlobal {
    case orderedDict
    case rebuildTensor        // torch._utils._rebuild_tensor(storage, offset, size, stride)
    case rebuildTensorV2      // ... + requires_grad, backward_hooks[, metadata]
    case rebuildParameter     // torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)
    case storageType(ScalarType, String)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let type = ScalarType(torchStorage: name) else { return nil }
            self = .storageType(type, name)
        default: return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .storageType(_, let name): return "torch.\(name)"
        }
    }
}

/// A storage named by a persistent id: `key` is the zip entry `data/<key>`
/// or the legacy root key. Legacy views start `viewOffset` elements in.
struct TorchStorage {
    let key: String
    let dtype: ScalarType
    let count: Int
    var viewOffset = 0
}

/// A tensor as `_rebuild_tensor` describes it: a strided view of a storage.
struct TorchTensor {
    let storage: TorchStorage
    let offset: Int
    let size: [Int]
    let stride: [Int]
}
