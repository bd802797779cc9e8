import XCTest
@testable import Landscape

/// The study against synthetic surfaces whose curvature and width are known by construction:
/// L(0) = L0, L(±h) = L0 + k h²/2 (second difference exactly k), then straight lines that cross
/// L0 + δ at ±w/2 (linear interpolation between grid points is exact on a line: width exactly w).
final class SeedStudySyntheticTests: XCTestCase {
    static let axis = try! GridAxis(parsing: "-1:1:21")   // h = 0.1
    static let threshold = 0.1

    /// Loss along one axis with curvature k at the centre and width w at +threshold.
    static func line(curvature k: Double, width w: Double, centre l0: Double = 0.3) -> [Double] {
        let h = 0.1, rise = k * h * h / 2
        precondition(rise < threshold && w / 2 > h)
        let slope = (threshold - rise) / (w / 2 - h)
        return axis.coordinates.map { a in
            let r = abs(a)
            if r < h / 2 { return l0 }
            return l0 + rise + slope * (r - h)
        }
    }

    static func surface(model: String, activation: String, seed: UInt64, x: (Double, Double), y: (Double, Double)? = nil) throws -> Surface {
        let grid = try GridSpec(x: axis, y: y == nil ? nil : axis)
        let lx = line(curvature: x.0, width: x.1)
        var loss: [[Double?]]
        if let y {
            // Separable: L(a, b) = Lx(a) + Ly(b) − L0, so the lines through the centre are Lx and Ly.
            let ly = line(curvature: y.0, width: y.1)
            loss = ly.map { b in lx.map { a in Optional(a + b - 0.3) } }
        } else {
            loss = [lx.map { Optional($0) }]
        }
        let accuracy = loss.map { $0.map { _ in Optional(0.9) } }
        let info = Surface.ModelInfo(name: model, path: nil, sha256: "sha-\(model)", architecture: "resnet20", activation: activation)
        let dataset = Surface.DatasetInfo(name: "synthetic", path: "-", split: "test", samples: 100, subset: "first", subsetSeed: 0,
                                          mean: [0], std: [1], contentSha256: "data")
        let directions = Surface.DirectionsInfo(seed: seed, normalization: .filter, ignore: .biasbn, mode: .weights,
                                                sharedWith: [model], file: nil, note: "")
        return Surface(id: "\(model)-\(seed)", model: info, dataset: dataset, directions: directions, bnMode: .eval, grid: grid,
                       x: grid.x.coordinates, y: grid.y?.coordinates, loss: loss, accuracy: accuracy, lossStderr: accuracy,
                       summary: nil, progress: .init(computed: grid.pointCount, total: grid.pointCount, order: "coarse-to-fine"),
                       timing: .init(seconds: 1, imagesPerSecond: nil, updated: ""), producer: "test")
    }

    // Mish's curvature per seed, ReLU's = Mish's / ratio.
    static let mishCurvature = [1.0, 2, 3, 4, 5]
    static let ratios = [0.5, 0.8, 0.6, 1.25, 0.9]
    static let mishWidths = [1.0, 1.2, 0.8, 1.4, 1.1]

    static func twoModels() throws -> [Surface] {
        var surfaces: [Surface] = []
        for (i, seed) in [3, 7, 11, 12, 40].map(UInt64.init).enumerated() {
            surfaces.append(try surface(model: "resnet20-mish", activation: "mish", seed: seed, x: (mishCurvature[i], mishWidths[i])))
            surfaces.append(try surface(model: "resnet20-relu", activation: "relu", seed: seed, x: (mishCurvature[i] / ratios[i], 0.6)))
        }
        return surfaces
    }

