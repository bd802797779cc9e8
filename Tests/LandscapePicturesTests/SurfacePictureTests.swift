import Landscape
import LandscapeRender
import LandscapePictures
import XCTest

/// Pictures of surfaces say what they show: titles and axis labels from the data, the
/// default colour scale, diverged points.
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

    // MARK: Titles

    func testComparedSeedsAreNamedInTheirPanelsAndTheFigureClaimsNoSeed() throws {
        let titles = SurfaceTitles(try [0, 7, 8].map { try surface(seed: $0) }, metric: .loss)
        XCTAssertFalse(titles.figure.contains("seed"), titles.figure)
        XCTAssertEqual(titles.figure, "loss — resnet20-mish (Mish), random filter-normalized directions")
        XCTAssertEqual(titles.panels, ["Mish · seed 0 — test acc 92.8 %", "Mish · seed 7 — test acc 92.8 %",
                                       "Mish · seed 8 — test acc 92.8 %"])
    }

    func testModelsSharingDirectionsHaveTheSeedInTheFigureTitleAndTheActivationInTheirPanels() throws {
        let titles = SurfaceTitles([try surface(model: "resnet20-relu", activation: "relu"), try surface()], metric: .loss)
        XCTAssertEqual(titles.figure, "loss — random filter-normalized directions, seed 0")
        XCTAssertEqual(titles.panels, ["ReLU — test acc 92.8 %", "Mish — test acc 92.8 %"])
    }

    func testTwoModelsWithOneActivationAreNamedByModel() throws {
        let titles = SurfaceTitles([try surface(model: "resnet20-mish"), try surface(model: "resnet20-mish-long")], metric: .loss)
        XCTAssertEqual(titles.legends, ["resnet20-mish", "resnet20-mish-long"])
    }

    func testBatchNormModeIsNamedOnlyWhereNotEvalAndOnlyInPanelsWhenItDiffers() throws {
        let mixed = SurfaceTitles([try surface(), try surface(bnMode: .recompute)], metric: .loss)
        XCTAssertEqual(mixed.legends, ["Mish", "Mish · BN recompute"])
        XCTAssertFalse(mixed.figure.contains("BN"), mixed.figure)
        let single = SurfaceTitles([try surface(bnMode: .recompute)], metric: .accuracy)
        XCTAssertEqual(single.figure, "resnet20-mish (Mish, BN recompute, test acc 92.8 %) — accuracy, random filter-normalized directions, seed 0")
        XCTAssertNil(single.panels)
        XCTAssertFalse(SurfaceTitles([try surface()], metric: .loss).figure.contains("BN"))
    }

    func testDifferentDirectionKindsAreNamedInTheirPanels() throws {
        let titles = SurfaceTitles([try surface(twoDimensional: false),
                                    try surface(kind: "interpolation", endpoints: ["resnet20-relu"], twoDimensional: false)], metric: .loss)
        XCTAssertEqual(titles.figure, "loss — resnet20-mish (Mish)")
        XCTAssertEqual(titles.legends, ["Mish · random filter-normalized directions · seed 0",
                                        "Mish · interpolation from A = resnet20-mish to B = resnet20-relu"])
    }

    func testDivergedPointsAreCountedInTheTitle() throws {
        let one = try surface(diverged: [(4, 4)]), three = try surface(diverged: [(0, 0), (4, 4), (4, 3)])
        XCTAssertTrue(SurfaceTitles([three], metric: .loss).figure.hasSuffix(" · 3 points diverged (dark grey)"))
        let titles = SurfaceTitles([try surface(), one], metric: .loss)
        XCTAssertEqual(titles.panels?[1], "Mish — test acc 92.8 % — 1 point diverged (dark grey)")
        XCTAssertFalse(titles.panels?[0].contains("diverged") ?? true)
    }

    // MARK: Axes

    func testAxisLabelsSayWhatTheDirectionsAre() throws {
        XCTAssertEqual(try surface().axisLabels.x, "α (filter-normalized direction 1)")
        XCTAssertEqual(try surface().axisLabels.y, "β (filter-normalized direction 2)")
        XCTAssertEqual(try surface(normalization: .layer).axisLabels.y, "β (layer-normalized direction 2)")
        XCTAssertEqual(try surface(normalization: .none).axisLabels.x, "α (unnormalized direction 1)")
        XCTAssertEqual(try surface(twoDimensional: false).axisLabels.x, "α (filter-normalized random direction)")
        let line = try surface(kind: "interpolation", endpoints: ["resnet20-relu"], twoDimensional: false)
        XCTAssertEqual(line.axisLabels.x, "α (from A = resnet20-mish to B = resnet20-relu)")
        XCTAssertNil(line.axisLabels.y)
        let plane = try surface(kind: "plane", endpoints: ["resnet20-relu", "resnet20-swish"])
        XCTAssertEqual(plane.axisLabels.x, "α (from A = resnet20-mish to B = resnet20-relu)")
        XCTAssertEqual(plane.axisLabels.y, "β (from A = resnet20-mish to C = resnet20-swish)")
    }

    // MARK: Colour scale

    func testLossDefaultsToALogScaleAndAccuracyToALinearOne() throws {
        var settings = RenderSpec()
        settings.width = 300; settings.height = 240
        XCTAssertTrue(settings.logScale)
        XCTAssertEqual(try Pictures.surfaces([try surface()], settings).colorbar?.scale.logarithmic, true)
        settings.metric = .accuracy
        XCTAssertFalse(settings.logScale)
        XCTAssertEqual(try Pictures.surfaces([try surface()], settings).colorbar?.scale.logarithmic, false)
        settings.metric = .loss; settings.log = false
        XCTAssertEqual(try Pictures.surfaces([try surface()], settings).colorbar?.scale.logarithmic, false)
    }

    func testTheAPILogValueIsOnOffOrTheDefault() throws {
        XCTAssertNil(try RenderSpec.decode(query: [:]).log)
        XCTAssertNil(try RenderSpec.decode(query: ["log": ""]).log)
        for on in ["1", "true", "YES", "log"] { XCTAssertEqual(try RenderSpec.decode(query: ["log": on]).log, true, on) }
        for off in ["0", "false", "no", "linear"] { XCTAssertEqual(try RenderSpec.decode(query: ["log": off]).log, false, off) }
        XCTAssertThrowsError(try RenderSpec.decode(query: ["log": "maybe"])) { XCTAssertTrue("\($0)".hasPrefix("log: 'maybe'"), "\($0)") }
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

    func testComparedPanelsAreSquareWithOneScale() throws {
        var settings = RenderSpec()
        settings.width = 1400; settings.height = 500
        for kind in [RenderSpec.Kind.contour, .filled, .heatmap] {
            settings.kind = kind
            let plot = try Pictures.surfaces(try [0, 7, 8].map { try surface(seed: $0) }, settings)
            let sides = plot.panels.map { ($0.plotArea.width, $0.plotArea.height) }
            for (w, h) in sides {
                XCTAssertEqual(w, h, accuracy: 0.5, "\(kind)")
                XCTAssertEqual(w, sides[0].0, accuracy: 0.5, "\(kind)")
            }
        }
    }
}

