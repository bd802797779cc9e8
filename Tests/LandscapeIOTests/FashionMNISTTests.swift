import Foundation
import XCTest
@testable import LandscapeIO

/// The full Fashion-MNIST from Debian's `dataset-fashion-mnist` package, when installed.
final class FashionMNISTTests: XCTestCase {
    static let directory = "/usr/share/datasets/fashion-mnist"

    func load(_ split: DatasetSplit) throws -> ImageDataset {
        guard FileManager.default.fileExists(atPath: Self.directory) else {
            throw XCTSkip("\(Self.directory) not installed (apt-get install dataset-fashion-mnist)")
        }
        return try DatasetLoader.load(path: Self.directory, split: split)
    }

    func testTrainSplitHas60000ImagesOf6000PerClass() throws {
        let train = try load(.train)
        XCTAssertEqual(train.name, "fashion-mnist")
        XCTAssertEqual([train.count, train.channels, train.height, train.width], [60000, 1, 28, 28])
        XCTAssertEqual((0..<10).map { c in train.labels.lazy.filter { $0 == c }.count }, [Int](repeating: 6000, count: 10))
    }

    func testTestSplitHas10000Images() throws {
        let test = try load(.test)
        XCTAssertEqual([test.count, test.channels, test.height, test.width], [10000, 1, 28, 28])
        XCTAssertEqual(test.pixels.count, 10000 * 784)
    }

    func testTrainSplitMeanAndStdMatchTheDefaults() throws {
        let train = try load(.train)
        // Float64 over all pixels / 255, population standard deviation.
        var histogram = [Int](repeating: 0, count: 256)
        for v in train.pixels { histogram[Int(v)] += 1 }
        let n = Double(train.pixels.count)
        let mean = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset) * Double($1.element) } / n / 255
        let meanSquare = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.offset) * Double($1.element) } / n / 65025
        let std = (meanSquare - mean * mean).squareRoot()
        XCTAssertEqual(mean, Double(Normalization.fashionMNIST.mean[0]), accuracy: 1e-7)
        XCTAssertEqual(std, Double(Normalization.fashionMNIST.std[0]), accuracy: 1e-7)
        XCTAssertEqual(Normalization.default(for: train), .fashionMNIST)
    }
}
