import Landscape
import LandscapePictures
import LandscapeRender
import XCTest

final class PictureFormatTests: XCTestCase {
    func testFormatFollowsTheExtension() throws {
        XCTAssertEqual(try Pictures.format(asked: nil, output: "fig.svg"), .svg)
        XCTAssertEqual(try Pictures.format(asked: nil, output: "fig.PDF"), .pdf)
        XCTAssertEqual(try Pictures.format(asked: nil, output: "fig.png"), .png)
        XCTAssertEqual(try Pictures.format(asked: nil, output: "fig"), .png)
        XCTAssertEqual(try Pictures.format(asked: .pdf, output: "fig"), .pdf)
    }

    func testAFormatThatContradictsTheExtensionIsRefused() {
        XCTAssertThrowsError(try Pictures.format(asked: .svg, output: "fig.pdf")) { error in
            XCTAssertEqual((error as? SpecError)?.field, "format")
        }
        XCTAssertThrowsError(try Pictures.format(asked: nil, output: "fig.jpg")) { error in
            XCTAssertEqual((error as? SpecError)?.field, "out")
            XCTAssertTrue("\(error)".contains("png, svg, pdf"), "\(error)")
        }
    }
}
