import ArgumentParser
import Foundation
import LandscapeEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Forward-pass throughput of a ResNet (images/s, GFLOP/s): median of repeated runs.")

    @Option(help: "Network depth (6n+2).") var depth = 20
    @Option(help: "Input images as CxHxW: 3x32x32 (CIFAR-10, the default) or 1x28x28 (Fashion-MNIST, the shipped models); 1 or 3 channels, 8 to 512 pixels a side.")
    var input = "3x32x32"
    @Option(help: "Activation (relu, swish, mish, ...), or a comma-separated list: alternated run by run, each reported against the first in the same round (issue 20: Swish and Mish at >= 90 % of ReLU).")
    var activation = "relu"
    @Option(help: "Micro-batch sizes to try, comma-separated (images per forward call; surfaces use 8 with direct and winograd, 32 with im2col).")
    var batches = "8,32,128"
    @Option(help: "Thread counts to try, comma-separated.") var threads = "1,2"
    @Option(help: "Convolution algorithms to try, comma-separated: direct, winograd, winograd4 (F(4x4, 3x3)), im2col (for the stride-1 convolutions; the two strided ones run direct unless im2col), onednn (oneDNN for every convolution; --kernels does not apply to it), auto (the per-layer plan --convolution auto runs on this CPU; its kernel column ends in '+' when the plan mixes kernels).")
    var algorithms = "direct,winograd,im2col"
    @Option(help: "Convolution kernel ISAs to try, comma-separated: avx512, avx2, portable (im2col and BLAS), or 'current' (LANDSCAPE_KERNEL, else the best this CPU runs). Alternated: every ISA runs each configuration before the next configuration.")
    var kernels = "current"
    @Option(help: "Images per timed run.") var images = 1024
    @Option(help: "Timed runs per configuration (the median is reported).") var repeats = 5
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Print only the CPU, the convolution kernels' ISA and the BLAS core in use, then exit.") var system = false
    @Flag(help: "Time each convolution shape of the network alone instead (bias and --activation fused, 1 thread, the first of --batches; oneDNN only where it has the activation), for each of --algorithms, alternating.")
    var layers = false

    func run() throws {
        let report = EngineReport.fields(environment: ProcessInfo.processInfo.environment)
        if system {
            if json {
                let data = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: report.map { ($0.key, $0.value) }),
                                                      options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for (key, value) in report { print("\(key): \(value)") }
            }
            return
        }
        let shape = try BenchFixture.InputShape(parsing: input)
        let activations = try activation.split(separator: ",").map { try Activation(parsing: String($0)) }
        guard let first = activations.first, Set(activations.map(\.description)).count == activations.count else {
            throw ValidationError("--activation: expected one activation or a comma-separated list without repeats, got '\(activation)'")
        }
        if layers {
            guard activations.count == 1 else { throw ValidationError("--layers takes one --activation") }
            try runLayers(report, activation: first, input: shape)
            return
        }
        let isaList = try kernels.split(separator: ",").map { name -> KernelISA in
            let text = name.trimmingCharacters(in: .whitespaces)
            if text == "current" { return KernelISA.current }
            let isa = try KernelISA.parse(text, source: "--kernels")
            guard isa.isSupported else { throw KernelISAError.unsupported(isa, cpu: CPUFeatures.current.summary) }
            return isa
        }
        // What alternates run by run inside each configuration: every ISA with every activation, so that a load
        // on the machine falls on all of them alike (and an activation's rate is compared with the first
        // activation's in the same round).
        struct Variant: Hashable { let isa: KernelISA, activation: Int }
        let variants = isaList.reduce(into: [Variant]()) { list, isa in
            for index in activations.indices where !list.contains(Variant(isa: isa, activation: index)) {
                list.append(Variant(isa: isa, activation: index))
            }
        }
        let architectures = try activations.map {
            try ResNetArchitecture(depth: depth, inputChannels: shape.channels, activation: $0)
        }
        // One network per variant: a network packs its weights for the register kernels (or not, for portable)
        // when it is built.
        var networks: [Variant: InferenceNetwork] = [:]
        for variant in variants {
            try KernelISA.select(variant.isa)
            networks[variant] = InferenceNetwork(BenchFixture.model(architectures[variant.activation]))
        }
        let data = try BenchFixture.images(count: images, shape: shape)
        let flopsPerImage = Double(architectures[0].forwardFLOPs(height: shape.height, width: shape.width))
        var rows: [[String: Any]] = []
        if !json { print(report.map { "\($0.key): \($0.value)" }.joined(separator: "; ")) }
        let names = activations.map(\.description)
        if !json { print("\(architectures[0].description), \(images) images of \(shape) per run, median of \(repeats) runs"
                         + (names.count > 1 ? "; activations \(names.joined(separator: ", ")) alternated run by run" : "")) }
        if !json { print("algorithm  kernel    batch  threads   img/s (median)   min     max    GFLOP/s (direct-conv FLOPs)   img/CPU-s (median)"
                         + "   GFLOP/CPU-s (multiplies done)   % of FMA peak (median of runs)"
                         + (names.count > 1 ? "   activation: img/CPU-s against \(names[0])'s in the same round (median)" : "")) }
        let algorithmList = try algorithms.split(separator: ",").map {
            guard let a = ConvolutionAlgorithm(rawValue: String($0)) else {
                throw ValidationError("unknown algorithm '\($0)': expected one of "
                    + ConvolutionAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return a
        }
        for algorithm in algorithmList {
        for threadCount in try parseList(threads) {
            for batch in try parseList(batches) {
                let evaluator = Evaluator(threads: threadCount, microBatch: batch, algorithm: algorithm)
                var rates: [Variant: [Double]] = [:], cpuRates: [Variant: [Double]] = [:]
                // All timed calls together (images over summed seconds): what a whole run of many calls, such as
                // a surface's points, is compared with; the median alone leaves out the slow calls.
                var timed: [Variant: (images: Int, seconds: Double, cpuSeconds: Double)] = [:]
                // Issue 20's figure: the multiplies the kernels really do per CPU-second against one core's FMA
                // peak, measured right after each timed run (a drifting clock moves both), median of the runs.
                var multiplyFLOPs: [Variant: Double] = [:], peakShares: [Variant: [Double]] = [:]
                var peaks: [Double] = []
                for round in -1..<repeats {   // round -1: warm-up (workspaces, caches)
                    for variant in variants {
                        try KernelISA.select(variant.isa)
                        let arch = architectures[variant.activation]
                        if multiplyFLOPs[variant] == nil {   // what runs depends on the ISA selected (portable: BLAS)
                            multiplyFLOPs[variant] = evaluator.plan(for: arch).multiplyFLOPs(arch, height: shape.height, width: shape.width)
                        }
                        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Self.processCPUSeconds()
                        _ = try evaluator.evaluate(networks[variant]!, on: data)
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                        let cpuSeconds = Self.processCPUSeconds() - cpuStart
                        if round >= 0 {
                            rates[variant, default: []].append(Double(images) / seconds)
                            cpuRates[variant, default: []].append(Double(images) / max(cpuSeconds, 1e-9))
                            timed[variant, default: (0, 0, 0)].images += images
                            timed[variant, default: (0, 0, 0)].seconds += seconds
                            timed[variant, default: (0, 0, 0)].cpuSeconds += cpuSeconds
                            if let peak = FMAPeak.measure() {
                                peaks.append(peak.gflops)
                                peakShares[variant, default: []].append(
                                    Double(images) / max(cpuSeconds, 1e-9) * multiplyFLOPs[variant]! / 1e9 / peak.gflops)
                            }
                        }
                    }
                }
                for variant in variants {
                    let isa = variant.isa
                    let sorted = rates[variant]!.sorted()
                    let median = sorted[sorted.count / 2]
                    let cpuSorted = cpuRates[variant]!.sorted()
                    let cpuMedian = cpuSorted[cpuSorted.count / 2]
                    let all = timed[variant]!
                    let multiplyRate = cpuMedian * multiplyFLOPs[variant]! / 1e9
                    let share = peakShares[variant].map { $0.sorted()[$0.count / 2] }
                    let peak = peaks.isEmpty ? nil : peaks.sorted()[peaks.count / 2]
                    // Against the first activation on the same ISA, run by run (the same round's two runs).
                    let firstRates = cpuRates[Variant(isa: isa, activation: 0)]!
                    let paired = zip(cpuRates[variant]!, firstRates).map { $0 / $1 }.sorted()
                    let againstFirst = paired[paired.count / 2]
                    let kernel = algorithm.effective == .im2col ? "blas" : algorithm.effective == .onednn ? "onednn"
                        : evaluator.plan.isUniform ? isa.rawValue : "\(isa.rawValue)+"   // +: a per-layer plan with oneDNN or direct layers
                    var row: [String: Any] = [
                        "winograd": algorithm == .winograd ? 1 : 0, "winograd4": algorithm == .winograd4 ? 1 : 0, "direct": algorithm == .direct ? 1 : 0,
                        "onednn": algorithm == .onednn ? 1 : 0, "auto": algorithm == .auto ? 1 : 0,
                        "avx512": isa == .avx512 && algorithm.effective != .im2col && algorithm.effective != .onednn ? 1 : 0,
                        "portable": isa == .portable ? 1 : 0, "activation": names[variant.activation],
                        "batch": Double(batch), "threads": Double(threadCount), "images_per_second": median,
                        "min": sorted.first!, "max": sorted.last!, "gflops": median * flopsPerImage / 1e9,
                        "images_per_cpu_second": cpuMedian,
                        "images_per_second_all_calls": Double(all.images) / max(all.seconds, 1e-9),
                        "images_per_cpu_second_all_calls": Double(all.images) / max(all.cpuSeconds, 1e-9),
                        "multiply_flops_per_image": multiplyFLOPs[variant]!,
                        "multiply_gflops_per_cpu_second": multiplyRate,
                        "against_first_activation": againstFirst]
                    if let share, let peak { row["fma_peak_share"] = share; row["fma_peak_gflops"] = peak }
                    rows.append(row)
                    if !json {
                        let peakText = share.map { String(format: "%.1f %% of %.1f (%@)", 100 * $0, peak ?? 0, FMAPeak.isa?.rawValue ?? "") } ?? "-"
                        let activationText = names.count > 1
                            ? String(format: "   %@ %.1f %%", names[variant.activation], 100 * againstFirst) : ""
                        print(String(format: "%-9@  %-8@  %5d  %7d   %10.1f   %7.1f %7.1f   %6.1f   %8.1f   %6.1f   %@%@",
                                     algorithm.rawValue, kernel, batch, threadCount, median, sorted.first!, sorted.last!,
                                     median * flopsPerImage / 1e9, cpuMedian, multiplyRate, peakText, activationText))
                    }
                }
            }
        }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["architecture": architectures[0].description, "results": rows,
                                                                  "input": shape.description,
                                                                  "activations": names,
                                                                  "fma_peak_isa": FMAPeak.isa?.rawValue ?? "none",
                                                                  "system": Dictionary(uniqueKeysWithValues: report.map { ($0.key, $0.value) })],
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// `--layers`: per shape, the median microseconds per image of each algorithm (rounds alternate the algorithms).
    private func runLayers(_ report: [(key: String, value: String)], activation layerActivation: Activation,
                           input: BenchFixture.InputShape) throws {
        let algorithmList = try algorithms.split(separator: ",").map { name -> ConvolutionAlgorithm in
            guard let a = ConvolutionAlgorithm(rawValue: String(name)), a != .im2col, a != .auto else {
                throw ValidationError("--layers: '\(name)': expected winograd, winograd4, direct or onednn")
            }
            return a
        }
        let batch = try parseList(batches)[0]
        print(report.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        print("layer shape            algorithm   µs/image (median of \(repeats) rounds, \(activation))   GFLOP/s (direct-conv FLOPs)"
              + "   % of FMA peak (multiplies done, median of rounds)")
        for shape in LayerBenchmark.shapes(inputChannels: input.channels, height: input.height, width: input.width) {
            var times: [ConvolutionAlgorithm: [Double]] = [:], shares: [ConvolutionAlgorithm: [Double]] = [:]
            for _ in 0..<repeats {
                var perImage: [ConvolutionAlgorithm: Double] = [:]
                for algorithm in algorithmList {
                    if let seconds = try LayerBenchmark.seconds(algorithm, shape, batch: batch, repeats: 5, activation: layerActivation) {
                        perImage[algorithm] = seconds / Double(batch)
                        times[algorithm, default: []].append(seconds / Double(batch))
                    }
                }
                // The peak right after the round it divides (1 thread: the layers run on this one).
                if let peak = FMAPeak.measure() {
                    for (algorithm, seconds) in perImage {
                        shares[algorithm, default: []].append(shape.multiplyFLOPs(algorithm) / seconds / 1e9 / peak.gflops)
                    }
                }
            }
            for algorithm in algorithmList {
                guard let list = times[algorithm]?.sorted() else { continue }
                let perImage = list[list.count / 2]
                let share = shares[algorithm].map { $0.sorted()[$0.count / 2] }
                print(String(format: "%-22@ %-10@  %10.1f   %8.1f   %@", shape.description, algorithm.rawValue, perImage * 1e6,
                             shape.flops / perImage / 1e9, share.map { String(format: "%.1f %%", 100 * $0) } ?? "-"))
            }
        }
    }

    /// CPU time this process has used (all threads): images per CPU-second do not count the time other
    /// programs on a loaded machine take from it, as images per (wall) second do.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func parseList(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map {
            guard let value = Int($0.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("expected a comma-separated list of positive integers, got '\(text)'")
            }
            return value
        }
    }
}

/// Deterministic stand-ins for a trained model and CIFAR images: throughput
/// does not depend on the values, only on the shapes.
enum BenchFixture {
    static func model(_ arch: ResNetArchitecture) -> ResNetModel {
        var model = ResNetModel(architecture: arch)
        var rng = SplitMix(seed: 1)
        for entry in model.layout.entries where entry.role == .weight {
            let scale = (2 / Double(entry.filterSize)).squareRoot()
            for i in entry.range { model.values[i] = Float((rng.unit() * 2 - 1) * scale) }
        }
        return model
    }

    /// `--input`: the images' channels and plane size.
    struct InputShape: CustomStringConvertible {
        let channels: Int, height: Int, width: Int
        var description: String { "\(channels)x\(height)x\(width)" }

        init(parsing text: String) throws {
            let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 3, let c = parts[0], let h = parts[1], let w = parts[2],
                  c == 1 || c == 3, (8...512).contains(h), (8...512).contains(w) else {
                throw ValidationError("--input: expected CxHxW with 1 or 3 channels and 8 to 512 pixels a side "
                                      + "(3x32x32 for CIFAR-10, 1x28x28 for Fashion-MNIST), got '\(text)'")
            }
            (channels, height, width) = (c, h, w)
        }
    }

    static func images(count: Int, shape: InputShape) throws -> EvaluationData {
        var rng = SplitMix(seed: 2)
        let pixels = (0..<(count * shape.channels * shape.height * shape.width)).map { _ in Float(rng.unit() * 4 - 2) }
        return try EvaluationData(channels: shape.channels, height: shape.height, width: shape.width, pixels: pixels,
                                  labels: (0..<count).map { Int32($0 % 10) })
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func unit() -> Double {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }
}
