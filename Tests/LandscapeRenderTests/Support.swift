// Tests for the render module: PNGs decoded with cairo and checked pixel by pixel.
import CCairo
import Foundation
import XCTest
import LandscapeRender

/// A PNG decoded by cairo (independently of how it was drawn): size and unpremultiplied pixels.
struct DecodedImage {
    let width: Int, height: Int
    private let pixels: [UInt32]

    init(png: Data) throws {
        final class Source { let data: Data; var offset = 0; init(_ d: Data) { data = d } }
        let source = Source(png)
        let surface = cairo_image_surface_create_from_png_stream({ closure, buffer, length in
            let source = Unmanaged<Source>.fromOpaque(closure!).takeUnretainedValue()
            let n = Int(length)
            guard source.offset + n <= source.data.count, let buffer else { return CAIRO_STATUS_READ_ERROR }
            source.data.copyBytes(to: buffer, from: source.offset..<(source.offset + n))
            source.offset += n
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(source).toOpaque())
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw NSError(domain: "png", code: 1, userInfo: [NSLocalizedDescriptionKey: "cairo could not decode the PNG"])
        }
        width = Int(cairo_image_surface_get_width(surface)); height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let format = cairo_image_surface_get_format(surface)
        let base = cairo_image_surface_get_data(surface)!
        var pixels = [UInt32](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var p = base.advanced(by: y * stride + 4 * x).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
                if format == CAIRO_FORMAT_RGB24 { p |= 0xFF00_0000 }
                pixels[y * width + x] = p
            }
        }
        self.pixels = pixels
    }

    /// (r, g, b, a) in 0…255, un-premultiplied.
    func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int, a: Int) {
        let p = pixels[y * width + x]
        let a = Int(p >> 24)
        func un(_ c: UInt32) -> Int { a == 0 ? 0 : min(255, Int((Double(c & 0xFF) * 255 / Double(a)).rounded())) }
        return (un(p >> 16), un(p >> 8), un(p), a)
    }

    func pixel(_ point: (x: Double, y: Double)) -> (r: Int, g: Int, b: Int, a: Int) { pixel(Int(point.x), Int(point.y)) }
}

/// Largest per-channel difference between a decoded pixel and a colour (0…255).
func colourDistance(_ p: (r: Int, g: Int, b: Int, a: Int), _ c: RGBA) -> Int {
    let b = c.bytes
    return max(abs(p.r - Int(b.r)), abs(p.g - Int(b.g)), abs(p.b - Int(b.b)))
}

func isWhite(_ p: (r: Int, g: Int, b: Int, a: Int)) -> Bool { p.r > 245 && p.g > 245 && p.b > 245 }

/// Evenly spaced coordinates, like numpy.linspace.
func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Double] { (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) } }

/// Samples for people to look at (not checked here), written only when
/// LANDSCAPE_RENDER_SAMPLES names a directory.
func saveSample(_ plot: RenderedPlot, _ name: String) {
    guard let path = ProcessInfo.processInfo.environment["LANDSCAPE_RENDER_SAMPLES"] else { return }
    let directory = URL(fileURLWithPath: path)
    try? plot.png.write(to: directory.appendingPathComponent(name))
}
