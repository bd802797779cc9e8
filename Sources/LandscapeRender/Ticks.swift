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

    /// Tick labels with as many decimals as the spacing needs, a typographic minus, %g for extremes.
    public static func labels(_ values: [Double]) -> [String] {
        guard values.count > 1 else { return values.map { format($0, decimals: 3) } }
        let spacing = zip(values, values.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }.min() ?? 1
        let largest = values.map(abs).max() ?? 0
        if largest >= 1e5 || (largest < 1e-3 && largest > 0) {
            return values.map { String(format: "%g", $0).replacingOccurrences(of: "-", with: "\u{2212}") }
        }
        let decimals = max(0, min(6, Int(ceil(-log10(spacing) - 1e-9))))
        // Log ticks (0.1, 0.2, 0.5, 1, 2, ...) each need their own decimals.
        return values.map { v in
            let own = v == 0 ? 0 : max(0, min(6, Int(ceil(-log10(abs(v)) - 1e-9))))
            return format(v, decimals: max(own, decimals) > 3 ? own : decimals)
        }
    }

    /// Fixed decimals with a typographic minus.
    public static func format(_ v: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", v)
        return text.hasPrefix("-") ? "\u{2212}" + text.dropFirst() : text
    }
}
