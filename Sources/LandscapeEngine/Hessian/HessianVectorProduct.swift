import Foundation
import LandscapeCore

/// One exact Hessian-vector product with its by-products.
public struct HessianVectorResult: Sendable {
    /// Mean softmax cross-entropy over the images (eval-mode BatchNorm).
    public let loss: Double
    public let correct: Int
    public let imageCount: Int
    /// ∇L, aligned with `ResNetModel.values` (zeros at BatchNorm running statistics).
    public let gradient: [Double]
    /// H·v, aligned with `ResNetModel.values` (zeros at BatchNorm running statistics).
    public let product: [Double]
}

/// Exact Hessian-vector products of the mean cross-entropy of a ResNet with
/// respect to every trainable tensor (conv weights, BatchNorm scales and
/// biases, linear weight and bias), BatchNorm in eval mode (running
/// statistics fixed), by Pearlmutter's R-operator (1994): forward-mode
/// differentiation along v through the forward and the backward pass — the
/// same product PyTorch's double backward gives, with no finite difference.
///
/// Parallelism and determinism: the images go through in chunks of
/// `chunkSize` (fixed, whatever the thread count). Under eval-mode BatchNorm
/// images are independent, so each chunk is computed whole by one thread
/// with its own buffers, in float32 (BLAS GEMMs; per-channel and head sums in
/// float64), and its contributions are added in chunk order into float64
/// totals. A result is therefore bitwise the same for any thread count.
public final class HessianVectorProduct: @unchecked Sendable {
    public let architecture: ResNetArchitecture
    public let height: Int
    public let width: Int
    public let threadCount: Int
    public let chunkSize: Int

    /// Images per chunk: 16 keeps a worker's tensors (8 per layer) near 100 MB for a ResNet-20
    /// on 32x32 images while every GEMM row is still ≥ 1,000 columns long.
    public static let defaultChunkSize = 16

    let plan: TrainingPlan
    let layout: ParameterLayout
    let workers: [HessianWorker]
    let lock = NSLock()
    /// Whether products (cached and uncached, and the primal pass) run their convolutions and gradients on
    /// the register kernels where the CPU has them (default, HessianKernels.swift); false: im2col + GEMM
    /// only, as on a CPU without AVX2 (tests compare the two).
    public var productsUseKernels = true
    /// What its products run on: the register kernels' ISA ("avx2" or "avx512", the same bits as each other)
    /// or "portable" (im2col + BLAS, which rounds differently: ≈ 5e-6 relative L2 on a ResNet-20).
    public var kernelName: String { useConvolutionKernels ? KernelISA.current.rawValue : KernelISA.portable.rawValue }
    /// The cached path's per-thread buffers (half the uncached workers' size), made on first use (under `lock`).
    lazy var cachedWorkers: [HessianCachedWorker] = workers.map { worker in
        HessianCachedWorker(plan: plan, activation: architecture.activation, classes: architecture.classCount,
                            capacity: chunkSize, parameterCount: layout.totalCount)
    }

    public init(architecture: ResNetArchitecture, height: Int, width: Int,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                chunkSize: Int = HessianVectorProduct.defaultChunkSize) throws {
        guard height >= 1, width >= 1 else {
            throw EngineError.invalidInput("image size \(height)x\(width): expected at least 1x1")
        }
        guard chunkSize >= 1 else { throw EngineError.invalidInput("chunk size \(chunkSize): expected at least 1") }
        self.architecture = architecture
        self.height = height
        self.width = width
        self.chunkSize = chunkSize
        threadCount = max(1, threads)
        layout = ParameterLayout(architecture.tensorSpecs)
        do {
            plan = try TrainingPlan(architecture: architecture, layout: layout, height: height, width: width)
        } catch {
            throw EngineError.invalidArchitecture("\(error)")
        }
        let (plan, count) = (plan, layout.totalCount)
        workers = (0..<max(1, threads)).map { _ in
            HessianWorker(plan: plan, activation: architecture.activation, classes: architecture.classCount,
                          capacity: chunkSize, parameterCount: count)
        }
        ConvolutionKernels.useSingleThreadedBLAS()
    }

    /// Number of values of a vector: `ResNetModel.values.count` (entries at running statistics are ignored).
    public var vectorCount: Int { layout.totalCount }

    /// H·v (and ∇L, the loss) over every image of `data`. `vector` is aligned with `model.values`;
    /// its entries at BatchNorm running statistics are ignored (treated as 0).
    public func product(model: ResNetModel, vector: [Float], data: EvaluationData,
                        isCancelled: @Sendable () -> Bool = { false }) throws -> HessianVectorResult {
        try validate(model: model, vectorCount: vector.count, data: data)
        let direction = try trainableDirection(vector)
        lock.lock()
        defer { lock.unlock() }
        return try model.values.withUnsafeBufferPointer { values in
            try direction.withUnsafeBufferPointer { vector in
                try compute(values: values.baseAddress!, vector: vector.baseAddress!, data: data, record: nil,
                            isCancelled: isCancelled)
            }
        }
    }

    /// `vector` with its entries at BatchNorm running statistics set to 0; refuses non-finite entries by tensor.
    func trainableDirection(_ vector: [Float]) throws -> [Float] {
        var direction = vector
        for entry in layout.entries where !entry.role.isTrainable {
            for i in entry.range { direction[i] = 0 }
        }
        if let bad = direction.firstIndex(where: { !$0.isFinite }) {
            let name = layout.entries.first { $0.range.contains(bad) }?.name ?? "?"
            throw EngineError.invalidInput("vector entry \(bad) (tensor \(name)) is \(direction[bad]): expected finite numbers")
        }
        return direction
    }

