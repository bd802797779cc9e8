import LandscapeEngine
import LandscapeService
import XCTest

/// The range and activation-list parsers shared by the CLI and the API.
final class PictureParsingTests: XCTestCase {
    func testRangesAreLowColonHighWithinTheStableInput() throws {
        XCTAssertEqual(try Pictures.range(parsing: "-5:5"), -5...5)
        XCTAssertEqual(try Pictures.range(parsing: "-1e4:0.5"), -10_000...0.5)
        for bad in ["5:-5", "1:1", "1:2:3", "-5", ":5", "nan:1", "-inf:0", "-1e5:0", "a:b", ""] {
            XCTAssertThrowsError(try Pictures.range(parsing: bad), bad) {
                XCTAssertTrue("\($0)".contains("'\(bad)': expected LOW:HIGH"), "\($0)")
            }
        }
    }

    func testActivationListsNameEveryActivationOrTheOneThatIsUnknown() throws {
        XCTAssertEqual(try Pictures.activations(parsing: "relu, swish,mish").map(\.name), ["relu", "swish", "mish"])
        XCTAssertEqual(try Pictures.activations(parsing: "nish:0.5").count, 1)
        XCTAssertThrowsError(try Pictures.activations(parsing: " , ")) { XCTAssertTrue("\($0)".contains("expected 1...8")) }
        XCTAssertThrowsError(try Pictures.activations(parsing: Array(repeating: "relu", count: 9).joined(separator: ",")))
        XCTAssertThrowsError(try Pictures.activations(parsing: "relu,bogus")) { XCTAssertTrue("\($0)".contains("bogus"), "\($0)") }
    }
}
