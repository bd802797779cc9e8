import Foundation

/// A value range mapped to 0…1, linearly or by log10 (values ≤ 0 have no place on a log scale).
public struct ValueScale: Sendable, Equatable {
    public var low: Double, high: Double
    public var logarithmic: Bool

    public init(low: Double, high: Double, logarithmic: Bool = false) throws {
        guard low.isFinite, high.isFinite, low < high else {
            throw RenderError.invalidOption(name: "vmin/vmax", detail: "expected finite vmin < vmax, got \(low) and \(high)")
        }
        guard !logarithmic || low > 0 else {
            throw RenderError.invalidOption(name: "vmin", detail: "a log scale needs vmin > 0, got \(low)")
        }
        self.low = low; self.high = high; self.logarithmic = logarithmic
    }

    /// Position of v in 0…1 (unclamped); nil when v cannot be placed (≤ 0 on a log scale).
    @inline(__always)
    public func fraction(_ v: Double) -> Double? {
        if logarithmic {
            guard v > 0 else { return nil }
            return (log10(v) - log10(low)) / (log10(high) - log10(low))
        }
        return (v - low) / (high - low)
    }

    /// The value at fraction t (inverse of `fraction`).
    public func value(atFraction t: Double) -> Double {
        logarithmic ? pow(10, log10(low) + t * (log10(high) - log10(low))) : low + t * (high - low)
    }

    /// "Nice" tick values inside the range: 1, 2, 5 × 10^k steps (per decade on log scales).
    public func ticks(maximumCount: Int = 7) -> [Double] {
        if logarithmic {
            let ticks = Ticks.logarithmic(low: low, high: high, maximumCount: maximumCount)
            if ticks.count >= 2 { return ticks }
        }
        return Ticks.linear(low: low, high: high, maximumCount: maximumCount)
    }
}

/// Tick and level placement (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990).
public enum Ticks {
    /// The nice step (1, 2, 2.5 or 5 × 10^k) nearest to `span / count`.
    public static func niceStep(span: Double, count: Int) -> Double {
        let raw = span / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        // Rounded (not ceiled) to the nearest nice fraction; `linear` retries with fewer intervals if that overshoots.
        let nice: Double = fraction < 1.5 ? 1 : fraction < 2.25 ? 2 : fraction < 3.5 ? 2.5 : fraction < 7.5 ? 5 : 10
        return nice * magnitude
    }

    /// Multiples of a nice step within [low, high], at most about `maximumCount` of them.
    public static func linear(low: Double, high: Double, maximumCount: Int) -> [Double] {
        guard high > low, maximumCount > 0 else { return [low] }
        var count = max(maximumCount - 1, 1)
        while true {
            let step = niceStep(span: high - low, count: count)
            let first = (low / step).rounded(.up), last = (high / step).rounded(.down)
            let values = stride(from: first, through: last, by: 1).map { ($0 * step) == 0 ? 0 : $0 * step }
            if values.count <= maximumCount || count == 1 { return values }
            count -= 1
        }
    }

    /// 1, 2, 5 × 10^k inside [low, high]; only decades when that is already enough.
    public static func logarithmic(low: Double, high: Double, maximumCount: Int) -> [Double] {
        let first = Int(floor(log10(low))), last = Int(ceil(log10(high)))
        for mantissas in [[1.0, 2, 5], [1.0, 3], [1.0]] {
            var values: [Double] = []
            for k in first...last { for m in mantissas { values.append(m * pow(10, Double(k))) } }
            values = values.filter { $0 >= low * (1 - 1e-9) && $0 <= high * (1 + 1e-9) }
            if values.count <= maximumCount { return values }
        }
        let stepDecades = max(1, (last - first) / max(maximumCount - 1, 1))
        return stride(from: first, through: last, by: stepDecades).map { pow(10, Double($0)) }
            .filter { $0 >= low && $0 <= high }
    }

    /// Magnitudes written as mantissa·10^k ("2.5e−4", "1e5"), as the page's `formatNumber` does.
    static let exponentBelow = 1e-3, exponentFrom = 1e5

    /// Tick labels, each with the fewest decimals that show its value exactly ("300", "1.5", "0.25",
    /// "−0.5", "0"), so ticks read alike on axes and colour bars and log ticks never read "300.0".
    /// Tiny and huge magnitudes are written "1e−4", "2.5e5"; a set of ticks within two decades of
    /// each other (a linear axis) that needs that form anywhere uses it for all its non-zero values.
    public static func labels(_ values: [Double]) -> [String] {
        let nonzero = values.map(abs).filter { $0 > 0 }
        guard let largest = nonzero.max(), let smallest = nonzero.min() else { return values.map { label($0, exponent: false) } }
        let needsExponent = { (a: Double) in a < exponentBelow || a >= exponentFrom }
        let sameScale = largest / smallest < 100
        let allExponent = sameScale && nonzero.contains(where: needsExponent)
        return values.map { label($0, exponent: $0 != 0 && (allExponent || needsExponent(abs($0)))) }
    }

    /// One tick value: fixed with its own fewest decimals, or mantissa "e" exponent; typographic minus.
    static func label(_ v: Double, exponent: Bool) -> String {
        guard exponent, v != 0 else { return format(v, decimals: decimals([v])) }
        var k = Int(floor(log10(abs(v))))
        var mantissa = v / pow(10, Double(k))
        // 9.9999999e-5 is 1e−4: round the mantissa to 6 significant digits before choosing k.
        mantissa = (mantissa * 1e5).rounded() / 1e5
        if abs(mantissa) >= 10 { mantissa /= 10; k += 1 }
        return format(mantissa, decimals: decimals([mantissa])) + "e" + (k < 0 ? "\u{2212}\(-k)" : "\(k)")
    }

    /// Smallest number of decimals (≤ 6) at which every value prints exactly.
    static func decimals(_ values: [Double]) -> Int {
        for d in 0...6 {
            let factor = pow(10, Double(d))
            if values.allSatisfy({ abs(($0 * factor).rounded() - $0 * factor) < 1e-6 * max(1, abs($0 * factor)) }) { return d }
        }
        return 6
    }

    /// Fixed decimals with a typographic minus.
    public static func format(_ v: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", v)
        return text.hasPrefix("-") ? "\u{2212}" + text.dropFirst() : text
    }
}
