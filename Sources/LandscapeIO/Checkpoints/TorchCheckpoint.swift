import Foundation
import LandscapeCore

/// PyTorch's two `torch.save` formats, unpickled with the restricted
/// `Unpickler`: the objects (dicts, tensors) plus every storage they use,
/// decoded to Float.
struct TorchCheckpoint {
    let root: PickleValue
    /// Decoded storages by key (root key for legacy views).
    let storages: [String: [Float]]
    let source: String

    /// `0x1950a86a20f9469cfc6c`, the first pickle of the legacy format
    /// (torch/serialization.py `MAGIC_NUMBER`), as LONG1 little-endian bytes.
    static let legacyMagic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    /// The legacy format's protocol version pickle (torch `PROTOCOL_VERSION`).
    static let legacyProtocolVersion = 1001

    // MARK: Zip format (PyTorch ≥ 1.6)

    /// `<archive>/data.pkl` with persistent ids `('storage', storage_type,
    /// key, location, numel)` whose bytes are `<archive>/data/<key>`.
    static func readZip(data: Data, source: String) throws -> TorchCheckpoint {
        let archive = try ZipArchive(data: data, source: source)
        guard let pickle = archive.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw CheckpointError.torch(source: source, problem: "the ZIP archive has no data.pkl (not a torch.save file)")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.entry(named: prefix + "byteorder") {
            let text = String(decoding: try archive.contents(of: order), as: UTF8.self)
            guard text == "little" else { throw CheckpointError.torch(source: source, problem: "byteorder '\(text)' (only little-endian is supported)") }
        }
        var referenced: [String: TorchStorage] = [:]
        var unpickler = Unpickler(bytes: try archive.contents(of: pickle), source: source) { id in
            let storage = try storageReference(id, legacy: false, source: source)
            if let known = referenced[storage.key], known.dtype != storage.dtype || known.count != storage.count {
                throw CheckpointError.torch(source: source, problem:
                    "storage '\(storage.key)' is declared twice with different types or sizes")
            }
            referenced[storage.key] = storage
            return .storage(storage)
        }
        let root = try unpickler.load()
        var storages: [String: [Float]] = [:]
        var budget = Checkpoint.maxElements  // scalars the storages may still take
        for key in referenced.keys.sorted() {
            let storage = referenced[key]!
            try spend(storage, from: &budget, source: source)
            guard let entry = archive.entry(named: prefix + "data/" + key) else {
                throw CheckpointError.torch(source: source, problem: "storage '\(key)' has no entry \(prefix)data/\(key)")
            }
            // `spend` checked count × byteSize against the budget, so it cannot overflow.
            let needed = storage.count * storage.dtype.byteSize
            // The directory's size is checked before anything is inflated.
            guard entry.uncompressedSize >= needed else {
                throw CheckpointError.torch(source: source, problem: "storage '\(key)' holds \(entry.uncompressedSize) bytes, needs \(needed)")
            }
            let bytes = try archive.contents(of: entry)
            storages[key] = bytes.withUnsafeBytes { storage.dtype.decode(UnsafeRawBufferPointer(rebasing: $0[..<needed])) }
        }
        return TorchCheckpoint(root: root, storages: storages, source: source)
    }

    /// Takes a storage's scalars from what the checkpoint may still decode
    /// (`Checkpoint.maxElements`), or throws naming the storage.
    static func spend(_ storage: TorchStorage, from budget: inout Int, source: String) throws {
        guard storage.count <= budget, storage.count.times(storage.dtype.byteSize) != nil else {
            throw CheckpointError.torch(source: source, problem: "storage '\(storage.key)' declares \(storage.count) elements; "
                + "with the storages before it that is more than the \(Checkpoint.maxElements)-element limit of a checkpoint")
        }
        budget -= storage.count
    }

    // MARK: Legacy format (PyTorch < 1.6, e.g. the akamaster `.th` files)

