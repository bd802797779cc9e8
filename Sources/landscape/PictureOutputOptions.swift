import ArgumentParser
import Foundation
import LandscapePictures
import LandscapeRender

extension PictureFormat: ExpressibleByArgument {}

/// `--out` and `--format` of every picture command: one drawing, three back ends.
struct PictureOutputOptions: ParsableArguments {
    @Option(help: "png, svg or pdf (default: --out's extension, else png; a contradiction is refused).")
    var format: PictureFormat?
    @Option(help: "Output picture, .png, .svg or .pdf (written atomically).") var out: String

    func validate() throws { _ = try resolved() }

    /// The format to draw, refused as a usage error when the name and --format disagree.
    func resolved() throws -> PictureFormat {
        do { return try Pictures.format(asked: format, output: out) } catch { throw ValidationError("\(error)") }
    }

    var url: URL { URL(fileURLWithPath: out) }

    func report(_ plot: RenderedPlot) {
        print("wrote \(out) (\(plot.format.rawValue.uppercased()), \(plot.pixelWidth)×\(plot.pixelHeight), \(plot.data.count) bytes)")
    }
}
