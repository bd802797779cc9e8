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

    /// Tick labels with the fewest decimals that show every value exactly (0.25 → "0.25", so
    /// 0, 0.25, 0.5 read "0.00 0.25 0.50"); values over many decades (log ticks) each get their own.
    public static func labels(_ values: [Double]) -> [String] {
        let largest = values.map(abs).max() ?? 0
        if largest >= 1e5 || (largest < 1e-3 && largest > 0) {
            return values.map { String(format: "%g", $0).replacingOccurrences(of: "-", with: "\u{2212}") }
        }
        let nonzero = values.map(abs).filter { $0 > 0 }
        if let smallest = nonzero.min(), largest / smallest >= 1000 {
            return values.map { format($0, decimals: decimals([$0])) }
        }
        let d = decimals(values)
        return values.map { format($0, decimals: d) }
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
