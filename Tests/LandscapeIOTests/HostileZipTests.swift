import Foundation
import XCTest
@testable import LandscapeIO
import LandscapeCore

/// `torch.save` zip archives whose directory lies: every size and offset is
/// checked against the bytes present and the limits before anything is
/// allocated, and each lie is a CheckpointError naming the file and entry.
final class HostileZipTests: XCTestCase {
    /// A valid one-tensor state dict: {"w": float[2]}.
    let pickle = PickleBytes.stateDict("w") {
        $0.tensor(storageType: "FloatStorage", key: "0", count: 2, offset: 0, size: [2], stride: [1])
    }
    let storage = floatBytes([1, 2])

    func load(_ entries: [ZipEntrySpec], _ source: String) throws -> StateDict {
        try Checkpoint.load(data: Data(hostileZip(entries)), source: source)
    }

    func testTheHostileZipBuilderWritesALoadableArchive() throws {
        let dict = try load([.stored("a/data.pkl", pickle), .stored("a/data/0", storage)], "honest.pt")
        XCTAssertEqual(dict["w"], Tensor(shape: [2], scalars: [1, 2]))
        let deflated = try load([.deflated("a/data.pkl", pickle), .deflated("a/data/0", storage)], "deflated.pt")
        XCTAssertEqual(deflated["w"], Tensor(shape: [2], scalars: [1, 2]))
    }

    // Reproducer 2: a zip64 size of 2^63 − 1 read out of bounds, 2^40 aborted allocating.
    func testZip64SizeOf2To63Minus1IsRefused() {
        var entry = ZipEntrySpec.stored("a/data.pkl", pickle)
        entry.compressedSize = UInt64(Int.max); entry.uncompressedSize = UInt64(Int.max)
        assertCheckpointError(try load([entry], "zip64-max.pt"), mentions: ["zip64-max.pt", "a/data.pkl", "run past"])
        let deflated = ZipEntrySpec.deflated("a/data.pkl", pickle, declaredSize: UInt64(Int.max))
        assertCheckpointError(try load([deflated], "zip64-max-deflated.pt"),
                              mentions: ["zip64-max-deflated.pt", "a/data.pkl", "1032:1"])
    }

    func testZip64SizeOf2To40IsRefusedBeforeAllocating() {
        var stored = ZipEntrySpec.stored("a/data.pkl", pickle)
        stored.compressedSize = 1 << 40; stored.uncompressedSize = 1 << 40
        assertCheckpointError(try load([stored], "zip64-1t.pt"), mentions: ["zip64-1t.pt", "a/data.pkl", "1099511627776 bytes"])
        let deflated = ZipEntrySpec.deflated("a/data.pkl", pickle, declaredSize: 1 << 40)
        assertCheckpointError(try load([deflated], "zip64-1t-deflated.pt"),
                              mentions: ["zip64-1t-deflated.pt", "declares 1099511627776 bytes", "1032:1"])
    }

    func testZip64SizesBeyond2To63AreRefused() {
        var entry = ZipEntrySpec.stored("a/data.pkl", pickle)
        entry.compressedSize = UInt64.max; entry.uncompressedSize = UInt64.max
        assertCheckpointError(try load([entry], "zip64-neg.pt"), mentions: ["zip64-neg.pt", "a/data.pkl", "beyond 2^63"])
    }

    func testZip64ExtraFieldShorterThanItsSizesIsRefused() {
        var entry = ZipEntrySpec.stored("a/data.pkl", pickle)
        entry.compressedSize = 1 << 33; entry.uncompressedSize = 1 << 33
        entry.centralExtra = le(1, 2) + le(8, 2) + le64(1 << 33)  // room for one size, two are saturated
        assertCheckpointError(try load([entry], "short-extra.pt"), mentions: ["short-extra.pt", "zip64 extra field too short"])
        entry.centralExtra = le(1, 2) + le(200, 2) + le64(1)  // claims 200 bytes, holds 8
        assertCheckpointError(try load([entry], "overrun-extra.pt"), mentions: ["overrun-extra.pt", "runs past the extra data"])
    }

