import Foundation
import LandscapeEngine
import LandscapeCore

/// Hutchinson's trace estimator (1989): tr(A) = E[zᵀ A z] for z with
/// independent Rademacher (±1) entries, estimated by the mean over probes,
/// with its standard error (sample standard deviation / √probes) — what
/// PyHessian's `trace` computes, plus the error it leaves out.
public struct TraceEstimate: Sendable, Codable, Equatable {
    public let trace: Double
    /// Standard error of the mean; nil with a single probe.
    public let standardError: Double?
    /// zᵀ A z per probe, in probe order.
    public let samples: [Double]

    public init(samples: [Double]) {
        self.samples = samples
        let mean = samples.reduce(0, +) / Double(max(samples.count, 1))
        trace = mean
        if samples.count > 1 {
            let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count - 1)
            standardError = (variance / Double(samples.count)).squareRoot()
        } else {
            standardError = nil
        }
    }
}

public enum HutchinsonTrace {
    /// `probes` Rademacher probes drawn from `generator` in order; `onProbe` after each.
    public static func estimate(_ operator_: SymmetricOperator, probes: Int, generator: inout SeededGenerator,
                                onProbe: (Int) -> Void = { _ in }) throws -> TraceEstimate {
        precondition(probes >= 1)
        var samples: [Double] = []
        for probe in 0..<probes {
            let z = VectorMath.rademacher(operator_.dimension, &generator)
            samples.append(VectorMath.dot(z, try operator_.apply(z)))
            onProbe(probe + 1)
        }
        return TraceEstimate(samples: samples)
    }
}
