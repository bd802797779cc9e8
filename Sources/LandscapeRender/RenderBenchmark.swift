import Foundation

/// Times rendering of a 51×51 landscape-like grid at 800×600 (the size of a CLI or API plot).
public enum RenderBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var kind: GridPlotKind
        public var format: PictureFormat
        public var medianMilliseconds: Double, minimumMilliseconds: Double
        public var bytes: Int
        public var description: String {
            String(format: "%-9@ 51×51 at 800×600: median %.1f ms (min %.1f ms), %@ %d bytes",
                   kind.rawValue, medianMilliseconds, minimumMilliseconds, format.rawValue.uppercased(), bytes)
        }
    }

    /// Median of `repeats` timed renders per kind and format, after one warm-up render; the formats
    /// of one kind run one after another, so their ratio is measured side by side.
    public static func run(kinds: [GridPlotKind] = GridPlotKind.allCases, formats: [PictureFormat] = [.png],
                           repeats: Int = 9) throws -> [Result] {
        let axis = (0..<51).map { -1 + 2 * Double($0) / 50 }
        let grid = try Grid2D(x: axis, y: axis) { x, y in 0.3 + 2.5 * (x * x + 0.6 * y * y) + 0.4 * sin(3 * x) * cos(2 * y) }
        var options = GridPlotOptions()
        options.vmin = 0.1; options.vmax = 10; options.vlevel = 0.5
        options.style.title = "benchmark"
        return try kinds.flatMap { kind in try formats.map { format in
            options.style.format = format
            let warm = try GridPlot.render(grid, kind: kind, options: options)
            var times: [Double] = []
            for _ in 0..<max(repeats, 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try GridPlot.render(grid, kind: kind, options: options)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            return Result(kind: kind, format: format, medianMilliseconds: times[times.count / 2], minimumMilliseconds: times[0],
                          bytes: warm.data.count)
        } }
    }
}
