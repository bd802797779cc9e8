import ArgumentParser
import LandscapeRender

struct RenderBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-bench",
        abstract: "Time rendering a 51×51 surface at 800×600 for each plot kind (median of repeated runs).")

    @Option(help: "Timed renders per kind.") var repeats = 9

    func run() throws {
        for result in try RenderBenchmark.run(repeats: repeats) { print(result) }
    }
}