    func testPerSeedCurvaturesAndWidthsAreTheConstructedOnes() throws {
        let study = try SeedStudy(surfaces: Self.twoModels(), widthThreshold: Self.threshold)
        XCTAssertEqual(study.seeds, [3, 7, 11, 12, 40])
        XCTAssertEqual(study.models.map(\.label), ["Mish", "ReLU"])
        let mish = study.models[0]
        for (i, measure) in mish.perSeed.enumerated() {
            XCTAssertEqual(try XCTUnwrap(measure.curvature), Self.mishCurvature[i], accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(measure.width), Self.mishWidths[i], accuracy: 1e-12)
            XCTAssertTrue(measure.widthBounded)
            XCTAssertEqual(measure.surfaceId, "resnet20-mish-\(study.seeds[i])")
        }
    }

    func testModelMeanSdAndIntervalOverSeeds() throws {
        let study = try SeedStudy(surfaces: Self.twoModels(), widthThreshold: Self.threshold)
        let curvature = try XCTUnwrap(study.models[0].curvature)
        XCTAssertEqual(curvature.mean, 3, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(curvature.sd), 2.5.squareRoot(), accuracy: 1e-9)
        let half = 2.776445105 * 2.5.squareRoot() / 5.0.squareRoot()   // t(0.975, 4) from tables
        XCTAssertEqual(try XCTUnwrap(curvature.ciLow), 3 - half, accuracy: 1e-8)
        XCTAssertEqual(try XCTUnwrap(curvature.ciHigh), 3 + half, accuracy: 1e-8)
        let width = try XCTUnwrap(study.models[0].width)
        XCTAssertEqual(width.mean, 1.1, accuracy: 1e-12)
        // Var = ((−0.1)² + 0.1² + (−0.3)² + 0.3² + 0²) / 4 = 0.05.
        XCTAssertEqual(try XCTUnwrap(width.sd), 0.05.squareRoot(), accuracy: 1e-12)
        let relu = try XCTUnwrap(study.models[1].width)
        XCTAssertEqual(relu.mean, 0.6, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(relu.sd), 0, accuracy: 1e-12)
    }

