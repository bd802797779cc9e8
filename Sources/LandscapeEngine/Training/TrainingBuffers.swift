/// Every buffer one training step needs, allocated once for a batch capacity
/// (llm.c's habit: one arena for the activations, named views into it).
/// Activations are CNHW over the step's batch: with a smaller batch the
/// tensors simply use the front of their slots.
///
/// For a network built for BatchNorm re-estimation (no backward), a layer's
/// tensors live only until the forward pass has read them: layers share a few
/// rotating slots instead of one slot each, and the gradient buffers are left
/// out (a recompute line of three Fashion-MNIST ResNet-20s at batch 128 peaked
/// at 154 MB instead of 773 MB).
final class TrainingBuffers {

    /// Per layer: convolution output z, pre-activation y = BN(z) (+ shortcut), activation output a.
    let convolutionOutputs: [UnsafeMutablePointer<Float>]
    let preActivations: [UnsafeMutablePointer<Float>]
    let activations: [UnsafeMutablePointer<Float>]
    /// Three gradient tensors of the largest activation size, rotated through the blocks.
    let gradients: [UnsafeMutablePointer<Float>]
    /// Per-image, per-channel partial sums of the BatchNorm being reduced.
    let partials: UnsafeMutablePointer<Double>
    let pooled: UnsafeMutablePointer<Float>
    let gradPooled: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>
    let gradLogits: UnsafeMutablePointer<Float>
    /// Per shard: unfolded patches, their gradient, and a parameter-gradient
    /// buffer (layout-aligned) the shard's weight gradients accumulate into.
    let columns: [UnsafeMutablePointer<Float>]
    let gradColumns: [UnsafeMutablePointer<Float>]
    let shardGradients: [UnsafeMutablePointer<Float>]
    /// Flipped, transposed conv filters for the stride-1 input gradients
    /// (`ConvolutionTraining.flipWeights`), aligned with `ResNetModel.values`.
    let flippedWeights: UnsafeMutablePointer<Float>
    /// The step's parameter gradient, aligned with `ResNetModel.values`.
    let parameterGradients: UnsafeMutableBufferPointer<Float>
    let columnCapacity: Int

    private let arena: UnsafeMutablePointer<Float>
    private let gradientArena: UnsafeMutablePointer<Float>

    /// Target size of one unfolded chunk: a few hundred KiB stays in the
    /// per-core L2 between im2col and the GEMMs that read it.
    /// 64 Ki floats (256 KiB, columns and their gradient about the 512 KiB L2):
    /// measured 48-64 Ki ≥ 96 Ki ≥ 32 Ki here (noisy, shared cores).
    static let columnChunkFloats = 64 * 1024

