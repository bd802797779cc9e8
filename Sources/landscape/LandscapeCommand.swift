import ArgumentParser

@main
struct LandscapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Loss landscapes of CIFAR ResNets: evaluate, compute surfaces, render, serve.",
        subcommands: [InspectCommand.self, ConvertCommand.self,
                      BenchCommand.self, RenderCommand.self, ActivationsCommand.self,
                      OutputLandscapeCommand.self, RenderBenchCommand.self])
}
