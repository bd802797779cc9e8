import Foundation
import XCTest
import LandscapeCore
import LandscapeEngine
import LandscapeIO
@testable import Landscape

/// Convexity maps (Li et al. §6; `landscape convexity`): λmax and λmin of the
/// Hessian at the points of an existing surface. One 3×3 surface of the
/// reference ResNet-20 through Swish (smooth, with negative curvature) on the
/// first 8 reference images, along seeded filter-normalized directions, and
/// one map of it shared by the tests (a few hundred products on 8 images).
final class ConvexityTests: XCTestCase {
    private struct Fixture {
        var directory: URL
        var surfaceURL: URL
        var surface: Surface
        var model: LoadedModel
        var set: SurfaceData
        var map: ConvexityMap
        var mapURL: URL
    }
    nonisolated(unsafe) private static var shared: Fixture?

    private func fixture() throws -> Fixture {
        if let shared = Self.shared { return shared }
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors"), activation: Activation(.swish))
        let set = try HessianSpecTests.images(8)
        let directory = HessianSpecTests.temporaryDirectory()
        let store = try SurfaceStore(directory: directory)
        let axis = try GridAxis(start: -0.3, end: 0.3, count: 3)
        let computation = try SurfaceComputation(models: [model.surfaceModel], data: set, grid: try GridSpec(x: axis, y: axis),
                                                 directions: .random(DirectionSpec(seed: 3)), store: store,
                                                 evaluator: Evaluator(threads: 2))
        let surface = try XCTUnwrap(computation.run().first)
        let surfaceURL = directory.appendingPathComponent(store.surfaceFileName(for: surface))
        let mapURL = directory.appendingPathComponent("map.json")
        let map = try ConvexityComputation(spec: ConvexitySpec(surface: surfaceURL.path), limits: ConvexityLimits(),
                                           output: mapURL, threads: 2).run()
        Self.shared = Fixture(directory: directory, surfaceURL: surfaceURL, surface: surface, model: model, set: set, map: map,
                              mapURL: mapURL)
        return Self.shared!
    }

    /// λmax and λmin of the Hessian at `model`, by a separate, tighter Lanczos run from another start vector.
    private func reference(_ model: ResNetModel, _ set: SurfaceData) throws -> (max: Double, min: Double, loss: Double) {
        let hessian = try HessianOperator(model: model, data: set.data, threads: 2)
        let options = SpectrumOptions(top: 1, negative: true, lanczosSteps: 150, tolerance: 1e-4, traceProbes: 0, density: false,
                                      densityRuns: 0, densitySteps: 0, seed: 99)
        let result = try SpectrumComputation.run(hessian, options)
        return (try XCTUnwrap(result.top.first?.value), try XCTUnwrap(result.smallest?.value), try XCTUnwrap(hessian.loss))
    }

