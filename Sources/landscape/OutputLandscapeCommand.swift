import ArgumentParser
import Foundation
import Landscape
import LandscapePictures
import LandscapeRender

struct OutputLandscapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output-landscape",
        abstract: "Output landscapes of a random MLP (Mish paper, Fig. 1), one image per activation, side by side.")

    @Option(help: "Comma-separated activations.") var activations = "relu,swish,mish"
    @Option(help: "Seed of the network weights (shared by every activation).") var seed: UInt64 = 0
    @Option(help: "Grid side in points.") var size = 256
    @Option(parsing: .unconditional, help: "Input range LOWER:UPPER on both axes.") var range = "-5:5"
    @Option(help: "Colormap (viridis, magma, coolwarm, summer) or grey.") var cmap = "viridis"
    @Option(help: "Image height in pixels (width: one square panel per activation).") var height = 440
    @Option(help: "DPI factor.") var scale = 1.0
    @OptionGroup var output: PictureOutputOptions

    func validate() throws {
        _ = try parseRange(range, option: "--range")
        guard (2...OutputLandscape.maximumSize).contains(size) else {
            throw ValidationError("--size \(size): expected 2...\(OutputLandscape.maximumSize)")
        }
        guard cmap == "grey" || cmap == "gray" || Colormap(rawValue: cmap) != nil else {
            throw ValidationError("--cmap \(cmap): expected one of \(Colormap.allCases.map(\.rawValue).joined(separator: ", ")) or grey")
        }
    }

    func run() throws {
        let plot = try Pictures.outputLandscapes(try parseActivations(activations, option: "--activations"), seed: seed, size: size,
                                                 range: try parseRange(range, option: "--range"),
                                                 colormap: Colormap(rawValue: cmap), height: height, scale: scale,
                                                 format: try output.resolved())
        try plot.write(to: output.url)
        output.report(plot)
    }
}
