import XCTest
import Landscape

/// The API's JSON forms of trajectory work: a surface in a trajectory's PCA plane
/// (SurfaceSpec with `directions: pca`) and a trajectory request (TrajectorySpec).
final class TrajectoryRequestSpecTests: XCTestCase {
    private func surface(_ json: String) throws -> SurfaceSpec { try SurfaceSpec.decode(json: Data(json.utf8)) }

    private func field(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let error as SpecError { return error.field } catch { return "not a SpecError: \(error)" }
    }

    /// A path with points at x in [-2, 0.5] and y in [-0.3, 0.4], the final model at the origin.
    private let trajectory = Trajectory(
        id: "abc123", model: .init(name: "m", path: nil, sha256: "00", architecture: "resnet20", activation: "relu"),
        snapshotsDirectory: "s", mode: .weights, ignore: .biasbn, method: .gramEigen, coordinates: 10,
        explainedVarianceRatio: [0.8, 0.1], explainedVariance: [8, 1], singularValues: [4, 1], componentCosine: 0,
        endToEnd: .init(norm: 2, cosines: [1, 0], angleToPlaneDegrees: 0),
        points: [.init(file: "a", step: 0, epoch: 0, learningRate: nil, trainLoss: nil, x: -2, y: 0.4),
                 .init(file: "b", step: 1, epoch: 0.5, learningRate: nil, trainLoss: nil, x: 0.5, y: -0.3),
                 .init(file: "c", step: 2, epoch: 1, learningRate: nil, trainLoss: nil, x: 0, y: 0)],
        finalInSnapshots: true, directionsFile: "directions.safetensors", producer: "test")

