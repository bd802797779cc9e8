import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import LandscapeRender

/// SVG and PDF are the same drawing on cairo's vector surfaces: the SVG parses as XML and draws
/// with paths (not one embedded bitmap), the PDF is read by poppler (pdfinfo, pdftotext).
final class VectorFormatTests: XCTestCase {
    private let title = "Vector back end: contour of x² + y²"

    private func render(_ kind: GridPlotKind, _ format: PictureFormat) throws -> RenderedPlot {
        let axis = linspace(-1, 1, 31)
        let grid = try Grid2D(x: axis, y: axis) { x, y in x * x + y * y + 0.1 }
        var options = GridPlotOptions()
        options.style.title = title
        options.style.format = format
        options.vmin = 0.1; options.vmax = 2.1; options.vlevel = 0.25
        return try GridPlot.render(grid, kind: kind, options: options)
    }

    /// Counts of each element name in an XML document.
    private final class ElementCounter: NSObject, XMLParserDelegate {
        var counts: [String: Int] = [:]
        var root: [String: String]?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String]) {
            if root == nil { root = attributes }
            counts[name, default: 0] += 1
        }
    }

    func testSVGParsesAsXMLAndDrawsWithPaths() throws {
        for kind in GridPlotKind.allCases {
            let plot = try render(kind, .svg)
            XCTAssertEqual(plot.format, .svg)
            let parser = XMLParser(data: plot.data)
            let counter = ElementCounter()
            parser.delegate = counter
            XCTAssertTrue(parser.parse(), "\(kind): \(parser.parserError.map { "\($0)" } ?? "")")
            XCTAssertEqual(counter.root?["width"], "800pt", "\(kind)")
            XCTAssertEqual(counter.root?["height"], "600pt", "\(kind)")
            // Axes, ticks, contour lines or filled bands, and glyph outlines are paths.
            XCTAssertGreaterThan(counter.counts["path", default: 0], 40, "\(kind): \(counter.counts)")
            // Pictures only where the drawing is pixels: the colour bar, the heat map itself, and the
            // tiles of hatch patterns (cairo writes each <pattern> with its <image>).
            let allowed = (kind == .heatmap ? 2 : 1) + counter.counts["pattern", default: 0]
            XCTAssertLessThanOrEqual(counter.counts["image", default: 0], allowed, "\(kind): \(counter.counts)")
        }
    }

    func testPDFIsReadByPopplerWithTheTitleText() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for kind in GridPlotKind.allCases {
            let plot = try render(kind, .pdf)
            XCTAssertTrue(plot.data.starts(with: Array("%PDF-".utf8)))
            let file = directory.appendingPathComponent("\(kind).pdf")
            try plot.data.write(to: file)
            let info = try run("/usr/bin/pdfinfo", [file.path])
            func field(_ name: String) -> String? {
                info.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                    .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
            }
            XCTAssertEqual(field("Pages"), "1", info)
            XCTAssertEqual(field("Page size"), "800 x 600 pts", info)
            XCTAssertEqual(field("Title"), title, info)
            let text = try run("/usr/bin/pdftotext", [file.path, "-"])
            XCTAssertTrue(text.contains(title), "\(kind): \(text)")
        }
    }

    func testPNGStaysTheDefaultFormat() throws {
        let plot = try render(.contour, .png)
        XCTAssertEqual(PlotStyle().format, .png)
        XCTAssertEqual(plot.format, .png)
        XCTAssertEqual(try DecodedImage(png: plot.png).width, 800)
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(tool): \(output)")
        return output
    }
}
