/// An RGBA colour with components in 0…1.
public struct RGBA: Sendable, Equatable {
    public var r, g, b, a: Double
    public init(_ r: Double, _ g: Double, _ b: Double, _ a: Double = 1) { self.r = r; self.g = g; self.b = b; self.a = a }
    public static let black = RGBA(0, 0, 0), white = RGBA(1, 1, 1)
    /// 8-bit components as a PNG would store them (rounded).
    public var bytes: (r: UInt8, g: UInt8, b: UInt8) {
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
        return (byte(r), byte(g), byte(b))
    }
}

/// Perceptual colormaps from published tables (matplotlib's, see ColormapTables.swift),
/// linearly interpolated between anchors.
public enum Colormap: String, CaseIterable, Sendable {
    case viridis, magma, coolwarm, summer

    /// The colour at t ∈ [0, 1] (clamped; NaN gives the low end).
    public func color(at t: Double) -> RGBA {
        let anchors = ColormapTables.anchors(self)
        let t = t.isNaN ? 0 : min(max(t, 0), 1)
        // Binary search: the listed maps have 256 anchors and this runs per pixel.
        var low = 0, hi = anchors.count - 1
        while hi - low > 1 {
            let mid = (low + hi) / 2
            if anchors[mid].position < t { low = mid } else { hi = mid }
        }
        let lo = anchors[hi - 1], up = anchors[hi]
        let f = up.position > lo.position ? (t - lo.position) / (up.position - lo.position) : 0
        return RGBA(lo.r + (up.r - lo.r) * f, lo.g + (up.g - lo.g) * f, lo.b + (up.b - lo.b) * f)
    }
}

struct ColormapAnchor: Sendable { var position, r, g, b: Double }

enum ColormapTables {
    static func anchors(_ map: Colormap) -> [ColormapAnchor] {
        switch map {
        case .viridis: return viridis
        case .magma: return magma
        case .coolwarm: return coolwarmAnchors
        case .summer: return summer
        }
    }

    static let viridis = listed(viridisHex)
    static let magma = listed(magmaHex)
    static let coolwarmAnchors = coolwarm.map { ColormapAnchor(position: $0.0, r: $0.1, g: $0.2, b: $0.3) }
    /// matplotlib `summer`: (x, 0.5 + x/2, 0.4).
    static let summer = [ColormapAnchor(position: 0, r: 0, g: 0.5, b: 0.4), ColormapAnchor(position: 1, r: 1, g: 1, b: 0.4)]

    /// 256 evenly spaced colours from 6-hex-digit runs.
    private static func listed(_ hex: String) -> [ColormapAnchor] {
        let digits = Array(hex.utf8.filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: " ") })
        func nibble(_ c: UInt8) -> Double { Double(c <= 57 ? c - 48 : c - 87) }
        let count = digits.count / 6
        return (0..<count).map { i in
            let c = (0..<3).map { k in (nibble(digits[6 * i + 2 * k]) * 16 + nibble(digits[6 * i + 2 * k + 1])) / 255 }
            return ColormapAnchor(position: Double(i) / Double(count - 1), r: c[0], g: c[1], b: c[2])
        }
    }
}
