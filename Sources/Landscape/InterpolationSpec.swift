import Foundation
import LandscapeIO

/// One request for the loss along the straight line from model A (x = 0) to
/// model B (x = 1), BatchNorm statistics included (Goodfellow et al. 2015;
/// Li et al. 2018 §3). Its defaults and checks live here, once; what needs the
/// weights themselves (the same activation and architecture on both sides) is
/// checked when they are loaded, before any point is computed.
public struct InterpolationSpec: EvaluationImagesSpec, Sendable, Equatable {
    public var start: String
    public var end: String
    public var split: DatasetSplit?
    public var x: GridAxis
    public var samples: Int?
    public var subset: SubsetRule = .first
    public var subsetSeed: UInt64 = 0

    /// Half the distance beyond each model, 41 points: 0 and 1 are points 10 and 30.
    public static let defaultAxis = "-0.5:1.5:41"

    public init(start: String, end: String, x: GridAxis? = nil) {
        self.start = start; self.end = end
        self.x = x ?? (try! GridAxis(parsing: Self.defaultAxis))
    }

    public struct Validated: Sendable {
        public var grid: GridSpec
        public var samples: Int
        /// The sample count was the default: a smaller split is used whole.
        public var samplesAtMost: Bool
    }

    public func validated(limits: SurfaceLimits) throws(SpecError) -> Validated {
        guard start != end else { throw SpecError("a, b", "the same model twice (\(start)): a line needs two different weights") }
        let grid: GridSpec
        do { grid = try GridSpec(x: x, y: nil, maximumPoints: limits.maximumPoints) } catch { throw SpecError("x", "\(error)") }
        // A grid that spans a model must have a point on it, or the curve never shows the models themselves.
        if let problem = x.modelPointProblem() { throw SpecError("x", problem) }
        let samples = try SurfaceSpec.samples(self.samples, limits: limits)
        return Validated(grid: grid, samples: samples, samplesAtMost: self.samples == nil)
    }
}
