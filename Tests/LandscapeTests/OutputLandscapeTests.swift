import Landscape
import LandscapeEngine
import XCTest

final class OutputLandscapeTests: XCTestCase {
    func testGridMatchesPointByPointEvaluation() throws {
        let network = OutputLandscape(activation: Activation(.mish), seed: 3)
        let (coordinates, values) = try network.grid(size: 17, range: -5...5)
        XCTAssertEqual(coordinates.first, -5)
        XCTAssertEqual(coordinates.last, 5)
        for (row, y) in coordinates.enumerated() {
            for (column, x) in coordinates.enumerated() {
                XCTAssertEqual(values[row][column], network.output(x, y), accuracy: 1e-12, "at (\(x), \(y))")
            }
        }
    }

    func testSameSeedSameNetworkDifferentActivationDifferentField() throws {
        let relu = try OutputLandscape(activation: Activation(.relu), seed: 0).grid(size: 8, range: -2...2).values
        let again = try OutputLandscape(activation: Activation(.relu), seed: 0).grid(size: 8, range: -2...2).values
        let mish = try OutputLandscape(activation: Activation(.mish), seed: 0).grid(size: 8, range: -2...2).values
        XCTAssertEqual(relu, again)
        XCTAssertNotEqual(relu, mish)
    }

    func testAbsurdSizesAndRangesAreRefused() {
        let network = OutputLandscape(activation: Activation(.relu), seed: 0)
        XCTAssertThrowsError(try network.grid(size: 1, range: -1...1))
        XCTAssertThrowsError(try network.grid(size: OutputLandscape.maximumSize + 1, range: -1...1))
        XCTAssertThrowsError(try network.grid(size: 8, range: 1...1))
    }
}