    // Reproducer 5: a 1.1 MB .pt whose directory claims 4 GB took 4.1 GB before its error.
    func testSmallArchiveClaimingGigabytesIsRefusedBeforeInflating() {
        let entry = ZipEntrySpec.deflated("a/data/0", noise(1_100_000), declaredSize: 4_000_000_000)
        let archive = hostileZip([.stored("a/data.pkl", pickle), entry])
        XCTAssertLessThan(archive.count, 1_200_000)
        assertCheckpointError(try Checkpoint.load(data: Data(archive), source: "claims-4gb.pt"),
                              mentions: ["claims-4gb.pt", "a/data/0", "declares 4000000000 bytes"])
    }

    func testDeclaredSizesAddingUpPastTheArchiveLimitAreRefused() {
        // 200 KiB of deflate may honestly inflate to 150 MiB (750:1); two such entries pass 256 MiB.
        let entries = (0..<2).map { index -> ZipEntrySpec in
            var entry = ZipEntrySpec.stored("a/data/\(index)", [UInt8](repeating: 0, count: 200 << 10))
            entry.method = 8
            entry.uncompressedSize = 150 << 20
            return entry
        }
        assertCheckpointError(try load([.stored("a/data.pkl", pickle)] + entries, "sum.pt"),
                              mentions: ["sum.pt", "a/data/1", "\(ZipArchive.maxUncompressedBytes)-byte limit"])
    }

