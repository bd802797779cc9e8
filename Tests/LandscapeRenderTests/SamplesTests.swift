import XCTest
import LandscapeRender

/// Renders every kind once on landscape-like data and saves it for eyeballing.
final class SamplesTests: XCTestCase {
    func testRenderSamples() throws {
        let axis = linspace(-1, 1, 51)
        let bowl = try Grid2D(x: axis, y: axis) { x, y in
            0.3 + 2.5 * (x * x + 0.6 * y * y) + 0.4 * sin(3 * x) * cos(2 * y) + 0.8 * x * y
        }
        var options = GridPlotOptions()
        options.vmin = 0.1; options.vmax = 10; options.vlevel = 0.5
        options.style.title = "ResNet-20 (Mish) — loss"
        for kind in GridPlotKind.allCases {
            var o = options
            if kind == .contour { o.colormap = .summer }
            let plot = try GridPlot.render(bowl, kind: kind, options: o)
            XCTAssertGreaterThan(plot.png.count, 1000)
            saveSample(plot, "\(kind.rawValue).png")
        }
    }
}
