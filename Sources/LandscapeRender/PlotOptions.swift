import Foundation

/// What every plot shares: image size, DPI factor, title, background, fonts.
public struct PlotStyle: Sendable, Equatable {
    /// Logical size in pixels; the PNG is width·scale × height·scale.
    public var width = 800, height = 600
    /// DPI factor (2 = "retina"): everything is drawn `scale` times larger.
    public var scale = 1.0
    public var title: String?
    /// Transparent instead of white outside the plotted data.
    public var transparent = false
    public var titleFontSize = 16.0, labelFontSize = 13.0, tickFontSize = 11.0
    public var xLabel = "x", yLabel = "y"
    /// PNG (the default), or SVG / PDF drawn by the same code as vectors (heat maps stay pixels).
    public var format = PictureFormat.png
    public init() {}
}

/// The 2D plot kinds of a grid.
public enum GridPlotKind: String, CaseIterable, Sendable {
    case contour, filled, heatmap, surface3d
}

/// Options of contour, filled-contour, heatmap and 3D plots.
public struct GridPlotOptions: Sendable, Equatable {
    public var style = PlotStyle()
    /// Colour range and contour range; default: the data's range.
    public var vmin: Double?, vmax: Double?
    /// Contour spacing: levels vmin, vmin+vlevel, … < vmax (numpy arange, as the reference's 0.1:10:0.5).
    public var vlevel: Double?
    /// Explicit contour levels (win over vlevel and automatic levels).
    public var levels: [Double]?
    /// About this many "nice" levels when neither `levels` nor `vlevel` is given.
    public var levelCount = 12
    public var logScale = false
    public var colormap = Colormap.viridis
    public var labelContours = true
    public var colorbar = true
    public var colorbarLabel: String? = "loss"
    /// 3D view in degrees (matplotlib's defaults).
    public var azimuth = -60.0, elevation = 30.0
    /// 3D: z values above this are clipped to it (default: vmax, else the data maximum).
    public var zMax: Double?
    /// Mark the point (0, 0): the trained model in a loss landscape.
    public var markCentre = true
    public init() {}
}

/// A rendered image and where things are in it (device pixels), for tests and hit-testing.
public struct RenderedPlot: Sendable {
    /// The picture's bytes in `format` (SVG and PDF pages measure pixelWidth × pixelHeight points).
    public var data: Data
    public var format: PictureFormat
    public var pixelWidth: Int, pixelHeight: Int
    public var panels: [PanelGeometry]
    public var colorbar: ColorbarGeometry?

    /// The bytes of a picture drawn in the default format, PNG (what PNG-only callers read).
    public var png: Data { data }
}

/// One panel's data area in device pixels and the data ranges it shows.
public struct PanelGeometry: Sendable {
    public var plotArea: Rect
    public var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    /// Where the centre marker was drawn (3D plots), in device pixels: on the surface at the centre's value.
    public var centreMarker: (x: Double, y: Double)?
    /// 3D: the mesh lies between the centre and the viewer, so the marker is drawn as an outline only.
    public var centreMarkerHidden = false
    /// Where the points of the panel's path were drawn, in device pixels (in path order).
    public var pathPoints: [(x: Double, y: Double)] = []

    /// Device pixel of the data point (x, y) on a 2D panel (y grows upwards).
    public func pixel(x: Double, y: Double) -> (x: Double, y: Double) {
        (plotArea.x + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotArea.width,
         plotArea.maxY - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * plotArea.height)
    }
}

/// The colour bar's gradient area in device pixels; `scale.low` is at the bottom.
public struct ColorbarGeometry: Sendable {
    public var area: Rect
    public var scale: ValueScale
}
