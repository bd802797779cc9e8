import CZlib
import Foundation

/// A read-only ZIP archive held in memory: just enough of PKWARE's APPNOTE
/// for `torch.save`'s zip format (PyTorch ≥ 1.6 writes stored entries and
/// always adds zip64 records). Deflated entries are inflated with zlib.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: Int             // 0 stored, 8 deflate
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    let source: String
    let bytes: ByteView
    /// Entries in central-directory order.
    let entries: [Entry]

    // Record signatures (APPNOTE 4.3).
    static let localHeaderSignature = 0x0403_4b50
    static let centralHeaderSignature = 0x0201_4b50
    static let endSignature = 0x0605_4b50
    static let zip64EndSignature = 0x0606_4b50
    static let zip64LocatorSignature = 0x0706_4b50
    /// End record (22 bytes) plus the largest possible comment.
    static let maxEndSearch = 22 + 0xffff

    init(data: Data, source: String) throws {
        self.source = source
        self.bytes = ByteView(data)
        func fail(_ problem: String) -> CheckpointError { .zip(source: source, problem: problem) }
        let bytes = self.bytes

        // End of central directory: scan backwards past a possible comment.
        var end = -1
        var candidate = bytes.count - 22
        while candidate >= max(0, bytes.count - ZipArchive.maxEndSearch) {
            if bytes.u32(candidate) == ZipArchive.endSignature { end = candidate; break }
            candidate -= 1
        }
        guard end >= 0 else { throw fail("no end-of-central-directory record (file truncated or not a ZIP)") }
        var entryCount = bytes.u16(end + 10)!
        var directorySize = bytes.u32(end + 12)!
        var directoryOffset = bytes.u32(end + 16)!

        // zip64: the locator sits just before the classic end record.
        if end >= 20, bytes.u32(end - 20) == ZipArchive.zip64LocatorSignature {
            guard let recordOffset = bytes.u64(end - 12), bytes.u32(recordOffset) == ZipArchive.zip64EndSignature,
                  let count = bytes.u64(recordOffset + 32), let size = bytes.u64(recordOffset + 40),
                  let offset = bytes.u64(recordOffset + 48)
            else { throw fail("zip64 end-of-central-directory record missing or truncated") }
            (entryCount, directorySize, directoryOffset) = (count, size, offset)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= end else {
            throw fail("central directory [\(directoryOffset), +\(directorySize)) lies outside the archive")
        }

        var entries: [Entry] = []
        var cursor = directoryOffset
        for index in 0..<entryCount {
            guard bytes.u32(cursor) == ZipArchive.centralHeaderSignature, let method = bytes.u16(cursor + 10),
                  let crc = bytes.u32(cursor + 16), var compressed = bytes.u32(cursor + 20),
                  var uncompressed = bytes.u32(cursor + 24), let nameLength = bytes.u16(cursor + 28),
                  let extraLength = bytes.u16(cursor + 30), let commentLength = bytes.u16(cursor + 32),
                  var localOffset = bytes.u32(cursor + 42),
                  let nameBytes = bytes.slice(cursor + 46, nameLength),
                  let extraSlice = bytes.slice(cursor + 46 + nameLength, extraLength)
            else { throw fail("central directory entry \(index) at byte \(cursor) is truncated or corrupt") }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let extra = Array(extraSlice)
            // zip64 extended information (APPNOTE 4.5.3): only the fields saturated at 0xffffffff, in this order.
            var field = 0
            while field + 4 <= extra.count {
                let id = Int(extra[field]) | Int(extra[field + 1]) << 8
                let size = Int(extra[field + 2]) | Int(extra[field + 3]) << 8
                if id == 1 {
                    var position = field + 4
                    func next() throws -> Int {
                        guard position + 8 <= field + 4 + size, position + 8 <= extra.count else {
                            throw fail("entry '\(name)': zip64 extra field too short")
                        }
                        defer { position += 8 }
                        return extra[position..<position + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
                    }
                    if uncompressed == 0xffff_ffff { uncompressed = try next() }
                    if compressed == 0xffff_ffff { compressed = try next() }
                    if localOffset == 0xffff_ffff { localOffset = try next() }
                }
                field += 4 + size
            }
            entries.append(Entry(name: name, method: method, crc32: UInt32(crc), compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The entry's bytes, inflated if deflated, checked against its CRC-32.
    func contents(of entry: Entry) throws -> [UInt8] {
        func fail(_ problem: String) -> CheckpointError { .zip(source: source, problem: "entry '\(entry.name)': \(problem)") }
        let local = entry.localHeaderOffset
        guard bytes.u32(local) == ZipArchive.localHeaderSignature,
              let nameLength = bytes.u16(local + 26), let extraLength = bytes.u16(local + 28)
        else { throw fail("no local file header at byte \(local)") }
        guard let raw = bytes.slice(local + 30 + nameLength + extraLength, entry.compressedSize) else {
            throw fail("\(entry.compressedSize) bytes of data run past the end of the archive (truncated file?)")
        }
        let data: [UInt8]
        switch entry.method {
        case 0: data = Array(raw)
        case 8: data = try Inflate.raw(raw, expectedSize: entry.uncompressedSize) { fail($0) }
        default: throw fail("compression method \(entry.method) unsupported (expected 0 stored or 8 deflate)")
        }
        guard data.count == entry.uncompressedSize else {
            throw fail("\(data.count) bytes, the directory says \(entry.uncompressedSize)")
        }
        let checksum = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        guard checksum == entry.crc32 else {
            throw fail(String(format: "CRC-32 %08x does not match the directory's %08x (corrupt data)", checksum, entry.crc32))
        }
        return data
    }
}

/// Bounds-checked little-endian reads from a byte buffer: every accessor
/// returns nil instead of trapping when the range leaves the buffer.
struct ByteView {
    let data: [UInt8]
    init(_ data: Data) { self.data = [UInt8](data) }
    var count: Int { data.count }

    func uint(_ offset: Int, _ size: Int) -> Int? {
        guard offset >= 0, size <= count, offset <= count - size else { return nil }
        var value = 0
        for i in stride(from: size - 1, through: 0, by: -1) { value = value << 8 | Int(data[offset + i]) }
        return value
    }
    func u16(_ offset: Int) -> Int? { uint(offset, 2) }
    func u32(_ offset: Int) -> Int? { uint(offset, 4) }
    /// Values beyond Int.max cannot be valid offsets or sizes here: nil.
    func u64(_ offset: Int) -> Int? {
        guard let high = uint(offset + 4, 4), high < 0x8000_0000 else { return nil }
        return uint(offset, 8)
    }
    func slice(_ offset: Int, _ length: Int) -> ArraySlice<UInt8>? {
        guard offset >= 0, length >= 0, length <= count, offset <= count - length else { return nil }
        return data[offset..<offset + length]
    }
}
