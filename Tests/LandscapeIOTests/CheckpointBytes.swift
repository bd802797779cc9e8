import Foundation

/// Builders for checkpoint bytes written from the format specifications
/// (pickle opcodes from CPython's pickletools, ZIP from PKWARE's APPNOTE,
/// PyTorch's legacy layout from torch/serialization.py), independent of the
/// loader's code.
struct PickleBytes {
    var bytes: [UInt8] = []

    mutating func op(_ code: UInt8, _ operand: [UInt8] = []) { bytes.append(code); bytes += operand }
    mutating func proto(_ version: UInt8) { op(0x80, [version]) }
    mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
    mutating func string(_ text: String) { let utf8 = Array(text.utf8); op(0x58, le(utf8.count, 4) + utf8) }      // BINUNICODE
    mutating func shortString(_ text: String) { let utf8 = Array(text.utf8); op(0x8c, [UInt8(utf8.count)] + utf8) } // SHORT_BINUNICODE
    mutating func int(_ value: Int) { op(0x4a, le(value, 4)) }                                                    // BININT
    mutating func float(_ value: Double) { op(0x47, withUnsafeBytes(of: value.bitPattern.bigEndian, Array.init)) } // BINFLOAT
    mutating func ints(_ values: [Int]) { mark(); values.forEach { int($0) }; op(0x74) }                          // (..., ) tuple
    mutating func mark() { op(0x28) }
    mutating func tuple() { op(0x74) }
    mutating func tuple1() { op(0x85) }
    mutating func emptyDict() { op(0x7d) }
    mutating func emptyTuple() { op(0x29) }
    mutating func none() { op(0x4e) }
    mutating func newFalse() { op(0x89) }
    mutating func setItems() { op(0x75) }
    mutating func reduce() { op(0x52) }
    mutating func persistentID() { op(0x51) }
    mutating func stop() { op(0x2e) }

    /// `torch._utils._rebuild_tensor_v2((pid), offset, size, stride, False, OrderedDict())`,
    /// the pid being `('storage', torch.<type>, key, 'cpu', count[, view])`.
    mutating func tensor(storageType: String, key: String, count: Int, offset: Int, size: [Int], stride: [Int],
                         view: (key: String, offset: Int, size: Int)? = nil, legacy: Bool = false) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark(); string("storage"); global("torch", storageType); string(key); string("cpu"); int(count)
        if legacy {
            if let view { mark(); string(view.key); int(view.offset); int(view.size); tuple() } else { none() }
        }
        tuple(); persistentID()
        int(offset); ints(size); ints(stride); newFalse()
        global("collections", "OrderedDict"); emptyTuple(); reduce()
        tuple(); reduce()
    }
}

/// `value` as `count` little-endian bytes.
func le(_ value: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { le(Int($0.bitPattern), 4) } }
func doubleBytes(_ values: [Double]) -> [UInt8] { values.flatMap { le(Int(bitPattern: UInt($0.bitPattern)), 8) } }

/// The legacy `torch.save` layout: magic, protocol version and sys_info
/// pickles, the object pickle, the key-list pickle, then per key an 8-byte
/// element count and the raw data.
func legacyFile(objects: [UInt8], storages: [(key: String, count: Int, data: [UInt8])]) -> [UInt8] {
    let magic: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]
    let version: [UInt8] = [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]  // BININT2 1001
    var sysInfo = PickleBytes(); sysInfo.proto(2); sysInfo.emptyDict(); sysInfo.mark()
    sysInfo.string("little_endian"); sysInfo.op(0x88); sysInfo.setItems(); sysInfo.stop()
    var keys = PickleBytes(); keys.proto(2); keys.op(0x5d); keys.mark()
    storages.forEach { keys.string($0.key) }
    keys.op(0x65); keys.stop()
    var file = magic + version + sysInfo.bytes + objects + keys.bytes
    for storage in storages { file += le(storage.count, 8) + storage.data }
    return file
}

/// A ZIP archive (APPNOTE 6.3) with the given entries, stored, or deflated
/// as one uncompressed DEFLATE block (RFC 1951 §3.2.4) when `deflated`.
func zipArchive(_ entries: [(name: String, data: [UInt8])], deflated: Bool = false) -> [UInt8] {
    var file: [UInt8] = [], directory: [UInt8] = []
    for (name, data) in entries {
        let payload = deflated ? [0x01] + le(data.count, 2) + le(~data.count & 0xffff, 2) + data : data
        let common = le(20, 2) + le(0, 2) + le(deflated ? 8 : 0, 2) + le(0, 4) + le(Int(crc32(data)), 4)
            + le(payload.count, 4) + le(data.count, 4) + le(name.utf8.count, 2) + le(0, 2)
        directory += le(0x0201_4b50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4)
            + le(file.count, 4) + Array(name.utf8)
        file += le(0x0403_4b50, 4) + common + Array(name.utf8) + payload
    }
    let directoryOffset = file.count
    file += directory
    file += le(0x0605_4b50, 4) + le(0, 2) + le(0, 2) + le(entries.count, 2) + le(entries.count, 2)
        + le(directory.count, 4) + le(directoryOffset, 4) + le(0, 2)
    return file
}

/// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit.
func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xffff_ffff
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A safetensors file from a literal header and data section.
func safetensorsFile(header: String, data: [UInt8], declaredLength: Int? = nil) -> Data {
    let json = Array(header.utf8)
    return Data(le(declaredLength ?? json.count, 8) + json + data)
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
