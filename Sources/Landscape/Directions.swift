import LandscapeEngine
import LandscapeCore

/// How a random direction is scaled to the trained weights (Li et al. 2018, §4).
public enum DirectionNormalization: String, Sendable, Codable, CaseIterable {
    /// Each output filter (row along axis 0 of a conv or linear weight) gets the norm of the trained filter.
    case filter
    /// Each tensor gets the norm of the trained tensor.
    case layer
    /// Each entry is multiplied by the trained weight.
    case weight
    /// Raw Gaussian.
    case none
}

/// What happens to 1-D tensors (BN scales and biases, linear bias).
public enum DirectionIgnore: String, Sendable, Codable, CaseIterable {
    /// Zero direction: the 1-D tensors stay at their trained values (Li et al.'s `--xignore biasbn`, our default).
    case biasbn
    /// Li et al.'s alternative: the direction copies the trained values.
    case none
}

/// Which tensors a direction moves.
public enum DirectionMode: String, Sendable, Codable, CaseIterable {
    /// Trainable parameters only; BN running statistics stay fixed.
    case weights
    /// Everything in the state dict, BN running statistics included (Li et al.'s `states`).
    case states
}

/// Everything that determines a pair of random directions.
public struct DirectionSpec: Sendable, Hashable, Codable {
    public var seed: UInt64
    public var normalization: DirectionNormalization
    public var ignore: DirectionIgnore
    public var mode: DirectionMode

    public init(seed: UInt64 = 0, normalization: DirectionNormalization = .filter,
                ignore: DirectionIgnore = .biasbn, mode: DirectionMode = .weights) {
        self.seed = seed
        self.normalization = normalization
        self.ignore = ignore
        self.mode = mode
    }
}

/// One direction in weight space: a flat buffer aligned with a model's `layout`.
public struct Direction: Sendable, Equatable {
    public var values: [Float]
    public init(values: [Float]) { self.values = values }
}

public enum Directions {
    /// Raw N(0, 1) entries for every tensor of `layout`, in layout order, from
    /// stream `axis` (0 for x, 1 for y) of the seeded generator. Depends only
    /// on the seed, the axis and the layout's sizes, so models with identical
    /// shapes (ReLU / Swish / Mish ResNet-20) get the same raw directions.
    public static func raw(layout: ParameterLayout, seed: UInt64, axis: UInt64) -> Direction {
        var generator = SeededGenerator(seed: seed, stream: axis)
        return Direction(values: (0..<layout.totalCount).map { _ in Float(generator.nextGaussian()) })
    }

    /// Scales a raw direction to `model`'s weights according to `spec`.
    public static func normalized(_ raw: Direction, to model: ResNetModel, spec: DirectionSpec) -> Direction {
        var d = raw.values
        let w = model.values
        for entry in model.layout.entries {
            let range = entry.range
            let isState = entry.role == .runningMean || entry.role == .runningVariance
            if isState && spec.mode == .weights {
                for i in range { d[i] = 0 }
                continue
            }
            if entry.shape.count <= 1 {
                for i in range { d[i] = spec.ignore == .biasbn ? 0 : w[i] }
                continue
            }
            switch spec.normalization {
            case .filter:
                for f in 0..<entry.filterCount {
                    let start = range.lowerBound + f * entry.filterSize
                    scale(&d, to: w, start..<(start + entry.filterSize))
                }
            case .layer:
                scale(&d, to: w, range)
            case .weight:
                for i in range { d[i] *= w[i] }
            case .none:
                break
            }
        }
        return Direction(values: d)
    }

    /// d[range] ← d[range] · ‖w[range]‖ / (‖d[range]‖ + 1e-10), norms in float64.
    /// The 1e-10 guard is Li et al.'s (`normalize_direction`).
    private static func scale(_ d: inout [Float], to w: [Float], _ range: Range<Int>) {
        var dn = 0.0, wn = 0.0
        for i in range {
            dn += Double(d[i]) * Double(d[i])
            wn += Double(w[i]) * Double(w[i])
        }
        let factor = wn.squareRoot() / (dn.squareRoot() + 1e-10)
        for i in range { d[i] = Float(Double(d[i]) * factor) }
    }

    /// The normalized x (and y) directions for each model, from one pair of raw
    /// directions. Throws unless every model has the same tensor layout.
    public static func shared(for models: [ResNetModel], spec: DirectionSpec, twoDimensional: Bool) throws
        -> [(x: Direction, y: Direction?)] {
        guard let first = models.first else { throw LandscapeError.invalidRequest("no model given") }
        for model in models.dropFirst() where model.layout != first.layout {
            let mismatch = zip(first.layout.entries, model.layout.entries).first { $0.shape != $1.shape || $0.name != $1.name }
            let detail = mismatch.map { "\($0.0.name) \($0.0.shape) vs \($0.1.name) \($0.1.shape)" }
                ?? "\(first.layout.entries.count) vs \(model.layout.entries.count) tensors"
            throw LandscapeError.incompatibleModels("\(first.architecture.description) and \(model.architecture.description) differ: \(detail)")
        }
        let rawX = raw(layout: first.layout, seed: spec.seed, axis: 0)
        let rawY = twoDimensional ? raw(layout: first.layout, seed: spec.seed, axis: 1) : nil
        return models.map { model in
            (normalized(rawX, to: model, spec: spec), rawY.map { normalized($0, to: model, spec: spec) })
        }
    }

    /// θ + α·x + β·y in one pass over the flat buffer.
    public static func perturbed(_ model: ResNetModel, x: Direction, alpha: Double,
                                 y: Direction?, beta: Double) -> ResNetModel {
        var result = model
        let a = Float(alpha), b = Float(beta)
        result.values.withUnsafeMutableBufferPointer { out in
            x.values.withUnsafeBufferPointer { dx in
                if let y, beta != 0 {
                    y.values.withUnsafeBufferPointer { dy in
                        for i in out.indices { out[i] += a * dx[i] + b * dy[i] }
                    }
                } else {
                    for i in out.indices { out[i] += a * dx[i] }
                }
            }
        }
        return result
    }

    /// The direction from model A to model B (Goodfellow et al. interpolation):
    /// all tensors, BN statistics included, so x = 0 is A and x = 1 is B exactly.
    public static func between(_ a: ResNetModel, _ b: ResNetModel) throws -> Direction {
        guard a.layout == b.layout else {
            throw LandscapeError.incompatibleModels("\(a.architecture.description) and \(b.architecture.description) have different tensors")
        }
        return Direction(values: zip(b.values, a.values).map { $0 - $1 })
    }
}
