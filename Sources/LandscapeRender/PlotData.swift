/// A scalar field sampled on a rectilinear grid: plain arrays, no landscape types.
/// `values[row][column]` is the value at (x[column], y[row]); rows run along y.
/// nil, NaN or ±∞ mark a point that is missing (not computed yet).
public struct Grid2D: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    public var values: [[Double?]]

    /// Checks the shape: at least 2×2 points, strictly increasing finite coordinates,
    /// `y.count` rows of `x.count` values each.
    public init(x: [Double], y: [Double], values: [[Double?]]) throws {
        try Self.checkAxis(x, name: "x")
        try Self.checkAxis(y, name: "y")
        guard values.count == y.count else {
            throw RenderError.invalidData(field: "values", detail: "expected \(y.count) rows (one per y), got \(values.count)")
        }
        for (row, line) in values.enumerated() where line.count != x.count {
            throw RenderError.invalidData(field: "values[\(row)]", detail: "expected \(x.count) columns (one per x), got \(line.count)")
        }
        self.x = x; self.y = y; self.values = values
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

/// One series of a line plot: y over x, nil/NaN = missing (drawn as a gap).
public struct Curve1D: Sendable, Equatable {
    public var label: String
    public var x: [Double]
    public var y: [Double?]

    public init(label: String, x: [Double], y: [Double?]) throws {
        guard x.count == y.count else {
            throw RenderError.invalidData(field: "\(label).y", detail: "expected \(x.count) values (one per x), got \(y.count)")
        }
        guard x.count >= 2 else {
            throw RenderError.invalidData(field: "\(label).x", detail: "expected at least 2 points, got \(x.count)")
        }
        for (i, v) in x.enumerated() where !v.isFinite {
            throw RenderError.invalidData(field: "\(label).x[\(i)]", detail: "expected a finite coordinate, got \(v)")
        }
        self.label = label; self.x = x; self.y = y
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
