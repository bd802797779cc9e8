/// The order in which grid points are computed: coarse to fine, so a partial
/// surface is already a usable low-resolution picture.
///
/// Along one axis, index i gets a level: the two ends are level 0, the middle
/// index of the whole range level 1, then the midpoints of each half level 2,
/// and so on (bisection, breadth first). A 2D point's level is the larger of
/// its two axis levels; points are computed by (level, row, column). The
/// point nearest the centre (α = β = 0, the trained weights) goes first.
public enum ProgressiveOrder {
    public static func order(for grid: GridSpec) -> [Int] {
        let columnLevels = levels(count: grid.columns)
        let rowLevels = levels(count: grid.rows)
        var points = Array(0..<grid.pointCount)
        let centre = centreIndex(grid)
        points.sort { a, b in
            if a == centre || b == centre { return a == centre && b != centre }
            let la = max(columnLevels[a % grid.columns], rowLevels[a / grid.columns])
            let lb = max(columnLevels[b % grid.columns], rowLevels[b / grid.columns])
            return la != lb ? la < lb : a < b
        }
        return points
    }

    /// Bisection level of every index of an axis with `count` points.
    public static func levels(count: Int) -> [Int] {
        var level = [Int](repeating: Int.max, count: count)
        guard count > 0 else { return [] }
        level[0] = 0
        level[count - 1] = 0
        var intervals = [(0, count - 1)]
        var depth = 1
        while !intervals.isEmpty {
            var next: [(Int, Int)] = []
            for (lo, hi) in intervals where hi - lo > 1 {
                let mid = (lo + hi) / 2
                level[mid] = min(level[mid], depth)
                next.append((lo, mid))
                next.append((mid, hi))
            }
            intervals = next
            depth += 1
        }
        return level
    }

    /// Flat index of the grid point closest to α = β = 0.
    public static func centreIndex(_ grid: GridSpec) -> Int {
        func nearestZero(_ axis: GridAxis?) -> Int {
            guard let axis else { return 0 }
            return (0..<axis.count).min { abs(axis.coordinate($0)) < abs(axis.coordinate($1)) }!
        }
        return nearestZero(grid.y) * grid.columns + nearestZero(grid.x)
    }
}