    func testRandomDirectionsAreTheDefaultAndNameNoTrajectory() throws {
        XCTAssertNil(try surface(#"{"models": ["a"], "x": "-1:1:3"}"#).trajectoryPlane)
        XCTAssertNil(try surface(#"{"models": ["a"], "x": "-1:1:3", "directions": "random"}"#).trajectoryPlane)
    }

    func testAPCARequestWithoutAxesCoversThePathAsTheCommandLineDoes() throws {
        let spec = try surface(#"{"models": ["a"], "directions": "pca", "trajectory": "abc123"}"#)
        XCTAssertEqual(spec.trajectoryPlane, TrajectoryPlaneRequest(trajectory: "abc123", xFromPath: true, yFromPath: true))
        let covered = try spec.coveringPath(of: trajectory)
        let axes = try trajectory.coveringAxes()
        XCTAssertEqual(covered.x, axes.x)
        XCTAssertEqual(covered.y, axes.y)
        XCTAssertEqual(covered.trajectoryPlane, TrajectoryPlaneRequest(trajectory: "abc123"))
        XCTAssertLessThanOrEqual(axes.x.start, -2); XCTAssertGreaterThanOrEqual(axes.x.end, 0.5)
        XCTAssertLessThanOrEqual(axes.y.start, -0.3); XCTAssertGreaterThanOrEqual(axes.y.end, 0.4)
        XCTAssertEqual(try covered.validated(limits: SurfaceLimits()).grid.pointCount, 21 * 21)
    }

    func testNamingATrajectoryAsksForItsPlane() throws {
        let spec = try surface(#"{"models": ["a"], "trajectory": "abc123"}"#)
        XCTAssertEqual(spec.trajectoryPlane, TrajectoryPlaneRequest(trajectory: "abc123", xFromPath: true, yFromPath: true))
    }

    /// As `landscape surface --directions pca:DIR --x ...`: the axis given is kept, the other covers the path.
    func testAnAxisLeftOutCoversThePath() throws {
        let spec = try surface(#"{"models": ["a"], "trajectory": "abc123", "x": "-3:1:5"}"#)
        let covered = try spec.coveringPath(of: trajectory)
        XCTAssertEqual(covered.x, try GridAxis(parsing: "-3:1:5"))
        XCTAssertEqual(covered.y, try trajectory.coveringAxes().y)
    }

    func testGivenAxesAreKept() throws {
        let spec = try surface(#"{"models": ["a"], "directions": "pca", "trajectory": "abc123", "x": "-3:1:5", "y": "-1:1:3"}"#)
        let covered = try spec.coveringPath(of: trajectory)
        XCTAssertEqual(covered, spec)
        XCTAssertEqual(try covered.validated(limits: SurfaceLimits()).grid.pointCount, 15)
    }

    func testEveryPCARefusalNamesItsField() throws {
        let decoded: [(String, String)] = [
            (#"{"models": ["a"], "x": "-1:1:3", "directions": "pca"}"#, "trajectory"),
            (#"{"models": ["a"], "x": "-1:1:3", "directions": "random", "trajectory": "abc123"}"#, "trajectory"),
            (#"{"models": ["a"], "x": "-1:1:3", "directions": "sideways"}"#, "directions"),
            (#"{"models": ["a"], "directions": "pca", "trajectory": 7}"#, "trajectory"),
        ]
        for (json, expected) in decoded { XCTAssertEqual(field { try self.surface(json) }, expected, json) }
        let validated: [(String, String)] = [
            (#"{"models": ["a", "b"], "directions": "pca", "trajectory": "abc123"}"#, "models"),
            (#"{"models": ["a"], "directions": "pca", "trajectory": "../x"}"#, "trajectory"),
            (#"{"models": ["a"], "directions": "pca", "trajectory": "abc123", "seed": 4}"#, "seed, norm, ignore, mode"),
            (#"{"models": ["a"], "directions": "pca", "trajectory": "abc123", "norm": "layer"}"#, "seed, norm, ignore, mode"),
        ]
        for (json, expected) in validated {
            XCTAssertEqual(field { try self.surface(json).validated(limits: SurfaceLimits()) }, expected, json)
        }
        // A PCA plane is 2D: a spec built with x only (as code may build one) is refused.
        var spec = SurfaceSpec(models: ["a"], x: try GridAxis(parsing: "-1:1:3"))
        spec.trajectoryPlane = TrajectoryPlaneRequest(trajectory: "abc123")
        XCTAssertEqual(field { try spec.validated(limits: SurfaceLimits()) }, "y")
    }

    func testTheFieldsListTheDirectionsChoiceAndTheTrajectory() {
        let fields = Dictionary(uniqueKeysWithValues: SurfaceSpec.fields(limits: SurfaceLimits()).map { ($0.name, $0) })
        XCTAssertEqual(fields["directions"]?.allowed, ["random", "pca"])
        XCTAssertEqual(fields["directions"]?.defaultValue, "random")
        XCTAssertEqual(fields["trajectory"]?.required, false)
    }

    // MARK: TrajectorySpec

    func testATrajectoryRequestDecodesToTheSpecTheCommandBuilds() throws {
        let spec = try TrajectorySpec.decode(json: Data(#"{"snapshots": "run/snapshots", "model": "run/final.safetensors", "mode": "states", "ignore": "none", "method": "svd"}"#.utf8))
        var expected = TrajectorySpec(snapshots: "run/snapshots", model: "run/final.safetensors")
        expected.mode = .states; expected.ignore = .none; expected.method = .svd
        XCTAssertEqual(spec, expected)
        let defaults = try TrajectorySpec.decode(json: Data(#"{"snapshots": "s", "model": "m"}"#.utf8))
        XCTAssertEqual(defaults, TrajectorySpec(snapshots: "s", model: "m"))
    }

    func testEveryTrajectoryRequestRefusalNamesItsField() {
        let cases: [(String, String)] = [
            ("", "body"),
            ("[1]", "body"),
            ("{", "body"),
            (#"{"model": "m"}"#, "snapshots"),
            (#"{"snapshots": "s"}"#, "model"),
            (#"{"snapshots": 3, "model": "m"}"#, "snapshots"),
            (#"{"snapshots": "s", "model": "m", "method": "qr"}"#, "method"),
            (#"{"snapshots": "s", "model": "m", "mode": "all"}"#, "mode"),
            (#"{"snapshots": "s", "model": "m", "every": 3}"#, "every"),
        ]
        for (json, expected) in cases {
            XCTAssertEqual(field { try TrajectorySpec.decode(json: Data(json.utf8)) }, expected, json)
        }
        // The files are checked by validated(limits:), before any work, naming the field.
        XCTAssertEqual(field { try TrajectorySpec(snapshots: "/no/such/dir", model: "m").validated(limits: TrajectoryLimits()) }, "snapshots")
    }
}