    /// Magic pickle, protocol version pickle, sys_info pickle, the object
    /// pickle (persistent ids `('storage', type, root_key, location, size,
    /// view_metadata)`), a pickle listing storage keys, then per key an
    /// 8-byte little-endian element count and the raw little-endian data.
    static func readLegacy(bytes: [UInt8], source: String) throws -> TorchCheckpoint {
        func fail(_ problem: String) -> CheckpointError { .torch(source: source, problem: problem) }
        var reader = Unpickler(bytes: bytes, source: source)
        guard case .bigInt(let magic) = try reader.load(), magic == legacyMagic else { throw fail("legacy magic number missing") }
        guard try reader.load().intValue == legacyProtocolVersion else { throw fail("legacy protocol version is not \(legacyProtocolVersion)") }
        guard case .dict(let sysInfo) = try reader.load() else { throw fail("legacy sys_info is not a dict") }
        if case .bool(false) = sysInfo["little_endian"] { throw fail("saved on a big-endian machine (unsupported)") }

        var referenced: [String: TorchStorage] = [:]
        var objects = Unpickler(bytes: bytes, source: source, position: reader.position) { id in
            let storage = try storageReference(id, legacy: true, source: source)
            if let known = referenced[storage.key], known.dtype != storage.dtype || known.count != storage.count {
                throw fail("storage '\(storage.key)' is declared twice with different types or sizes")
            }
            referenced[storage.key] = TorchStorage(key: storage.key, dtype: storage.dtype, count: storage.count)
            return .storage(storage)
        }
        let root = try objects.load()
        var keyReader = Unpickler(bytes: bytes, source: source, position: objects.position)
        guard let keys = try keyReader.load().tupleValue?.map(\.stringValue), !keys.contains(where: { $0 == nil }) else {
            throw fail("the storage key list after the object pickle is not a list of strings")
        }

        var storages: [String: [Float]] = [:]
        var position = keyReader.position
        var budget = Checkpoint.maxElements  // scalars the storages may still take
        for case let key? in keys {
            guard let storage = referenced[key] else { throw fail("storage key '\(key)' is listed but never referenced") }
            guard storages[key] == nil else { throw fail("storage key '\(key)' is listed twice") }
            try spend(storage, from: &budget, source: source)
            guard bytes.count - position >= 8 else {
                throw CheckpointError.truncated(source: source, detail: "the file ends before the data of storage '\(key)'")
            }
            let count = bytes[position..<position + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            position += 8
            guard count == UInt64(storage.count) else {
                throw fail("storage '\(key)' has \(count) elements in the data, \(storage.count) in the pickle")
            }
            // `spend` checked count × byteSize, so it cannot overflow.
            let length = storage.count * storage.dtype.byteSize
            guard length <= bytes.count - position else {
                throw CheckpointError.truncated(source: source, detail:
                    "storage '\(key)' needs \(length) bytes at offset \(position), the file has \(bytes.count - position) left")
            }
            storages[key] = bytes.withUnsafeBytes {
                storage.dtype.decode(UnsafeRawBufferPointer(rebasing: $0[position..<position + length]))
            }
            position += length
        }
        return TorchCheckpoint(root: root, storages: storages, source: source)
    }

    /// Parses a storage persistent id. Zip: `(tag, type, key, location,
    /// numel)`; legacy adds `view_metadata`: None or `(view_key, offset, size)`.
    static func storageReference(_ id: PickleValue, legacy: Bool, source: String) throws -> TorchStorage {
        func fail(_ problem: String) -> CheckpointError { .torch(source: source, problem: "persistent id: \(problem)") }
        guard let fields = id.tupleValue, fields.count >= 5, fields[0].stringValue == "storage" else {
            throw fail("expected ('storage', type, key, location, size, ...), got \(id.kind)")
        }
        guard case .global(.storageType(let dtype, _)) = fields[1] else {
            throw fail("storage type is \(fields[1].kind), expected a torch.*Storage class")
        }
        guard let key = fields[2].stringValue, let count = fields[4].intValue, count >= 0 else {
            throw fail("storage key or size missing (expected a string key and a size >= 0)")
        }
        var storage = TorchStorage(key: key, dtype: dtype, count: count)
        if legacy, fields.count > 5, let view = fields[5].tupleValue {
            guard view.count == 3, let offset = view[1].intValue, let size = view[2].intValue,
                  offset >= 0, size >= 0, let end = offset.adding(size), end <= count
            else {
                throw fail("view of storage '\(key)' is malformed or out of bounds "
                    + "(expected (key, offset, size) within its \(count) elements)")
            }
            storage.viewOffset = offset
        }
        return storage
    }

    /// Copies a strided view into a dense row-major tensor, bounds-checked
    /// with overflow-reporting arithmetic before anything is allocated; its
    /// scalars are taken from `budget` (see `Checkpoint.maxElements`).
    func tensor(_ view: TorchTensor, name: String, budget: inout Int) throws -> Tensor {
        func fail(_ problem: String) -> CheckpointError { .torch(source: source, problem: "tensor '\(name)': \(problem)") }
        guard let storage = storages[view.storage.key] else { throw fail("storage '\(view.storage.key)' was never read") }
        guard view.size.count == view.stride.count, view.stride.allSatisfy({ $0 >= 0 }), view.offset >= 0,
              let count = view.size.checkedElementCount
        else {
            throw fail("invalid offset \(view.offset) / size \(view.size) / stride \(view.stride) "
                + "(expected non-negative values whose element count fits in 64 bits)")
        }
        if count == 0 { return Tensor(shape: view.size, scalars: []) }
        guard count <= budget else {
            throw fail("\(count) elements; with the tensors before it that is more than the "
                + "\(Checkpoint.maxElements)-element limit of a checkpoint")
        }
        // The last element read is start + Σ (size - 1) · stride: every step checked.
        let outOfBounds = fail("offset \(view.offset), size \(view.size), stride \(view.stride) reach past the "
            + "\(storage.count)-element storage")
        guard var last = view.storage.viewOffset.adding(view.offset) else { throw outOfBounds }
        let start = last
        for (size, stride) in zip(view.size, view.stride) {
            guard let step = (size - 1).times(stride), let next = last.adding(step) else { throw outOfBounds }
            last = next
        }
        guard last < storage.count else { throw outOfBounds }
        budget -= count
        // From here every index lies in [start, last], inside the storage.
        var contiguous = true, expected = 1
        for (size, stride) in zip(view.size, view.stride).reversed() where size != 1 {
            if stride != expected { contiguous = false }
            expected *= size  // ≤ count, which fits
        }
        if contiguous { return Tensor(shape: view.size, scalars: Array(storage[start..<start + count])) }
        var scalars = [Float](); scalars.reserveCapacity(count)
        var index = [Int](repeating: 0, count: view.size.count)
        for _ in 0..<count {
            scalars.append(storage[zip(index, view.stride).reduce(start) { $0 + $1.0 * $1.1 }])
            var axis = index.count - 1  // odometer increment, last axis fastest
            while axis >= 0 { index[axis] += 1; if index[axis] < view.size[axis] { break }; index[axis] = 0; axis -= 1 }
        }
        return Tensor(shape: view.size, scalars: scalars)
    }
}
