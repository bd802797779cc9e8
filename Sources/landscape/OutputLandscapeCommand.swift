import ArgumentParser
import Foundation
import Landscape
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
    @Option(help: "Output PNG file.") var out: String

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
        let bounds = try parseRange(range, option: "--range")
        let list = try parseActivations(activations)
        let panels = try list.map { activation -> GridPanel in
            let field = try OutputLandscape(activation: activation, seed: seed).grid(size: size, range: bounds)
            return GridPanel(title: activation.displayName,
                             grid: try Grid2D(x: field.coordinates, y: field.coordinates, values: field.values.map { $0.map { $0 } }))
        }
        var options = ImageGridOptions()
        options.colormap = Colormap(rawValue: cmap)
        options.style.height = height; options.style.scale = scale
        options.style.width = Int(Double(height) * 0.92) * list.count + 20
        options.style.title = "Output landscape of a random 2-64-32-16-1 MLP (seed \(seed))"
        let plot = try ImageGrid.render(panels, options: options)
        try plot.write(to: URL(fileURLWithPath: out))
        print("wrote \(out) (\(plot.pixelWidth)×\(plot.pixelHeight), \(plot.png.count) bytes)")
    }
}
