import Foundation

/// The kinds of convolution in a CIFAR ResNet, each one shape on 32x32 images: the stem (3-channel input, or
/// 1-channel as on MNIST-like data, whose best kernel differs: with one input channel for 16 output channels a
/// direct output costs 9 multiplies, while F(4x4) saves 6.75 of them and pays an output transform per output
/// channel), the stride-1 convolutions of each stage (including a downsampling block's second one) and the
/// stride-2 first convolution of each later stage. A per-layer plan picks one kernel per class.
public enum LayerClass: String, Codable, CaseIterable, Sendable, Comparable {
    case stem
    case stem1 = "stem-1-channel"
    case stage1 = "stride1-stage1"
    case stage2 = "stride1-stage2"
    case stage3 = "stride1-stage3"
    case downsample2 = "stride2-stage2"
    case downsample3 = "stride2-stage3"

    public var stride: Int { self == .downsample2 || self == .downsample3 ? 2 : 1 }

    /// The class of convolution `index` of `architecture`'s networks in `InferenceNetwork`'s order
    /// (stem, then conv1 and conv2 of each block).
    static func of(convolution index: Int, in architecture: ResNetArchitecture) -> LayerClass {
        guard index > 0 else { return architecture.inputChannels == 1 ? .stem1 : .stem }
        let blocksPerStage = architecture.blocksPerStage
        let block = (index - 1) / 2, isFirst = (index - 1) % 2 == 0
        let stage = block / blocksPerStage
        if isFirst && stage > 0 && block % blocksPerStage == 0 { return stage == 1 ? .downsample2 : .downsample3 }
        return [.stage1, .stage2, .stage3][min(stage, 2)]
    }

    /// The images of the network `ConvolutionChoice.measureLayers` times this class in: the 1-channel stem on
    /// 1x28x28 (Fashion-MNIST, the shipped models), every other class on CIFAR's 3x32x32.
    public var measurementInput: MeasurementInput {
        self == .stem1 ? MeasurementInput(channels: 1, size: 28) : MeasurementInput(channels: 3, size: 32)
    }

    public struct MeasurementInput: Hashable, Sendable {
        public let channels: Int, size: Int
    }

    /// The classes a network on `inputChannels`-channel images has (one of the two stems).
    public static func classes(inputChannels: Int) -> [LayerClass] {
        allCases.filter { $0 != (inputChannels == 1 ? .stem : .stem1) }
    }

    public static func < (a: LayerClass, b: LayerClass) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What computes one class of convolutions: one of our kernels on the engine's CNHW activations, or a
/// oneDNN primitive between CNHW neighbours, either reading and writing CNHW directly (described to
/// oneDNN as a strided plain layout, `onednnCNHW`) or in the layout oneDNN prefers with reorders
/// before and after (`onednnReordered`); the conversions count in the layer's measured time.
public enum LayerKernel: Hashable, Sendable, CustomStringConvertible {
    case ours(ConvolutionAlgorithm)
    case onednnCNHW
    case onednnReordered

    /// The candidates a per-layer measurement compares, today's rule first. A new kernel of ours
    /// (e.g. Winograd F(4x4, 3x3)) is one more `.ours(...)` entry here; `applies(to:)` says where it runs.
    public static var candidates: [LayerKernel] {
        DirectConvolution.isAvailable
            ? [.ours(.winograd), .ours(.winograd4), .ours(.direct), .onednnReordered, .onednnCNHW]
            : [.ours(.im2col), .onednnReordered, .onednnCNHW]
    }

    /// Whether this kernel computes `layer` as itself (Winograd, F(2×2) or F(4×4), runs stride 1 only: at
    /// stride 2 our `winograd` and `winograd4` run the direct kernel, which `.ours(.direct)` already measures).
    public func applies(to layer: LayerClass) -> Bool {
        switch self {
        case .ours(let algorithm):
            return algorithm != .auto && algorithm != .onednn && (layer.stride == 1 || !algorithm.isWinograd)
        case .onednnCNHW, .onednnReordered:
            return true
        }
    }

