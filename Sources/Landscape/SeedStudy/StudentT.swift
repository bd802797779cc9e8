import Foundation

/// Student's t distribution, for intervals over a handful of seeds (n − 1 degrees of freedom).
/// The CDF is the regularized incomplete beta function (continued fraction, modified Lentz);
/// the quantile inverts it by bisection. Checked against tabulated quantiles in the tests
/// (t₀.₉₇₅ = 12.706 for 1 degree of freedom, 2.093 for 19, → 1.960).
public enum StudentT {
    /// P(T ≤ t) with `degrees` degrees of freedom (> 0).
    public static func cdf(_ t: Double, degrees: Double) -> Double {
        precondition(degrees > 0, "degrees of freedom must be > 0")
        let x = degrees / (degrees + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, a: degrees / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The t with P(T ≤ t) = p (0 < p < 1).
    public static func quantile(_ p: Double, degrees: Double) -> Double {
        precondition(p > 0 && p < 1, "probability must be in (0, 1)")
        if p < 0.5 { return -quantile(1 - p, degrees: degrees) }
        if p == 0.5 { return 0 }
        var low = 0.0, high = 1.0
        while cdf(high, degrees: degrees) < p { high *= 2 }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if cdf(mid, degrees: degrees) < p { low = mid } else { high = mid }
            if high - low <= 1e-14 * high { break }
        }
        return (low + high) / 2
    }

    /// I_x(a, b), the regularized incomplete beta function (0 ≤ x ≤ 1, a, b > 0).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * continuedFraction(x, a: a, b: b) / a }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction of I_x(a, b) by the modified Lentz method.
    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...500 {
            let m = Double(m), m2 = 2 * m
            // Even step.
            var coefficient = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + coefficient * d; if abs(d) < tiny { d = tiny }
            c = 1 + coefficient / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            // Odd step.
            coefficient = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + coefficient * d; if abs(d) < tiny { d = tiny }
            c = 1 + coefficient / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}

/// Mean, sample standard deviation and a two-sided t-interval of the mean over n values
/// (seeds): mean ± t(1 − (1 − confidence)/2, n − 1) · sd / √n. With one value the
/// standard deviation and interval are absent (nil), never invented.
public struct Estimate: Sendable, Codable, Equatable {
    public var n: Int
    public var mean: Double
    /// Sample standard deviation (n − 1 in the denominator).
    public var sd: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var confidence: Double

    /// The confidence of every interval in a study: 95 %.
    public static let defaultConfidence = 0.95

    /// nil for no values.
    public init?(_ values: [Double], confidence: Double = Estimate.defaultConfidence) {
        guard !values.isEmpty else { return nil }
        n = values.count
        mean = values.reduce(0, +) / Double(n)
        self.confidence = confidence
        guard n >= 2 else { return }
        let m = mean
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
        let sd = variance.squareRoot()
        self.sd = sd
        let half = StudentT.quantile(1 - (1 - confidence) / 2, degrees: Double(n - 1)) * sd / Double(n).squareRoot()
        ciLow = mean - half
        ciHigh = mean + half
    }
}
