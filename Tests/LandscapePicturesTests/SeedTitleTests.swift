import XCTest
import Landscape
import LandscapePictures

/// Issue 16: "render --compare titles two seeds 'directions seed 0'". Panels and legends of a seed
/// study's surfaces (two models × two seeds) each name model and seed; the figure claims no seed.
final class SeedTitleTests: XCTestCase {
    private func surface(_ model: String, _ activation: String, seed: UInt64, twoDimensional: Bool) throws -> Surface {
        let grid = try GridSpec(x: GridAxis(parsing: "-1:1:3"), y: twoDimensional ? GridAxis(parsing: "-1:1:3") : nil)
        let row: [Double?] = [1.0, 0.5, 1.2]
        let loss = twoDimensional ? [row, row, row] : [row]
        let info = Surface.ModelInfo(name: model, path: nil, sha256: "s-\(model)", architecture: "resnet20", activation: activation)
        let dataset = Surface.DatasetInfo(name: "fashion-mnist", path: "-", split: "test", samples: 100, subset: "first",
                                          subsetSeed: 0, mean: [0], std: [1], contentSha256: "d")
        let directions = Surface.DirectionsInfo(seed: seed, normalization: .filter, ignore: .biasbn, mode: .weights,
                                                sharedWith: [model], file: nil, note: "")
        return Surface(id: "\(model)-\(seed)", model: info, dataset: dataset, directions: directions, bnMode: .eval, grid: grid,
                       x: grid.x.coordinates, y: grid.y?.coordinates, loss: loss, accuracy: loss, lossStderr: loss, summary: nil,
                       progress: .init(computed: grid.pointCount, total: grid.pointCount, order: "coarse-to-fine"),
                       timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""), producer: "test")
    }

    func testPanelsOfTwoModelsAndTwoSeedsNameBoth() throws {
        let surfaces = try [("resnet20-relu", "relu", 0), ("resnet20-relu", "relu", 5), ("resnet20-mish", "mish", 0), ("resnet20-mish", "mish", 5)]
            .map { try surface($0.0, $0.1, seed: UInt64($0.2), twoDimensional: true) }
        let titles = SurfaceTitles(surfaces, metric: .loss)
        XCTAssertEqual(titles.panels, ["ReLU · seed 0", "ReLU · seed 5", "Mish · seed 0", "Mish · seed 5"])
        XCTAssertFalse(titles.figure.contains("seed"), titles.figure)
    }

    func testLineLegendsOfTwoSeedsNameTheSeed() throws {
        let surfaces = try [0, 5].map { try surface("resnet20-relu", "relu", seed: UInt64($0), twoDimensional: false) }
        let titles = SurfaceTitles(surfaces, metric: .loss)
        XCTAssertEqual(titles.legends, ["ReLU · seed 0", "ReLU · seed 5"])
        XCTAssertEqual(titles.figure, "loss — resnet20-relu (ReLU), random filter-normalized directions")
        var spec = RenderSpec()
        spec.kind = .line
        XCTAssertNoThrow(try Pictures.surfaces(surfaces, spec))
    }

    func testOneSeedSharedByEveryPanelIsInTheFigureTitle() throws {
        let surfaces = try [("resnet20-relu", "relu"), ("resnet20-mish", "mish")].map { try surface($0.0, $0.1, seed: 7, twoDimensional: true) }
        let titles = SurfaceTitles(surfaces, metric: .loss)
        XCTAssertEqual(titles.figure, "loss — random filter-normalized directions, seed 7")
        XCTAssertEqual(titles.panels, ["ReLU", "Mish"])
    }
}
