import ArgumentParser
import LandscapeRender

struct RenderBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-bench",
        abstract: "Time rendering a 51×51 surface at 800×600 for each plot kind (median of repeated runs).")

    @Option(help: "Timed renders per kind.") var repeats = 9
    @Option(parsing: .upToNextOption, help: "Formats to time, side by side (png svg pdf); each kind reports its ratio to the first.")
    var format: [PictureFormat] = [.png]

    func run() throws {
        let results = try RenderBenchmark.run(formats: format, repeats: repeats)
        for result in results {
            let base = results.first { $0.kind == result.kind }!
            let ratio = result.format == base.format ? "" : String(format: "  (%.2f× %@)", result.medianMilliseconds / base.medianMilliseconds,
                                                                    base.format.rawValue.uppercased())
            print("\(result)\(ratio)")
        }
    }
}
