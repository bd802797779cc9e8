import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeRender
import LandscapeCore

/// Every picture the project draws, from landscape types to PNG, shared by
/// the CLI (`landscape render`, `activations`, `output-landscape`) and the
/// API's PNG endpoints so both draw exactly the same thing.
public enum Pictures {
    public static func surfaces(_ surfaces: [Surface], _ settings: RenderSpec) throws -> RenderedPlot {
        guard !surfaces.isEmpty else { throw LandscapeError.invalidRequest("no surface to draw") }
        let titles = SurfaceTitles(surfaces, metric: settings.metric)
        let axes = surfaces.map(\.axisLabels)
        var style = PlotStyle()
        style.width = settings.width; style.height = settings.height
        style.scale = settings.scale; style.transparent = settings.transparent; style.format = settings.format
        style.title = settings.title ?? titles.figure
        style.xLabel = axes[0].x; style.yLabel = axes[0].y ?? settings.metric.rawValue
        if let gridKind = settings.kind.gridKind {
            var options = GridPlotOptions()
            options.style = style
            options.vmin = settings.vmin; options.vmax = settings.vmax; options.vlevel = settings.vlevel
            if settings.vlevel == nil, let count = settings.levels {
                options.levelCount = count
                // With both ends given, exactly the page's levels: k/(count+1) of the way along the scale.
                if let vmin = settings.vmin, let vmax = settings.vmax,
                   let scale = try? ValueScale(low: vmin, high: vmax, logarithmic: settings.logScale) {
                    options.levels = (1...count).map { scale.value(atFraction: Double($0) / Double(count + 1)) }
                }
            }
            options.logScale = settings.logScale; options.colormap = settings.colormap
            options.azimuth = settings.azimuth; options.elevation = settings.elevation; options.zMax = settings.zMax
            options.colorbarLabel = settings.metric.rawValue
            let panels = try surfaces.enumerated().map { i, surface in
                // A panel names its own axes only where they differ from the first panel's.
                GridPanel(title: titles.panels?[i], grid: try surface.grid(settings.metric),
                          xLabel: axes[i].x == style.xLabel ? nil : axes[i].x,
                          yLabel: axes[i].y == style.yLabel ? nil : axes[i].y, path: try surface.pathOverlay())
            }
            return try GridPlot.render(panels, kind: gridKind, options: options)
        }
        var options = LinePlotOptions()
        options.style = style
        options.style.yLabel = SurfaceMetric.loss.rawValue
        options.logLeft = settings.logScale
        if let vmin = settings.vmin, let vmax = settings.vmax { options.leftRange = vmin...vmax }
        if Set(axes.map(\.x)).count > 1 { options.style.xLabel = "α (see legend: the surfaces' directions differ)" }
        // Several curves have no panel titles: the legend carries each one's diverged count.
        let losses = try zip(surfaces, titles.legends).map { surface, legend in
            let diverged = surfaces.count > 1 ? surface.divergedPhrase.map { ", \($0)\(SurfaceTitles.divergedKey)" } : nil
            return try surface.curve(.loss, label: "\(legend) loss" + (diverged ?? ""))
        }
        let accuracies = try zip(surfaces, titles.legends).map { try $0.curve(.accuracy, label: "\($1) accuracy") }
        return try LinePlot.render(left: losses, right: accuracies, options: options)
    }

    /// The minimum worth marking: a dip inside the range below zero (Swish,
    /// Mish, GELU). A minimum at the range's edge (ELU, Tanh) or a flat zero
    /// (ReLU) is not a feature of the function.
    public static func interiorMinimum(of activation: Activation, in range: ClosedRange<Double>) -> (x: Double, value: Double)? {
        let found = activation.minimum(in: range)
        let margin = 1e-3 * (range.upperBound - range.lowerBound)
        let interior = found.x > range.lowerBound + margin && found.x < range.upperBound - margin
        return interior && found.value < -1e-9 ? found : nil
    }

