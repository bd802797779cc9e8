/// Numbers that summarize a surface (definitions in README.md, "Summary"):
///
/// - centre: loss and accuracy at α = β = 0 (the trained weights);
/// - minimum: the lowest computed loss and where it is;
/// - widths: along each axis through the centre, walking outwards, the first
///   coordinate on each side where the loss exceeds centre + δ (δ = 0.1 and
///   1.0), linearly interpolated between grid points; width = right − left.
///   If the loss never exceeds the threshold on a side, that side is the
///   grid's end and `bounded` is false (the true width is at least that);
/// - curvature: the central second difference (L(h) − 2L(0) + L(−h)) / h² at
///   the centre along each axis, h the grid spacing.
public struct SurfaceSummary: Sendable, Codable, Equatable {
    public var centreLoss: Double?
    public var centreAccuracy: Double?
    public var minimumLoss: Double?
    public var minimumAt: [Double]?
    public var widths: [Width]
    public var curvature: [Curvature]

    /// Loss increases above the centre at which widths are measured.
    public static let widthThresholds = [0.1, 1.0]

    public struct Width: Sendable, Codable, Equatable {
        public var axis: String
        public var threshold: Double
        public var left: Double
        public var right: Double
        public var width: Double
        public var bounded: Bool
    }

    public struct Curvature: Sendable, Codable, Equatable {
        public var axis: String
        public var secondDerivative: Double
    }

    public init(_ surface: Surface, centre: Int) {
        let columns = surface.columns
        let (row, column) = (centre / columns, centre % columns)
        centreLoss = surface.loss[row][column]
        centreAccuracy = surface.accuracy[row][column]
        var best: (Double, Int)?
        for index in 0..<(surface.rows * columns) {
            if let l = surface.lossAt(index), best == nil || l < best!.0 { best = (l, index) }
        }
        if let (value, index) = best {
            minimumLoss = value
            minimumAt = [surface.x[index % columns]] + (surface.y.map { [$0[index / columns]] } ?? [])
        }
        widths = []
        curvature = []
        guard let centreLoss else { return }
        // A diverged point's loss exceeded every threshold: +∞ for the width walk, not "missing".
        func value(_ r: Int, _ c: Int) -> Double? {
            surface.loss[r][c] ?? (surface.isDiverged(r * columns + c) ? .infinity : nil)
        }
        var axes: [(String, [Double], [Double?], Int)] = [("x", surface.x, (0..<columns).map { value(row, $0) }, column)]
        if let y = surface.y { axes.append(("y", y, (0..<surface.rows).map { value($0, column) }, row)) }
        for (name, coordinates, line, at) in axes {
            for threshold in Self.widthThresholds {
                widths.append(Self.width(axis: name, coordinates, line, centre: at, level: centreLoss + threshold, threshold: threshold))
            }
            if at > 0, at + 1 < line.count, let l = line[at - 1], let r = line[at + 1], l.isFinite, r.isFinite {
                let h = (coordinates[at + 1] - coordinates[at - 1]) / 2
                curvature.append(Curvature(axis: name, secondDerivative: (l - 2 * centreLoss + r) / (h * h)))
            }
        }
    }

    static func width(axis: String, _ xs: [Double], _ line: [Double?], centre: Int, level: Double, threshold: Double) -> Width {
        func crossing(step: Int) -> (Double, Bool) {
            var i = centre
            while i + step >= 0 && i + step < line.count {
                guard let a = line[i], let b = line[i + step] else { return (xs[i], false) }
                if b > level {
                    let t = (level - a) / (b - a)
                    return (xs[i] + t * (xs[i + step] - xs[i]), true)
                }
                i += step
            }
            return (xs[i], false)
        }
        let (left, leftBounded) = crossing(step: -1)
        let (right, rightBounded) = crossing(step: 1)
        return Width(axis: axis, threshold: threshold, left: left, right: right, width: right - left,
                     bounded: leftBounded && rightBounded)
    }
}
