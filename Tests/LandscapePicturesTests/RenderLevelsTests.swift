import XCTest
import Landscape
import LandscapeRender
@testable import LandscapePictures

/// `levels`: the page's level count (evenly spaced on the colour scale, geometric on a log scale)
/// as a picture option, so a downloaded picture has the contour lines the page drew.
final class RenderLevelsTests: XCTestCase {
    /// The shipped 41 × 41 ReLU surface.
    static let surfaceFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/surfaces/resnet20-relu-6cafca645e78716c.json")

    func testLevelsAreDecodedAndCheckedAgainstTheirRange() throws {
        XCTAssertEqual(try RenderSpec.decode(query: ["levels": "12"]).levels, 12)
        XCTAssertNil(try RenderSpec.decode(query: [:]).levels)
        for text in ["1", "101"] {
            XCTAssertThrowsError(try RenderSpec.decode(query: ["levels": text])) {
                XCTAssertEqual("\($0)", "levels: expected 2...100 contour levels, got \(text)")
            }
        }
        XCTAssertThrowsError(try RenderSpec.decode(query: ["levels": "many"])) { XCTAssertEqual("\($0)", "levels: 'many' is not an integer") }
        XCTAssertTrue(RenderSpec.fields().contains { $0.name == "levels" && $0.minimum == 2 && $0.maximum == 100 })
    }

    func testALevelCountDrawsOtherLinesThanTheTicksAndASpacingWins() throws {
        let surface = try Surface.load(Self.surfaceFile.path)
        func draw(_ query: [String: String]) throws -> Data {
            var base = ["kind": "contour", "vmin": "0.25", "vmax": "40", "log": "1", "width": "320", "height": "260"]
            base.merge(query) { $1 }
            return try Pictures.surfaces([surface], RenderSpec.decode(query: base)).data
        }
        let ticks = try draw([:]), five = try draw(["levels": "5"]), nine = try draw(["levels": "9"])
        XCTAssertNotEqual(ticks, five)
        XCTAssertNotEqual(five, nine)
        // vlevel takes precedence: with it, the count changes nothing.
        XCTAssertEqual(try draw(["vlevel": "2"]), try draw(["vlevel": "2", "levels": "9"]))
    }
}