    /// Why a range or activation list given to the CLI or the API was refused.
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The activations are stable to |x| = 1e4 (float64 and float32 kernels alike).
    public static let maximumInput = 1e4

    /// "LOW:HIGH" with LOW < HIGH, both finite and within ±`maximumInput`:
    /// the CLI's --range and the API's range= alike.
    public static func range(parsing text: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low.isFinite, high.isFinite, low < high,
              abs(low) <= maximumInput, abs(high) <= maximumInput else {
            throw ParseError(description: "'\(text)': expected LOW:HIGH with LOW < HIGH and |values| <= \(Int(maximumInput)), e.g. -5:5")
        }
        return low...high
    }

    /// Comma-separated activation names (relu, swish, mish, nish:<t>, ...), at most `maximumCount`.
    /// Curves per activation picture or request: more are unreadable on one plot.
    public static let maximumActivations = 8

    public static func activations(parsing text: String, maximumCount: Int = maximumActivations) throws -> [Activation] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard (1...maximumCount).contains(names.count) else {
            throw ParseError(description: "expected 1...\(maximumCount) comma-separated activations (e.g. relu,swish,mish), got '\(text)'")
        }
        do { return try names.map { try Activation(parsing: $0) } } catch {
            throw ParseError(description: "\(error)")
        }
    }

    public static func samples(_ range: ClosedRange<Double>, count: Int) -> [Double] {
        (0..<count).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count - 1) }
    }

    public static func activations(_ activations: [Activation], range: ClosedRange<Double>, points: Int,
                                   width: Int = 1200, height: Int = 420, scale: Double = 1,
                                   format: PictureFormat = .png) throws -> RenderedPlot {
        let x = samples(range, count: points)
        let series = try activations.map { a in
            try ActivationSeries(name: a.displayName, x: x, f: x.map(a.value), df: x.map(a.derivative),
                                 d2f: x.map(a.secondDerivative), minimum: interiorMinimum(of: a, in: range))
        }
        var style = ActivationPlot.defaultStyle
        style.width = width; style.height = height; style.scale = scale; style.format = format
        let ends = Ticks.labels([range.lowerBound, range.upperBound])
        style.title = "Activations on [\(ends[0]), \(ends[1])]"
        return try ActivationPlot.render(series, style: style)
    }

    /// Output landscapes of the Mish paper side by side; `colormap` nil draws greyscale.
    public static func outputLandscapes(_ activations: [Activation], seed: UInt64, size: Int, range: ClosedRange<Double>,
                                        colormap: Colormap?, height: Int = 440, scale: Double = 1,
                                        format: PictureFormat = .png) throws -> RenderedPlot {
        let panels = try activations.map { activation -> GridPanel in
            let field = try OutputLandscape(activation: activation, seed: seed).grid(size: size, range: range)
            return GridPanel(title: activation.displayName,
                             grid: try Grid2D(x: field.coordinates, y: field.coordinates, values: field.values.map { $0.map { $0 } }))
        }
        var options = ImageGridOptions()
        options.colormap = colormap
        options.style.height = height; options.style.scale = scale; options.style.format = format
        options.style.width = Int(Double(height) * 0.92) * activations.count + 20
        options.style.title = "Output landscape of a random 2-64-32-16-1 MLP (seed \(seed))"
        return try ImageGrid.render(panels, options: options)
    }
}

extension RenderedPlot {
    /// Writes the picture (PNG, SVG or PDF) through the project's one atomic writer (temporary file, fsync, rename),
    /// saying plainly when the directory is missing.
    public func write(to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RenderError.writeFailed(path: url.path, detail: "the directory \(directory.path) does not exist: create it first")
        }
        do { try AtomicFile.write(data, to: url) } catch {
            throw RenderError.writeFailed(path: url.path, detail: "\(error)")
        }
    }
}
