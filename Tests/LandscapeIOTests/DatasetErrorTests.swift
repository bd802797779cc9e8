import Foundation
import XCTest
@testable import LandscapeIO

/// Each malformed input gives its own error naming the file and what was expected.
final class DatasetErrorTests: XCTestCase {
    func testTruncatedCIFARFileNamesTheByteCount() throws {
        let file = try DatasetFiles.temporaryDirectory().appendingPathComponent("cut.bin")
        try DatasetFiles.write(Array(DatasetFiles.cifarRecords(labels: [1, 2]).dropLast(5)), to: file)
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: file.path, split: .test) }
        XCTAssertEqual(error, .truncatedCIFAR(path: file.path, byteCount: 2 * 3073 - 5, recordSize: 3073))
        XCTAssertTrue(error!.description.contains("6141 bytes"), error!.description)
        XCTAssertTrue(error!.description.contains(file.path))
    }

    func testEmptyCIFARFileIsTruncated() throws {
        let file = try DatasetFiles.temporaryDirectory().appendingPathComponent("empty.bin")
        try DatasetFiles.write([], to: file)
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: file.path, split: .test) }
        XCTAssertEqual(error, .truncatedCIFAR(path: file.path, byteCount: 0, recordSize: 3073))
    }

    func testCIFARLabelAboveNineIsRejectedWithItsRecord() throws {
        let file = try DatasetFiles.temporaryDirectory().appendingPathComponent("bad.bin")
        try DatasetFiles.write(DatasetFiles.cifarRecords(labels: [1, 2, 10]), to: file)
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: file.path, split: .test) }
        XCTAssertEqual(error, .badLabel(path: file.path, index: 2, label: 10, classCount: 10))
    }

    func testIDXLabelAboveNineIsRejected() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        try writeIDX(dir, images: DatasetFiles.idxImages(count: 2, height: 8, width: 8),
                     labels: DatasetFiles.idx(sizes: [2], payload: [3, 200]))
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
        XCTAssertEqual(error, .badLabel(path: dir.appendingPathComponent("t10k-labels-idx1-ubyte").path,
                                        index: 1, label: 200, classCount: 10))
    }

    func testWrongIDXMagicNamesFoundAndExpected() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        // A labels file where the images file should be: magic 0x801, not 0x803.
        try writeIDX(dir, images: DatasetFiles.idx(sizes: [2], payload: [1, 2]),
                     labels: DatasetFiles.idx(sizes: [2], payload: [1, 2]))
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
        XCTAssertEqual(error, .wrongIDXMagic(path: dir.appendingPathComponent("t10k-images-idx3-ubyte").path,
                                            found: 0x801, expected: 0x803))
        XCTAssertTrue(error!.description.contains("0x00000801"), error!.description)
    }

    func testIDXPayloadShorterThanItsDimensionsIsASizeMismatch() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        try writeIDX(dir, images: Array(DatasetFiles.idxImages(count: 2, height: 8, width: 8).dropLast()),
                     labels: DatasetFiles.idx(sizes: [2], payload: [1, 2]))
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
        guard case .idxSizeMismatch(let path, let field, let expected, let found)? = error else {
            return XCTFail("expected idxSizeMismatch, got \(String(describing: error))")
        }
        XCTAssertEqual(path, dir.appendingPathComponent("t10k-images-idx3-ubyte").path)
        XCTAssertEqual(field, "data after the header")
        XCTAssertTrue(expected.hasPrefix("128 bytes (dimensions 2x8x8)"), expected)
        XCTAssertEqual(found, "127 bytes")
    }

    func testIDXLabelAndImageCountsMustAgree() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        try writeIDX(dir, images: DatasetFiles.idxImages(count: 3, height: 8, width: 8),
                     labels: DatasetFiles.idx(sizes: [2], payload: [1, 2]))
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .test) }
        XCTAssertEqual(error, .countMismatch(imagesPath: dir.appendingPathComponent("t10k-images-idx3-ubyte").path, images: 3,
                                             labelsPath: dir.appendingPathComponent("t10k-labels-idx1-ubyte").path, labels: 2))
    }

    func testEmptyDirectoryListsEveryFileLookedFor() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .train) }
        let text = error?.description ?? ""
        for name in ["data_batch_1.bin", "data_batch_5.bin", "cifar-10-batches-bin/data_batch_3.bin",
                     "train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz"] {
            XCTAssertTrue(text.contains(name), "missing \(name) in: \(text)")
        }
    }

    func testPartialCIFARDirectoryListsOnlyTheMissingBatches() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        for b in [1, 2, 4] {
            try DatasetFiles.write(DatasetFiles.cifarRecords(labels: [0]), to: dir.appendingPathComponent("data_batch_\(b).bin"))
        }
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: dir.path, split: .train) }
        XCTAssertEqual(error, .missingFiles(directory: dir.path, lookedFor: ["data_batch_3.bin", "data_batch_5.bin"]))
    }

    func testMissingPathIsNotFound() {
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: "/nonexistent/cifar.bin", split: .test) }
        XCTAssertEqual(error, .notFound(path: "/nonexistent/cifar.bin"))
    }

    func testCorruptGzipDataIsReported() throws {
        var packed = try DatasetFiles.gzip(DatasetFiles.cifarRecords(labels: [1, 2, 3]))
        packed[packed.count / 2] ^= 0xFF   // inside the deflate data
        try expectCorruptGzip(packed)
    }

    func testGzipChecksumMismatchIsReported() throws {
        var packed = try DatasetFiles.gzip(DatasetFiles.cifarRecords(labels: [1, 2, 3]))
        packed[packed.count - 6] ^= 0x01   // the CRC-32 in the trailer
        let reason = try expectCorruptGzip(packed)
        XCTAssertTrue(reason.contains("incorrect data check"), reason)
    }

    func testTruncatedGzipIsReportedAsTruncated() throws {
        let packed = try DatasetFiles.gzip(DatasetFiles.cifarRecords(labels: [1, 2, 3]))
        let reason = try expectCorruptGzip(Array(packed.prefix(packed.count - 20)))
        XCTAssertTrue(reason.contains("truncated"), reason)
        XCTAssertTrue(reason.contains("\(packed.count - 20) bytes"), reason)
    }

    func testGzNamedFileWithoutGzipHeaderIsCorruptGzip() throws {
        let reason = try expectCorruptGzip(DatasetFiles.cifarRecords(labels: [1]))
        XCTAssertTrue(reason.contains("header"), reason)
    }

    // MARK: helpers

    private func writeIDX(_ dir: URL, images: [UInt8], labels: [UInt8]) throws {
        try DatasetFiles.write(images, to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try DatasetFiles.write(labels, to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
    }

    @discardableResult
    private func expectCorruptGzip(_ bytes: [UInt8], line: UInt = #line) throws -> String {
        let file = try DatasetFiles.temporaryDirectory().appendingPathComponent("data.bin.gz")
        try DatasetFiles.write(bytes, to: file)
        let error = DatasetFiles.expectError({ _ = try DatasetLoader.load(path: file.path, split: .test) }, line: line)
        guard case .corruptGzip(let path, let reason)? = error else {
            XCTFail("expected corruptGzip, got \(String(describing: error))", line: line)
            return ""
        }
        XCTAssertEqual(path, file.path, line: line)
        return reason
    }
}
