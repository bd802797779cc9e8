import Foundation
import XCTest
import LandscapeEngine
import LandscapeIO
@testable import Landscape
import LandscapeCore

/// The batch source: normalization, augmentation drawn only from the given
/// generator (so a resumed run repeats it), labels kept with their images.
final class DatasetBatchSourceTests: XCTestCase {
    /// 12 one-channel 8x8 images; image n has label n % 10 and pixels that
    /// encode both the image and the position, so shifts and swaps show.
    private func dataset(channels: Int = 1) throws -> ImageDataset {
        let count = 12, plane = 64
        let labels = (0..<count).map { UInt8($0 % 10) }
        var pixels: [UInt8] = []
        for n in 0..<count {
            for p in 0..<(channels * plane) { pixels.append(UInt8((n * 19 + p * 3 + 1) % 251)) }
        }
        return try ImageDataset(name: "test", split: .train, channels: channels, height: 8, width: 8, labels: labels,
                                pixels: pixels, classNames: (0..<10).map(String.init), sourcePath: "memory")
    }

    private func fill(_ source: DatasetBatchSource, _ indices: [Int],
                      _ generator: inout SeededGenerator) throws -> (pixels: [Float], labels: [Int32]) {
        var pixels = [Float](repeating: .nan, count: indices.count * source.dataset.imageSize)
        var labels = [Int32](repeating: -1, count: indices.count)
        try pixels.withUnsafeMutableBufferPointer { p in
            try labels.withUnsafeMutableBufferPointer { l in
                try source.fill(indices[...], pixels: p, labels: l, generator: &generator)
            }
        }
        return (pixels, labels)
    }

    func testTheSameGeneratorGivesTheSameBatchAndEndState() throws {
        let source = try DatasetBatchSource(dataset: try dataset(), normalization: Normalization(mean: [0.3], std: [0.4]),
                                            augmentation: DataAugmentation(padding: 2, horizontalFlip: true, fill: [-0.75]))
        var first = SeededGenerator(seed: 5, stream: 3), second = first
        let a = try fill(source, [3, 7, 0, 11], &first)
        let b = try fill(source, [3, 7, 0, 11], &second)
        XCTAssertEqual(a.pixels, b.pixels)
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertEqual(first, second)
        // Three draws (dy, dx, flip) per image were taken from the generator and no other.
        var counted = SeededGenerator(seed: 5, stream: 3)
        for _ in 0..<4 { _ = source.augmentation.draw(&counted) }
        XCTAssertEqual(first, counted)
        // Another generator crops differently.
        var other = SeededGenerator(seed: 6, stream: 3)
        XCTAssertNotEqual(try fill(source, [3, 7, 0, 11], &other).pixels, a.pixels)
    }

    /// Each output image is its own dataset image, cropped and flipped by hand
    /// from the raw bytes with the placement drawn from a copy of the generator.
    func testEveryImageIsItsOwnCropAndKeepsItsLabel() throws {
        let data = try dataset(channels: 3)
        let normalization = Normalization(mean: [0.5, 0.25, 0.125], std: [0.5, 0.25, 2])
        let augmentation = DataAugmentation(padding: 3, horizontalFlip: true,
                                            fill: zip(normalization.mean, normalization.std).map { -$0 / $1 })
        let source = try DatasetBatchSource(dataset: data, normalization: normalization, augmentation: augmentation)
        let indices = [9, 2, 2, 5, 11, 0]
        var generator = SeededGenerator(seed: 11)
        var draws = generator
        let batch = try fill(source, indices, &generator)
        XCTAssertEqual(batch.labels, indices.map { Int32($0 % 10) })
        for (slot, index) in indices.enumerated() {
            let placement = augmentation.draw(&draws)
            for c in 0..<3 {
                for y in 0..<8 {
                    for x in 0..<8 {
                        let sy = y + placement.dy, sx = (placement.flip ? 7 - x : x) + placement.dx
                        let expected: Float
                        if (0..<8).contains(sy) && (0..<8).contains(sx) {
                            let byte = data.pixels[index * 192 + c * 64 + sy * 8 + sx]
                            expected = (Float(byte) / 255 - normalization.mean[c]) / normalization.std[c]
                        } else {
                            expected = -normalization.mean[c] / normalization.std[c]   // a black pixel, normalized
                        }
                        XCTAssertEqual(batch.pixels[slot * 192 + c * 64 + y * 8 + x], expected, accuracy: 1e-6,
                                       "slot \(slot) image \(index) c\(c) y\(y) x\(x)")
                    }
                }
            }
        }
    }

    func testALimitKeepsTheFirstImagesAndOutOfRangeIndicesAreRefused() throws {
        let source = try DatasetBatchSource.standard(try dataset(), limit: 5)
        XCTAssertEqual(source.count, 5)
        var generator = SeededGenerator(seed: 1)
        XCTAssertEqual(try fill(source, [4, 0], &generator).labels, [4, 0])
        XCTAssertThrowsError(try fill(source, [5], &generator)) { error in
            XCTAssertTrue("\(error)".contains("example index 5: expected 0..<5"), "\(error)")
        }
    }

    func testStandardAugmentationPadsFourAndFlipsColourButPadsTwoForGreyscale() throws {
        let grey = try DatasetBatchSource.standard(try dataset(channels: 1))
        XCTAssertEqual(grey.augmentation.padding, 2)
        XCTAssertFalse(grey.augmentation.horizontalFlip)
        let colour = try DatasetBatchSource.standard(try dataset(channels: 3))
        XCTAssertEqual(colour.augmentation.padding, 4)
        XCTAssertTrue(colour.augmentation.horizontalFlip)
    }
}
