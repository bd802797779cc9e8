import Foundation
import XCTest
import LandscapeCore
import LandscapeEngine
import LandscapeIO
@testable import Landscape

/// `TrajectoryInput` / `TrajectoryComputation` on snapshot files written
/// here: a path built in a known plane of ResNet-8 weights comes back with
/// its own coordinates, the final model at (0, 0), the files a surface can
/// use; bad sets of snapshots are refused, naming the files, before any PCA.
final class TrajectoryFileTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-trajectory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    static func architecture(depth: Int = 8, activation: ActivationKind = .relu) throws -> ResNetArchitecture {
        try ResNetArchitecture(depth: depth, inputChannels: 1, classCount: 10, activation: Activation(activation))
    }

    static func model(_ architecture: ResNetArchitecture, seed: UInt64) -> ResNetModel {
        var generator = SeededGenerator(seed: seed, stream: 1)
        return .randomlyInitialized(architecture, using: &generator)
    }

    @discardableResult
    static func write(_ model: ResNetModel, step: Int?, to url: URL) throws -> URL {
        var metadata = ["arch": model.architecture.name, "activation": model.architecture.activation.name]
        if let step {
            metadata.merge(SnapshotInfo(step: step, epoch: Double(step) / 10, learningRate: 0.1, trainLoss: step == 0 ? nil : 1 / Double(step)).metadata) { a, _ in a }
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Safetensors.write(model.stateDict(metadata: metadata), to: url)
        return url
    }

    /// θ_f + a·U + b·V for orthonormal U, V over the conv and linear weights (what the PCA sees by default).
    private func planePath(_ ab: [(Double, Double)], directory: URL) throws -> (final: URL, u: [Double], v: [Double]) {
        let final = Self.model(try Self.architecture(), seed: 4)
        let entries = TrajectoryInput.includedEntries(final.layout, mode: .weights, ignore: .biasbn)
        let count = entries.reduce(0) { $0 + $1.count }
        let basis = TrajectoryPCATests.orthonormal(2, length: count, seed: 9)
        for (i, (a, b)) in ab.enumerated() {
            var moved = final
            var column = 0
            for entry in entries {
                for index in entry.range {
                    moved.values[index] = Float(Double(final.values[index]) + a * basis[0][column] + b * basis[1][column])
                    column += 1
                }
            }
            try Self.write(moved, step: i * 10, to: directory.appendingPathComponent(String(format: "step-%07d.safetensors", i * 10)))
        }
        return (try Self.write(final, step: nil, to: root.appendingPathComponent("final.safetensors")), basis[0], basis[1])
    }

    func testAPathInAKnownPlaneComesBackWithItsCoordinatesAndTheFinalModelAtTheOrigin() throws {
        let ab: [(Double, Double)] = [(6, -2), (4.5, 1), (3, 1.5), (1.5, 1), (0.5, 0.25), (0, 0)]
        let snapshots = root.appendingPathComponent("snapshots")
        let path = try planePath(ab, directory: snapshots)
        let input = try TrajectoryInput.load(TrajectorySpec(snapshots: snapshots.path, model: path.final.path))
        XCTAssertEqual(input.snapshots.map { $0.info?.step }, [0, 10, 20, 30, 40, 50])
        let result = try TrajectoryComputation.compute(input)
        let t = result.trajectory
        XCTAssertEqual(t.explainedVarianceRatio.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(t.points.last?.x, 0, "the final model projects to (0, 0)")
        XCTAssertEqual(t.points.last?.y, 0)
        XCTAssertTrue(t.finalInSnapshots)
        // Float32 weights: coordinates equal the plane's own (up to rotation) to float rounding.
        for (point, (a, b)) in zip(t.points, ab) {
            XCTAssertEqual((point.x * point.x + point.y * point.y).squareRoot(), (a * a + b * b).squareRoot(), accuracy: 1e-5)
        }
        let rotation = atan2(t.points[0].y, t.points[0].x) - atan2(ab[0].1, ab[0].0)
        for (point, (a, b)) in zip(t.points, ab).dropFirst() where a * a + b * b > 0 {
            var turn = atan2(point.y, point.x) - atan2(b, a) - rotation
            turn = remainder(turn, 2 * .pi)
            // A reflection (a sign of PC2) turns the other way: both are the same plane.
            XCTAssertTrue(abs(turn) < 1e-5 || abs(atan2(-point.y, point.x) - atan2(b, a) - atan2(-t.points[0].y, t.points[0].x) + atan2(ab[0].1, ab[0].0)) < 1e-5,
                          "point \(point) vs (\(a), \(b))")
        }
        // The end-to-end vector lies in the plane; the components are orthogonal.
        XCTAssertEqual(t.endToEnd.angleToPlaneDegrees, 0, accuracy: 0.01)
        XCTAssertEqual(t.endToEnd.norm, (6.0 * 6 + 2 * 2).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(t.componentCosine, 0, accuracy: 1e-9)
        XCTAssertEqual(t.points.map(\.step), [0, 10, 20, 30, 40, 50])
        XCTAssertEqual(t.points[1].trainLoss, 0.1)
        // The directions leave the 1-D tensors (BN, biases) and the BN statistics alone.
        for entry in input.final.model.layout.entries where entry.shape.count <= 1 {
            XCTAssertTrue(entry.range.allSatisfy { result.directions.x.values[$0] == 0 && result.directions.y.values[$0] == 0 }, entry.name)
        }

        let out = root.appendingPathComponent("pca")
        try TrajectoryComputation.write(result, layout: input.final.model.layout, to: out)
        let reread = try Trajectory.load(out.appendingPathComponent(Trajectory.fileName).path)
        XCTAssertEqual(reread, t)
        let plane = try PCAPlane.load(directory: out.path, model: input.final)
        XCTAssertEqual(plane.x, result.directions.x)
        XCTAssertEqual(plane.y, result.directions.y)
        XCTAssertEqual(plane.trajectory, t)
        XCTAssertTrue(t.axisLabel(0).hasPrefix("PC1, "))
    }

    func testTheCoveringGridHoldsThePathAndPutsAPointOnTheFinalModel() throws {
        var trajectory = try makeTrajectory()
        trajectory.points = [(-3.2, 7.5), (2.0, 4.0), (0.4, 0.1), (0, 0)].map {
            Trajectory.Point(file: "f", step: nil, epoch: nil, learningRate: nil, trainLoss: nil, x: $0.0, y: $0.1)
        }
        let (x, y) = try trajectory.coveringAxes(count: 21)
        XCTAssertEqual(x.count, 21)
        // Round steps (0.4 and 0.6) with whole numbers of them on either side of 0.
        XCTAssertEqual(x.description, "-4:4:21")
        XCTAssertEqual(y.description, "-1.2:10.8:21")
        for point in trajectory.points {
            XCTAssertLessThan(x.start, point.x); XCTAssertGreaterThan(x.end, point.x)
            XCTAssertLessThan(y.start, point.y); XCTAssertGreaterThan(y.end, point.y)
        }
        XCTAssertTrue(x.contains(0)); XCTAssertTrue(y.contains(0))
        let grid = try GridSpec(x: x, y: y)
        let centre = ProgressiveOrder.centreIndex(grid)
        XCTAssertEqual(grid.coordinates(ofPoint: centre).0, 0, accuracy: 1e-12)
        XCTAssertEqual(grid.coordinates(ofPoint: centre).1, 0, accuracy: 1e-12)
    }

    private func makeTrajectory() throws -> Trajectory {
        let snapshots = root.appendingPathComponent("s")
        let path = try planePath([(2, 1), (1, 2), (0, 0)], directory: snapshots)
        return try TrajectoryComputation.compute(TrajectoryInput.load(TrajectorySpec(snapshots: snapshots.path, model: path.final.path))).trajectory
    }

    func testOneSnapshotIsRefusedBeforeAnyWork() throws {
        let snapshots = root.appendingPathComponent("one")
        let final = try Self.write(Self.model(try Self.architecture(), seed: 1), step: 0,
                                   to: snapshots.appendingPathComponent("step-0000000.safetensors"))
        XCTAssertThrowsError(try TrajectoryInput.load(TrajectorySpec(snapshots: snapshots.path, model: final.path))) { error in
            XCTAssertEqual((error as? SpecError)?.field, "snapshots")
            XCTAssertTrue("\(error)".contains("holds 1 snapshot file: expected at least 3"), "\(error)")
        }
    }

    func testSnapshotsOfDifferentArchitecturesAreRefused() throws {
        let snapshots = root.appendingPathComponent("mixed")
        let relu = try Self.architecture(), mish = try Self.architecture(activation: .mish)
        try Self.write(Self.model(relu, seed: 1), step: 0, to: snapshots.appendingPathComponent("step-0000000.safetensors"))
        try Self.write(Self.model(mish, seed: 2), step: 1, to: snapshots.appendingPathComponent("step-0000001.safetensors"))
        let final = try Self.write(Self.model(relu, seed: 3), step: 2, to: snapshots.appendingPathComponent("step-0000002.safetensors"))
        XCTAssertThrowsError(try TrajectoryInput.load(TrajectorySpec(snapshots: snapshots.path, model: final.path))) { error in
            XCTAssertTrue("\(error)".contains("snapshot step-0000001.safetensors is resnet8"), "\(error)")
            XCTAssertTrue("\(error)".contains("mish"), "\(error)")
            XCTAssertTrue("\(error)".contains("expected every snapshot"), "\(error)")
        }
    }

    func testAFinalModelOfAnotherArchitectureIsRefused() throws {
        let snapshots = root.appendingPathComponent("deeper")
        for step in 0..<3 {
            try Self.write(Self.model(try Self.architecture(), seed: UInt64(step)), step: step,
                           to: snapshots.appendingPathComponent(String(format: "step-%07d.safetensors", step)))
        }
        let other = try Self.write(Self.model(try Self.architecture(depth: 14), seed: 5), step: nil,
                                   to: root.appendingPathComponent("resnet14.safetensors"))
        XCTAssertThrowsError(try TrajectoryInput.load(TrajectorySpec(snapshots: snapshots.path, model: other.path))) { error in
            XCTAssertTrue("\(error)".contains("final model \(other.path) is resnet14"), "\(error)")
            XCTAssertTrue("\(error)".contains("expected the model the snapshots were trained into"), "\(error)")
        }
    }
}
