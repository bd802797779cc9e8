import ArgumentParser
import Foundation
import LandscapeEngine
import LandscapeRender
import LandscapeService

/// `lower:upper` (e.g. `-5:5`) as a closed range.
func parseRange(_ text: String, option: String) throws -> ClosedRange<Double> {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low.isFinite, high.isFinite, low < high else {
        throw ValidationError("\(option) '\(text)': expected LOWER:UPPER with LOWER < UPPER, e.g. -5:5")
    }
    return low...high
}

func parseActivations(_ text: String) throws -> [Activation] {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !names.isEmpty else { throw ValidationError("expected a comma-separated list of activations, e.g. relu,swish,mish") }
    return try names.map { try Activation(parsing: $0) }
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
    @Option(help: "Output PNG file.") var out: String

    func validate() throws {
        guard (2...100_000).contains(points) else { throw ValidationError("--points \(points): expected 2...100000") }
        _ = try parseRange(range, option: "--range")
    }

    func run() throws {
        let bounds = try parseRange(range, option: "--range")
        let list = try parseActivations(names)
        let plot = try Pictures.activations(list, range: bounds, points: points, width: width, height: height, scale: scale)
        try plot.write(to: URL(fileURLWithPath: out))
        for a in list {
            if let m = Pictures.interiorMinimum(of: a, in: bounds) {
                print(String(format: "%@: minimum f(%.6f) = %.6f", a.displayName, m.x, m.value))
            }
        }
        print("wrote \(out) (\(plot.pixelWidth)×\(plot.pixelHeight), \(plot.png.count) bytes)")
    }
}