    func validate(model: ResNetModel, vectorCount: Int, data: EvaluationData) throws {
        guard model.architecture == architecture else {
            throw EngineError.invalidInput("model is \(model.architecture), the product was built for \(architecture)")
        }
        guard vectorCount == layout.totalCount else {
            throw EngineError.invalidInput("vector of \(vectorCount) values: expected \(layout.totalCount) (aligned with the model's tensors)")
        }
        guard data.count >= 1 else { throw EngineError.invalidInput("no images: expected at least 1") }
        guard data.channels == architecture.inputChannels, data.height == height, data.width == width else {
            throw EngineError.invalidInput("images of \(data.channels)x\(data.height)x\(data.width): expected "
                                           + "\(architecture.inputChannels)x\(height)x\(width)")
        }
        if let index = data.labels.firstIndex(where: { $0 < 0 || Int($0) >= architecture.classCount }) {
            throw EngineError.invalidInput("label \(data.labels[index]) of image \(index): expected 0..<\(architecture.classCount)")
        }
    }

    /// With `record`, every chunk's primal values go into the cache (see `HessianPrimalCache`).
    /// `rDerivatives: false`: the primal pass alone, to fill `record` (the product is then all zeros).
    func compute(values: UnsafePointer<Float>, vector: UnsafePointer<Float>, data: EvaluationData,
                 record: HessianPrimalCache?, rDerivatives: Bool = true,
                 isCancelled: @Sendable () -> Bool) throws -> HessianVectorResult {
        let count = layout.totalCount
        let flipped = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count)
        defer { flipped.deallocate() }
        flipped.initialize(repeating: 0, count: 2 * count)
        for layer in plan.layers {
            ConvolutionTraining.flipWeights(layer.geometry, weight: values + layer.weight, into: flipped + layer.weight)
            ConvolutionTraining.flipWeights(layer.geometry, weight: vector + layer.weight, into: flipped + count + layer.weight)
        }
        var context = HessianContext(values: values, vector: vector, flippedValues: flipped, flippedVector: flipped + count,
                                     batchNorm: HessianContext.batchNormConstants(plan, values: values, vector: vector),
                                     lossScale: 1 / Double(data.count))
        if useConvolutionKernels {
            context.kernels = plan.layers.map { layer in
                let g = layer.geometry
                let (w, v) = (values + layer.weight, vector + layer.weight)
                let (wFlipped, vFlipped) = (flipped + layer.weight, flipped + count + layer.weight)
                return HessianContext.LayerFilters(
                    w: HessianKernelFilters.forward(g, weights: w), v: HessianKernelFilters.forward(g, weights: v),
                    wInput: layer.input.map { _ in
                        HessianKernelFilters.inputGradient(g, gradChannels: g.outChannels, flipped: wFlipped, weights: w) },
                    vInput: layer.input.map { _ in
                        HessianKernelFilters.inputGradient(g, gradChannels: g.outChannels, flipped: vFlipped, weights: v) })
            }
        }
        var gradient = [Double](repeating: 0, count: count)
        var product = [Double](repeating: 0, count: count)
        var lossSum = 0.0, correct = 0
        let trainable = layout.entries.filter { $0.role.isTrainable }.map(\.range)
        let imageSize = data.channels * height * width
        try data.pixels.withUnsafeBufferPointer { pixels in
            try data.labels.withUnsafeBufferPointer { labels in
                let shared = UncheckedSendable((pixels.baseAddress!, labels.baseAddress!, context))
                try inWaves(imageCount: data.count, isCancelled: isCancelled, work: { slot, chunk, start, n in
                    let (pixels, labels, context) = shared.value
                    self.workers[slot].run(context, images: pixels + start * imageSize, labels: labels + start, count: n,
                                           record: record?.chunks[chunk], rDerivatives: rDerivatives)
                }, collect: { slot in
                    let worker = workers[slot]
                    lossSum += worker.lossSum
                    correct += worker.correct
                    for range in trainable {
                        for i in range {
                            gradient[i] += Double(worker.gradient[i])
                            if rDerivatives { product[i] += Double(worker.product[i]) }
                        }
                    }
                })
            }
        }
        return HessianVectorResult(loss: lossSum / Double(data.count), correct: correct, imageCount: data.count,
                                   gradient: gradient, product: product)
    }

    /// Runs `work(slot, chunk, first image, image count)` for every chunk of `imageCount` images, `threadCount`
    /// chunks at a time (slot = the worker), then `collect(slot)` for each of them in chunk order, whatever
    /// the thread count; checks `isCancelled` before each wave.
    func inWaves(imageCount: Int, isCancelled: () -> Bool, work: @escaping (Int, Int, Int, Int) -> Void,
                 collect: (Int) throws -> Void) throws {
        let chunks = (imageCount + chunkSize - 1) / chunkSize
        var wave = 0
        while wave < chunks {
            if isCancelled() { throw EngineError.cancelled }
            let waveSize = min(threadCount, chunks - wave)
            let first = wave
            let job = UncheckedSendable { (slot: Int) in
                let start = (first + slot) * self.chunkSize
                work(slot, first + slot, start, min(self.chunkSize, imageCount - start))
            }
            if waveSize == 1 {
                job.value(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: waveSize) { job.value($0) }
            }
            for slot in 0..<waveSize { try collect(slot) }
            wave += waveSize
        }
    }
}
