import Landscape
import LandscapeRender
import LandscapeService
import XCTest

/// Pictures of surfaces say what they show.
final class SurfacePictureTests: XCTestCase {
    /// A 5×5 bowl over −1…1 (loss 0.2 + x² + y², positive for log scales).
    private func surface(model: String = "resnet20-mish", activation: String = "mish", seed: UInt64 = 0,
                         kind: String = "random", normalization: DirectionNormalization = .filter,
                         endpoints: [String] = [], bnMode: BatchNormMode = .eval, twoDimensional: Bool = true,
                         diverged: [(row: Int, column: Int)] = []) throws -> Surface {
        let axis = try GridAxis(parsing: "-1:1:5")
        let xs = axis.coordinates, ys = twoDimensional ? xs : [0]
        var loss: [[Double?]] = ys.map { y in xs.map { x in 0.2 + x * x + y * y } }
        var flags = ys.map { _ in xs.map { _ in false } }
        for point in diverged { loss[point.row][point.column] = nil; flags[point.row][point.column] = true }
        func info(_ name: String) -> Surface.ModelInfo {
            .init(name: name, path: nil, sha256: "", architecture: "resnet20", activation: activation, testAccuracy: 0.9282)
        }
        var s = Surface(id: "\(model)-\(seed)", model: info(model),
                        dataset: .init(name: "fashion-mnist", path: "", split: "test", samples: 10, subset: "first", subsetSeed: 0,
                                       mean: [0], std: [1], contentSha256: ""),
                        directions: .init(kind: kind, seed: seed, normalization: normalization, ignore: .biasbn, mode: .weights,
                                          sharedWith: [], endpoints: endpoints.map(info), file: nil, note: ""),
                        bnMode: bnMode, grid: try GridSpec(x: axis, y: twoDimensional ? axis : nil), x: xs,
                        y: twoDimensional ? ys : nil, loss: loss, accuracy: loss.map { $0.map { $0.map { 1 / (1 + $0) } } },
                        lossStderr: loss, summary: nil,
                        progress: .init(computed: xs.count * ys.count, total: xs.count * ys.count, order: "coarse-to-fine"),
                        timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""), producer: "test")
        if !diverged.isEmpty { s.diverged = flags }
        return s
    }

    // MARK: Diverged points

    func testTheGridAndCurveCarryTheDivergedMask() throws {
        let grid = try surface(diverged: [(1, 2)]).grid(.loss)
        XCTAssertEqual(grid.state(row: 1, column: 2), .diverged)
        XCTAssertEqual(grid.state(row: 0, column: 0), .present)
        XCTAssertEqual(grid.divergedCount, 1)
        let curve = try surface(twoDimensional: false, diverged: [(0, 4)]).curve(.loss, label: "loss")
        XCTAssertEqual(curve.state(4), .diverged)
    }
}
