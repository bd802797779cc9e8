import Foundation
import XCTest
@testable import LandscapeIO
import LandscapeCore

final class DataAugmentationTests: XCTestCase {
    /// Two channels of 3x4: channel 0 holds 1...12, channel 1 holds 101...112.
    let image: [Float] = (1...12).map(Float.init) + (101...112).map(Float.init)
    let augmentation = DataAugmentation(padding: 2, horizontalFlip: true, fill: [-9, -99])

    func placed(_ placement: DataAugmentation.Placement) -> [Float] {
        var out = image, scratch = [Float](repeating: 0, count: image.count)
        out.withUnsafeMutableBufferPointer {
            augmentation.apply(placement, to: $0.baseAddress!, channels: 2, height: 3, width: 4, scratch: &scratch)
        }
        return out
    }

    func testShiftReadsFromTheOffsetPixelAndFillsOutsideWithTheChannelFill() {
        // Output (y, x) = input (y + 1, x - 2).
        let out = placed(.init(dy: 1, dx: -2, flip: false))
        XCTAssertEqual(Array(out[0..<12]), [-9, -9, 5, 6,   -9, -9, 9, 10,   -9, -9, -9, -9])
        XCTAssertEqual(Array(out[12..<24]), [-99, -99, 105, 106,   -99, -99, 109, 110,   -99, -99, -99, -99])
    }

    func testFlipMirrorsEachRow() {
        XCTAssertEqual(Array(placed(.init(dy: 0, dx: 0, flip: true))[0..<12]), [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9])
    }

    func testFlipWithShiftMirrorsTheCrop() {
        // Output (y, x) = input (y, (3 - x) + 1): x = 0 reads column 4, outside.
        XCTAssertEqual(Array(placed(.init(dy: -1, dx: 1, flip: true))[0..<12]), [-9, -9, -9, -9,   -9, 4, 3, 2,   -9, 8, 7, 6])
    }

    func testNoShiftNoFlipLeavesTheImage() {
        XCTAssertEqual(placed(.init(dy: 0, dx: 0, flip: false)), image)
    }

    func testDrawsCoverEveryShiftAndBothFlipsAndRepeatWithTheSeed() {
        var generator = SeededGenerator(seed: 11)
        var shifts = Set<Int>(), flips = 0
        let cifar = DataAugmentation(padding: 4, horizontalFlip: true, fill: [0, 0, 0])
        for _ in 0..<2000 {
            let p = cifar.draw(&generator)
            shifts.insert(p.dy); shifts.insert(p.dx)
            if p.flip { flips += 1 }
        }
        XCTAssertEqual(shifts, Set(-4...4))
        XCTAssertTrue(abs(flips - 1000) < 150, "\(flips) flips of 2000")
        var a = SeededGenerator(seed: 11), b = SeededGenerator(seed: 11)
        XCTAssertEqual((0..<50).map { _ in cifar.draw(&a) }, (0..<50).map { _ in cifar.draw(&b) })
        var noFlip = SeededGenerator(seed: 11)
        let grey = DataAugmentation(padding: 2, horizontalFlip: false, fill: [0])
        XCTAssertTrue((0..<500).allSatisfy { _ in !grey.draw(&noFlip).flip })
    }

    func testBatchApplyUsesOnePlacementPerImageInOrder() {
        var batch = image + image + image
        var generator = SeededGenerator(seed: 3)
        batch.withUnsafeMutableBufferPointer {
            augmentation.apply(to: $0.baseAddress!, count: 3, channels: 2, height: 3, width: 4, generator: &generator)
        }
        var replay = SeededGenerator(seed: 3)
        for n in 0..<3 {
            XCTAssertEqual(Array(batch[(n * 24)..<((n + 1) * 24)]), placed(augmentation.draw(&replay)), "image \(n)")
        }
    }

    func testStandardRecipesPadWithTheNormalizedBlackPixel() throws {
        let cifar = try ImageDataset(name: "cifar10", split: .train, channels: 3, height: 32, width: 32, labels: [],
                                     pixels: [], classNames: [], sourcePath: "memory")
        let c = DataAugmentation.standard(for: cifar, normalization: .cifar10)
        XCTAssertEqual(c.padding, 4)
        XCTAssertTrue(c.horizontalFlip)
        // Black: (0 - 0.485) / 0.229 = -2.117904 (float64).
        XCTAssertEqual(c.fill[0], -2.1179039, accuracy: 1e-6)
        let fashion = try ImageDataset(name: "fashion-mnist", split: .train, channels: 1, height: 28, width: 28, labels: [],
                                       pixels: [], classNames: [], sourcePath: "memory")
        let f = DataAugmentation.standard(for: fashion, normalization: .fashionMNIST)
        XCTAssertEqual(f.padding, 2)
        XCTAssertFalse(f.horizontalFlip)
        var generator = SeededGenerator(seed: 0)
        XCTAssertEqual(DataAugmentation.none(channels: 1).draw(&generator), .init(dy: 0, dx: 0, flip: false))
    }
}
