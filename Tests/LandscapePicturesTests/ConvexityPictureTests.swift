@testable import Landscape
import LandscapeRender
import LandscapePictures
import XCTest

/// `landscape render S.json --convexity MAP.json`: the surface and its |λmin/λmax| map side by side,
/// each with its own colour bar, at one length per data unit in both panels.
final class ConvexityPictureTests: XCTestCase {
    /// A 5×5 bowl over −1…1 and a map of every point whose ratio is |x·y|.
    private func surfaceAndMap(mapID surfaceID: String? = nil) throws -> (Surface, ConvexityMap) {
        let axis = try GridAxis(parsing: "-1:1:5")
        let xs = axis.coordinates
        let loss: [[Double?]] = xs.map { y in xs.map { x in 0.2 + x * x + y * y } }
        let model = Surface.ModelInfo(name: "resnet20-mish", path: nil, sha256: "", architecture: "resnet20", activation: "mish")
        let dataset = Surface.DatasetInfo(name: "cifar10", path: "", split: "test", samples: 8, subset: "first", subsetSeed: 0,
                                          mean: [0], std: [1], contentSha256: "")
        let directions = Surface.DirectionsInfo(seed: 0, normalization: .filter, ignore: .biasbn, mode: .weights, sharedWith: [],
                                                file: "directions-s.safetensors", note: "")
        let surface = Surface(id: "s", model: model, dataset: dataset, directions: directions, bnMode: .eval,
                              grid: try GridSpec(x: axis, y: axis), x: xs, y: xs, loss: loss, accuracy: loss, lossStderr: loss,
                              summary: nil, progress: .init(computed: 25, total: 25, order: "coarse-to-fine"),
                              timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""), producer: "test")
        let ratio: [[Double?]] = xs.map { y in xs.map { x in abs(x * y) } }
        let high: [[Double?]] = xs.map { _ in xs.map { _ in 10 } }
        let map = ConvexityMap(id: "m", surfaceId: surfaceID ?? "s", surfaceFile: "s.json", model: model, dataset: dataset,
                               directions: directions, hessian: "test", stride: 1, columnIndices: Array(0..<5), rowIndices: Array(0..<5),
                               x: xs, y: xs, maxEigenvalue: high, minEigenvalue: ratio.map { $0.map { $0.map { -10 * $0 } } },
                               ratio: ratio, maxResidual: ratio, minResidual: ratio, steps: xs.map { _ in xs.map { _ in 10 } },
                               loss: loss, samples: 8, seed: 0, lanczosSteps: 40, tolerance: 1e-2,
                               progress: .init(computed: 25, total: 25, order: "row-major"),
                               timing: .init(seconds: 1, products: 250, secondsPerProduct: 0.004, threads: 2, updated: ""),
                               producer: "test")
        return (surface, map)
    }

    func testTheSurfaceAndItsMapAreDrawnSideBySideAtOneScale() throws {
        let (surface, map) = try surfaceAndMap()
        var settings = RenderSpec()
        settings.width = 1200; settings.height = 500
        for kind in [RenderSpec.Kind.contour, .filled, .heatmap] {
            settings.kind = kind
            let plot = try Pictures.convexity(surface, map, settings)
            XCTAssertEqual(plot.panels.count, 2)
            XCTAssertEqual(Array(plot.data.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            // The map is a heatmap (cells centred on points: −1.25…1.25), the surface's contours span −1…1:
            // one length per data unit in both panels.
            let (surfacePanel, mapPanel) = (plot.panels[0], plot.panels[1])
            let unit = surfacePanel.plotArea.width / (surfacePanel.xRange.upperBound - surfacePanel.xRange.lowerBound)
            XCTAssertEqual(mapPanel.plotArea.width / (mapPanel.xRange.upperBound - mapPanel.xRange.lowerBound), unit, accuracy: 1e-6)
            XCTAssertEqual(mapPanel.xRange.lowerBound, -1.25, accuracy: 1e-12)
            XCTAssertGreaterThan(mapPanel.plotArea.x, surfacePanel.plotArea.x + surfacePanel.plotArea.width)
        }
    }

    func testAMapOfAnotherSurfaceOrA3DKindIsRefused() throws {
        let (surface, other) = try surfaceAndMap(mapID: "t")
        XCTAssertThrowsError(try Pictures.convexity(surface, other, RenderSpec())) {
            XCTAssertTrue("\($0)".contains("belongs to surface t"), "\($0)")
        }
        let (_, map) = try surfaceAndMap()
        var settings = RenderSpec()
        settings.kind = .surface3d
        XCTAssertThrowsError(try Pictures.convexity(surface, map, settings)) { XCTAssertTrue("\($0)".contains("surface3d"), "\($0)") }
    }
}
