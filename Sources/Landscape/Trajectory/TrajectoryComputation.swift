import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// One snapshot of a training path, read and checked.
public struct TrajectorySnapshot: Sendable {
    public let url: URL
    public let sha256: String
    public let info: SnapshotInfo?
    public let model: ResNetModel
}

/// The files of a trajectory request, read and checked against each other
/// before any PCA: at least three snapshots, all of one architecture
/// (depth, channels, classes, activation), and a final model of that
/// architecture. Every refusal names the files.
public struct TrajectoryInput: Sendable {
    public let spec: TrajectorySpec
    /// In step order (file-name order where a snapshot has no step recorded).
    public let snapshots: [TrajectorySnapshot]
    public let final: LoadedModel

    public static func load(_ spec: TrajectorySpec, limits: TrajectoryLimits = TrajectoryLimits()) throws -> TrajectoryInput {
        try spec.validated(limits: limits)
        let final = try LoadedModel.load(URL(fileURLWithPath: spec.model))
        var snapshots: [TrajectorySnapshot] = []
        for url in try TrajectorySpec.snapshotFiles(in: spec.snapshots) {
            let loaded = try LoadedModel.load(url)
            let info = try SnapshotInfo(metadata: loaded.stateDict.metadata, source: url.path)
            if let first = snapshots.first, first.model.architecture != loaded.model.architecture {
                throw LandscapeError.invalidRequest("snapshot \(url.lastPathComponent) is \(loaded.model.architecture.description), "
                    + "\(first.url.lastPathComponent) is \(first.model.architecture.description): expected every snapshot "
                    + "in \(spec.snapshots) to come from one training run")
            }
            snapshots.append(TrajectorySnapshot(url: url, sha256: loaded.sha256, info: info, model: loaded.model))
        }
        guard let first = snapshots.first else { throw SpecError("snapshots", "no snapshot files in \(spec.snapshots)") }
        guard final.model.architecture == first.model.architecture else {
            throw LandscapeError.invalidRequest("final model \(spec.model) is \(final.model.architecture.description), "
                + "the snapshots in \(spec.snapshots) are \(first.model.architecture.description): "
                + "expected the model the snapshots were trained into")
        }
        if snapshots.allSatisfy({ $0.info != nil }) {
            snapshots.sort { $0.info!.step < $1.info!.step }
            for (a, b) in zip(snapshots, snapshots.dropFirst()) where a.info!.step == b.info!.step {
                throw SpecError("snapshots", "\(a.url.lastPathComponent) and \(b.url.lastPathComponent) are both step "
                    + "\(a.info!.step): expected the snapshots of one run")
            }
        }
        return TrajectoryInput(spec: spec, snapshots: snapshots, final: final)
    }

    /// The layout entries the PCA sees: trainable tensors only in `weights` mode, and no
    /// 1-D tensors with `ignore biasbn` (the reference zeroes them in every row, which
    /// leaves them out of the components too).
    public static func includedEntries(_ layout: ParameterLayout, mode: DirectionMode,
                                       ignore: DirectionIgnore) -> [ParameterLayout.Entry] {
        layout.entries.filter { entry in
            if mode == .weights && !entry.role.isTrainable { return false }
            if ignore == .biasbn && entry.shape.count <= 1 { return false }
            return true
        }
    }

    /// Rows θ_i − θ_final over the included coordinates, float64.
    public func differenceMatrix() -> Matrix64 {
        let entries = Self.includedEntries(final.model.layout, mode: spec.mode, ignore: spec.ignore)
        let columns = entries.reduce(0) { $0 + $1.count }
        var values = [Double](repeating: 0, count: snapshots.count * columns)
        let origin = final.model.values
        for (row, snapshot) in snapshots.enumerated() {
            var column = row * columns
            let weights = snapshot.model.values
            for entry in entries {
                for i in entry.range {
                    values[column] = Double(weights[i]) - Double(origin[i])
                    column += 1
                }
            }
        }
        return Matrix64(rows: snapshots.count, columns: columns, values: values)
    }

    /// A vector over the included coordinates spread back onto the whole layout (zeros elsewhere).
    public func direction(_ compact: [Double]) -> Direction {
        var values = [Float](repeating: 0, count: final.model.layout.totalCount)
        var column = 0
        for entry in Self.includedEntries(final.model.layout, mode: spec.mode, ignore: spec.ignore) {
            for i in entry.range {
                values[i] = Float(compact[column])
                column += 1
            }
        }
        return Direction(values: values)
    }
}

/// The PCA of a training path and its projection, written as the trajectory
/// JSON and the two directions (safetensors) through the atomic writer.
public enum TrajectoryComputation {
    public struct Result: Sendable {
        public var trajectory: Trajectory
        public var directions: (x: Direction, y: Direction)
        public var components: PrincipalComponents
    }

