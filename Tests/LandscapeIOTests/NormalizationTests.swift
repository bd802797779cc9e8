import Foundation
import XCTest
@testable import LandscapeIO

final class NormalizationTests: XCTestCase {
    /// A 2-image, 3-channel 2x2 dataset with hand-picked pixel values.
    func dataset() throws -> ImageDataset {
        let pixels: [UInt8] = [0, 255, 128, 64,   1, 2, 3, 4,   200, 100, 50, 25,     // image 0: R, G, B planes
                               10, 20, 30, 40,   255, 0, 255, 0,   7, 7, 7, 7]        // image 1
        return try ImageDataset(name: "cifar10", split: .test, channels: 3, height: 2, width: 2, labels: [1, 2],
                                pixels: pixels, classNames: (0..<10).map(String.init), sourcePath: "memory")
    }

    func testFillBatchWritesPixelOver255MinusMeanOverStdPerChannel() throws {
        let data = try dataset()
        let norm = Normalization(mean: [0.5, 0.25, 0], std: [0.5, 2, 0.25])
        var out = [Float](repeating: .nan, count: 2 * 12)
        try out.withUnsafeMutableBufferPointer { try data.fillBatch(indices: [1, 0], normalization: norm, into: $0.baseAddress!) }
        // By hand: image 1 first. R: (10/255 - 0.5)/0.5 = 20/255 - 1 = -0.921569...
        XCTAssertEqual(out[0], -0.9215686, accuracy: 1e-6)
        // G of image 1, pixel 255: (1 - 0.25)/2 = 0.375; pixel 0: -0.125.
        XCTAssertEqual(out[4], 0.375, accuracy: 1e-6)
        XCTAssertEqual(out[5], -0.125, accuracy: 1e-6)
        // B of image 1, pixel 7: (7/255)/0.25 = 28/255 = 0.109804.
        XCTAssertEqual(out[8], 0.1098039, accuracy: 1e-6)
        // Image 0 second. R 255: (1 - 0.5)/0.5 = 1; R 0: -1.
        XCTAssertEqual(out[12], -1, accuracy: 1e-6)
        XCTAssertEqual(out[13], 1, accuracy: 1e-6)
        // B 200: (200/255)/0.25 = 800/255 = 3.137255.
        XCTAssertEqual(out[20], 3.1372549, accuracy: 1e-6)
    }

    func testCIFARDefaultsAreTheCheckpointPreprocessing() throws {
        let data = try dataset()
        XCTAssertEqual(Normalization.default(for: data), Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]))
        var out = [Float](repeating: 0, count: 12)
        try out.withUnsafeMutableBufferPointer { try data.fillBatch(indices: [0], normalization: .cifar10, into: $0.baseAddress!) }
        // Hand: R pixel 128: (128/255 - 0.485)/0.229 = 0.0740646; G 4: (4/255 - 0.456)/0.224 = -1.9656863 (float64).
        XCTAssertEqual(out[2], 0.0740646, accuracy: 1e-6)
        XCTAssertEqual(out[7], -1.9656863, accuracy: 1e-6)
    }

    func testGreyDefaultsFollowTheDatasetName() throws {
        func grey(_ name: String) throws -> ImageDataset {
            try ImageDataset(name: name, split: .train, channels: 1, height: 1, width: 1, labels: [0], pixels: [0],
                             classNames: ["a"], sourcePath: "memory")
        }
        XCTAssertEqual(Normalization.default(for: try grey("mnist")), Normalization(mean: [0.1307], std: [0.3081]))
        XCTAssertEqual(Normalization.default(for: try grey("fashion-mnist")), Normalization(mean: [0.2860406], std: [0.3530242]))
        XCTAssertEqual(Normalization.default(for: try grey("other")), Normalization(mean: [0], std: [1]))
    }

    func testWrongChannelCountIsRejected() throws {
        let data = try dataset()
        var out = [Float](repeating: 0, count: 12)
        let error = DatasetFiles.expectError {
            try out.withUnsafeMutableBufferPointer { try data.fillBatch(indices: [0], normalization: .mnist, into: $0.baseAddress!) }
        }
        XCTAssertEqual(error, .badNormalization(field: "mean", expected: "3 values (one per channel)", found: "1 values"))
    }

    func testZeroStdIsRejected() throws {
        let data = try dataset()
        var out = [Float](repeating: 0, count: 12)
        let error = DatasetFiles.expectError {
            try out.withUnsafeMutableBufferPointer {
                try data.fillBatch(indices: [0], normalization: Normalization(mean: [0, 0, 0], std: [1, 0, 1]), into: $0.baseAddress!)
            }
        }
        XCTAssertEqual(error, .badNormalization(field: "std", expected: "positive finite values", found: "0.0"))
    }

    func testIndexOutOfRangeIsRejectedBeforeWriting() throws {
        let data = try dataset()
        var out = [Float](repeating: 42, count: 24)
        let error = DatasetFiles.expectError {
            try out.withUnsafeMutableBufferPointer { try data.fillBatch(indices: [0, 2], normalization: .cifar10, into: $0.baseAddress!) }
        }
        XCTAssertEqual(error, .indexOutOfRange(index: 2, count: 2))
        XCTAssertTrue(out.allSatisfy { $0 == 42 })
    }

    func testDatasetWithPixelsForTheWrongShapeIsRejected() {
        let error = DatasetFiles.expectError {
            _ = try ImageDataset(name: "x", split: .test, channels: 1, height: 2, width: 2, labels: [0], pixels: [1, 2, 3],
                                 classNames: ["a"], sourcePath: "memory")
        }
        XCTAssertEqual(error, .badDataset(field: "pixel count", expected: "1 x 1x2x2", found: "3"))
    }

    func testNormalizationRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(Normalization.cifar10)
        XCTAssertEqual(try JSONDecoder().decode(Normalization.self, from: data), .cifar10)
    }
}
