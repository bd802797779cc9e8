import CCairo

/// The "not yet computed" fill: grey diagonal stripes in device pixels, identical whether a
/// plot paints it per pixel (rasters) or as a cairo pattern (vector shapes).
public enum Hatch {
    /// Stripe period and width in device pixels at scale 1.
    public static let period = 10, stripeWidth = 4
    public static let dark = RGBA(0.55, 0.55, 0.55), light = RGBA(0.86, 0.86, 0.86)

    /// The hatch colour at device pixel (px, py) for a canvas drawn at `scale`.
    @inline(__always)
    public static func color(px: Int, py: Int, scale: Double = 1) -> RGBA {
        let p = max(Int((Double(period) * scale).rounded()), 2)
        let w = max(Int((Double(stripeWidth) * scale).rounded()), 1)
        return ((px + py) % p + p) % p < w ? dark : light
    }

    /// Fills the current path of `canvas` with the hatch (aligned with `color(px:py:)`).
    static func fillCurrentPath(_ canvas: Canvas) {
        let p = max(Int((Double(period) * canvas.scale).rounded()), 2)
        let tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(p), Int32(p))
        let stride = Int(cairo_image_surface_get_stride(tile))
        if let base = cairo_image_surface_get_data(tile) {
            for y in 0..<p {
                let row = base.advanced(by: y * stride).withMemoryRebound(to: UInt32.self, capacity: p) { $0 }
                for x in 0..<p {
                    let (r, g, b) = color(px: x, py: y, scale: canvas.scale).bytes
                    row[x] = 0xFF00_0000 | UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
                }
            }
        }
        cairo_surface_mark_dirty(tile)
        let pattern = cairo_pattern_create_for_surface(tile)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_REPEAT)
        cairo_pattern_set_filter(pattern, CAIRO_FILTER_NEAREST)
        // User space is scaled by `scale`; the pattern must count device pixels from the origin.
        var matrix = cairo_matrix_t()
        cairo_matrix_init_scale(&matrix, canvas.scale, canvas.scale)
        cairo_pattern_set_matrix(pattern, &matrix)
        cairo_set_source(canvas.cr, pattern)
        cairo_fill(canvas.cr)
        cairo_pattern_destroy(pattern)
        cairo_surface_destroy(tile)
    }

    /// The "diverged" fill (computed, but the value was NaN or ±∞): solid dark grey, darker than
    /// both hatch shades and without hue, so neither the hatch nor a colormap colour reads as it.
    public static let diverged = RGBA(0.3, 0.3, 0.3)

    /// The fill of a point or cell without a value at device pixel (px, py).
    @inline(__always)
    static func color(_ state: PointState, px: Int, py: Int, scale: Double) -> RGBA? {
        switch state {
        case .present: return nil
        case .missing: return color(px: px, py: py, scale: scale)
        case .diverged: return diverged
        }
    }
}