    public static func compute(_ input: TrajectoryInput) throws -> Result {
        let matrix = input.differenceMatrix()
        let pca = try PrincipalComponents.compute(matrix, count: 2, method: input.spec.method)
        let coordinates = pca.project(matrix)
        let points = zip(input.snapshots, coordinates).map { snapshot, xy in
            Trajectory.Point(file: snapshot.url.lastPathComponent, step: snapshot.info?.step, epoch: snapshot.info?.epoch,
                             learningRate: snapshot.info?.learningRate, trainLoss: snapshot.info?.trainLoss, x: xy[0], y: xy[1])
        }
        // End to end: θ_final − θ_first = −row 0.
        let first = matrix.row(0)
        let norm = first.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let cosines = coordinates[0].map { norm > 0 ? -$0 / norm : 0 }
        let inPlane = min(1, (cosines[0] * cosines[0] + cosines[1] * cosines[1]).squareRoot())
        let endToEnd = Trajectory.EndToEnd(norm: norm, cosines: cosines, angleToPlaneDegrees: acos(inPlane) * 180 / .pi)
        let cosine = zip(pca.components[0], pca.components[1]).reduce(0) { $0 + $1.0 * $1.1 }
        let spec = input.spec
        let trajectory = Trajectory(
            id: key(input), model: input.final.info, snapshotsDirectory: spec.snapshots, mode: spec.mode, ignore: spec.ignore,
            method: spec.method, coordinates: matrix.columns, explainedVarianceRatio: pca.explainedVarianceRatio,
            explainedVariance: pca.explainedVariance, singularValues: pca.singularValues, componentCosine: cosine,
            endToEnd: endToEnd, points: points, finalInSnapshots: input.snapshots.contains { $0.model.values == input.final.model.values },
            directionsFile: Trajectory.directionsFileName, producer: "landscape \(LandscapeVersion.current)")
        return Result(trajectory: trajectory, directions: (input.direction(pca.components[0]), input.direction(pca.components[1])),
                      components: pca)
    }

    /// Each snapshot's eval-mode test loss and accuracy on `data` (the 1D picture along the path).
    public static func evaluate(_ result: inout Result, _ input: TrajectoryInput, on data: SurfaceData,
                                evaluator: Evaluator = Evaluator(),
                                progress: (Int, Int) -> Void = { _, _ in }) throws {
        for (i, snapshot) in input.snapshots.enumerated() {
            let outcome = try evaluator.evaluate(InferenceNetwork(snapshot.model), on: data.data)
            result.trajectory.points[i].testLoss = outcome.meanLoss.isFinite ? outcome.meanLoss : nil
            result.trajectory.points[i].testAccuracy = outcome.accuracy
            progress(i + 1, input.snapshots.count)
        }
        result.trajectory.evaluation = data.info
    }

    static func key(_ input: TrajectoryInput) -> String {
        let spec = input.spec
        let parts = ["trajectory-v\(Trajectory.formatVersion)", input.final.sha256, input.final.model.architecture.activation.name]
            + input.snapshots.map(\.sha256) + [spec.mode.rawValue, spec.ignore.rawValue, spec.method.rawValue]
        return String(SHA256.hex(parts.joined(separator: "|")).prefix(16))
    }

    /// Writes `DIR/trajectory.json` and `DIR/directions.safetensors` (each atomically).
    public static func write(_ result: Result, layout: ParameterLayout, to directory: URL) throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw LandscapeError.storeFailure(path: directory.path, detail: "cannot create the directory: \(error.localizedDescription)")
        }
        var dict = DirectionFile.stateDict((result.directions.x, result.directions.y), layout: layout,
                                           spec: DirectionSpec(seed: 0, normalization: .none, ignore: result.trajectory.ignore,
                                                               mode: result.trajectory.mode))
        dict.metadata["kind"] = "pca"
        dict.metadata["trajectory"] = result.trajectory.id
        dict.metadata["explained_variance_ratio"] = result.trajectory.explainedVarianceRatio.map { String($0) }.joined(separator: ",")
        dict.metadata["format"] = "x.<tensor> = PC1, y.<tensor> = PC2 (unit vectors): theta(a, b) = theta_final + a*x + b*y"
        let url = directory.appendingPathComponent(Trajectory.directionsFileName)
        do { try Safetensors.write(dict, to: url) } catch {
            throw SurfaceStore.classify(error, path: url.path, directory: directory.path)
        }
        try SurfaceStore.writeAtomically(result.trajectory.jsonData(), to: directory.appendingPathComponent(Trajectory.fileName))
    }
}