    /// The name in the cache file and in messages: "winograd", "direct", "onednn-cnhw", "onednn-reordered".
    public var description: String {
        switch self {
        case .ours(let algorithm): return algorithm.rawValue
        case .onednnCNHW: return "onednn-cnhw"
        case .onednnReordered: return "onednn-reordered"
        }
    }

    public init?(name: String) {
        switch name {
        case "onednn-cnhw": self = .onednnCNHW
        case "onednn-reordered": self = .onednnReordered
        default:
            guard let algorithm = ConvolutionAlgorithm(rawValue: name), algorithm != .auto, algorithm != .onednn else { return nil }
            self = .ours(algorithm)
        }
    }

    var isOneDNN: Bool { self == .onednnCNHW || self == .onednnReordered }
}

/// Which kernel computes each class of convolutions (`LayerClass`). A uniform plan of one of our
/// algorithms is exactly today's `--convolution winograd|direct|im2col` (Winograd's stride-2 layers on
/// the direct kernel); `--convolution auto` runs the plan `ConvolutionChoice` measured for this CPU.
public struct ConvolutionPlan: Hashable, Sendable, CustomStringConvertible {
    public var kernels: [LayerClass: LayerKernel]
    /// What runs where the plan names oneDNN and oneDNN lacks the network's activation (Nish-t).
    public var fallback: ConvolutionAlgorithm

    public init(kernels: [LayerClass: LayerKernel], fallback: ConvolutionAlgorithm) {
        self.kernels = kernels
        self.fallback = fallback
    }

    /// Every class on `algorithm` (one of ours).
    public static func uniform(_ algorithm: ConvolutionAlgorithm) -> ConvolutionPlan {
        ConvolutionPlan(kernels: Dictionary(uniqueKeysWithValues: LayerClass.allCases.map { ($0, .ours(algorithm)) }),
                        fallback: algorithm)
    }

    /// The kernel of `layer` for networks with `activation`.
    public func kernel(_ layer: LayerClass, activation: Activation) -> LayerKernel {
        let kernel = kernels[layer] ?? .ours(fallback)
        return kernel.isOneDNN && !OneDNN.supports(activation) ? .ours(fallback) : kernel
    }

    /// The multiplies ×2 this plan's kernels really do per image of `architecture`'s networks (the
    /// convolutions and the classifier): a direct convolution's FLOPs, ÷ 2.25 where Winograd F(2×2, 3×3)
    /// computes a stride-1 layer and ÷ 4 where F(4×4, 3×3) does (36 multiplies per 4×4 output tile and channel
    /// pair against 144; the transforms' additions not counted). oneDNN's and BLAS's layers count as direct.
    /// What `landscape bench` divides by the FMA peak (issue 20's target counts multiplies this way).
    public func multiplyFLOPs(_ architecture: ResNetArchitecture, height: Int, width: Int) -> Double {
        let direct = architecture.convolutionFLOPs(height: height, width: width)
        var total = Double(2 * ResNetArchitecture.stageWidths.last! * architecture.classCount)
        for (index, flops) in direct.enumerated() {
            let layer = LayerClass.of(convolution: index, in: architecture)
            if case .ours(let algorithm) = kernel(layer, activation: architecture.activation) {
                total += algorithm.multiplyFLOPs(direct: Double(flops), stride: layer.stride)
            } else {
                total += Double(flops)   // oneDNN
            }
        }
        return total
    }

    /// Whether any class runs on oneDNN.
    public var usesOneDNN: Bool { kernels.values.contains { $0.isOneDNN } }

    /// Whether this is a uniform plan of `fallback` (today's single-algorithm forward).
    public var isUniform: Bool { kernels.values.allSatisfy { $0 == .ours(fallback) } }

