import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
@testable import LandscapeExport
import XCTest

/// Exported files read back by independent readers: Debian's h5py and numpy, Python's XML parser
/// (Tests/export/check_export.py), against the surface JSON's own values.
final class ExportFormatTests: XCTestCase {
    func testReferenceSurfaceInEveryFormatReadsBackWithH5pyAndNumpy() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let surface = try Surface.load(Fixture.referenceSurface.path)
        // The directions file lives beside the JSON in Models/surfaces.
        for format in ExportFormat.allCases {
            let output = directory.appendingPathComponent("s.\(format.rawValue)")
            try SurfaceExport.write(try SurfaceExport.files(surface, format: format, spec: ExportSpec(), output: output,
                                                            surfaceDirectory: Fixture.surfaces))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("s.directions.h5").path))
        let output = try Fixture.runChecker(["check", Fixture.referenceSurface.path, directory.path, "s"])
        XCTAssertTrue(output.contains("ok"), output)
    }

    /// 5 × 3 (non-square): the declared shape is (len(x), len(y)) = (5, 3) but values follow
    /// np.meshgrid(x, y)'s flat order, as their crunch() fills them; gaps are -1, diverged NaN.
    func testNonSquareSurfaceWithGapsFollowsTheirFillOrder() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let directions = "directions-6cafca645e78716c.safetensors"
        try FileManager.default.copyItem(at: Fixture.surfaces.appendingPathComponent(directions),
                                         to: directory.appendingPathComponent(directions))
        let surface = try Fixture.syntheticSurface(columns: 5, rows: 3, directionsFile: directions)
        let json = directory.appendingPathComponent("synthetic.json")
        try surface.jsonData().write(to: json)
        try Fixture.exportAll(surface, to: directory, stem: "ns")
        try Fixture.runChecker(["check", json.path, directory.path, "ns"])
    }

    func testOneDimensionalSurfaceExportsItsTablesAndRefusesMeshes() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let surface = try Fixture.syntheticSurface(columns: 7, rows: nil, directionsFile: nil)
        let json = directory.appendingPathComponent("line.json")
        try surface.jsonData().write(to: json)
        try Fixture.exportAll(surface, to: directory, stem: "line", formats: [.csv, .npz])
        // No directions file: the h5 has no dir_file; check the rest by hand.
        let h5 = directory.appendingPathComponent("line.h5")
        try SurfaceExport.write(try SurfaceExport.files(surface, format: .h5, spec: ExportSpec(), output: h5, surfaceDirectory: directory))
        try HDF5File.withLibrary {
            let file = try HDF5File.open(bytes: Array(try Data(contentsOf: h5)), source: h5.path)
            XCTAssertFalse(file.exists("dir_file"))
            XCTAssertFalse(file.exists("ycoordinates"))
            let (loss, shape) = try file.readDoubles("test_loss", maximumCount: 7)
            XCTAssertEqual(shape, [7])
            XCTAssertEqual(loss[1], LiLayout.notComputed)
            XCTAssertTrue(loss[6].isNaN)
            XCTAssertEqual(loss[0], surface.loss[0][0])
        }
        for format in [ExportFormat.vtp, .obj, .ply] {
            let output = directory.appendingPathComponent("line.\(format.rawValue)")
            XCTAssertThrowsError(try SurfaceExport.files(surface, format: format, spec: ExportSpec(), output: output, surfaceDirectory: nil)) {
                guard case .unsupported = $0 as? ExportError else { return XCTFail("\($0)") }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
        }
    }

    func testH52vtpOptionsClipThenTakeTheLog() throws {
        let surface = try Fixture.syntheticSurface(columns: 4, rows: 4, directionsFile: nil)
        let spec = ExportSpec(zMax: 0.5, log: true)
        let z = TextFormats.heights(surface, spec)
        XCTAssertEqual(z[0], log(0.5 + 0.1), accuracy: 1e-15)  // loss 2.0 at (-1, -0.5): clipped
        XCTAssertTrue(z[1].isNaN)  // not computed
        let text = String(decoding: try TextFormats.vtp(surface, spec), as: UTF8.self)
        XCTAssertTrue(text.contains("NumberOfPoints=\"16\"") && text.contains("NumberOfPolys=\"9\""))
    }

    func testExportIntoAMissingDirectoryFailsWithoutWritingAnything() throws {
        let surface = try Fixture.syntheticSurface(columns: 3, rows: 3, directionsFile: nil)
        let output = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/s.csv")
        XCTAssertThrowsError(try SurfaceExport.write(try SurfaceExport.files(surface, format: .csv, spec: ExportSpec(),
                                                                             output: output, surfaceDirectory: nil))) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    /// The zip is the one numpy reads (checked above); its CRC is the standard one.
    func testCRC32MatchesTheStandardCheckValue() {
        XCTAssertEqual(NumpyArchive.crc32(Data("123456789".utf8)), 0xCBF4_3926)
    }
}