    func testPairedComparisonCountsSeedsAndGivesTheGeometricMeanRatio() throws {
        let study = try SeedStudy(surfaces: Self.twoModels(), widthThreshold: Self.threshold)
        XCTAssertEqual(study.comparisons.count, 1)
        let c = study.comparisons[0]
        XCTAssertEqual([c.a, c.b], ["Mish", "ReLU"])
        XCTAssertEqual(c.seeds, 5)
        XCTAssertEqual(c.aFlatter, 4)
        XCTAssertEqual(c.bFlatter, 1)
        XCTAssertEqual(c.ties, 0)
        let logs = Self.ratios.map { log($0) }
        let mean = logs.reduce(0, +) / 5
        let sd = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4).squareRoot()
        let half = 2.776445105 * sd / 5.0.squareRoot()
        let ratio = try XCTUnwrap(c.curvatureRatio)
        XCTAssertEqual(ratio.n, 5)
        XCTAssertEqual(ratio.geometricMean, exp(mean), accuracy: 1e-9)
        XCTAssertEqual(ratio.geometricMean, pow(Self.ratios.reduce(1, *), 0.2), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(ratio.ciLow), exp(mean - half), accuracy: 1e-7)
        XCTAssertEqual(try XCTUnwrap(ratio.ciHigh), exp(mean + half), accuracy: 1e-7)
        let expected = String(format: "Mish is flatter than ReLU on 4 of 5 seeds; curvature ratio %.2f (95 %% CI %.2f–%.2f)",
                              exp(mean), exp(mean - half), exp(mean + half))
        XCTAssertEqual(c.sentence, expected)
    }

    func testTheSentenceNamesTheFlatterModelFirst() throws {
        let surfaces = try Self.twoModels()
        let reversed = surfaces.enumerated().map { $0.offset % 2 == 0 ? surfaces[$0.offset + 1] : surfaces[$0.offset - 1] }
        let study = try SeedStudy(surfaces: reversed, widthThreshold: Self.threshold)
        XCTAssertEqual(study.models.map(\.label), ["ReLU", "Mish"])
        XCTAssertTrue(study.comparisons[0].sentence.hasPrefix("Mish is flatter than ReLU on 4 of 5 seeds; curvature ratio "),
                      study.comparisons[0].sentence)
        XCTAssertEqual(study.comparisons[0].bFlatter, 4)
    }

    func testTwoDimensionalSurfacesAverageTheirAxes() throws {
        let surfaces = try [0, 1].map { seed in
            try Self.surface(model: "resnet20-swish", activation: "swish", seed: UInt64(seed), x: (2, 1.0), y: (4 + Double(seed), 0.5))
        }
        let study = try SeedStudy(surfaces: surfaces, widthThreshold: Self.threshold)
        XCTAssertEqual(study.dimensions, 2)
        let first = study.models[0].perSeed[0]
        XCTAssertEqual(first.axes.map(\.axis), ["x", "y"])
        XCTAssertEqual(try XCTUnwrap(first.axes[1].curvature), 4, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(first.curvature), 3, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(first.width), 0.75, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(study.models[0].perSeed[1].curvature), 3.5, accuracy: 1e-9)
        XCTAssertTrue(study.comparisons.isEmpty, "one model: nothing to compare")
    }

    func testAWidthThatNeverCrossesIsUnboundedAndCounted() throws {
        // Threshold 1.0: the constructed lines rise by 0.1 at w/2 and about 0.1·(1/w)… never reach +1.0 inside ±1 for w = 1.4.
        let surfaces = try [0, 1].map { try Self.surface(model: "m", activation: "mish", seed: UInt64($0), x: (1, 1.4)) }
        let study = try SeedStudy(surfaces: surfaces, widthThreshold: 1.0)
        XCTAssertEqual(study.models[0].unboundedWidths, 2)
        XCTAssertEqual(try XCTUnwrap(study.models[0].perSeed[0].width), 2, accuracy: 1e-12, "the grid's extent, a lower bound")
        XCTAssertFalse(study.models[0].perSeed[0].widthBounded)
    }

    func testStudiesOfMismatchedSurfacesAreRefusedByName() throws {
        var surfaces = try Self.twoModels()
        var partial = surfaces[3]
        partial.progress.computed -= 1
        XCTAssertThrowsError(try SeedStudy(surfaces: Array(surfaces[0..<3]) + [partial])) {
            XCTAssertEqual($0 as? SeedStudyError, .incomplete(surface: "resnet20-relu-7", computed: 20, total: 21))
        }
        XCTAssertThrowsError(try SeedStudy(surfaces: Array(surfaces.dropLast()))) {
            XCTAssertEqual($0 as? SeedStudyError, .missingSeed(model: "resnet20-relu", seed: 40))
            XCTAssertTrue("\($0)".contains("resnet20-relu has no surface for seed 40"), "\($0)")
        }
        surfaces[1].directions.kind = "pca"
        XCTAssertThrowsError(try SeedStudy(surfaces: surfaces)) {
            XCTAssertEqual($0 as? SeedStudyError, .notRandom(surface: "resnet20-relu-3", kind: "pca"))
        }
        XCTAssertThrowsError(try SeedStudy(surfaces: try Self.twoModels(), widthThreshold: 0.5)) {
            XCTAssertEqual($0 as? SeedStudyError, .threshold(0.5))
        }
    }

    func testTheStudyRoundTripsThroughItsJSONInSnakeCase() throws {
        let study = try SeedStudy(surfaces: Self.twoModels(), widthThreshold: Self.threshold)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("study-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try study.write(to: url)
        XCTAssertEqual(try SeedStudy.load(url.path), study)
        let text = try String(contentsOf: url, encoding: .utf8)
        for key in ["\"width_threshold\"", "\"per_seed\"", "\"curvature_ratio\"", "\"geometric_mean\"", "\"a_flatter\"", "\"ci_low\""] {
            XCTAssertTrue(text.contains(key), key)
        }
        XCTAssertEqual(study.fileName, "study-\(study.id).json")
        XCTAssertEqual(study.id.count, 16)
    }
}
