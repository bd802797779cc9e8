import Foundation
import XCTest
@testable import LandscapeIO

/// Dataset headers and compressed files that lie about their sizes.
final class HostileDatasetTests: XCTestCase {
    func writeIDX(images: [UInt8], labels: [UInt8], gzip: Bool = false) throws -> URL {
        let dir = try DatasetFiles.temporaryDirectory()
        let suffix = gzip ? ".gz" : ""
        try DatasetFiles.write(gzip ? DatasetFiles.gzip(images) : images,
                               to: dir.appendingPathComponent("t10k-images-idx3-ubyte" + suffix))
        try DatasetFiles.write(gzip ? DatasetFiles.gzip(labels) : labels,
                               to: dir.appendingPathComponent("t10k-labels-idx1-ubyte" + suffix))
        return dir
    }

    // Reproducer 3: 2^31 × 2^31 × 4 = 2^64 wrapped to 0, the size of the (empty) payload.
    func testIDXDimensionsMultiplyingPast2To64AreRefused() throws {
        for sizes in [[1 << 31, 1 << 31, 4], [0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [1 << 31, 1 << 31, 0x10000 + 1]] {
            let dir = try writeIDX(images: DatasetFiles.idx(sizes: sizes, payload: []), labels: DatasetFiles.idx(sizes: [0], payload: []))
            let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
            let images = dir.appendingPathComponent("t10k-images-idx3-ubyte").path
            XCTAssertEqual(error, .idxSizeMismatch(path: images, field: "dimensions",
                                                   expected: "a product that fits in 64 bits and matches the data",
                                                   found: sizes.map(String.init).joined(separator: "x")))
        }
    }

    func testIDXDimensionsLargerThanTheDataAreASizeMismatch() throws {
        // 2^32 − 1 labels announced, 3 present.
        let dir = try writeIDX(images: DatasetFiles.idxImages(count: 3, height: 2, width: 2),
                               labels: DatasetFiles.idx(sizes: [0xffff_ffff], payload: [1, 2, 3]))
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
        XCTAssertEqual(error, .idxSizeMismatch(path: dir.appendingPathComponent("t10k-labels-idx1-ubyte").path,
                                               field: "data after the header",
                                               expected: "4294967295 bytes (dimensions 4294967295)", found: "3 bytes"))
    }

    func testIDXHeaderCutShortIsReported() throws {
        let dir = try writeIDX(images: Array(DatasetFiles.idx(sizes: [1, 2, 2], payload: []).prefix(9)),
                               labels: DatasetFiles.idx(sizes: [1], payload: [1]))
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
        XCTAssertEqual(error, .idxSizeMismatch(path: dir.appendingPathComponent("t10k-images-idx3-ubyte").path,
                                               field: "file size", expected: "at least the 16-byte header", found: "9 bytes"))
    }

    // Reproducer 7: a gzip bomb decompressed without limit.
    func testGzipBombIsStoppedAtTheRatioLimit() throws {
        // Concatenated members of 16 MiB of zeros each (~16 KB compressed): 640 MiB from ~650 KB.
        let member = try DatasetFiles.gzip([UInt8](repeating: 0, count: 16 << 20))
        let bomb = Array([[UInt8]](repeating: member, count: 40).joined())
        let file = try DatasetFiles.temporaryDirectory().appendingPathComponent("bomb.bin.gz")
        try DatasetFiles.write(bomb, to: file)
        let limit = Gzip.outputLimit(compressedBytes: bomb.count)
        XCTAssertLessThan(limit, 128 << 20)
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: file.path, split: .test) }
        guard case .exceedsLimit(let path, let field, _, let found)? = error else {
            return XCTFail("expected exceedsLimit, got \(String(describing: error))")
        }
        XCTAssertEqual(path, file.path)
        XCTAssertEqual(field, "gunzipped size")
        XCTAssertEqual(found, "more than \(limit) bytes from \(bomb.count) compressed bytes")
        XCTAssertTrue(error!.description.contains("decompression bomb"), error!.description)
    }

    func testGzipLimitsAreGenerousForRealDatasets() {
        // Fashion-MNIST train images: 26,421,856 bytes → 47,040,016 (1.8:1); MNIST's: 9,912,422 → 47,040,016 (4.7:1).
        XCTAssertGreaterThan(Gzip.outputLimit(compressedBytes: 26_421_856), 47_040_016)
        XCTAssertGreaterThan(Gzip.outputLimit(compressedBytes: 9_912_422), 47_040_016)
        // Labels: 29,491 → 60,008; small synthetic files of any ratio up to 16 MiB.
        XCTAssertGreaterThan(Gzip.outputLimit(compressedBytes: 29_491), 60_008)
        XCTAssertEqual(Gzip.outputLimit(compressedBytes: 20), Gzip.ratioFreeBytes)
        // All of CIFAR-10's training set in one gzip file (154 MB, ~1.05:1).
        XCTAssertGreaterThan(Gzip.outputLimit(compressedBytes: 146_000_000), 50_000 * 3073)
        XCTAssertEqual(Gzip.outputLimit(compressedBytes: 400_000_000), Gzip.maxOutputBytes)
        XCTAssertEqual(Gzip.outputLimit(compressedBytes: Int.max), Gzip.maxOutputBytes)
    }

    func testGzippedIDXWithinTheLimitsStillLoads() throws {
        let dir = try writeIDX(images: DatasetFiles.idxImages(count: 3, height: 4, width: 5),
                               labels: DatasetFiles.idx(sizes: [3], payload: [0, 1, 2]), gzip: true)
        XCTAssertEqual(try DatasetLoader.load(path: dir.path, split: .test).labels, [0, 1, 2])
    }

    func testCIFARFileNotAWholeNumberOfRecordsIsRefused() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        for extra in [1, 3072, 3074] {
            let file = dir.appendingPathComponent("extra-\(extra).bin")
            let bytes = DatasetFiles.cifarRecords(labels: [1]) + [UInt8](repeating: 0, count: extra)
            try DatasetFiles.write(bytes, to: file)
            XCTAssertEqual(DatasetFiles.expectError { _ = try DatasetLoader.load(path: file.path, split: .test) },
                           .truncatedCIFAR(path: file.path, byteCount: bytes.count, recordSize: 3073))
        }
        // Gzipped, the same check applies to the inflated bytes.
        let packed = dir.appendingPathComponent("cut.bin.gz")
        let bytes = Array(DatasetFiles.cifarRecords(labels: [1, 2]).dropLast(100))
        try DatasetFiles.write(try DatasetFiles.gzip(bytes), to: packed)
        XCTAssertEqual(DatasetFiles.expectError { _ = try DatasetLoader.load(path: packed.path, split: .test) },
                       .truncatedCIFAR(path: packed.path, byteCount: bytes.count, recordSize: 3073))
    }
}
