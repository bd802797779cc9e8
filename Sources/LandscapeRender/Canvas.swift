import CCairo
import Foundation

/// A rectangle in logical pixels (before the DPI `scale`), origin top-left.
public struct Rect: Sendable, Equatable {
    public var x, y, width, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public func inset(left: Double = 0, top: Double = 0, right: Double = 0, bottom: Double = 0) -> Rect {
        Rect(x: x + left, y: y + top, width: max(width - left - right, 1), height: max(height - top - bottom, 1))
    }
    func scaled(_ s: Double) -> Rect { Rect(x: x * s, y: y * s, width: width * s, height: height * s) }
}

/// What a canvas draws into: cairo's ARGB32 image surface (written as PNG) or its SVG or PDF
/// surface. The same drawing code runs on all three; only `raster` (heat maps, colour bars)
/// differs, painting an image at device resolution into the vector formats.
public enum PictureFormat: String, CaseIterable, Sendable {
    case png, svg, pdf

    /// The format a file extension names (case-insensitive), or nil.
    public init?(pathExtension: String) { self.init(rawValue: pathExtension.lowercased()) }

    public var contentType: String {
        switch self {
        case .png: return "image/png"
        case .svg: return "image/svg+xml"
        case .pdf: return "application/pdf"
        }
    }
}

/// A cairo surface the plots draw into, in logical pixels scaled by `scale`: an ARGB32 image
/// (PNG), or an SVG or PDF page of pixelWidth × pixelHeight points.
/// The only type that owns cairo objects; everything else draws through it.
final class Canvas {
    let width: Double, height: Double, scale: Double
    let pixelWidth: Int, pixelHeight: Int
    let format: PictureFormat
    let surface: OpaquePointer
    let cr: OpaquePointer
    static let fontFamily = "DejaVu Sans"

    /// Collects what cairo's SVG and PDF surfaces write.
    private final class Sink { var data = Data() }
    private let sink = Sink()

    init(width: Int, height: Int, scale: Double, transparent: Bool, format: PictureFormat = .png) throws {
        guard (16...8192).contains(width), (16...8192).contains(height) else {
            throw RenderError.invalidOption(name: "width/height", detail: "expected 16...8192 pixels, got \(width)×\(height)")
        }
        guard scale.isFinite, scale >= 0.25, scale <= 8, Double(width) * scale <= 16384, Double(height) * scale <= 16384 else {
            throw RenderError.invalidOption(name: "scale", detail: "expected 0.25...8 and at most 16384 device pixels a side, got \(scale)")
        }
        self.width = Double(width); self.height = Double(height); self.scale = scale; self.format = format
        pixelWidth = Int((Double(width) * scale).rounded()); pixelHeight = Int((Double(height) * scale).rounded())
        let write: cairo_write_func_t = { closure, bytes, length in
            guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        switch format {
        case .png: surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(pixelWidth), Int32(pixelHeight))
        case .svg: surface = cairo_svg_surface_create_for_stream(write, closure, Double(pixelWidth), Double(pixelHeight))
        case .pdf: surface = cairo_pdf_surface_create_for_stream(write, closure, Double(pixelWidth), Double(pixelHeight))
        }
        try Canvas.check(cairo_surface_status(surface), "\(format.rawValue)_surface_create")
        cr = cairo_create(surface)
        try Canvas.check(cairo_status(cr), "create")
        cairo_scale(cr, scale, scale)
        if !transparent {
            setColor(.white)
            cairo_paint(cr)
        }
        cairo_select_font_face(cr, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    static func check(_ status: cairo_status_t, _ call: String) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError.cairo(call: call, status: String(cString: cairo_status_to_string(status)))
        }
    }

