import ArgumentParser
import LandscapePictures
import Foundation
import LandscapeEngine
import LandscapeRender

/// `lower:upper` (e.g. `-5:5`) as a closed range.
/// The shared parsers of `Pictures`, with their refusal as a CLI validation error naming the option.
func parseRange(_ text: String, option: String) throws -> ClosedRange<Double> {
    do { return try Pictures.range(parsing: text) } catch { throw ValidationError("\(option): \(error)") }
}

func parseActivations(_ text: String, option: String) throws -> [Activation] {
    do { return try Pictures.activations(parsing: text) } catch { throw ValidationError("\(option): \(error)") }
}

struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Plot activations with their first and second derivatives and mark each minimum.")

    @Option(help: "Comma-separated activations (relu, swish, mish, nish:<t>, ...).") var names = "relu,swish,mish"
    @Option(parsing: .unconditional, help: "x range LOWER:UPPER.") var range = "-5:5"
    @Option(help: "Samples over the range.") var points = 401
    @Option(help: "Image width in pixels.") var width = 1200
    @Option(help: "Image height in pixels.") var height = 420
    @Option(help: "DPI factor.") var scale = 1.0
    @OptionGroup var output: PictureOutputOptions

    func validate() throws {
        guard (2...100_000).contains(points) else { throw ValidationError("--points \(points): expected 2...100000") }
        _ = try parseRange(range, option: "--range")
    }

    func run() throws {
        let bounds = try parseRange(range, option: "--range")
        let list = try parseActivations(names, option: "--names")
        let plot = try Pictures.activations(list, range: bounds, points: points, width: width, height: height, scale: scale,
                                           format: try output.resolved())
        try plot.write(to: output.url)
        for a in list {
            if let m = Pictures.interiorMinimum(of: a, in: bounds) {
                print(String(format: "%@: minimum f(%.6f) = %.6f", a.displayName, m.x, m.value))
            }
        }
        output.report(plot)
    }
}
