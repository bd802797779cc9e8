import Foundation

/// What `--convolution auto` (the default) runs on this CPU: per class of convolutions the fastest of
/// our register kernels (Winograd F(2×2) and F(4×4), direct) and oneDNN between our layers in a short
/// measurement (`measureLayers`, `ConvolutionPlan.decide`), where the winner beats today's rule
/// (`ConvolutionAlgorithm.preferred`) by more than `margin`; else `preferred`. The measurement
/// runs once per CPU model: the Landscape module caches it in a small file (the engine knows no
/// files) and installs `resolver`; without one (tests, library users) `auto` is `preferred`.
public enum ConvolutionChoice {
    /// How much faster a candidate must be than `preferred` to replace it: less than this is within
    /// the noise of a short measurement on a shared machine, and switching changes a surface's
    /// float32 roundings (about 1e-6) for nothing.
    public static let margin = 0.05

    /// Median CPU seconds per image of each class of convolutions (`LayerClass`) under each candidate kernel
    /// (`LayerKernel.candidates`), measured inside whole forward passes of a ResNet-20 (ReLU, random weights)
    /// on `threads` workers, so each layer's time includes the conversions its kernel implies (a oneDNN
    /// layer's reorders, a seeded residual) and its neighbours' effect on the caches: CIFAR's network (3x32x32
    /// images) for every class but the 1-channel stem, which is timed in a Fashion-MNIST-shaped one (1x28x28,
    /// the shipped models). Each candidate runs every class it applies to (the rest on `preferred`);
    /// candidates alternate round by round after a warm-up round. oneDNN layers whose primitive is oneDNN's
    /// reference code are not measured (orders of magnitude slower). A few seconds on 2 cores; cached per CPU
    /// model by the Landscape module.
    public static func measureLayers(threads: Int, candidates: [LayerKernel] = LayerKernel.candidates, images: Int = 64,
                                     rounds: Int = 7) throws -> [LayerClass: [LayerKernel: Double]] {
        // One network per input shape, each timing the classes measured on it.
        let byInput = Dictionary(grouping: LayerClass.allCases, by: \.measurementInput).sorted { $0.value[0] < $1.value[0] }
        var runs: [(candidate: LayerKernel, evaluator: Evaluator, network: InferenceNetwork, data: EvaluationData)] = []
        for (input, classes) in byInput {
            let (network, data) = try measurementNetwork(images: images, inputChannels: input.channels, size: input.size)
            for candidate in candidates {
                var kernels: [LayerClass: LayerKernel] = [:]
                for layer in classes where candidate.applies(to: layer) {
                    if candidate.isOneDNN, try OneDNNLayerPrimitive.isReference(layer, candidate,
                                                                                batch: Evaluator.defaultMicroBatch(for: .preferred)) {
                        continue
                    }
                    kernels[layer] = candidate
                }
                guard !kernels.isEmpty else { continue }
                let evaluator = Evaluator(threads: threads, plan: ConvolutionPlan(kernels: kernels, fallback: .preferred))
                evaluator.recordLayerSeconds = true
                runs.append((candidate, evaluator, network, data))
            }
        }
        var seconds: [LayerClass: [LayerKernel: [Double]]] = [:]
        for round in -1..<rounds {
            for (candidate, evaluator, network, data) in runs {
                evaluator.resetLayerSeconds()
                _ = try evaluator.evaluate(network, on: data)
                guard round >= 0 else { continue }
                var byClass: [LayerClass: Double] = [:]
                for (index, s) in evaluator.layerSeconds.enumerated() {
                    byClass[LayerClass.of(convolution: index, in: network.architecture), default: 0] += s
                }
                for (layer, s) in byClass where evaluator.plan.kernels[layer] == candidate {
                    seconds[layer, default: [:]][candidate, default: []].append(s / Double(images))
                }
            }
        }
        return seconds.mapValues { $0.mapValues { $0.sorted()[$0.count / 2] } }
    }

    /// A ResNet-20 (ReLU) with He-initialized random weights and `images` random images of `inputChannels` x
    /// `size` x `size`.
    static func measurementNetwork(images: Int, inputChannels: Int = 3, size: Int = 32) throws -> (InferenceNetwork, EvaluationData) {
        let architecture = try ResNetArchitecture(depth: 20, inputChannels: inputChannels)
        var model = ResNetModel(architecture: architecture)
        var state: UInt64 = 1
        func next() -> Float {   // SplitMix64 → [-1, 1)
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float(Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1)
        }
        for entry in model.layout.entries {
            for i in entry.range {
                switch entry.role {
                case .weight: model.values[i] = next() * Float((2 / Double(entry.filterSize)).squareRoot())
                case .batchNormScale, .runningVariance: model.values[i] = 1
                case .bias, .runningMean: model.values[i] = 0
                }
            }
        }
        let data = try EvaluationData(channels: inputChannels, height: size, width: size,
                                      pixels: (0..<(images * inputChannels * size * size)).map { _ in next() * 2 },
                                      labels: (0..<images).map { Int32($0 % 10) })
        return (InferenceNetwork(model), data)
    }

    /// Installed by whoever can cache a measurement (Landscape's `ConvolutionChoiceCache`): returns the
    /// per-layer plan for this CPU. Called at most once per process, the first time `auto` is resolved.
    nonisolated(unsafe) public static var resolver: (@Sendable () -> ConvolutionPlan)?

    private static let lock = NSLock()
    nonisolated(unsafe) private static var resolved: ConvolutionPlan?

    /// What `auto` means in this process (resolved once): which kernel computes each class of convolutions.
    public static var automaticPlan: ConvolutionPlan {
        lock.lock()
        defer { lock.unlock() }
        if let resolved { return resolved }
        var plan = resolver?() ?? .uniform(.preferred)
        if plan.fallback == .auto || plan.fallback == .onednn { plan.fallback = .preferred }
        resolved = plan
        return plan
    }

    /// The algorithm of `auto`'s plan wherever it names none of oneDNN's layers (`preferred` unless a
    /// cached plan says otherwise).
    public static var automatic: ConvolutionAlgorithm { automaticPlan.fallback }
}
