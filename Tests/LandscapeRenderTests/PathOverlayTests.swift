import Foundation
import XCTest
import LandscapeRender

/// A path over a grid plot: drawn where its data coordinates are, the start a
/// green square and the end a red disc, in every kind; bad paths refused.
final class PathOverlayTests: XCTestCase {
    /// A bowl over x −6…6, y −3…3 (31 × 25 points) and a path spiralling into the origin.
    private func plot(_ kind: GridPlotKind) throws -> (RenderedPlot, PathOverlay) {
        let xs = (0..<31).map { -6 + 12 * Double($0) / 30 }, ys = (0..<25).map { -3 + 6 * Double($0) / 24 }
        let grid = try Grid2D(x: xs, y: ys) { x, y in 0.2 + 0.1 * x * x + 0.3 * y * y }
        let t = (0..<15).map { 1 - Double($0) / 14 }
        let path = try PathOverlay(x: t.map { 5 * $0 * cos(3 * $0) }, y: t.map { 2.5 * $0 * sin(3 * $0) },
                                   labels: [.init(index: 7, text: "epoch 3")])
        var options = GridPlotOptions()
        options.style.xLabel = "PC1, 81.3 %"; options.style.yLabel = "PC2, 9.0 %"
        let rendered = try GridPlot.render([GridPanel(grid: grid, path: path)], kind: kind, options: options)
        return (rendered, path)
    }

    func testThePathIsDrawnAtItsDataCoordinatesWithTheStartGreenAndTheEndRed() throws {
        for kind in [GridPlotKind.contour, .filled, .heatmap] {
            let (rendered, path) = try plot(kind)
            let panel = try XCTUnwrap(rendered.panels.first)
            XCTAssertEqual(panel.pathPoints.count, path.x.count)
            for (i, point) in panel.pathPoints.enumerated() {
                let expected = panel.pixel(x: path.x[i], y: path.y[i])
                XCTAssertEqual(point.x, expected.x, accuracy: 1e-9); XCTAssertEqual(point.y, expected.y, accuracy: 1e-9)
            }
            let image = try DecodedImage(png: rendered.png)
            let start = image.pixel(panel.pathPoints[0]), end = image.pixel(panel.pathPoints[path.x.count - 1])
            XCTAssertLessThan(colourDistance(start, RGBA(0.1, 0.62, 0.2)), 12, "\(kind): start \(start)")
            XCTAssertLessThan(colourDistance(end, RGBA(0.9, 0.05, 0.05)), 12, "\(kind): end \(end)")
            // The markers between: white centres.
            XCTAssertTrue(isWhite(image.pixel(panel.pathPoints[4])), "\(kind): marker \(image.pixel(panel.pathPoints[4]))")
        }
    }

    func testTheThreeDimensionalViewDrawsThePathOnTheSurface() throws {
        let (rendered, path) = try plot(.surface3d)
        let panel = try XCTUnwrap(rendered.panels.first)
        XCTAssertEqual(panel.pathPoints.count, path.x.count)
        let image = try DecodedImage(png: rendered.png)
        XCTAssertLessThan(colourDistance(image.pixel(panel.pathPoints[0]), RGBA(0.1, 0.62, 0.2)), 12)
        XCTAssertLessThan(colourDistance(image.pixel(panel.pathPoints.last!), RGBA(0.9, 0.05, 0.05)), 12)
        // The end is the centre (0, 0), where the centre marker also is.
        let centre = try XCTUnwrap(panel.centreMarker)
        XCTAssertEqual(panel.pathPoints.last!.x, centre.x, accuracy: 1e-6)
        XCTAssertEqual(panel.pathPoints.last!.y, centre.y, accuracy: 1e-6)
    }

    func testPathsOfMismatchedLengthsNonFiniteCoordinatesOrLabelsOffThePathAreRefused() {
        XCTAssertThrowsError(try PathOverlay(x: [0, 1, 2], y: [0, 1])) { XCTAssertTrue("\($0)".contains("expected 3 values"), "\($0)") }
        XCTAssertThrowsError(try PathOverlay(x: [0, .nan], y: [0, 1])) { XCTAssertTrue("\($0)".contains("path[1]"), "\($0)") }
        XCTAssertThrowsError(try PathOverlay(x: [0, 1], y: [0, 1], labels: [.init(index: 2, text: "x")])) {
            XCTAssertTrue("\($0)".contains("index 2"), "\($0)")
        }
        XCTAssertThrowsError(try PathOverlay(x: [0], y: [0])) { XCTAssertTrue("\($0)".contains("at least 2"), "\($0)") }
    }
}