/// A surface in a trajectory's PCA plane is drawn with its path and PC axes.
final class TrajectoryPictureTests: XCTestCase {
    private func pcaSurface() throws -> Surface {
        let axis = try GridAxis(parsing: "-2:6:9")
        let xs = axis.coordinates
        let loss: [[Double?]] = xs.map { y in xs.map { x in 0.2 + 0.1 * x * x + 0.1 * y * y } }
        let info = Surface.ModelInfo(name: "resnet20-relu", path: nil, sha256: "", architecture: "resnet20", activation: "relu")
        var s = Surface(id: "pca", model: info,
                        dataset: .init(name: "fashion-mnist", path: "", split: "test", samples: 10, subset: "first", subsetSeed: 0,
                                       mean: [0], std: [1], contentSha256: ""),
                        directions: .init(kind: "pca", seed: 0, normalization: .none, ignore: .biasbn, mode: .weights,
                                          sharedWith: [], file: nil, note: ""),
                        bnMode: .eval, grid: try GridSpec(x: axis, y: axis), x: xs, y: xs, loss: loss, accuracy: loss,
                        lossStderr: loss, summary: nil, progress: .init(computed: 81, total: 81, order: "coarse-to-fine"),
                        timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""), producer: "test")
        // 13 snapshots, 2 per epoch plus the start: epochs 0, 0.5, 1, …, 6.
        let points = (0...12).map { i -> Trajectory.Point in
            let t = 1 - Double(i) / 12
            return Trajectory.Point(file: "step-\(i)", step: i * 50, epoch: Double(i) / 2, learningRate: 0.1, trainLoss: nil,
                                    x: 5 * t, y: 4 * t * (1 - t))
        }
        s.path = SurfacePath(trajectory: "t", explainedVarianceRatio: [0.813, 0.09], axisLabels: ["PC1, 81.3 %", "PC2, 9.0 %"],
                             points: points)
        return s
    }

    func testTheAxesNameTheComponentsWithTheirExplainedVariance() throws {
        let s = try pcaSurface()
        XCTAssertEqual(s.axisLabels.x, "PC1, 81.3 %")
        XCTAssertEqual(s.axisLabels.y, "PC2, 9.0 %")
        XCTAssertTrue(SurfaceTitles([s], metric: .loss).figure.contains("PCA plane of the training path"))
    }

    func testThePathIsOverlaidWithAFewWholeEpochsLabelled() throws {
        let overlay = try XCTUnwrap(try pcaSurface().pathOverlay(maximumLabels: 3))
        XCTAssertEqual(overlay.x.count, 13)
        XCTAssertEqual(overlay.labels.map(\.text), ["epoch 1", "epoch 4", "epoch 6"])
        XCTAssertEqual(try XCTUnwrap(try pcaSurface().pathOverlay()).labels.count, 6)
        var settings = RenderSpec()
        for kind in [RenderSpec.Kind.contour, .filled, .heatmap, .surface3d] {
            settings.kind = kind
            let plot = try Pictures.surfaces([try pcaSurface()], settings)
            XCTAssertEqual(plot.panels.first?.pathPoints.count, 13, "\(kind)")
        }
    }

    func testTheLossAlongThePathIsDrawnPerSnapshotAndAPathWithoutLossesIsRefused() throws {
        var trajectory = Trajectory(id: "t", model: try pcaSurface().model, snapshotsDirectory: "s", mode: .weights, ignore: .biasbn,
                                    method: .gramEigen, coordinates: 10, explainedVarianceRatio: [0.8, 0.1], explainedVariance: [8, 1],
                                    singularValues: [4, 1], componentCosine: 0,
                                    endToEnd: .init(norm: 1, cosines: [1, 0], angleToPlaneDegrees: 0),
                                    points: try XCTUnwrap(try pcaSurface().path).points, finalInSnapshots: true,
                                    directionsFile: "d", producer: "test")
        XCTAssertThrowsError(try Pictures.trajectory(trajectory)) { XCTAssertTrue("\($0)".contains("no loss recorded"), "\($0)") }
        for i in trajectory.points.indices {
            trajectory.points[i].testLoss = 2 / Double(i + 1)
            trajectory.points[i].testAccuracy = 1 - 0.8 / Double(i + 1)
            trajectory.points[i].trainLoss = i == 0 ? nil : 1.8 / Double(i + 1)
        }
        let plot = try Pictures.trajectory(trajectory)
        XCTAssertGreaterThan(plot.png.count, 1000)
        XCTAssertEqual(plot.panels.first?.xRange, 0...6, "x is the epoch")
    }
}