    func setColor(_ c: RGBA) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }

    func fill(_ rect: Rect, _ color: RGBA) {
        setColor(color)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(cr)
    }

    func stroke(_ rect: Rect, _ color: RGBA, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(cr)
    }

    func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ color: RGBA, width: Double = 1) {
        setColor(color)
        cairo_set_line_width(cr, width)
        cairo_move_to(cr, x0, y0)
        cairo_line_to(cr, x1, y1)
        cairo_stroke(cr)
    }

    /// Polyline through `points`, stroked.
    func polyline(_ points: [(Double, Double)], _ color: RGBA, width: Double, dash: [Double] = []) {
        guard let first = points.first, points.count > 1 else { return }
        setColor(color)
        cairo_set_line_width(cr, width)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_dash(cr, dash, Int32(dash.count), 0)
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        setFont(size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// Smallest fraction of its size a label is shrunk to before it is shortened instead.
    static let smallestFontFraction = 0.6

    /// `text` at `size`, or smaller (down to `smallestFontFraction` of it) so that it fits `width`;
    /// beyond that, cut at the end with "…" (a too-narrow picture loses the end, never both ends).
    func fitted(_ text: String, size: Double, width: Double, bold: Bool = false) -> (text: String, size: Double) {
        let natural = textWidth(text, size: size, bold: bold)
        if natural <= width { return (text, size) }
        let smallest = size * Canvas.smallestFontFraction
        if natural * Canvas.smallestFontFraction <= width { return (text, size * width / natural) }
        var cut = text
        while cut.count > 1 && textWidth(cut + "…", size: smallest, bold: bold) > width { cut.removeLast() }
        return (cut.trimmingCharacters(in: .whitespaces) + "…", smallest)
    }

    /// Draws `text` so that the point (x, y) sits at the fraction (alignX, alignY) of its box
    /// (0 = left/top, 0.5 = centre, 1 = right/bottom), rotated by `angle` radians about that point.
    func text(_ text: String, x: Double, y: Double, size: Double, color: RGBA = .black, bold: Bool = false,
              alignX: Double = 0, alignY: Double = 0.5, angle: Double = 0, background: RGBA? = nil) {
        setFont(size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        var font = cairo_font_extents_t()
        cairo_font_extents(cr, &font)
        let boxHeight = font.ascent + font.descent
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_rotate(cr, angle)
        let left = -alignX * extents.x_advance, top = -alignY * boxHeight
        if let background {
            setColor(background)
            cairo_rectangle(cr, left - 2, top - 1, extents.x_advance + 4, boxHeight + 2)
            cairo_fill(cr)
        }
        setColor(color)
        cairo_move_to(cr, left, top + font.ascent)
        cairo_show_text(cr, text)
        cairo_restore(cr)
    }

    private func setFont(size: Double, bold: Bool) {
        cairo_select_font_face(cr, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    /// Fills `rect` pixel by pixel at device resolution: `shade(deviceX, deviceY)` returns
    /// premultiplied-free RGBA, or nil to leave the pixel as it is.
    func raster(_ rect: Rect, shade: (Double, Double) -> RGBA?) throws {
        let device = rect.scaled(scale)
        let x0 = Int(device.x.rounded()), y0 = Int(device.y.rounded())
        let x1 = min(Int(device.maxX.rounded()), pixelWidth), y1 = min(Int(device.maxY.rounded()), pixelHeight)
        guard x1 > x0, y1 > y0 else { return }
        guard format == .png else { return try rasterAsImage(x0: max(x0, 0), y0: max(y0, 0), x1: x1, y1: y1, shade: shade) }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let base = cairo_image_surface_get_data(surface) else {
            throw RenderError.cairo(call: "image_surface_get_data", status: "no pixel data")
        }
        for py in max(y0, 0)..<y1 {
            let row = base.advanced(by: py * stride).withMemoryRebound(to: UInt32.self, capacity: pixelWidth) { $0 }
            for px in max(x0, 0)..<x1 {
                guard let c = shade(Double(px) + 0.5, Double(py) + 0.5) else { continue }
                let a = min(max(c.a, 0), 1)
                func premul(_ v: Double) -> UInt32 { UInt32((min(max(v, 0), 1) * a * 255).rounded()) }
                row[px] = UInt32((a * 255).rounded()) << 24 | premul(c.r) << 16 | premul(c.g) << 8 | premul(c.b)
            }
        }
        cairo_surface_mark_dirty(surface)
    }

    /// The vector formats' `raster`: the same pixels, shaded into an image of the area's device
    /// size and painted there 1:1 (device units are points in SVG and PDF).
    private func rasterAsImage(x0: Int, y0: Int, x1: Int, y1: Int, shade: (Double, Double) -> RGBA?) throws {
        let image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(x1 - x0), Int32(y1 - y0))
        defer { cairo_surface_destroy(image) }
        try Canvas.check(cairo_surface_status(image), "image_surface_create")
        let stride = Int(cairo_image_surface_get_stride(image))
        guard let base = cairo_image_surface_get_data(image) else {
            throw RenderError.cairo(call: "image_surface_get_data", status: "no pixel data")
        }
        for py in y0..<y1 {
            let row = base.advanced(by: (py - y0) * stride).withMemoryRebound(to: UInt32.self, capacity: x1 - x0) { $0 }
            for px in x0..<x1 {
                guard let c = shade(Double(px) + 0.5, Double(py) + 0.5) else { row[px - x0] = 0; continue }
                let a = min(max(c.a, 0), 1)
                func premul(_ v: Double) -> UInt32 { UInt32((min(max(v, 0), 1) * a * 255).rounded()) }
                row[px - x0] = UInt32((a * 255).rounded()) << 24 | premul(c.r) << 16 | premul(c.g) << 8 | premul(c.b)
            }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(cr)
        cairo_identity_matrix(cr)
        cairo_set_source_surface(cr, image, Double(x0), Double(y0))
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_rectangle(cr, Double(x0), Double(y0), Double(x1 - x0), Double(y1 - y0))
        cairo_fill(cr)
        cairo_restore(cr)
    }

    /// The finished picture's bytes in `format`. For PDF, `title` becomes the document's Title.
    /// Call once, after all drawing: the SVG and PDF surfaces are finished by it.
    func output(title: String? = nil) throws -> Data {
        switch format {
        case .png: return try pngData()
        case .svg, .pdf:
            if format == .pdf, let title { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title) }
            cairo_surface_finish(surface)
            try Canvas.check(cairo_surface_status(surface), "\(format.rawValue)_surface_finish")
            return sink.data
        }
    }

    /// The image as PNG bytes.
    func pngData() throws -> Data {
        cairo_surface_flush(surface)
        final class Sink { var data = Data() }
        let sink = Sink()
        let status = cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
            guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        try Canvas.check(status, "surface_write_to_png_stream")
        return sink.data
    }
}
