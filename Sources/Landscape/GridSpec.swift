import Foundation

/// One axis of a grid, written like Li et al.'s reference code: `-1:1:51`
/// is 51 evenly spaced coordinates from -1 to 1 inclusive.
public struct GridAxis: Sendable, Hashable, Codable, CustomStringConvertible {
    public let start: Double
    public let end: Double
    public let count: Int

    /// Largest |coordinate| accepted. Directions have the scale of the weights
    /// (filter-normalized) or of B − A (interpolation), so |α| = 1,000 already
    /// means weights three orders of magnitude off the trained ones, where a
    /// 20-layer forward pass in float32 overflows; beyond it nothing is left to
    /// see, and near 1e38 the perturbed weights themselves stop being finite floats.
    public static let maximumCoordinateMagnitude = 1_000.0

    public init(start: Double, end: Double, count: Int) throws {
        guard start.isFinite, end.isFinite else {
            throw LandscapeError.invalidGrid("range \(start):\(end) must be finite")
        }
        guard abs(start) <= Self.maximumCoordinateMagnitude, abs(end) <= Self.maximumCoordinateMagnitude else {
            throw LandscapeError.invalidGrid("range \(start):\(end) goes beyond ±\(Int(Self.maximumCoordinateMagnitude)): "
                                             + "expected coordinates within ±\(Int(Self.maximumCoordinateMagnitude)) (the weights' own scale is 1)")
        }
        guard count >= 2 else {
            throw LandscapeError.invalidGrid("\(count) points: expected at least 2 per axis")
        }
        guard start < end else {
            throw LandscapeError.invalidGrid("range \(start):\(end) is empty or inverted: expected start < end")
        }
        self.start = start
        self.end = end
        self.count = count
    }

    /// Parses `START:END:COUNT`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3, let start = Double(parts[0]), let end = Double(parts[1]), let count = Int(parts[2]) else {
            throw LandscapeError.invalidGrid("'\(text)': expected START:END:COUNT, e.g. -1:1:51")
        }
        try self.init(start: start, end: end, count: count)
    }

    /// Coordinate i, computed from the ends (not by accumulation) so it is exact at both ends.
    public func coordinate(_ i: Int) -> Double {
        i == count - 1 ? end : start + (end - start) * Double(i) / Double(count - 1)
    }

    public var coordinates: [Double] { (0..<count).map(coordinate) }

    /// Whether `value` is one of the axis's points (to rounding).
    public func contains(_ value: Double) -> Bool {
        let position = (value - start) / (end - start) * Double(count - 1)
        return abs(position - position.rounded()) < 1e-9 && (0...Double(count - 1)).contains(position.rounded())
    }

    /// Point counts (2...1,001) whose axes over the same range contain every value, nearest to `count` first.
    public func countsContaining(_ values: [Double], near count: Int, limit: Int = 3) -> [Int] {
        (2...1_001).filter { candidate in
            let axis = try? GridAxis(start: start, end: end, count: candidate)
            return axis.map { a in values.allSatisfy { a.contains($0) } } ?? false
        }.sorted { (abs($0 - count), $0) < (abs($1 - count), $1) }.prefix(limit).sorted()
    }

    /// Why this axis fails to show the models at 0 and 1 (interpolation and plane axes): it spans
    /// one but has no point on it. nil when every model in range is a point.
    public func modelPointProblem() -> String? {
        let inRange = [0.0, 1.0].filter { start <= $0 && $0 <= end }
        guard let missing = inRange.first(where: { !contains($0) }) else { return nil }
        let counts = countsContaining(inRange, near: count)
        return "\(self) spans \(Self.format(missing)) (a model itself) but has no point there: use a count that puts points on "
            + inRange.map(Self.format).joined(separator: " and ")
            + (counts.isEmpty ? "" : ", e.g. " + counts.map { "\(Self.format(start)):\(Self.format(end)):\($0)" }.joined(separator: " or "))
    }

    public var description: String { "\(Self.format(start)):\(Self.format(end)):\(count)" }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A 1D line (y == nil) or a 2D grid of points around the trained weights.
public struct GridSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    public let x: GridAxis
    public let y: GridAxis?

    /// Default cap on points per surface: 101×101. A 51×51 surface on 1,000
    /// images already takes tens of minutes on two cores; larger grids must be asked for explicitly.
    public static let defaultMaximumPoints = 101 * 101

    public init(x: GridAxis, y: GridAxis?, maximumPoints: Int = defaultMaximumPoints) throws {
        self.x = x
        self.y = y
        // Counts come from requests: multiply with overflow reporting, so 2^62 × 4 cannot wrap to a small number.
        let (points, overflow) = x.count.multipliedReportingOverflow(by: y?.count ?? 1)
        guard !overflow, points <= maximumPoints else {
            let count = overflow ? "more than \(Int.max)" : "\(points)"
            throw LandscapeError.invalidGrid("\(count) points (\(description)) exceeds the cap of \(maximumPoints); raise the cap explicitly if you mean it")
        }
    }

    public var isTwoDimensional: Bool { y != nil }
    public var columns: Int { x.count }
    public var rows: Int { y?.count ?? 1 }
    public var pointCount: Int { columns * rows }
    public var description: String { y.map { "x \(x) × y \($0)" } ?? "x \(x)" }

    /// (α, β) of the point with flat index `row · columns + column`.
    public func coordinates(ofPoint index: Int) -> (alpha: Double, beta: Double) {
        (x.coordinate(index % columns), y?.coordinate(index / columns) ?? 0)
    }
}
