import XCTest
import Landscape
import LandscapePictures

final class SeedStudyPictureTests: XCTestCase {
    static func study() throws -> SeedStudy {
        let text = #"""
        {"version": 1, "id": "0123456789abcdef", "seeds": [0, 1, 2], "dimensions": 1, "width_threshold": 0.1, "confidence": 0.95,
         "grid": {"x": {"start": -1, "end": 1, "count": 21}},
         "dataset": {"name": "fashion-mnist", "path": "-", "split": "test", "samples": 1000, "subset": "first", "subset_seed": 0,
                     "mean": [0.286], "std": [0.353], "content_sha256": "d"},
         "normalization": "filter", "bn_mode": "eval", "note": "", "producer": "test",
         "models": [MODELS], "comparisons": []}
        """#
        func model(_ name: String, _ label: String, _ c: [Double], bounded: Bool) -> String {
            let seeds = c.enumerated().map { i, v in
                #"{"seed": \#(i), "surface_id": "\#(name)-\#(i)", "curvature": \#(v), "width": \#(0.5 + v / 100), "width_bounded": \#(bounded), "axes": []}"#
            }.joined(separator: ",")
            let mean = c.reduce(0, +) / Double(c.count)
            return #"{"model": {"name": "\#(name)", "sha256": "s\#(name)", "architecture": "resnet20", "activation": "\#(label.lowercased())"}, "label": "\#(label)", "per_seed": [\#(seeds)], "curvature": {"n": 3, "mean": \#(mean), "sd": 1, "ci_low": \#(mean - 2), "ci_high": \#(mean + 2), "confidence": 0.95}, "unbounded_widths": \#(bounded ? 0 : 3)}"#
        }
        let json = text.replacingOccurrences(of: "MODELS", with: model("resnet20-relu", "ReLU", [20, 25, 30], bounded: true) + ","
                                             + model("resnet20-mish", "Mish", [10, 12, 14], bounded: false))
        return try SeedStudy.decode(Data(json.utf8), source: "inline")
    }

    func testAFileThatIsNotAStudyIsRefusedByName() {
        XCTAssertThrowsError(try SeedStudy.decode(Data("{}".utf8), source: "s.json")) {
            XCTAssertTrue("\($0)".hasPrefix("seed study s.json: not a seed study JSON"), "\($0)")
        }
    }

    func testTheTitleNamesTheSeedsDirectionsAndImages() throws {
        XCTAssertEqual(Pictures.seedStudyTitle(try Self.study()),
                       "Sharpness over 3 seeds (0:2): 1D random filter-normalized directions, 1000 images")
    }

    func testCurvatureAndWidthPanelsCoverEveryModelsSeeds() throws {
        let plot = try Pictures.seedStudy(try Self.study())
        XCTAssertEqual(plot.panels.count, 2, "curvature and width side by side")
        XCTAssertEqual(plot.pixelWidth, 1000)
        XCTAssertLessThanOrEqual(plot.panels[0].yRange.lowerBound, 10)
        XCTAssertGreaterThanOrEqual(plot.panels[0].yRange.upperBound, 30, "ReLU's highest seed")
        XCTAssertEqual(plot.panels[0].xRange.upperBound, 2, "one column per model")
        XCTAssertLessThanOrEqual(plot.panels[1].yRange.lowerBound, 0.6)
    }
}