    func testDeflatedEntryShorterThanDeclaredIsRefusedWithoutTrustingTheSize() throws {
        // Declares 200 MB (within every limit for its 260 KB of input), yields 300 KB.
        let entry = ZipEntrySpec.deflated("a/data/0", noise(300_000), declaredSize: 200_000_000)
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), entry], "short.pt"),
                              mentions: ["short.pt", "a/data/0", "inflates to 300000 bytes, the directory declares 200000000"])
        // Inflate itself keeps memory to what the stream yields: a huge expected size is no allocation.
        let packed = rawDeflate([1, 2, 3])
        XCTAssertThrowsError(try Inflate.raw(packed[...], expectedSize: Int.max / 2) {
            .zip(source: "x", problem: $0)
        }) { XCTAssertTrue("\($0)".contains("inflates to 3 bytes"), "\($0)") }
    }

    func testDeflatedEntryLongerThanDeclaredStopsAtTheDeclaredSize() {
        let entry = ZipEntrySpec.deflated("a/data/0", storage + [UInt8](repeating: 7, count: 100_000), declaredSize: 8)
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), entry], "long.pt"),
                              mentions: ["long.pt", "a/data/0", "longer than the 8 bytes"])
    }

    func testTruncatedDeflateStreamIsRefused() {
        var entry = ZipEntrySpec.deflated("a/data/0", storage + [UInt8](repeating: 9, count: 1000))
        entry.payload.removeLast(entry.payload.count / 2)
        entry.compressedSize = UInt64(entry.payload.count)
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), entry], "cut.pt"), mentions: ["cut.pt", "a/data/0"])
    }

    func testStoredEntryWhoseSizesDisagreeIsRefused() {
        var entry = ZipEntrySpec.stored("a/data/0", storage)
        entry.uncompressedSize = 4
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), entry], "stored.pt"),
                              mentions: ["stored.pt", "a/data/0", "8 bytes compressed and 4 uncompressed"])
    }

    func testLocalHeaderDisagreeingWithTheDirectoryIsRefused() {
        var renamed = ZipEntrySpec.stored("a/data/0", storage)
        renamed.localName = "a/data/9"
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), renamed], "name.pt"),
                              mentions: ["name.pt", "a/data/0", "names 'a/data/9'"])
        var method = ZipEntrySpec.stored("a/data/0", storage)
        method.localMethod = 8
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), method], "method.pt"),
                              mentions: ["method.pt", "a/data/0", "method 8"])
        var size = ZipEntrySpec.stored("a/data/0", storage)
        size.localCompressedSize = 4
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), size], "size.pt"),
                              mentions: ["size.pt", "a/data/0", "local header says 4 bytes"])
    }

    func testDataDescriptorIsCheckedWhenFlagBit3IsSet() throws {
        // What PyTorch writes: sizes 0 in the local header, signature + CRC + sizes after the data.
        var good = ZipEntrySpec.stored("a/data/0", storage)
        good.flags = 0x808; good.localCompressedSize = 0
        good.trailer = le(0x0807_4b50, 4) + le(Int(crc32(storage)), 4) + le(8, 4) + le(8, 4)
        XCTAssertEqual(try load([.stored("a/data.pkl", pickle), good], "descriptor.pt")["w"]?.scalars, [1, 2])
        var bad = good
        bad.trailer = le(0x0807_4b50, 4) + le(Int(crc32(storage)), 4) + le(8, 4) + le(80, 4)
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), bad], "bad-descriptor.pt"),
                              mentions: ["bad-descriptor.pt", "a/data/0", "data descriptor"])
    }

    func testLocalHeaderOffsetPastTheDataIsRefused() {
        var entry = ZipEntrySpec.stored("a/data/0", storage)
        entry.localOffsetShift = 1_000_000
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), entry], "offset.pt"),
                              mentions: ["offset.pt", "a/data/0", "run past the start of the central directory"])
        var shifted = ZipEntrySpec.stored("a/data/0", storage)
        shifted.localOffsetShift = 3  // inside the previous entry: no local header there
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), shifted], "shifted.pt"),
                              mentions: ["shifted.pt", "a/data/0", "no local file header"])
    }

    func testDirectoryOutsideTheArchiveOrWithTooManyEntriesIsRefused() {
        var bytes = hostileZip([.stored("a/data.pkl", pickle)])
        let end = bytes.count - 22
        var outside = bytes
        outside.replaceSubrange(end + 16..<end + 20, with: le(0x7fff_ffff, 4))  // directory offset
        assertCheckpointError(try Checkpoint.load(data: Data(outside), source: "dir.pt"),
                              mentions: ["dir.pt", "central directory", "outside the archive"])
        bytes.replaceSubrange(end + 10..<end + 12, with: le(0xffff, 2))  // 65,535 entries in 1 entry's bytes
        assertCheckpointError(try Checkpoint.load(data: Data(bytes), source: "count.pt"),
                              mentions: ["count.pt", "declares 65535 entries"])
    }

    func testDuplicateAndInvalidEntryNamesAreRefused() {
        assertCheckpointError(try load([.stored("a/data.pkl", pickle), .stored("a/data.pkl", pickle)], "dup.pt"),
                              mentions: ["dup.pt", "'a/data.pkl' appears twice"])
        // A one-letter name 'Q' (0x51, no other byte of this archive) turned into 0xff.
        let bytes = hostileZip([.stored("Q", [])]).map { $0 == 0x51 ? 0xff : $0 }
        assertCheckpointError(try Checkpoint.load(data: Data(bytes), source: "utf8.pt"), mentions: ["utf8.pt", "not UTF-8"])
    }

    func testCompressionMethodOtherThanStoredOrDeflateIsRefused() {
        var entry = ZipEntrySpec.stored("a/data.pkl", pickle)
        entry.method = 12  // bzip2
        assertCheckpointError(try load([entry], "bzip2.pt"), mentions: ["bzip2.pt", "compression method 12"])
    }

    func testReferenceArchiveStillLoadsAndItsEntriesAreWithinEveryLimit() throws {
        let data = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.pt"))
        let archive = try ZipArchive(data: data, source: "reference")
        XCTAssertEqual(archive.entries.count, 103)
        XCTAssertLessThan(archive.entries.count * 100, ZipArchive.maxEntries)
        XCTAssertTrue(archive.entries.allSatisfy { $0.flags & ZipArchive.dataDescriptorFlag != 0 })
        XCTAssertEqual(try Checkpoint.load(data: data, source: "reference").count, 97)
    }
}
