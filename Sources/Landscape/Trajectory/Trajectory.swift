import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// A training path in the plane of its top two principal components: plain
/// data (the trajectory JSON) that the surface, the pictures and the API
/// read. Coordinates are along unit-length PCA directions from the final
/// model (θ_i − θ_final)·pc, Li et al.'s `project_trajectory` with `cos`.
public struct Trajectory: Sendable, Codable, Equatable {
    public static let formatVersion = 1
    public static let fileName = "trajectory.json"
    public static let directionsFileName = "directions.safetensors"

    public var version = Trajectory.formatVersion
    /// Content key: hash of the final model, every snapshot, mode, ignore and method.
    public var id: String
    /// The final model: the plane's origin.
    public var model: Surface.ModelInfo
    public var snapshotsDirectory: String
    public var mode: DirectionMode
    public var ignore: DirectionIgnore
    public var method: PrincipalComponents.Method
    /// Coordinates the PCA saw (the tensors `mode` and `ignore` keep).
    public var coordinates: Int
    /// PC1's and PC2's share of the variance of the centred snapshots (sklearn's `explained_variance_ratio_`).
    public var explainedVarianceRatio: [Double]
    /// σ² / (n − 1) (sklearn's `explained_variance_`) and σ (`singular_values_`).
    public var explainedVariance: [Double]
    public var singularValues: [Double]
    /// pc1 · pc2 (0 to rounding: the reference prints it as a check).
    public var componentCosine: Double
    public var endToEnd: EndToEnd
    /// One per snapshot, in step order.
    public var points: [Point]
    /// Whether the final model's weights are one of the snapshots (then it is a point at (0, 0)).
    public var finalInSnapshots: Bool
    /// The images every snapshot was evaluated on (absent when they were not).
    public var evaluation: Surface.DatasetInfo?
    /// File beside this JSON holding PC1 and PC2 as `x.<tensor>` / `y.<tensor>`.
    public var directionsFile: String
    public var producer: String

    public init(id: String, model: Surface.ModelInfo, snapshotsDirectory: String, mode: DirectionMode, ignore: DirectionIgnore,
                method: PrincipalComponents.Method, coordinates: Int, explainedVarianceRatio: [Double], explainedVariance: [Double],
                singularValues: [Double], componentCosine: Double, endToEnd: EndToEnd, points: [Point], finalInSnapshots: Bool,
                evaluation: Surface.DatasetInfo? = nil, directionsFile: String, producer: String) {
        self.id = id; self.model = model; self.snapshotsDirectory = snapshotsDirectory; self.mode = mode; self.ignore = ignore
        self.method = method; self.coordinates = coordinates; self.explainedVarianceRatio = explainedVarianceRatio
        self.explainedVariance = explainedVariance; self.singularValues = singularValues; self.componentCosine = componentCosine
        self.endToEnd = endToEnd; self.points = points; self.finalInSnapshots = finalInSnapshots; self.evaluation = evaluation
        self.directionsFile = directionsFile; self.producer = producer
    }

    /// The path from the first snapshot to the final model against the plane.
    public struct EndToEnd: Sendable, Codable, Equatable {
        /// ‖θ_final − θ_first‖ over the PCA's coordinates.
        public var norm: Double
        /// cos of the angle with PC1 and with PC2.
        public var cosines: [Double]
        /// Angle between the end-to-end vector and the PCA plane, in degrees (0: in the plane).
        public var angleToPlaneDegrees: Double
        public init(norm: Double, cosines: [Double], angleToPlaneDegrees: Double) {
            self.norm = norm; self.cosines = cosines; self.angleToPlaneDegrees = angleToPlaneDegrees
        }
    }

    public struct Point: Sendable, Codable, Equatable {
        public var file: String
        public var step: Int?
        public var epoch: Double?
        public var learningRate: Double?
        public var trainLoss: Double?
        /// Eval-mode loss and accuracy on `evaluation`'s images (when the trajectory was evaluated).
        public var testLoss: Double?
        public var testAccuracy: Double?
        public var x: Double
        public var y: Double
        public init(file: String, step: Int?, epoch: Double?, learningRate: Double?, trainLoss: Double?, x: Double, y: Double) {
            self.file = file; self.step = step; self.epoch = epoch; self.learningRate = learningRate
            self.trainLoss = trainLoss; self.x = x; self.y = y
        }
    }

    public func jsonData() throws -> Data { try LandscapeJSON.encode(self) }

    /// Largest trajectory file read (250 points are about 60 kB).
    public static let maximumFileBytes = 16 << 20

    public static func load(_ path: String) throws -> Trajectory {
        let bytes: [UInt8]
        do throws(InputFile.Problem) { bytes = try InputFile.read(path: path, limit: maximumFileBytes) } catch {
            throw LandscapeError.invalidRequest("trajectory \(path): \(error.description(expected: "a trajectory JSON file"))")
        }
        do { return try LandscapeJSON.decoder.decode(Trajectory.self, from: Data(bytes)) } catch {
            throw LandscapeError.invalidRequest("trajectory \(path): not a trajectory JSON (format \(formatVersion)): \(error)")
        }
    }

    /// Axes over the path and the origin with `margin` of the span on every side, `count` points
    /// each, one of them exactly on 0 (the final model, the surface's centre).
    public func coveringAxes(count: Int = 21, margin: Double = Trajectory.defaultMargin) throws -> (x: GridAxis, y: GridAxis) {
        func axis(_ values: [Double]) throws -> GridAxis {
            let low = min(values.min() ?? 0, 0), high = max(values.max() ?? 0, 0)
            let pad = max(high - low, 1e-3) * margin
            let (from, to) = (low - pad, high + pad)
            guard count >= 3 else { throw LandscapeError.invalidGrid("\(count) points: expected at least 3 to cover a path") }
            // A round step (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) such that a whole number of steps left of 0 and
            // (count − 1) in all cover [from, to]; ends written with 10 significant digits.
            let step = Self.roundUp((to - from) / Double(count - 2))
            let start = Self.tidy(-(-from / step).rounded(.up) * step)
            return try GridAxis(start: start, end: Self.tidy(start + Double(count - 1) * step), count: count)
        }
        return (try axis(points.map(\.x)), try axis(points.map(\.y)))
    }

    /// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k at least `value` (> 0): round
    /// grid coordinates with at most a quarter more range than asked.
    static func roundUp(_ value: Double) -> Double {
        let power = pow(10, (log10(value)).rounded(.down))
        return ([1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map { $0 * power }.first { $0 >= value * (1 - 1e-12) }) ?? 10 * power
    }

    static func tidy(_ value: Double) -> Double { Double(String(format: "%.10g", value)) ?? value }

    /// Of the span of the path, on each side of the default surface grid (the reference's
    /// trajectory plots leave a similar border around the path).
    public static let defaultMargin = 0.15

    /// "PC1, 81.3 %" for the picture axes.
    public func axisLabel(_ index: Int) -> String {
        String(format: "PC%d, %.1f %%", index + 1, explainedVarianceRatio[index] * 100)
    }
}
