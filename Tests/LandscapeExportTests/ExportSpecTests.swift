import Landscape
@testable import LandscapeExport
import XCTest

final class ExportSpecTests: XCTestCase {
    func testFormatComesFromTheExtensionWhenNotGiven() throws {
        XCTAssertEqual(try ExportSpec().validated(output: "/tmp/a.h5"), .h5)
        XCTAssertEqual(try ExportSpec().validated(output: "/tmp/a.HDF5"), .h5)
        XCTAssertEqual(try ExportSpec().validated(output: "b.npz"), .npz)
    }

    func testAnExtensionThatContradictsTheFormatIsRefused() {
        XCTAssertThrowsError(try ExportSpec(format: .csv).validated(output: "a.h5")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("format:"), text)
            XCTAssertTrue(text.contains("csv") && text.contains(".h5"), text)
        }
    }

    func testAnUnknownExtensionIsRefusedWithTheChoices() {
        XCTAssertThrowsError(try ExportSpec().validated(output: "a.xlsx")) { error in
            XCTAssertTrue("\(error)".contains("h5, csv, npz, vts, vtp, obj, ply"), "\(error)")
        }
        XCTAssertThrowsError(try ExportSpec(format: .csv).validated(output: "a.xlsx"))
        XCTAssertThrowsError(try ExportSpec().validated(output: "noextension"))
    }

    func testHeightOptionsApplyToHeightFieldsOnly() {
        XCTAssertThrowsError(try ExportSpec(log: true).validated(output: "a.csv"))
        XCTAssertThrowsError(try ExportSpec(zMax: -1).validated(output: "a.vtp"))
        XCTAssertEqual(try ExportSpec(zMax: 5, log: true).validated(output: "a.vtp"), .vtp)
    }

    /// h52vtp.py: z[z > zmax] = zmax, then ln(z + 0.1).
    func testHeightClipsThenTakesTheLogLikeH52vtp() {
        let spec = ExportSpec(zMax: 5, log: true)
        XCTAssertEqual(spec.height(10), log(5.1), accuracy: 1e-15)
        XCTAssertEqual(spec.height(1), log(1.1), accuracy: 1e-15)
        XCTAssertEqual(ExportSpec().height(7.5), 7.5)
    }
}