    /// "winograd (stem, stride1-stage1, ...), onednn-reordered (stride2-stage2, stride2-stage3)".
    public var description: String {
        var classes: [LayerKernel: [LayerClass]] = [:]
        for layer in LayerClass.allCases { classes[kernels[layer] ?? .ours(fallback), default: []].append(layer) }
        return classes.sorted { $0.value.min()! < $1.value.min()! }
            .map { "\($0.key) (\($0.value.map(\.rawValue).joined(separator: ", ")))" }.joined(separator: ", ")
    }

    /// What computed a surface, as `timing.kernel` records it, for networks with `activation` on
    /// `inputChannels`-channel images: today's names for a uniform plan ("avx512", "avx2", "portable"); for a
    /// hybrid the kernel of most classes, then the others with the classes they ran, e.g. "winograd avx512 &
    /// onednn-avx512_core (stride-2)" (never a "+": a surface joins the kernels of resumed runs with it).
    public func kernelName(activation: Activation, inputChannels: Int = 3) -> String {
        let present = LayerClass.classes(inputChannels: inputChannels)
        if present.allSatisfy({ kernel($0, activation: activation) == .ours(fallback) }) { return fallback.kernelName }
        // What really runs: our Winograd's stride-2 layers are the direct kernel's.
        func running(_ layer: LayerClass) -> LayerKernel {
            let k = kernel(layer, activation: activation)
            if case .ours(let algorithm) = k, algorithm.isWinograd, layer.stride == 2 { return .ours(.direct) }
            return k
        }
        let used = present.map(running)
        // The kernel of most classes first, unqualified ("the rest"); the others with the classes they ran.
        func count(_ kernel: LayerKernel) -> Int { used.filter { $0 == kernel }.count }
        let order = Set(used).sorted { (a: LayerKernel, b: LayerKernel) -> Bool in
            count(a) != count(b) ? count(a) > count(b) : used.firstIndex(of: a)! < used.firstIndex(of: b)!
        }
        var parts: [String] = []
        for (rank, kernel) in order.enumerated() {
            let classes = present.filter { running($0) == kernel }
            let name: String
            switch kernel {
            case .ours(let algorithm): name = "\(algorithm.rawValue) \(algorithm.kernelName)"
            case .onednnCNHW: name = "onednn-\(OneDNN.isa) cnhw"
            case .onednnReordered: name = "onednn-\(OneDNN.isa)"
            }
            let scope: String
            if rank == 0 { scope = "" }
            else if classes == [LayerClass.downsample2, .downsample3] { scope = " (stride-2)" }
            else { scope = " (" + classes.map(\.rawValue).joined(separator: ", ") + ")" }
            parts.append(name + scope)
        }
        return parts.joined(separator: " & ")
    }

    /// The decision, from measured seconds per class and candidate (lower is better): per class the
    /// fastest candidate if it beats `incumbent`'s kernel for that class by more than `margin` in rate
    /// (incumbent seconds > best · (1 + margin)), else the incumbent's. Classes without a finite,
    /// positive incumbent measurement keep the incumbent.
    public static func decide(seconds: [LayerClass: [LayerKernel: Double]], incumbent: ConvolutionAlgorithm,
                              margin: Double = ConvolutionChoice.margin) -> ConvolutionPlan {
        var plan = ConvolutionPlan.uniform(incumbent)
        for layer in LayerClass.allCases {
            // Winograd's stride-2 layers run our direct kernel: that is the incumbent there.
            let own: LayerKernel = .ours(incumbent.isWinograd && layer.stride == 2 ? .direct : incumbent)
            plan.kernels[layer] = .ours(incumbent)
            guard let times = seconds[layer], let base = times[own], base.isFinite, base > 0,
                  let best = times.filter({ $0.value.isFinite && $0.value > 0 && $0.key.applies(to: layer) })
                    .min(by: { ($0.value, $0.key.description) < ($1.value, $1.key.description) })
            else { continue }
            if base > best.value * (1 + margin), best.key != own { plan.kernels[layer] = best.key }
        }
        return plan
    }
}
