import Foundation

/// Most contour levels accepted (arange with a tiny vlevel would otherwise draw forever).
let maximumLevelCount = 400

/// The colour scale and contour levels shared by every panel of one figure.
struct ResolvedLevels {
    var scale: ValueScale
    var levels: [Double]

    init(grids: [Grid2D], options: GridPlotOptions) throws {
        let log = options.logScale
        var low = Double.infinity, high = -Double.infinity
        for grid in grids {
            if let range = grid.finiteRange { high = max(high, range.upperBound); low = min(low, range.lowerBound) }
        }
        if log { low = grids.compactMap(\.smallestPositive).min() ?? low }
        if let vmin = options.vmin {
            guard !log || vmin > 0 else {
                throw RenderError.invalidOption(name: "vmin", detail: "a log scale needs vmin > 0, got \(vmin)")
            }
            low = vmin
        }
        if let vmax = options.vmax { high = vmax }
        if !low.isFinite || !high.isFinite || (log && high <= 0) { (low, high) = log ? (0.1, 1) : (0, 1) }
        if log && low <= 0 { low = high / 1000 }
        if low >= high {
            // A flat field (or vmin ≥ vmax from the data alone): widen so colours still map.
            if options.vmin != nil && options.vmax != nil {
                throw RenderError.invalidOption(name: "vmin/vmax", detail: "expected vmin < vmax, got \(low) and \(high)")
            }
            (low, high) = log ? (low / 2, low * 2) : (low - 0.5, low + 0.5)
        }
        scale = try ValueScale(low: low, high: high, logarithmic: log)

        if let explicit = options.levels {
            levels = explicit.filter(\.isFinite).sorted()
        } else if let step = options.vlevel {
            guard step > 0, step.isFinite else {
                throw RenderError.invalidOption(name: "vlevel", detail: "expected a positive level spacing, got \(step)")
            }
            guard (high - low) / step <= Double(maximumLevelCount) else {
                throw RenderError.invalidOption(name: "vlevel", detail: "\(step) gives more than \(maximumLevelCount) levels over \(low)...\(high)")
            }
            // numpy.arange(vmin, vmax, vlevel): the end is excluded; multiply rather than accumulate.
            let count = Int(((high - low) / step).rounded(.up))
            levels = (0..<count).map { low + Double($0) * step }.filter { $0 < high - step * 1e-9 }
        } else {
            levels = scale.ticks(maximumCount: max(options.levelCount, 2))
        }
        if log { levels = levels.filter { $0 > 0 } }
        guard levels.count <= maximumLevelCount else {
            throw RenderError.invalidOption(name: "levels", detail: "expected at most \(maximumLevelCount) levels, got \(levels.count)")
        }
    }

    /// Colour of a value (clamped to the scale's ends).
    func color(_ value: Double, _ map: Colormap) -> RGBA { map.color(at: scale.fraction(value) ?? 0) }

    /// Filled contours: the band [edge_i, edge_i+1) holding `value`, coloured at its middle.
    /// Band edges are scale.low, the levels inside the range, scale.high.
    func bandColors(_ map: Colormap) -> (edges: [Double], colors: [RGBA]) {
        let inside = levels.filter { $0 > scale.low && $0 < scale.high }
        let edges = [scale.low] + inside + [scale.high]
        let colors = zip(edges, edges.dropFirst()).map { a, b in
            map.color(at: ((scale.fraction(a) ?? 0) + (scale.fraction(b) ?? 0)) / 2)
        }
        return (edges, colors)
    }

    static func band(of value: Double, edges: [Double]) -> Int {
        var low = 0, high = edges.count - 1   // first edge ≤ value, clamped to the outer bands
        while high - low > 1 {
            let mid = (low + high) / 2
            if edges[mid] <= value { low = mid } else { high = mid }
        }
        return low
    }
}
