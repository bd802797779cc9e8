import XCTest
import Landscape

final class SurfaceSummaryTests: XCTestCase {
    /// L(α) = 4α² on -1:1:201: the 0.1-width is 2·√(0.1/4) = 0.3162…, the
    /// 1.0-width 2·√(1/4) = 1, the curvature 8.
    func testWidthsAndCurvatureOfAParabola() throws {
        let surface = Self.surface(x: try GridAxis(parsing: "-1:1:201")) { a, _ in 4 * a * a }
        let summary = SurfaceSummary(surface, centre: 100)
        let narrow = summary.widths.first { $0.threshold == 0.1 }!
        XCTAssertEqual(narrow.width, 2 * (0.1 / 4).squareRoot(), accuracy: 1e-3)
        XCTAssertTrue(narrow.bounded)
        let wide = summary.widths.first { $0.threshold == 1.0 }!
        XCTAssertEqual(wide.width, 1, accuracy: 1e-3)
        XCTAssertEqual(summary.curvature.first!.secondDerivative, 8, accuracy: 1e-9)
        XCTAssertEqual(summary.minimumLoss, 0)
        XCTAssertEqual(summary.minimumAt, [0])
    }

    func testUnboundedWidthReportsTheGridEnd() throws {
        let surface = Self.surface(x: try GridAxis(parsing: "-1:1:21")) { a, _ in 0.01 * a * a }
        let width = SurfaceSummary(surface, centre: 10).widths.first { $0.threshold == 1.0 }!
        XCTAssertFalse(width.bounded)
        XCTAssertEqual(width.left, -1)
        XCTAssertEqual(width.right, 1)
    }

    func testTwoDimensionalSummaryMeasuresBothAxesAndFindsTheMinimum() throws {
        let axis = try GridAxis(parsing: "-1:1:41")
        let surface = Self.surface(x: axis, y: axis) { a, b in (a - 0.5) * (a - 0.5) + 9 * b * b }
        let summary = SurfaceSummary(surface, centre: 20 * 41 + 20)
        XCTAssertEqual(summary.minimumAt!, [0.5, 0])
        XCTAssertEqual(summary.curvature.map(\.axis), ["x", "y"])
        XCTAssertEqual(summary.curvature[1].secondDerivative, 18, accuracy: 1e-9)
    }

    static func surface(x: GridAxis, y: GridAxis? = nil, _ f: (Double, Double) -> Double) -> Surface {
        let ys = y?.coordinates ?? [0]
        let loss = ys.map { b in x.coordinates.map { a -> Double? in f(a, b) } }
        return Surface(id: "test", model: .init(name: "m", path: nil, sha256: "", architecture: "", activation: ""),
                       dataset: .init(name: "", path: "", split: "", samples: 0, subset: "", subsetSeed: 0, mean: [], std: [], contentSha256: ""),
                       directions: .init(seed: 0, normalization: .filter, ignore: .biasbn, mode: .weights, sharedWith: [], file: nil, note: ""),
                       bnMode: .eval, grid: try! GridSpec(x: x, y: y), x: x.coordinates, y: y?.coordinates,
                       loss: loss, accuracy: loss, lossStderr: loss, summary: nil,
                       progress: .init(computed: 0, total: 0, order: ""), timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""),
                       producer: "test")
    }
}
