/// Every buffer one training step needs, allocated once for a batch capacity
/// (llm.c's habit: one arena for the activations, named views into it).
/// Activations are CNHW over the step's batch: with a smaller batch the
/// tensors simply use the front of their slots.
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

    init(plan: TrainingPlan, parameterCount: Int, classes: Int, batchCapacity: Int, shards: Int) {
        let sizes = plan.layers.map { $0.channels * batchCapacity * $0.plane }
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
        let largest = sizes.max() ?? 0
        gradientArena = .allocate(capacity: 3 * largest)
        gradientArena.initialize(repeating: 0, count: 3 * largest)
        let gradientBase = gradientArena
        gradients = (0..<3).map { gradientBase + $0 * largest }
        let maxChannels = plan.layers.map(\.channels).max() ?? 0
        partials = .allocate(capacity: 2 * batchCapacity * maxChannels)
        partials.initialize(repeating: 0, count: 2 * batchCapacity * maxChannels)
        pooled = TrainingBuffers.zeros(plan.features * batchCapacity)
        gradPooled = TrainingBuffers.zeros(plan.features * batchCapacity)
        logits = TrainingBuffers.zeros(classes * batchCapacity)
        gradLogits = TrainingBuffers.zeros(classes * batchCapacity)
        // Stride-1 convolutions unfold bands of rows when an image is too big; strided ones whole images.
        let capacity = max(Self.columnChunkFloats, plan.layers.map { ConvolutionTraining.minimumCapacity($0.geometry) }.max() ?? 0)
        columnCapacity = capacity
        columns = (0..<shards).map { _ in TrainingBuffers.zeros(capacity) }
        gradColumns = (0..<shards).map { _ in TrainingBuffers.zeros(capacity) }
        shardGradients = (0..<shards).map { _ in TrainingBuffers.zeros(parameterCount) }
        flippedWeights = TrainingBuffers.zeros(parameterCount)
        parameterGradients = .allocate(capacity: parameterCount)
        parameterGradients.initialize(repeating: 0)
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
