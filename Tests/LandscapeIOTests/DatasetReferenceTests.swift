import Foundation
import XCTest
@testable import LandscapeIO

/// The first 846 images of the official CIFAR-10 test batch (../shared/reference).
final class DatasetReferenceTests: XCTestCase {
    let path = Fixtures.referenceFile("cifar10-test-head.bin").path

    func testReferenceHeadHas846ImagesWithTheListedLabels() throws {
        let dataset = try DatasetLoader.load(path: path, split: .test)
        XCTAssertEqual(dataset.name, "cifar10")
        XCTAssertEqual(dataset.count, 846)
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [3, 32, 32])
        // README: image 0 has label 3 (cat), image 1 label 8 (ship).
        XCTAssertEqual(Array(dataset.labels.prefix(2)), [3, 8])
        XCTAssertEqual(dataset.classNames[3], "cat")
        XCTAssertEqual(dataset.classNames[8], "ship")
        // README: label counts 0..9.
        let counts = (0..<10).map { c in dataset.labels.filter { $0 == c }.count }
        XCTAssertEqual(counts, [83, 70, 88, 84, 76, 79, 97, 87, 88, 94])
    }

    func testReferencePixelsMatchTheRawRecordsByteForByte() throws {
        let dataset = try DatasetLoader.load(path: path, split: .test)
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(raw.count, 846 * 3073)
        // Independent checksums over the raw file, skipping each record's label byte.
        var sum = 0, weighted: UInt64 = 0
        for r in 0..<846 {
            for k in 0..<3072 {
                let v = raw[r * 3073 + 1 + k]
                sum += Int(v)
                weighted = weighted &* 31 &+ UInt64(v)
            }
        }
        var loadedSum = 0, loadedWeighted: UInt64 = 0
        for v in dataset.pixels { loadedSum += Int(v); loadedWeighted = loadedWeighted &* 31 &+ UInt64(v) }
        XCTAssertEqual(dataset.pixels.count, 846 * 3072)
        XCTAssertEqual(loadedSum, sum)
        XCTAssertEqual(loadedWeighted, weighted)
        // Image 845, green channel, row 31, column 0: record layout 1 + 1024 + 31 * 32.
        XCTAssertEqual(dataset.pixels[845 * 3072 + 1024 + 31 * 32], raw[845 * 3073 + 1 + 1024 + 31 * 32])
    }

    func testReferenceImageNormalizesWithTheCheckpointPreprocessing() throws {
        let dataset = try DatasetLoader.load(path: path, split: .test)
        var batch = [Float](repeating: .nan, count: 2 * 3072)
        try batch.withUnsafeMutableBufferPointer {
            try dataset.fillBatch(indices: [1, 0], normalization: .cifar10, into: $0.baseAddress!)
        }
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]
        for (slot, image) in [1, 0].enumerated() {
            for c in 0..<3 {
                for p in stride(from: 0, to: 1024, by: 97) {
                    let expected = (Double(raw[image * 3073 + 1 + c * 1024 + p]) / 255 - mean[c]) / std[c]
                    XCTAssertEqual(Double(batch[slot * 3072 + c * 1024 + p]), expected, accuracy: 1e-6)
                }
            }
        }
    }

    func testAFileIsReadWhateverTheSplitAndKeepsTheSplitGiven() throws {
        let dataset = try DatasetLoader.load(path: path, split: .train)
        XCTAssertEqual(dataset.split, .train)
        XCTAssertEqual(dataset.sourcePath, path)
    }
}
