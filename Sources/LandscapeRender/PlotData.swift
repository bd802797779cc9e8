/// A scalar field sampled on a rectilinear grid: plain arrays, no landscape types.
/// `values[row][column]` is the value at (x[column], y[row]); rows run along y.
/// nil, NaN or ±∞ mark a point without a value: not computed yet, or, where `diverged` is
/// true, computed but not a finite number (drawn differently: see `PointState`).
public struct Grid2D: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    public var values: [[Double?]]
    /// Same shape as `values`; true where the point was computed and its value was not finite.
    public var diverged: [[Bool]]?

    /// Checks the shape: at least 2×2 points, strictly increasing finite coordinates,
    /// `y.count` rows of `x.count` values each (and of diverged flags, when given).
    public init(x: [Double], y: [Double], values: [[Double?]], diverged: [[Bool]]? = nil) throws {
        try Self.checkAxis(x, name: "x")
        try Self.checkAxis(y, name: "y")
        guard values.count == y.count else {
            throw RenderError.invalidData(field: "values", detail: "expected \(y.count) rows (one per y), got \(values.count)")
        }
        for (row, line) in values.enumerated() where line.count != x.count {
            throw RenderError.invalidData(field: "values[\(row)]", detail: "expected \(x.count) columns (one per x), got \(line.count)")
        }
        if let diverged {
            guard diverged.count == y.count else {
                throw RenderError.invalidData(field: "diverged", detail: "expected \(y.count) rows (one per y), got \(diverged.count)")
            }
            for (row, line) in diverged.enumerated() where line.count != x.count {
                throw RenderError.invalidData(field: "diverged[\(row)]", detail: "expected \(x.count) columns (one per x), got \(line.count)")
            }
        }
        self.x = x; self.y = y; self.values = values
        self.diverged = diverged.flatMap { $0.contains { $0.contains(true) } ? $0 : nil }
    }

    /// Samples `function` at every (x, y).
    public init(x: [Double], y: [Double], function: (Double, Double) -> Double?) throws {
        try self.init(x: x, y: y, values: y.map { yv in x.map { xv in function(xv, yv) } })
    }

    public var columns: Int { x.count }
    public var rows: Int { y.count }

    /// The value at (row, column) if present and finite.
    @inline(__always)
    public func value(row: Int, column: Int) -> Double? {
        guard let v = values[row][column], v.isFinite else { return nil }
        return v
    }

    /// Present, not computed yet, or diverged (no value, flagged).
    @inline(__always)
    public func state(row: Int, column: Int) -> PointState {
        if value(row: row, column: column) != nil { return .present }
        return diverged?[row][column] == true ? .diverged : .missing
    }

    /// Points flagged as diverged.
    public var divergedCount: Int { diverged?.reduce(0) { $0 + $1.lazy.filter { $0 }.count } ?? 0 }

    /// How to draw a cell (c…c+1, r…r+1) that has no value at some corner, from a point (x, y)
    /// inside it: like its nearest corner without a value (.missing: hatched, .diverged: dark grey);
    /// .present when all four corners have values.
    public func cellState(row r: Int, column c: Int, x px: Double, y py: Double) -> PointState {
        var best = PointState.present, distance = Double.infinity
        for (rr, cc) in [(r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1)] {
            let s = state(row: rr, column: cc)
            guard s != .present else { continue }
            let dx = (px - x[cc]) / (x[c + 1] - x[c]), dy = (py - y[rr]) / (y[r + 1] - y[r])
            let d = dx * dx + dy * dy
            if d < distance { distance = d; best = s }
        }
        return best
    }

    /// Smallest and largest present value (nil when every point is missing).
    public var finiteRange: ClosedRange<Double>? {
        var low = Double.infinity, high = -Double.infinity
        for line in values { for case let v? in line where v.isFinite { low = min(low, v); high = max(high, v) } }
        return low <= high ? low...high : nil
    }

    /// Smallest present value above zero (for log scales).
    public var smallestPositive: Double? {
        var low = Double.infinity
        for line in values { for case let v? in line where v.isFinite && v > 0 { low = min(low, v) } }
        return low.isFinite ? low : nil
    }

    /// Bilinear interpolation at (x, y); nil outside the grid or when a corner is missing.
    public func interpolate(x px: Double, y py: Double) -> Double? {
        guard let (c, tx) = Self.locate(px, in: x), let (r, ty) = Self.locate(py, in: y) else { return nil }
        guard let a = value(row: r, column: c), let b = value(row: r, column: c + 1),
              let d = value(row: r + 1, column: c), let e = value(row: r + 1, column: c + 1) else { return nil }
        return (a * (1 - tx) + b * tx) * (1 - ty) + (d * (1 - tx) + e * tx) * ty
    }

    /// The cell index i (coordinate[i] ≤ v ≤ coordinate[i+1]) and the fraction within it.
    static func locate(_ v: Double, in axis: [Double]) -> (Int, Double)? {
        guard let first = axis.first, let last = axis.last, v >= first, v <= last else { return nil }
        var low = 0, high = axis.count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if axis[mid] <= v { low = mid } else { high = mid }
        }
        return (low, (v - axis[low]) / (axis[high] - axis[low]))
    }

    private static func checkAxis(_ axis: [Double], name: String) throws {
        guard axis.count >= 2 else {
            throw RenderError.invalidData(field: name, detail: "expected at least 2 coordinates, got \(axis.count)")
        }
        for i in axis.indices where !axis[i].isFinite || (i > 0 && axis[i] <= axis[i - 1]) {
            throw RenderError.invalidData(field: "\(name)[\(i)]", detail: "expected finite, strictly increasing coordinates, got \(axis[i])")
        }
    }
}

/// A grid point or curve point: it has a value, is not computed yet, or was computed
/// and diverged (its value was NaN or ±∞).
public enum PointState: Sendable, Equatable {
    case present, missing, diverged
}

/// One series of a line plot: y over x, nil/NaN = no value (drawn as a gap): not computed yet,
/// or diverged where `diverged` is true.
public struct Curve1D: Sendable, Equatable {
    public var label: String
    public var x: [Double]
    public var y: [Double?]
    /// One flag per x: true where the point was computed and its value was not finite.
    public var diverged: [Bool]?

    public init(label: String, x: [Double], y: [Double?], diverged: [Bool]? = nil) throws {
        guard x.count == y.count else {
            throw RenderError.invalidData(field: "\(label).y", detail: "expected \(x.count) values (one per x), got \(y.count)")
        }
        if let diverged, diverged.count != x.count {
            throw RenderError.invalidData(field: "\(label).diverged", detail: "expected \(x.count) flags (one per x), got \(diverged.count)")
        }
        guard x.count >= 2 else {
            throw RenderError.invalidData(field: "\(label).x", detail: "expected at least 2 points, got \(x.count)")
        }
        for (i, v) in x.enumerated() where !v.isFinite {
            throw RenderError.invalidData(field: "\(label).x[\(i)]", detail: "expected a finite coordinate, got \(v)")
        }
        self.label = label; self.x = x; self.y = y
        self.diverged = diverged.flatMap { $0.contains(true) ? $0 : nil }
    }

    public func state(_ i: Int) -> PointState {
        value(i) != nil ? .present : diverged?[i] == true ? .diverged : .missing
    }

    /// The value at index i if present and finite.
    public func value(_ i: Int) -> Double? {
        guard let v = y[i], v.isFinite else { return nil }
        return v
    }

    var finiteRange: ClosedRange<Double>? {
        let present = y.indices.compactMap(value)
        guard let low = present.min(), let high = present.max() else { return nil }
        return low...high
    }
}
