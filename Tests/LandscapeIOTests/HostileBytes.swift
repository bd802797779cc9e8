import CZlib
import Foundation
import XCTest
@testable import LandscapeIO

/// Builders for the hostile inputs of the security review: ZIP archives
/// whose directory lies (sizes, offsets, zip64 fields, names), pickles with
/// 64-bit integers and deep nesting. Written from the specifications
/// (APPNOTE, pickletools), independent of the loader.

/// One ZIP entry; every field the loader checks can be made to lie.
struct ZipEntrySpec {
    var name: String
    /// The bytes stored in the archive (already deflated when `method` is 8).
    var payload: [UInt8]
    var method = 0
    var crc: UInt32
    /// What the central directory declares; saturated to 0xffffffff with a zip64 extra field when ≥ 2^32.
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var flags = 0
    /// Overrides for the local header (default: the same as the directory).
    var localName: String?
    var localMethod: Int?
    var localCompressedSize: Int?
    /// Added to the local header offset written in the directory.
    var localOffsetShift: Int = 0
    /// Bytes written after the payload (a data descriptor).
    var trailer: [UInt8] = []
    /// Replaces the central directory's extra field.
    var centralExtra: [UInt8]?

    /// A stored entry holding `data`.
    static func stored(_ name: String, _ data: [UInt8]) -> ZipEntrySpec {
        ZipEntrySpec(name: name, payload: data, crc: crc32(data), compressedSize: UInt64(data.count),
                     uncompressedSize: UInt64(data.count))
    }

    /// A deflated entry whose directory declares `declaredSize` (default: the truth).
    static func deflated(_ name: String, _ data: [UInt8], declaredSize: UInt64? = nil) -> ZipEntrySpec {
        let packed = rawDeflate(data)
        return ZipEntrySpec(name: name, payload: packed, method: 8, crc: crc32(data), compressedSize: UInt64(packed.count),
                            uncompressedSize: declaredSize ?? UInt64(data.count))
    }
}

/// `value` as 8 little-endian bytes.
func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

/// An archive of `entries` (APPNOTE 4.3), with zip64 extra fields for sizes ≥ 2^32.
func hostileZip(_ entries: [ZipEntrySpec]) -> [UInt8] {
    var file: [UInt8] = [], directory: [UInt8] = []
    for entry in entries {
        let big = entry.compressedSize >= 0xffff_ffff || entry.uncompressedSize >= 0xffff_ffff
        let zip64Extra = big ? le(1, 2) + le(16, 2) + le64(entry.uncompressedSize) + le64(entry.compressedSize) : []
        let extra = entry.centralExtra ?? zip64Extra
        let compressed = big ? 0xffff_ffff : Int(entry.compressedSize)
        let uncompressed = big ? 0xffff_ffff : Int(entry.uncompressedSize)
        let localName = Array((entry.localName ?? entry.name).utf8)
        let local = le(0x0403_4b50, 4) + le(20, 2) + le(entry.flags, 2) + le(entry.localMethod ?? entry.method, 2)
            + le(0, 4) + le(Int(entry.crc), 4) + le(entry.localCompressedSize ?? compressed, 4) + le(uncompressed, 4)
            + le(localName.count, 2) + le(0, 2) + localName
        directory += le(0x0201_4b50, 4) + le(20, 2) + le(20, 2) + le(entry.flags, 2) + le(entry.method, 2) + le(0, 4)
            + le(Int(entry.crc), 4) + le(compressed, 4) + le(uncompressed, 4) + le(entry.name.utf8.count, 2)
            + le(extra.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(file.count + entry.localOffsetShift, 4)
            + Array(entry.name.utf8) + extra
        file += local + entry.payload + entry.trailer
    }
    let directoryOffset = file.count
    file += directory
    file += le(0x0605_4b50, 4) + le(0, 2) + le(0, 2) + le(entries.count, 2) + le(entries.count, 2)
        + le(directory.count, 4) + le(directoryOffset, 4) + le(0, 2)
    return file
}

/// RFC 1951 raw DEFLATE of `data` with zlib (what ZIP method 8 stores).
func rawDeflate(_ data: [UInt8], level: Int32 = Z_BEST_COMPRESSION) -> [UInt8] {
    zlibCompress(data, level: level, windowBits: -15)
}

/// zlib's deflate over `data`: windowBits -15 writes raw DEFLATE, 15 + 16 a gzip member.
func zlibCompress(_ data: [UInt8], level: Int32, windowBits: Int32) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 9, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
    var input = data
    let status = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    precondition(status == Z_STREAM_END)
    return Array(output[..<Int(stream.total_out)])
}

extension PickleBytes {
    /// LONG1 with 8 bytes: any Int, where BININT holds only 32 bits.
    mutating func long(_ value: Int) { op(0x8a, [8] + le(value, 8)) }
    mutating func longs(_ values: [Int]) { mark(); values.forEach { long($0) }; tuple() }

    /// `_rebuild_tensor_v2((pid), offset, size, stride, False, OrderedDict())` with 64-bit
    /// integers everywhere, the pid being `('storage', torch.FloatStorage, key, 'cpu', count)`.
    mutating func wideTensor(key: String, count: Int, offset: Int, size: [Int], stride: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark(); string("storage"); global("torch", "FloatStorage"); string(key); string("cpu"); long(count); tuple()
        persistentID()
        long(offset); longs(size); longs(stride); newFalse()
        global("collections", "OrderedDict"); emptyTuple(); reduce()
        tuple(); reduce()
    }

    /// `{name: tensor}` as a whole pickle.
    static func stateDict(_ name: String, _ tensor: (inout PickleBytes) -> Void) -> [UInt8] {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark(); p.string(name); tensor(&p); p.setItems(); p.stop()
        return p.bytes
    }
}

/// A `.pt` holding `pickle` as data.pkl and `storages` under data/.
func torchZip(_ pickle: [UInt8], storages: [(key: String, data: [UInt8])]) -> Data {
    Data(zipArchive([("archive/data.pkl", pickle)] + storages.map { ("archive/data/\($0.key)", $0.data) }))
}

/// `count` bytes of a linear congruential generator: incompressible for DEFLATE.
func noise(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
}
