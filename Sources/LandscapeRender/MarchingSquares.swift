/// Iso-lines of a grid at one level, as polylines in data coordinates.
public struct ContourLine: Sendable {
    public var level: Double
    /// Each polyline is a chain of (x, y) points; closed loops repeat their first point.
    public var polylines: [[(x: Double, y: Double)]]
}

/// Marching squares (Lorensen & Cline's 2D case): per cell, the crossings on its four edges,
/// joined into segments; the ambiguous saddle (four crossings) is resolved by the average
/// of the four corners, the value at the cell centre under bilinear interpolation.
/// Cells with a missing corner produce nothing. Segments sharing an edge crossing are
/// chained into polylines so labels and strokes follow whole curves.
public enum MarchingSquares {
    /// A grid edge: horizontal (row, column)–(row, column+1) or vertical (row, column)–(row+1, column).
    struct Edge: Hashable { var vertical: Bool; var row: Int; var column: Int }

    public static func contour(_ grid: Grid2D, level: Double) -> ContourLine {
        var segments: [(Edge, Edge)] = []
        var points: [Edge: (x: Double, y: Double)] = [:]
        func crossing(_ edge: Edge, _ a: Double, _ b: Double) {
            guard points[edge] == nil else { return }
            let t = (level - a) / (b - a)
            if edge.vertical {
                let y0 = grid.y[edge.row], y1 = grid.y[edge.row + 1]
                points[edge] = (grid.x[edge.column], y0 + t * (y1 - y0))
            } else {
                let x0 = grid.x[edge.column], x1 = grid.x[edge.column + 1]
                points[edge] = (x0 + t * (x1 - x0), grid.y[edge.row])
            }
        }
        for r in 0..<(grid.rows - 1) {
            for c in 0..<(grid.columns - 1) {
                guard let bl = grid.value(row: r, column: c), let br = grid.value(row: r, column: c + 1),
                      let tl = grid.value(row: r + 1, column: c), let tr = grid.value(row: r + 1, column: c + 1) else { continue }
                let high = [bl >= level, br >= level, tr >= level, tl >= level]
                let bottom = Edge(vertical: false, row: r, column: c), top = Edge(vertical: false, row: r + 1, column: c)
                let left = Edge(vertical: true, row: r, column: c), right = Edge(vertical: true, row: r, column: c + 1)
                var crossed: [Edge] = []
                if high[0] != high[1] { crossing(bottom, bl, br); crossed.append(bottom) }
                if high[1] != high[2] { crossing(right, br, tr); crossed.append(right) }
                if high[3] != high[2] { crossing(top, tl, tr); crossed.append(top) }
                if high[0] != high[3] { crossing(left, bl, tl); crossed.append(left) }
                if crossed.count == 2 {
                    segments.append((crossed[0], crossed[1]))
                } else if crossed.count == 4 {
                    // Saddle: the centre joins the corners on its side; cut off the other two.
                    let centreHigh = (bl + br + tr + tl) / 4 >= level
                    let adjacent = [(bottom, left), (bottom, right), (right, top), (top, left)]  // bl, br, tr, tl
                    for corner in 0..<4 where high[corner] != centreHigh { segments.append(adjacent[corner]) }
                }
            }
        }
        return ContourLine(level: level, polylines: chain(segments).map { $0.map { points[$0]! } })
    }

    /// Joins segments that share an edge crossing into maximal chains.
    static func chain(_ segments: [(Edge, Edge)]) -> [[Edge]] {
        var neighbours: [Edge: [Int]] = [:]
        for (i, s) in segments.enumerated() { neighbours[s.0, default: []].append(i); neighbours[s.1, default: []].append(i) }
        var used = [Bool](repeating: false, count: segments.count)
        var chains: [[Edge]] = []
        func extend(_ chain: inout [Edge]) {
            while let end = chain.last, let next = neighbours[end]?.first(where: { !used[$0] }) {
                used[next] = true
                let s = segments[next]
                chain.append(s.0 == end ? s.1 : s.0)
            }
        }
        // Start from open ends first so open curves come out whole, then the closed loops.
        let starts = segments.indices.sorted { i, j in
            let oi = min(neighbours[segments[i].0]!.count, neighbours[segments[i].1]!.count)
            let oj = min(neighbours[segments[j].0]!.count, neighbours[segments[j].1]!.count)
            return oi < oj
        }
        for i in starts where !used[i] {
            used[i] = true
            let s = segments[i]
            let startAtFirst = neighbours[s.1]!.count == 1 && neighbours[s.0]!.count > 1
            var chain = startAtFirst ? [s.1, s.0] : [s.0, s.1]
            extend(&chain)
            chain.reverse()
            extend(&chain)
            chains.append(chain)
        }
        return chains
    }
}
