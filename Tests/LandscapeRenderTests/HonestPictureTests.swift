import XCTest
import LandscapeRender

/// Pictures that do not distort or hide what they show: equal scales on both axes and in
/// every panel, tick labels without spurious decimals, diverged points distinct from
/// missing ones, and a 3D centre marker that the mesh can hide.
final class HonestPictureTests: XCTestCase {
    // MARK: Tick labels

    func testTickLabelsUseTheFewestDecimalsOfEachValue() {
        XCTAssertEqual(Ticks.labels([0.3, 1, 3, 10, 30, 100, 300]), ["0.3", "1", "3", "10", "30", "100", "300"])
        XCTAssertEqual(Ticks.labels([0.3, 1, 3, 10, 30, 100]), ["0.3", "1", "3", "10", "30", "100"])
        XCTAssertEqual(Ticks.labels([0.5, 1, 1.5, 2]), ["0.5", "1", "1.5", "2"])
        XCTAssertEqual(Ticks.labels([0, 0.25, 0.5]), ["0", "0.25", "0.5"])
        XCTAssertEqual(Ticks.labels([-1, -0.5, 0]), ["\u{2212}1", "\u{2212}0.5", "0"])
    }

    func testTinyAndHugeTicksAreWrittenWithAnExponent() {
        XCTAssertEqual(Ticks.labels([1e-5, 1e-4, 1e-3, 1e-2, 0.1]), ["1e\u{2212}5", "1e\u{2212}4", "0.001", "0.01", "0.1"])
        XCTAssertEqual(Ticks.labels([0, 5e-4, 1e-3, 1.5e-3]), ["0", "5e\u{2212}4", "1e\u{2212}3", "1.5e\u{2212}3"])
        XCTAssertEqual(Ticks.labels([1e5, 2.5e5, 1e6]), ["1e5", "2.5e5", "1e6"])
        XCTAssertEqual(Ticks.labels([-2e-4]), ["\u{2212}2e\u{2212}4"])
    }

    func testLogColourbarTicksHaveNoSpuriousDecimals() throws {
        let scale = try ValueScale(low: 0.17, high: 260, logarithmic: true)
        let labels = Ticks.labels(scale.ticks(maximumCount: 8))
        XCTAssertTrue(labels.contains("100"), "\(labels)")
        XCTAssertFalse(labels.contains { $0.hasSuffix(".0") }, "\(labels)")
    }
}