    func testTheMapCoversTheSurfaceGridAndRecordsWhatItWasComputedOn() throws {
        let f = try fixture()
        XCTAssertEqual(f.map.x, f.surface.x)
        XCTAssertEqual(f.map.y, f.surface.y)
        XCTAssertEqual(f.map.surfaceId, f.surface.id)
        XCTAssertTrue(f.map.progress.complete)
        XCTAssertEqual(f.map.samples, 8)
        XCTAssertEqual(f.map.dataset.contentSha256, f.surface.dataset.contentSha256)
        XCTAssertEqual(f.map.timing.products, f.map.steps.flatMap { $0 }.compactMap { $0 }.reduce(0, +))
        XCTAssertEqual(f.map.timing.kernel, KernelISA.current.rawValue)   // one run, one CPU: one name
        for row in 0..<3 {
            for column in 0..<3 {
                let high = try XCTUnwrap(f.map.maxEigenvalue[row][column]), low = try XCTUnwrap(f.map.minEigenvalue[row][column])
                XCTAssertGreaterThan(high, low)
                XCTAssertEqual(try XCTUnwrap(f.map.ratio[row][column]), abs(low / high), accuracy: 1e-15)
                // Converged as asked (or stopped at the step cap, which the steps record).
                let converged = try XCTUnwrap(f.map.maxResidual[row][column]) <= 1e-2 * abs(high)
                    && XCTUnwrap(f.map.minResidual[row][column]) <= 1e-2 * abs(high)
                XCTAssertTrue(converged || f.map.steps[row][column] == f.map.lanczosSteps)
                // The points are the surface's: the loss the products measured is the surface's loss there.
                let surfaceLoss = try XCTUnwrap(f.surface.loss[row][column])
                XCTAssertEqual(try XCTUnwrap(f.map.loss[row][column]), surfaceLoss, accuracy: 1e-5 * max(1, surfaceLoss))
            }
        }
        print("convexity map ratios:", f.map.ratio.map { $0.map { String(format: "%.3f", $0 ?? .nan) } })
        // Written as read: the file holds the returned map.
        XCTAssertEqual(try ConvexityMap.load(f.mapURL.path), f.map)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: f.mapURL)) as? [String: Any])
        for key in ["max_eigenvalue", "min_eigenvalue", "ratio", "samples", "seed", "timing", "surface_id", "x", "y"] {
            XCTAssertNotNil(json[key], key)
        }
    }

    /// At the centre the map's Hessian is the trained model's: `landscape hessian --top 1 --negative`'s run
    /// on the same images (another start vector, a 100× tighter tolerance) finds the same two ends.
    func testTheCentreMatchesTheHessianRunOfTheModelOnTheSameImages() throws {
        let f = try fixture()
        let options = SpectrumOptions(top: 1, negative: true, lanczosSteps: 150, tolerance: 1e-4, traceProbes: 0, density: false,
                                      densityRuns: 0, densitySteps: 0, seed: 5)
        let spectrum = try HessianRun(models: [f.model], data: f.set, options: options, directory: f.directory.appendingPathComponent("h"),
                                      threads: 2).run()[0]
        let high = try XCTUnwrap(spectrum.topEigenvalues.first), low = try XCTUnwrap(spectrum.smallestRitzValue)
        let mapHigh = try XCTUnwrap(f.map.maxEigenvalue[1][1]), mapLow = try XCTUnwrap(f.map.minEigenvalue[1][1])
        print(String(format: "centre: map λmax %.4f λmin %.4f; hessian run λmax %.4f λmin %.4f", mapHigh, mapLow, high, low))
        // The map's tolerance: residuals ≤ 1e-2·|λmax|, which bound each eigenvalue's error.
        XCTAssertEqual(mapHigh, high, accuracy: 1e-2 * abs(high))
        XCTAssertEqual(mapLow, low, accuracy: 1e-2 * abs(high))
        XCTAssertEqual(try XCTUnwrap(f.map.loss[1][1]), try XCTUnwrap(spectrum.loss), accuracy: 1e-9)
    }

    /// Off the centre, the weights are θ + αx + βy with the directions file's x and y: a tight Lanczos
    /// run on weights moved here from that file agrees, and so does the surface's loss at the corner.
    func testAnOffCentrePointMatchesLanczosOnTheMovedWeights() throws {
        let f = try fixture()
        let file = try XCTUnwrap(f.surface.directions.file)
        let pair = try DirectionFile.directions(from: try Checkpoint.load(f.directory.appendingPathComponent(file)),
                                                layout: f.model.model.layout)
        for (row, column) in [(0, 0), (2, 1)] {
            var moved = f.model.model
            let (alpha, beta) = (f.surface.x[column], try XCTUnwrap(f.surface.y)[row])
            let y = try XCTUnwrap(pair.y)
            for i in moved.values.indices { moved.values[i] += Float(alpha) * pair.x.values[i] + Float(beta) * y.values[i] }
            let truth = try reference(moved, f.set)
            let high = try XCTUnwrap(f.map.maxEigenvalue[row][column]), low = try XCTUnwrap(f.map.minEigenvalue[row][column])
            print(String(format: "(α %.2f, β %.2f): map λmax %.4f λmin %.4f; reference %.4f, %.4f", alpha, beta, high, low,
                         truth.max, truth.min))
            XCTAssertEqual(high, truth.max, accuracy: 1e-2 * abs(truth.max))
            XCTAssertEqual(low, truth.min, accuracy: 1e-2 * abs(truth.max))
            XCTAssertEqual(try XCTUnwrap(f.map.loss[row][column]), truth.loss, accuracy: 1e-6 * max(1, truth.loss))
        }
    }

    /// A map stopped after two points keeps them on disk; the same request resumes, computes only
    /// the rest, and ends with the values of an uninterrupted run, bit for bit.
    func testAnInterruptedMapResumesToTheSameValues() throws {
        let f = try fixture()
        let spec = ConvexitySpec(surface: f.surfaceURL.path)
        let url = f.directory.appendingPathComponent("resumed.json")
        let cancel = CancellationFlag()
        let first = try ConvexityComputation(spec: spec, limits: ConvexityLimits(), output: url, threads: 2)
        XCTAssertThrowsError(try first.run(cancel: cancel) { if $0.done == 2 { cancel.cancel() } }) { error in
            guard case EngineError.cancelled = error else { return XCTFail("expected cancelled, got \(error)") }
        }
        let stopped = try ConvexityMap.load(url.path)
        XCTAssertEqual(stopped.progress.computed, 2)
        XCTAssertNotNil(stopped.maxEigenvalue[0][1])
        XCTAssertNil(stopped.maxEigenvalue[0][2])

        let second = try ConvexityComputation(spec: spec, limits: ConvexityLimits(), output: url, threads: 2)
        XCTAssertEqual(second.resumedPoints, 2)
        var reports: [ProgressReport] = []
        let resumed = try second.run { reports.append($0) }
        XCTAssertEqual(reports.map(\.done), Array(3...9))
        XCTAssertEqual(resumed.maxEigenvalue[0][0], stopped.maxEigenvalue[0][0])
        // The uninterrupted map of the same request holds the same values (one start vector per seed,
        // products independent of the run they are computed in).
        XCTAssertEqual(resumed.maxEigenvalue, f.map.maxEigenvalue)
        XCTAssertEqual(resumed.minEigenvalue, f.map.minEigenvalue)
        XCTAssertEqual(resumed.ratio, f.map.ratio)
        XCTAssertEqual(resumed.id, f.map.id)
        // A finished map is left as it is.
        let again = try ConvexityComputation(spec: spec, limits: ConvexityLimits(), output: url, threads: 2)
        XCTAssertEqual(try again.run().maxEigenvalue, resumed.maxEigenvalue)
    }

    /// A coarse map keeps the trained model: every stride-th point counted from α = 0 where the axis has it.
    func testTheSubgridIsCountedFromTheCentre() throws {
        let axis = try GridAxis(parsing: "-1:1:11").coordinates
        XCTAssertEqual(ConvexityComputation.subgrid(axis, stride: 2), [1, 3, 5, 7, 9])
        XCTAssertEqual(ConvexityComputation.subgrid(axis, stride: 5), [0, 5, 10])
        XCTAssertEqual(ConvexityComputation.subgrid(axis, stride: 20), [5])
        XCTAssertEqual(ConvexityComputation.subgrid(axis, stride: 1), Array(0...10))
        XCTAssertEqual(ConvexityComputation.subgrid([0.5, 1, 1.5, 2, 2.5], stride: 2), [0, 2, 4])
    }

    // MARK: Refusals, before any product

    private func refusal(_ spec: ConvexitySpec, limits: ConvexityLimits = ConvexityLimits(), output: URL? = nil,
                         file: StaticString = #filePath, line: UInt = #line) throws -> SpecError {
        let f = try fixture()
        let url = output ?? f.directory.appendingPathComponent("refused-\(UUID().uuidString).json")
        var caught: SpecError?
        XCTAssertThrowsError(try ConvexityComputation(spec: spec, limits: limits, output: url, threads: 2), file: file, line: line) {
            caught = $0 as? SpecError
        }
        if output == nil { XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "no map written", file: file, line: line) }
        return try XCTUnwrap(caught, "expected a SpecError", file: file, line: line)
    }

    func testASurfaceWithoutDirectionsIsRefused() throws {
        let f = try fixture()
        var surface = f.surface
        surface.directions.file = nil
        let url = f.directory.appendingPathComponent("no-directions.json")
        try surface.jsonData().write(to: url)
        let error = try refusal(ConvexitySpec(surface: url.path))
        XCTAssertEqual(error.field, "surface")
        XCTAssertTrue(error.problem.contains("no directions file"), error.problem)
        XCTAssertTrue(error.problem.contains(url.path), error.problem)
    }

    func testStrideZeroAndTooManyPointsOrProductsAreRefused() throws {
        let f = try fixture()
        var spec = ConvexitySpec(surface: f.surfaceURL.path)
        spec.stride = 0
        XCTAssertEqual(try refusal(spec).field, "stride")
        spec.stride = 1
        var limits = ConvexityLimits()
        limits.maximumPoints = 4
        let points = try refusal(spec, limits: limits)
        XCTAssertEqual(points.field, "stride")
        XCTAssertTrue(points.problem.contains("9 points"), points.problem)
        limits = ConvexityLimits()
        limits.maximumProducts = 100
        XCTAssertEqual(try refusal(spec, limits: limits).field, "stride, lanczos_steps")
        spec.lanczosSteps = 1
        XCTAssertEqual(try refusal(spec).field, "lanczos_steps")
    }

    func testAMapOfOtherSettingsAtTheOutputIsNotOverwritten() throws {
        let f = try fixture()
        var spec = ConvexitySpec(surface: f.surfaceURL.path)
        spec.seed = 1
        let before = try Data(contentsOf: f.mapURL)
        XCTAssertEqual(try refusal(spec, output: f.mapURL).field, "out")
        XCTAssertEqual(try Data(contentsOf: f.mapURL), before)
    }

    func testAnotherCheckpointThanTheSurfacesIsRefused() throws {
        let f = try fixture()
        let other = f.directory.appendingPathComponent("other.safetensors")
        var dict = f.model.stateDict
        let name = dict.names[0]
        var tensor = try XCTUnwrap(dict[name])
        tensor = Tensor(shape: tensor.shape, scalars: tensor.scalars.map { $0 * 1.01 })
        dict[name] = tensor
        try Safetensors.write(dict, to: other)
        var spec = ConvexitySpec(surface: f.surfaceURL.path)
        spec.model = other.path
        let error = try refusal(spec)
        XCTAssertEqual(error.field, "model")
        XCTAssertTrue(error.problem.contains("sha256"), error.problem)
    }

    /// A surface copied to another machine records the old machine's absolute model path (the shipped
    /// Models/surfaces/*.json do): the checkpoint of that name one folder up is used, and without it
    /// the refusal names the recorded path.
    func testAMovedSurfaceFindsItsModelOneFolderUpOrNamesTheMissingPath() throws {
        let f = try fixture()
        let root = HessianSpecTests.temporaryDirectory()
        let surfaces = root.appendingPathComponent("surfaces")
        try FileManager.default.createDirectory(at: surfaces, withIntermediateDirectories: true)
        let directions = try XCTUnwrap(f.surface.directions.file)
        try FileManager.default.copyItem(at: f.directory.appendingPathComponent(directions),
                                         to: surfaces.appendingPathComponent(directions))
        let recordedModel = URL(fileURLWithPath: try XCTUnwrap(f.surface.model.path))
        var moved = f.surface
        moved.model.path = "/no-such-machine/Models/\(recordedModel.lastPathComponent)"
        let movedURL = surfaces.appendingPathComponent("moved.json")
        try moved.jsonData().write(to: movedURL)
        let modelCopy = root.appendingPathComponent(recordedModel.lastPathComponent)
        try FileManager.default.copyItem(at: recordedModel, to: modelCopy)

        let computation = try ConvexityComputation(spec: ConvexitySpec(surface: movedURL.path), limits: ConvexityLimits(),
                                                   output: root.appendingPathComponent("map.json"), threads: 2)
        XCTAssertEqual(computation.model.sha256, f.model.sha256)

        try FileManager.default.removeItem(at: modelCopy)
        let error = try refusal(ConvexitySpec(surface: movedURL.path))
        XCTAssertEqual(error.field, "model")
        XCTAssertTrue(error.problem.contains("/no-such-machine/Models/\(recordedModel.lastPathComponent), which does not exist"),
                      error.problem)
    }

    func testAMapFileWhoseArraysDoNotMatchItsGridIsRefusedNamingTheFile() throws {
        let f = try fixture()
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: f.mapURL)) as? [String: Any])
        object["ratio"] = (object["ratio"] as? [Any]).map { Array($0.dropLast()) }
        let url = f.directory.appendingPathComponent("short.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        XCTAssertThrowsError(try ConvexityMap.load(url.path)) {
            XCTAssertTrue("\($0)".contains(url.path) && "\($0)".contains("rows × columns"), "\($0)")
        }
        // Resuming onto it is refused too, before any product, and the file is left as it was.
        let before = try Data(contentsOf: url)
        XCTAssertThrowsError(try ConvexityComputation(spec: ConvexitySpec(surface: f.surfaceURL.path), limits: ConvexityLimits(),
                                                      output: url, threads: 2))
        XCTAssertEqual(try Data(contentsOf: url), before)
    }

    func testTheAPIFormDecodesEveryFieldAndNamesBadOnes() throws {
        let spec = try ConvexitySpec.decode(json: Data(#"{"surface": "s.json", "samples": 64, "stride": 2, "lanczos_steps": 30, "seed": 4}"#.utf8))
        XCTAssertEqual(spec.surface, "s.json"); XCTAssertEqual(spec.samples, 64); XCTAssertEqual(spec.stride, 2)
        XCTAssertEqual(spec.lanczosSteps, 30); XCTAssertEqual(spec.seed, 4)
        for (body, field) in [(#"{"stride": 2}"#, "surface"), (#"{"surface": "s", "stride": 2.5}"#, "stride"),
                              (#"{"surface": "s", "stride": true}"#, "stride"), (#"{"surface": "s", "strides": 2}"#, "strides"),
                              (#"{"surface": 3}"#, "surface"), (#"{"surface": "s", "seed": -1}"#, "seed"), ("[1]", "body")] {
            XCTAssertThrowsError(try ConvexitySpec.decode(json: Data(body.utf8)), body) {
                XCTAssertEqual(($0 as? SpecError)?.field, field, body)
            }
        }
        let names = ConvexitySpec.fields(limits: ConvexityLimits()).map(\.name)
        XCTAssertEqual(Set(names), ["surface", "model", "dataset", "samples", "stride", "lanczos_steps", "seed"])
        var bad = ConvexitySpec(surface: "s")
        bad.samples = 0
        XCTAssertThrowsError(try bad.validated(limits: ConvexityLimits())) { XCTAssertEqual(($0 as? SpecError)?.field, "samples") }
    }
}
