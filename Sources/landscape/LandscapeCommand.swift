import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine

@main
struct LandscapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Loss landscapes of CIFAR ResNets: evaluate, compute surfaces, render, serve.",
        subcommands: [ServeCommand.self, InspectCommand.self, EvalCommand.self, ConvertCommand.self,
                      SurfaceCommand.self, InterpolateCommand.self, RenderCommand.self, ActivationsCommand.self,
                      OutputLandscapeCommand.self, ExportCommand.self, ImportCommand.self, TrainCommand.self, TrajectoryCommand.self, BenchCommand.self,
                      RenderBenchCommand.self, HessianCommand.self, ConvexityCommand.self])

    /// The entry point: first make sure OpenBLAS runs the kernels this CPU deserves (may re-execute
    /// this program once; see `BLASCoreReexec`), apply `LANDSCAPE_KERNEL` (the convolution kernels'
    /// ISA, `KernelISA`), then parse and run the command.
    static func main() {
        BLASCoreReexec.runIfNeeded()
        do {
            try KernelISA.applyEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("landscape: \(error)\n".utf8))
            Foundation.exit(2)
        }
        // `--convolution auto` (the default): measured once per CPU model, cached under the user's cache directory.
        ConvolutionChoiceCache.install()
        main(nil)
    }
}