    init(plan: TrainingPlan, parameterCount: Int, classes: Int, batchCapacity: Int, shards: Int,
         purpose: TrainingNetwork.Purpose) {
        let backward = purpose == .training
        let sizes = plan.layers.map { $0.channels * batchCapacity * $0.plane }
        let largest = sizes.max() ?? 0
        switch purpose {
        case .training:
            let total = sizes.reduce(0, +)
            arena = .allocate(capacity: 3 * total)
            arena.initialize(repeating: 0, count: 3 * total)
            var offset = 0
            var z: [UnsafeMutablePointer<Float>] = [], y: [UnsafeMutablePointer<Float>] = []
            var a: [UnsafeMutablePointer<Float>] = []
            for size in sizes {
                z.append(arena + offset)
                y.append(arena + offset + size)
                a.append(arena + offset + 2 * size)
                offset += 3 * size
            }
            convolutionOutputs = z
            preActivations = y
            activations = a
        case .batchNormReestimation:
            // z of layer k is written in phase k and read in phase k + 1 (two slots alternate); y lives
            // within one phase (one slot); activation outputs get slots by when they are last read.
            let activationSlots = Self.activationSlots(plan.layers)
            let slotCount = 3 + (activationSlots.max() ?? 0) + 1
            arena = .allocate(capacity: slotCount * largest)
            arena.initialize(repeating: 0, count: slotCount * largest)
            let base = arena
            convolutionOutputs = sizes.indices.map { base + ($0 % 2) * largest }
            preActivations = sizes.indices.map { _ in base + 2 * largest }
            activations = activationSlots.map { base + (3 + $0) * largest }
        }
        // Backward's buffers: one float each when there is no backward.
        let gradientSize = backward ? largest : 0
        let parameterGradientCount = backward ? parameterCount : 1
        gradientArena = .allocate(capacity: max(3 * gradientSize, 1))
        gradientArena.initialize(repeating: 0, count: max(3 * gradientSize, 1))
        let gradientBase = gradientArena
        gradients = (0..<3).map { gradientBase + $0 * gradientSize }
        let maxChannels = plan.layers.map(\.channels).max() ?? 0
        partials = .allocate(capacity: 2 * batchCapacity * maxChannels)
        partials.initialize(repeating: 0, count: 2 * batchCapacity * maxChannels)
        pooled = TrainingBuffers.zeros(plan.features * batchCapacity)
        gradPooled = TrainingBuffers.zeros(backward ? plan.features * batchCapacity : 1)
        logits = TrainingBuffers.zeros(classes * batchCapacity)
        gradLogits = TrainingBuffers.zeros(backward ? classes * batchCapacity : 1)
        // Stride-1 convolutions unfold bands of rows when an image is too big; strided ones whole images.
        let capacity = max(Self.columnChunkFloats, plan.layers.map { ConvolutionTraining.minimumCapacity($0.geometry) }.max() ?? 0)
        columnCapacity = capacity
        columns = (0..<shards).map { _ in TrainingBuffers.zeros(capacity) }
        gradColumns = (0..<shards).map { _ in TrainingBuffers.zeros(backward ? capacity : 1) }
        shardGradients = (0..<shards).map { _ in TrainingBuffers.zeros(parameterGradientCount) }
        flippedWeights = TrainingBuffers.zeros(parameterGradientCount)
        parameterGradients = .allocate(capacity: parameterGradientCount)
        parameterGradients.initialize(repeating: 0)
    }

    /// Forward-only: the slot of each layer's activation output. Layer k's output is written in
    /// phase k + 1 (TrainingForward) and read there and later: by the convolution of a layer j that
    /// takes it as input (phase j), by a shortcut into layer j (phase j + 1), by the pool (the last
    /// phase). A slot takes a new output only in a phase after its previous one was last read.
    static func activationSlots(_ layers: [TrainingLayer]) -> [Int] {
        guard !layers.isEmpty else { return [] }
        var lastRead = layers.indices.map { $0 + 1 }
        for (j, layer) in layers.enumerated() {
            if let input = layer.input { lastRead[input] = max(lastRead[input], j) }
            switch layer.shortcut {
            case .identity(let from), .optionA(let from): lastRead[from] = max(lastRead[from], j + 1)
            case .none: break
            }
        }
        lastRead[layers.count - 1] = layers.count
        var busyUntil: [Int] = [], slots: [Int] = []
        for k in layers.indices {
            let written = k + 1
            if let free = busyUntil.firstIndex(where: { $0 < written }) {
                slots.append(free)
                busyUntil[free] = lastRead[k]
            } else {
                slots.append(busyUntil.count)
                busyUntil.append(lastRead[k])
            }
        }
        return slots
    }

    deinit {
        arena.deallocate()
        gradientArena.deallocate()
        partials.deallocate()
        for buffer in [pooled, gradPooled, logits, gradLogits] { buffer.deallocate() }
        for buffer in columns + gradColumns + shardGradients { buffer.deallocate() }
        flippedWeights.deallocate()
        parameterGradients.deallocate()
    }

    private static func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        return buffer
    }
}
