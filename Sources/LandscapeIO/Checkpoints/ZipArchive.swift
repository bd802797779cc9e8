import CZlib
import Foundation

/// A read-only ZIP archive held in memory: just enough of PKWARE's APPNOTE
/// for `torch.save`'s zip format (PyTorch ≥ 1.6 writes stored entries with
/// data descriptors and zip64 records when needed). Deflated entries are
/// inflated with zlib. Every size and offset is checked against the bytes
/// present and the limits below before anything is allocated.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: Int             // 0 stored, 8 deflate
        let flags: Int
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    let source: String
    let bytes: ByteView
    /// Entries in central-directory order.
    let entries: [Entry]
    /// Where the central directory starts: entry data must end before it.
    let directoryOffset: Int

    // Record signatures (APPNOTE 4.3).
    static let localHeaderSignature = 0x0403_4b50
    static let centralHeaderSignature = 0x0201_4b50
    static let dataDescriptorSignature = 0x0807_4b50
    static let endSignature = 0x0605_4b50
    static let zip64EndSignature = 0x0606_4b50
    static let zip64LocatorSignature = 0x0706_4b50
    /// End record (22 bytes) plus the largest possible comment.
    static let maxEndSearch = 22 + 0xffff
    /// Fixed part of a central directory header (APPNOTE 4.3.12).
    static let centralHeaderSize = 46
    /// Fixed part of a local file header (APPNOTE 4.3.7).
    static let localHeaderSize = 30
    /// A size field of 0xffffffff means "see the zip64 extra field" (APPNOTE 4.5.3).
    static let zip64Marker = 0xffff_ffff
    /// General-purpose flag bit 3: sizes and CRC follow the data (APPNOTE 4.4.4).
    static let dataDescriptorFlag = 1 << 3

    /// Most entries accepted. A ResNet-20 `.pt` has 103 (one per tensor
    /// plus data.pkl, byteorder, version...); ResNet-1202 would have about
    /// 7,300. The directory must also really hold 46 bytes per entry.
    static let maxEntries = 65_536
    /// Most bytes all entries may declare uncompressed together: the
    /// checkpoint size limit (`Checkpoint.maxFileBytes`, 256 MiB), so deflate
    /// cannot turn an accepted file into more than an accepted file could hold.
    static let maxUncompressedBytes = Checkpoint.maxFileBytes
    /// DEFLATE's own ceiling: one 258-byte match per 2-bit code is about
    /// 1032:1 (zlib's FAQ). An entry declaring more output per input byte
    /// cannot be honest, so it is refused before inflating.
    static let maxDeflateRatio = 1032
    /// Slack on that ratio for tiny streams, where the block header and
    /// final code dominate (an empty deflate stream is 2 bytes).
    static let deflateRatioSlack = 1024

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
            else { throw fail("zip64 end-of-central-directory record missing, truncated or with sizes beyond 2^63") }
            (entryCount, directorySize, directoryOffset) = (count, size, offset)
        }
        // The directory lies before the end record; compared by subtraction, so nothing can overflow.
        guard directoryOffset <= end, directorySize <= end - directoryOffset else {
            throw fail("central directory [\(directoryOffset), +\(directorySize)) lies outside the archive "
                + "(expected it to end by byte \(end), where the end record starts)")
        }
        guard entryCount <= ZipArchive.maxEntries else {
            throw fail("\(entryCount) entries, more than the limit of \(ZipArchive.maxEntries)")
        }
        guard entryCount <= directorySize / ZipArchive.centralHeaderSize else {
            throw fail("the directory declares \(entryCount) entries but its \(directorySize) bytes hold at most "
                + "\(directorySize / ZipArchive.centralHeaderSize)")
        }
        let directoryEnd = directoryOffset + directorySize

        var entries: [Entry] = []
        var names = Set<String>()
        var declaredTotal = 0
        var cursor = directoryOffset
        for index in 0..<entryCount {
            guard bytes.u32(cursor) == ZipArchive.centralHeaderSignature, let flags = bytes.u16(cursor + 8),
                  let method = bytes.u16(cursor + 10), let crc = bytes.u32(cursor + 16),
                  var compressed = bytes.u32(cursor + 20), var uncompressed = bytes.u32(cursor + 24),
                  let nameLength = bytes.u16(cursor + 28), let extraLength = bytes.u16(cursor + 30),
                  let commentLength = bytes.u16(cursor + 32), var localOffset = bytes.u32(cursor + 42)
            else { throw fail("central directory entry \(index) at byte \(cursor) is truncated or corrupt") }
            // Small numbers (≤ 3 × 0xffff + 46), so the sum cannot overflow.
            let recordLength = ZipArchive.centralHeaderSize + nameLength + extraLength + commentLength
            guard recordLength <= directoryEnd - cursor, let nameBytes = bytes.slice(cursor + 46, nameLength),
                  let extra = bytes.slice(cursor + 46 + nameLength, extraLength)
            else {
                throw fail("central directory entry \(index) at byte \(cursor) runs past the end of the directory "
                    + "(byte \(directoryEnd))")
            }
            guard let name = String(validating: nameBytes, as: UTF8.self), !name.isEmpty else {
                throw fail("central directory entry \(index) has an empty name or one that is not UTF-8")
            }
            guard names.insert(name).inserted else { throw fail("entry name '\(name)' appears twice") }
            func entryFail(_ problem: String) -> CheckpointError { fail("entry '\(name)': \(problem)") }

            // zip64 extended information (APPNOTE 4.5.3): only the fields saturated at 0xffffffff, in this order.
            var field = extra.startIndex
            while extra.endIndex - field >= 4 {
                let id = Int(extra[field]) | Int(extra[field + 1]) << 8
                let size = Int(extra[field + 2]) | Int(extra[field + 3]) << 8
                guard size <= extra.endIndex - field - 4 else {
                    throw entryFail("extra field 0x\(String(id, radix: 16)) runs past the extra data")
                }
                if id == 1 {
                    var position = field + 4
                    func next(_ what: String) throws -> Int {
                        guard position + 8 <= field + 4 + size else { throw entryFail("zip64 extra field too short for the \(what)") }
                        defer { position += 8 }
                        let value = extra[position..<position + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                        guard value <= UInt64(Int.max) else { throw entryFail("zip64 \(what) \(value) is beyond 2^63") }
                        return Int(value)
                    }
                    if uncompressed == ZipArchive.zip64Marker { uncompressed = try next("uncompressed size") }
                    if compressed == ZipArchive.zip64Marker { compressed = try next("compressed size") }
                    if localOffset == ZipArchive.zip64Marker { localOffset = try next("local header offset") }
                }
                field += 4 + size
            }

            // What the entry claims, checked before anything is read or inflated.
            guard localOffset < directoryOffset, compressed <= directoryOffset - localOffset else {
                throw entryFail("\(compressed) bytes of data at byte \(localOffset) run past the start of the central "
                    + "directory at byte \(directoryOffset) (truncated file or corrupt sizes)")
            }
            switch method {
            case 0:
                guard compressed == uncompressed else {
                    throw entryFail("stored (uncompressed) but declares \(compressed) bytes compressed and \(uncompressed) uncompressed")
                }
            case 8:
                // compressed < directoryOffset ≤ 2^63 / 2^11, so the product fits.
                let ceiling = compressed.times(ZipArchive.maxDeflateRatio)?.adding(ZipArchive.deflateRatioSlack) ?? Int.max
                guard uncompressed <= ceiling else {
                    throw entryFail("declares \(uncompressed) bytes inflated from \(compressed): more than DEFLATE's "
                        + "\(ZipArchive.maxDeflateRatio):1 ceiling allows, so the sizes are corrupt")
                }
            default:
                throw entryFail("compression method \(method) unsupported (expected 0 stored or 8 deflate)")
            }
            guard let total = declaredTotal.adding(uncompressed), total <= ZipArchive.maxUncompressedBytes else {
                throw entryFail("declares \(uncompressed) bytes; with the entries before it that is more than the "
                    + "\(ZipArchive.maxUncompressedBytes)-byte limit of a checkpoint archive")
            }
            declaredTotal = total
            entries.append(Entry(name: name, method: method, flags: flags, crc32: UInt32(crc), compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            cursor += recordLength
        }
        self.entries = entries
        self.directoryOffset = directoryOffset
    }

    func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The entry's bytes, inflated if deflated, checked against its local
    /// header, its data descriptor, its declared size and its CRC-32.
    func contents(of entry: Entry) throws -> [UInt8] {
        func fail(_ problem: String) -> CheckpointError { .zip(source: source, problem: "entry '\(entry.name)': \(problem)") }
        let local = entry.localHeaderOffset  // < directoryOffset, checked when the directory was read
        guard bytes.u32(local) == ZipArchive.localHeaderSignature, let flags = bytes.u16(local + 6),
              let method = bytes.u16(local + 8), let crc = bytes.u32(local + 14),
              let compressed = bytes.u32(local + 18), let uncompressed = bytes.u32(local + 22),
              let nameLength = bytes.u16(local + 26), let extraLength = bytes.u16(local + 28),
              let name = bytes.slice(local + 30, nameLength)
        else { throw fail("no local file header at byte \(local)") }
        guard name.elementsEqual(entry.name.utf8) else {
            throw fail("the local header at byte \(local) names '\(String(decoding: name, as: UTF8.self))', expected the directory's name")
        }
        guard method == entry.method else {
            throw fail("the local header says compression method \(method), the central directory \(entry.method)")
        }
        if flags & ZipArchive.dataDescriptorFlag == 0 {
            // Sizes in the local header, unless saturated for zip64 (then in its extra field).
            guard UInt32(crc) == entry.crc32,
                  compressed == ZipArchive.zip64Marker || compressed == entry.compressedSize,
                  uncompressed == ZipArchive.zip64Marker || uncompressed == entry.uncompressedSize
            else {
                throw fail("the local header says \(compressed) bytes compressed, \(uncompressed) uncompressed, CRC "
                    + "\(String(format: "%08x", crc)); the central directory \(entry.compressedSize), \(entry.uncompressedSize), "
                    + String(format: "%08x", entry.crc32))
            }
        }
        // Header fields are small: local + 30 + 2 × 0xffff cannot overflow.
        let start = local + ZipArchive.localHeaderSize + nameLength + extraLength
        guard start <= directoryOffset, entry.compressedSize <= directoryOffset - start,
              let raw = bytes.slice(start, entry.compressedSize)
        else {
            throw fail("\(entry.compressedSize) bytes of data at byte \(start) run past the start of the central directory "
                + "at byte \(directoryOffset) (truncated file?)")
        }
        if flags & ZipArchive.dataDescriptorFlag != 0 { try checkDataDescriptor(at: start + entry.compressedSize, entry, fail) }
        let data: [UInt8]
        switch entry.method {
        case 0: data = Array(raw)
        default: data = try Inflate.raw(raw, expectedSize: entry.uncompressedSize) { fail($0) }
        }
        guard data.count == entry.uncompressedSize else {
            throw fail("\(data.count) bytes, the directory says \(entry.uncompressedSize)")
        }
        // The size is at most maxUncompressedBytes (256 MiB), which fits zlib's 32-bit length.
        let checksum = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        guard checksum == entry.crc32 else {
            throw fail(String(format: "CRC-32 %08x does not match the directory's %08x (corrupt data)", checksum, entry.crc32))
        }
        return data
    }

    /// The record after the data when flag bit 3 is set (APPNOTE 4.3.9):
    /// optional signature, CRC-32, then compressed and uncompressed sizes of
    /// 4 bytes (8 with zip64). It must agree with the central directory.
    private func checkDataDescriptor(at offset: Int, _ entry: Entry, _ fail: (String) -> CheckpointError) throws {
        let body = bytes.u32(offset) == ZipArchive.dataDescriptorSignature ? offset + 4 : offset
        guard let crc = bytes.u32(body) else { throw fail("data descriptor at byte \(offset) is missing (truncated file?)") }
        let sizes32 = (bytes.u32(body + 4), bytes.u32(body + 8))
        let sizes64 = (bytes.u64(body + 4), bytes.u64(body + 12))
        let sizesAgree = (sizes32.0 == entry.compressedSize && sizes32.1 == entry.uncompressedSize)
            || (sizes64.0 == entry.compressedSize && sizes64.1 == entry.uncompressedSize)
        guard UInt32(crc) == entry.crc32, sizesAgree else {
            throw fail("the data descriptor at byte \(offset) disagrees with the central directory's CRC "
                + "\(String(format: "%08x", entry.crc32)) and sizes \(entry.compressedSize)/\(entry.uncompressedSize)")
        }
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
        guard let high = uint(offset.adding(4) ?? -1, 4), high < 0x8000_0000 else { return nil }
        return uint(offset, 8)
    }
    func slice(_ offset: Int, _ length: Int) -> ArraySlice<UInt8>? {
        guard offset >= 0, length >= 0, length <= count, offset <= count - length else { return nil }
        return data[offset..<offset + length]
    }
}
