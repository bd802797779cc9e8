import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeService
import XCTest

/// The download routes over a real socket: pictures in three formats and every export, each checked by
/// an independent reader (Debian's h5py and numpy through Tests/export/check_export.py, Python's XML
/// parser), and `serve --import` of files written by h5py the way Li et al.'s code writes them.
final class ExportRouteTests: XCTestCase {
    static let repositoryRoot = Fixtures.repositoryRoot
    /// A real 41 × 41 surface shipped with the project (ReLU ResNet-20), with its directions file.
    static let shippedSurface = repositoryRoot.appendingPathComponent("Models/surfaces/resnet20-relu-6cafca645e78716c.json")
    static let shippedDirections = repositoryRoot.appendingPathComponent("Models/surfaces/directions-6cafca645e78716c.safetensors")
    static let shippedModel = repositoryRoot.appendingPathComponent("Models/resnet20-relu.safetensors")
    static let surfaceID = "6cafca645e78716c"
    static let stem = "resnet20-relu-6cafca645e78716c"
    static let checker = repositoryRoot.appendingPathComponent("Tests/export/check_export.py")
    /// Debian's interpreter, with python3-h5py and python3-numpy (scripts/install-deps --test).
    static let python = "/usr/bin/python3"

    var root: URL!
    var service: LandscapeService!
    var client: TestClient!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-export-routes-\(UUID().uuidString)")
        let surfaces = root.appendingPathComponent("Models/surfaces")
        try FileManager.default.createDirectory(at: surfaces, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Public"), withIntermediateDirectories: true)
        // Links, not copies: the shipped model and surface stay where they are.
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("Models/resnet20-relu.safetensors"),
                                                   withDestinationURL: Self.shippedModel)
        for file in [Self.shippedSurface, Self.shippedDirections] {
            try FileManager.default.createSymbolicLink(at: surfaces.appendingPathComponent(file.lastPathComponent), withDestinationURL: file)
        }
        try Data("<!doctype html><title>landscape</title>".utf8).write(to: root.appendingPathComponent("Public/index.html"))
        try start()
    }

    private func start() throws {
        service?.stop(timeout: 5)
        service = try LandscapeService(configuration: ServiceConfiguration(root: root, datasets: [:]), port: 0)
        try service.start()
        client = TestClient(port: service.port)
    }

    override func tearDownWithError() throws {
        service?.stop(timeout: 5)
        try? FileManager.default.removeItem(at: root)
    }

    /// Runs the checker or a Python one-liner; fails the test with its output when it exits non-zero.
    @discardableResult
    private func python(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python3 \(arguments.joined(separator: " ")):\n\(output)", file: file, line: line)
        return output
    }

    /// GET `path`, expecting 200, `contentType` and an attachment; returns the body and the file name.
    private func download(_ path: String, contentType: String, file: StaticString = #filePath, line: UInt = #line) throws
        -> (body: Data, name: String) {
        let response = try client.get(path)
        XCTAssertEqual(response.status, 200, "\(path): \(response.text.prefix(300))", file: file, line: line)
        XCTAssertEqual(response.headers["content-type"], contentType, path, file: file, line: line)
        let disposition = try XCTUnwrap(response.headers["content-disposition"], path, file: file, line: line)
        let prefix = "attachment; filename=\""
        XCTAssertTrue(disposition.hasPrefix(prefix) && disposition.hasSuffix("\""), disposition, file: file, line: line)
        return (response.body, String(disposition.dropFirst(prefix.count).dropLast()))
    }

    func testEveryExportFormatDownloadsAsAnAttachmentThatH5pyAndNumpyRead() throws {
        let directory = root.appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let expected: [(String, String)] = [("h5", "application/x-hdf5"), ("directions.h5", "application/x-hdf5"),
                                            ("csv", "text/csv; charset=utf-8"), ("npz", "application/zip"),
                                            ("vts", "application/xml"), ("vtp", "application/xml"),
                                            ("obj", "model/obj"), ("ply", "application/octet-stream")]
        for (ext, contentType) in expected {
            let (body, name) = try download("/api/surfaces/\(Self.surfaceID).\(ext)", contentType: contentType)
            XCTAssertEqual(name, "\(Self.stem).\(ext)")
            try body.write(to: directory.appendingPathComponent(name))
        }
        // The surface JSON the API serves is what the checker compares every file with (h5 holds the
        // reference's keys, loss equal, accuracy × 100, dir_file naming the direction download beside it).
        try client.get("/api/surfaces/\(Self.surfaceID).json").body.write(to: directory.appendingPathComponent("surface.json"))
        let output = try python([Self.checker.path, "check", directory.appendingPathComponent("surface.json").path, directory.path, Self.stem])
        XCTAssertTrue(output.contains("ok"), output)
    }

    func testPicturesComeAsPNGSVGAndPDFWithTheirOwnCacheEntries() throws {
        let query = "kind=filled&metric=loss&vmin=0.2&vmax=5&vlevel=0.5&width=400&height=300"
        let png = try download("/api/surfaces/\(Self.surfaceID).png?\(query)", contentType: "image/png")
        XCTAssertEqual(Array(png.body.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(png.name, "\(Self.stem).png")
        // Same query, other format: the cache key has the format, so these are not the PNG's bytes.
        let svg = try download("/api/surfaces/\(Self.surfaceID).svg?\(query)", contentType: "image/svg+xml")
        XCTAssertEqual(svg.name, "\(Self.stem).svg")
        let svgFile = root.appendingPathComponent("p.svg")
        try svg.body.write(to: svgFile)
        // Parses as XML, with vector paths, not one embedded bitmap standing in for the plot.
        try python(["-c", """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag.endswith('svg'), root.tag
            paths = [e for e in root.iter() if e.tag.endswith('path')]
            images = [e for e in root.iter() if e.tag.endswith('image')]
            # Lines, text and bands are vector paths; only a colour bar may be an embedded image.
            assert len(paths) > 50 and len(images) < len(paths) // 10, (len(paths), len(images))
            """, svgFile.path])
        let pdf = try download("/api/surfaces/\(Self.surfaceID).pdf?\(query)", contentType: "application/pdf")
        XCTAssertTrue(pdf.body.starts(with: Array("%PDF-".utf8)))
        XCTAssertTrue(String(decoding: pdf.body.suffix(16), as: UTF8.self).contains("%%EOF"))
        // The PNG again, from the cache: still a PNG.
        XCTAssertEqual(try client.get("/api/surfaces/\(Self.surfaceID).png?\(query)").body, png.body)
        // Side by side (the page's row download): both ids in the name.
        let row = try download("/api/surfaces/\(Self.surfaceID).svg?compare=\(Self.surfaceID)&kind=contour", contentType: "image/svg+xml")
        XCTAssertEqual(row.name, "\(Self.stem)_\(Self.stem).svg")
    }

    func testExportOptionsAreCheckedByTheExportSpecNamingTheField() throws {
        for (path, field) in [("\(Self.surfaceID).vtp?zmax=-1", "zmax"), ("\(Self.surfaceID).vtp?zmax=abc", "zmax"),
                              ("\(Self.surfaceID).vtp?log=maybe", "log"), ("\(Self.surfaceID).ply?metric=speed", "metric"),
                              ("\(Self.surfaceID).csv?zmax=3", "zmax"), ("\(Self.surfaceID).xyz", "format"),
                              ("\(Self.surfaceID).svg?vmin=3&vmax=1", "vmin")] {
            let response = try client.get("/api/surfaces/\(path)")
            XCTAssertEqual(response.status, 400, path)
            XCTAssertTrue((try response.json()["error"] as? String ?? "").contains(field), "\(path): \(response.text)")
        }
        XCTAssertEqual(try client.get("/api/surfaces/0123456789abcdef.csv").status, 404)
        // zmax then log, as h52vtp.py: the heights change, the point count does not.
        let plain = try download("/api/surfaces/\(Self.surfaceID).vtp", contentType: "application/xml").body
        let clipped = try download("/api/surfaces/\(Self.surfaceID).vtp?zmax=2&log=1", contentType: "application/xml").body
        XCTAssertNotEqual(plain, clipped)
        let file = root.appendingPathComponent("clipped.vtp")
        try clipped.write(to: file)
        try python(["-c", """
            import sys, math, xml.etree.ElementTree as ET
            piece = ET.parse(sys.argv[1]).getroot().find('PolyData/Piece')
            assert piece.get('NumberOfPoints') == str(41 * 41), piece.get('NumberOfPoints')
            z = [float(v) for v in piece.find('PointData/DataArray').text.split()]
            top = math.log(2 + 0.1)
            assert max(v for v in z if v == v) <= top + 1e-6, max(z)
            assert sum(abs(v - top) < 1e-6 for v in z) > 100, 'expected many clipped points'
            """, file.path])
    }

    func testServeImportBrowsesTheirFilesAndNamesABadOneWithoutStopping() throws {
        // A server whose only model is the ResNet-8 that check_export.py's h5py files are written for.
        let models = root.appendingPathComponent("Models")
        try FileManager.default.removeItem(at: models)
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        var model = ResNetModel(architecture: try ResNetArchitecture(depth: 8, inputChannels: 1))
        for i in model.values.indices where model.values[i] == 0 { model.values[i] = Float(i % 7) * 0.01 }
        try Safetensors.write(model.stateDict(), to: models.appendingPathComponent("resnet8.safetensors"))
        try start()

        let incoming = root.appendingPathComponent("incoming")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        try python([Self.checker.path, "write-theirs", incoming.path, "5", "3"])
        try Data("not an HDF5 file".utf8).write(to: incoming.appendingPathComponent("broken.h5"))
        try Data("x,y\n".utf8).write(to: incoming.appendingPathComponent("notes.csv"))

        let report = try service.importSurfaces(from: incoming, modelID: nil)
        XCTAssertEqual(report.imported.map(\.file), ["theirs.h5"])
        XCTAssertEqual(report.skipped.map(\.file), ["broken.h5"])
        XCTAssertTrue(report.skipped.first?.reason.contains("not an HDF5 file") ?? false, "\(report.skipped)")
        let imported = try XCTUnwrap(report.imported.first?.surface)
        XCTAssertNotNil(imported.directions.file, "theirs_dir.h5 (their dir_file) was not found beside it")

        // The page's list shows it as imported; it draws and exports like any surface.
        let list = try XCTUnwrap(try client.get("/api/surfaces").json()["surfaces"] as? [[String: Any]])
        let entry = try XCTUnwrap(list.first { $0["id"] as? String == imported.id })
        XCTAssertEqual(entry["provenance"] as? String, "imported")
        XCTAssertEqual(entry["columns"] as? Int, 5)
        XCTAssertEqual(entry["rows"] as? Int, 3)
        _ = try download("/api/surfaces/\(imported.id).png?kind=filled", contentType: "image/png")
        let h5 = try download("/api/surfaces/\(imported.id).h5", contentType: "application/x-hdf5")
        let directions = try download("/api/surfaces/\(imported.id).directions.h5", contentType: "application/x-hdf5")
        try h5.body.write(to: incoming.appendingPathComponent("again.h5"))
        try directions.body.write(to: incoming.appendingPathComponent("again-dir.h5"))
        // Round trip through h5py: their keys, the values they wrote (the last point still -1: not computed).
        try python(["-c", """
            import sys, h5py, numpy as np
            ours, theirs = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
            for key in ('xcoordinates', 'ycoordinates', 'train_loss', 'train_acc'):
                a, b = ours[key][:], theirs[key][:]
                assert a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-12), key
            d = h5py.File(sys.argv[3], 'r')
            assert sorted(d.keys()) == ['xdirection', 'ydirection'], list(d.keys())
            """, incoming.appendingPathComponent("again.h5").path, incoming.appendingPathComponent("theirs.h5").path,
                    incoming.appendingPathComponent("again-dir.h5").path])

        // Two models and a file that names neither: skipped with the way out, not guessed.
        try FileManager.default.createSymbolicLink(at: models.appendingPathComponent("resnet20-relu.safetensors"),
                                                   withDestinationURL: Self.shippedModel)
        let ambiguous = try service.importSurfaces(from: incoming, modelID: nil)
        XCTAssertTrue(ambiguous.skipped.contains { $0.file == "theirs.h5" && $0.reason.contains("--import-model") }, "\(ambiguous.skipped)")
    }
}
