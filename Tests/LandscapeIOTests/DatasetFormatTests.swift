import Foundation
import XCTest
@testable import LandscapeIO

/// Synthetic CIFAR-10 and IDX files, raw and gzip, written by the tests.
final class DatasetFormatTests: XCTestCase {
    func testCIFARFileOfAnyRecordCountKeepsLabelsAndCHWPixels() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        let file = dir.appendingPathComponent("few.bin")
        try DatasetFiles.write(DatasetFiles.cifarRecords(labels: [9, 0, 4]), to: file)
        let dataset = try DatasetLoader.load(path: file.path, split: .test)
        XCTAssertEqual(dataset.labels, [9, 0, 4])
        for n in 0..<3 {
            for (c, p) in [(0, 0), (1, 5), (2, 1023)] {
                XCTAssertEqual(dataset.pixels[n * 3072 + c * 1024 + p], DatasetFiles.pixel(image: n, channel: c, offset: p))
            }
        }
    }

    func testCIFARDirectoryReadsTheFiveTrainBatchesInOrderAndTheTestBatch() throws {
        let dir = try DatasetFiles.temporaryDirectory("cifar")
        for b in 1...5 {
            let labels = (0..<b).map { UInt8(($0 + b) % 10) }
            try DatasetFiles.write(DatasetFiles.cifarRecords(labels: labels, firstImage: 100 * b),
                                   to: dir.appendingPathComponent("data_batch_\(b).bin"))
        }
        try DatasetFiles.write(DatasetFiles.cifarRecords(labels: [7, 7]), to: dir.appendingPathComponent("test_batch.bin"))
        let train = try DatasetLoader.load(path: dir.path, split: .train)
        XCTAssertEqual(train.count, 1 + 2 + 3 + 4 + 5)
        XCTAssertEqual(Array(train.labels.prefix(3)), [1, 2, 3])   // batch 1: [1], batch 2: [2, 3]
        // Image 1 is batch 2's first record: written as image 200.
        XCTAssertEqual(train.pixels[1 * 3072 + 10], DatasetFiles.pixel(image: 200, channel: 0, offset: 10))
        let test = try DatasetLoader.load(path: dir.path, split: .test)
        XCTAssertEqual(test.labels, [7, 7])
        XCTAssertEqual(test.split, .test)
    }

    func testCIFARBatchesInTheUnpackedSubfolderAreFound() throws {
        let dir = try DatasetFiles.temporaryDirectory("download")
        let sub = dir.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try DatasetFiles.write(DatasetFiles.cifarRecords(labels: [2]), to: sub.appendingPathComponent("test_batch.bin"))
        let dataset = try DatasetLoader.load(path: dir.path, split: .test)
        XCTAssertEqual(dataset.labels, [2])
        XCTAssertEqual(dataset.sourcePath, sub.path)
    }

    func testGzippedCIFARFileReadsLikeTheRawOne() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        let records = DatasetFiles.cifarRecords(labels: [1, 2, 3, 4])
        try DatasetFiles.write(records, to: dir.appendingPathComponent("raw.bin"))
        try DatasetFiles.write(try DatasetFiles.gzip(records), to: dir.appendingPathComponent("packed.bin.gz"))
        let raw = try DatasetLoader.load(path: dir.appendingPathComponent("raw.bin").path, split: .test)
        let packed = try DatasetLoader.load(path: dir.appendingPathComponent("packed.bin.gz").path, split: .test)
        XCTAssertEqual(packed.labels, raw.labels)
        XCTAssertEqual(packed.pixels, raw.pixels)
    }

    func testIDXDirectoryRawReadsSizesLabelsAndPixels() throws {
        let dir = try DatasetFiles.temporaryDirectory("digits")
        // Height 5 and width 7 differ, so swapped dimensions would show.
        try DatasetFiles.write(DatasetFiles.idxImages(count: 3, height: 5, width: 7),
                               to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try DatasetFiles.write(DatasetFiles.idx(sizes: [3], payload: [5, 0, 9]),
                               to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let dataset = try DatasetLoader.load(path: dir.path, split: .test)
        XCTAssertEqual(dataset.name, "mnist")
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [3, 1, 5, 7])
        XCTAssertEqual(dataset.labels, [5, 0, 9])
        XCTAssertEqual(dataset.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
        XCTAssertEqual(dataset.pixels[2 * 35 + 34], DatasetFiles.pixel(image: 2, channel: 0, offset: 34))
    }

    func testIDXDirectoryGzipNamedFashionIsFashionMNIST() throws {
        let dir = try DatasetFiles.temporaryDirectory("My-Fashion-Set")
        let images = DatasetFiles.idxImages(count: 4, height: 28, width: 28)
        try DatasetFiles.write(try DatasetFiles.gzip(images), to: dir.appendingPathComponent("train-images-idx3-ubyte.gz"))
        try DatasetFiles.write(try DatasetFiles.gzip(DatasetFiles.idx(sizes: [4], payload: [9, 8, 0, 1])),
                               to: dir.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        let dataset = try DatasetLoader.load(path: dir.path, split: .train)
        XCTAssertEqual(dataset.name, "fashion-mnist")
        XCTAssertEqual(dataset.classNames[9], "Ankle boot")
        XCTAssertEqual(dataset.labels, [9, 8, 0, 1])
        XCTAssertEqual(dataset.pixels, Array(images[16...]))
        XCTAssertEqual(Normalization.default(for: dataset), .fashionMNIST)
    }

    func testConcatenatedGzipMembersAreJoinedAsGunzipDoes() throws {
        let dir = try DatasetFiles.temporaryDirectory()
        let records = DatasetFiles.cifarRecords(labels: [3, 1, 4])
        let split = 3073 + 100   // a member boundary inside the second record
        let joined = try DatasetFiles.gzip(Array(records[..<split])) + DatasetFiles.gzip(Array(records[split...]))
        let file = dir.appendingPathComponent("two-members.gz")
        try DatasetFiles.write(joined, to: file)
        XCTAssertEqual(try DatasetLoader.load(path: file.path, split: .test).labels, [3, 1, 4])
    }

    func testLargeGzipStreamsAcrossReadChunks() throws {
        // Incompressible-ish bytes larger than one read chunk (256 KiB).
        var generatorState: UInt32 = 12345
        let labels = (0..<120).map { _ -> UInt8 in
            generatorState = generatorState &* 1_664_525 &+ 1_013_904_223
            return UInt8((generatorState >> 16) % 10)
        }
        var records = DatasetFiles.cifarRecords(labels: labels)
        for i in stride(from: 0, to: records.count, by: 3073) {
            for k in 1..<3073 {
                generatorState = generatorState &* 1_664_525 &+ 1_013_904_223
                records[i + k] = UInt8(generatorState >> 24)
            }
        }
        let packed = try DatasetFiles.gzip(records)
        XCTAssertGreaterThan(packed.count, Gzip.chunkSize)
        let file = try DatasetFiles.temporaryDirectory().appendingPathComponent("big.bin.gz")
        try DatasetFiles.write(packed, to: file)
        let dataset = try DatasetLoader.load(path: file.path, split: .test)
        XCTAssertEqual(dataset.labels, labels)
        XCTAssertEqual(dataset.pixels[119 * 3072 + 3071], records[119 * 3073 + 3072])
    }
}
