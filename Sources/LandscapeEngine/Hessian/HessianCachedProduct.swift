import CDirectConvolution
import Foundation

/// What a cached product's chunks read: the uncached context (θ, v, folded
/// BatchNorm) and per layer the fused weight matrices of
/// `HessianCachedWorker`: [V | W] ([O][2·C·9], layers with an input), and for
/// the input gradient [W' | V'] ([C][2·O·9], stride 1, flipped filters) or
/// [W; V] ([2·O][C·9], stride 2).
///
/// Where the CPU runs `DirectConvolution`'s kernels (AVX2 + FMA), every
/// convolution-sized product goes through the kernels training uses instead of
/// im2col + GEMM: R(z) = V ∗ in + W ∗ R(in) by Winograd F(4x4, 3x3) at stride 1
/// and the direct kernel at stride 2; the input gradient over [R(dz); dz] by
/// F(4x4) at stride 1 and the stride-2 input-gradient kernel at 2; the weight
/// gradients by training's Winograd weight gradients at stride 1 and the
/// stride-2 weight-gradient kernel at 2. Filters are packed once per product
/// (`packed`, per layer: V, W, the fused input filters; empty when the kernels
/// cannot run).
struct HessianCachedContext: @unchecked Sendable {
    let base: HessianContext
    let forward: UnsafePointer<Float>
    let forwardOffset: [Int]
    let input: UnsafePointer<Float>
    let inputOffset: [Int]
    /// Per layer (V, W, and [W' | V'] at stride 1 or [W; V]'s stride-2 phase filters) packed for the kernels;
    /// nil entries where a layer has no such convolution.
    let packed: [(v: [Float], w: [Float]?, input: [Float]?)]
    var usesKernels: Bool { !packed.isEmpty }
}

extension HessianVectorProduct {
    /// Bytes a primal cache for `images` images of this product's size holds (see `HessianPrimalCache`).
    public func primalCacheBytes(images: Int) -> Int {
        HessianPrimalCache.bytes(plan: plan, activation: architecture.activation, classes: architecture.classCount,
                                 images: images)
    }

    /// An empty cache for `images` images; the first `product(model:vector:data:cache:)` fills it.
    public func makePrimalCache(images: Int) -> HessianPrimalCache {
        HessianPrimalCache(plan: plan, activation: architecture.activation, classes: architecture.classCount,
                           images: images, chunkSize: chunkSize)
    }

    /// H·v with a primal cache: the first call fills the cache with the primal pass alone (forward values, loss,
    /// ordinary gradient: the uncached pass without its R-quantities, the same floats); every call, the first
    /// included, then computes only the R-quantities from the cache (same weights and images, else refused),
    /// so the result never depends on which product filled it.
    /// Same chunks and chunk-order sums as the uncached path, so bitwise the same for any thread count;
    /// equal to the uncached product up to float32 rounding (GEMMs fused along their inner dimension).
    public func product(model: ResNetModel, vector: [Float], data: EvaluationData, cache: HessianPrimalCache,
                        isCancelled: @Sendable () -> Bool = { false }) throws -> HessianVectorResult {
        let direction = try checked(model: model, vector: vector, data: data, cache: cache)
        lock.lock()
        defer { lock.unlock() }
        if cache.isFilled {
            try cache.check(values: model.values, data: data)
        } else {
            // The filling pass computes no product: every product with a cache, the first included, comes
            // from the cached path, so a product does not depend on which one filled the cache (trace
            // probes on MPI ranks equal the single process's bit for bit).
            try fill(cache, model: model, direction: direction, data: data, by: .primalPass, isCancelled: isCancelled)
        }
        return try model.values.withUnsafeBufferPointer { values in
            try direction.withUnsafeBufferPointer { vector in
                try cachedCompute(values: values.baseAddress!, vector: vector.baseAddress!, data: data,
                                  cache: cache, isCancelled: isCancelled)
            }
        }
    }

    /// How a cache is filled: by the primal pass alone (what `product` does), or by the uncached product's
    /// whole pass recording as it goes (how caches were filled before; tests check both give the same bits).
    enum PrimalFill { case primalPass, fullPass }

    /// Fills an empty `cache` for `model`'s weights and `data` (`vector` matters only to `.fullPass`).
    func fillPrimalCache(_ cache: HessianPrimalCache, model: ResNetModel, vector: [Float], data: EvaluationData,
                         by way: PrimalFill) throws {
        let direction = try checked(model: model, vector: vector, data: data, cache: cache)
        lock.lock()
        defer { lock.unlock() }
        try fill(cache, model: model, direction: direction, data: data, by: way, isCancelled: { false })
    }

    /// The vector as a trainable direction, once the model, the images and the cache's size are checked.
    private func checked(model: ResNetModel, vector: [Float], data: EvaluationData, cache: HessianPrimalCache) throws -> [Float] {
        try validate(model: model, vectorCount: vector.count, data: data)
        guard cache.chunks.reduce(0, { $0 + $1.count }) == data.count, cache.chunks.allSatisfy({ $0.count <= chunkSize }) else {
            throw EngineError.invalidInput("primal cache for \(cache.chunks.reduce(0) { $0 + $1.count }) images "
                                           + "in chunks of at most \(chunkSize): expected \(data.count) images")
        }
        return try trainableDirection(vector)
    }

    /// Runs the filling pass (under `lock`) and records its loss, correct count and gradient.
    private func fill(_ cache: HessianPrimalCache, model: ResNetModel, direction: [Float], data: EvaluationData,
                      by way: PrimalFill, isCancelled: @Sendable () -> Bool) throws {
        let primal = try model.values.withUnsafeBufferPointer { values in
            try direction.withUnsafeBufferPointer { vector in
                try compute(values: values.baseAddress!, vector: vector.baseAddress!, data: data, record: cache,
                            rDerivatives: way == .fullPass, isCancelled: isCancelled)
            }
        }
        cache.fill(values: model.values, data: data, loss: primal.loss, correct: primal.correct, gradient: primal.gradient)
    }

    private func cachedCompute(values: UnsafePointer<Float>, vector: UnsafePointer<Float>, data: EvaluationData,
                               cache: HessianPrimalCache, isCancelled: @Sendable () -> Bool) throws -> HessianVectorResult {
        let count = layout.totalCount
        var forwardOffset: [Int] = [], inputOffset: [Int] = []
        var forwardCount = 0, inputCount = 0
        for layer in plan.layers {
            forwardOffset.append(forwardCount)
            inputOffset.append(inputCount)
            if layer.input != nil {
                forwardCount += 2 * layer.geometry.weightCount
                inputCount += 2 * layer.geometry.weightCount
            }
        }
        let fused = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count + forwardCount + inputCount)
        defer { fused.deallocate() }
        let flipped = fused, flippedVector = fused + count
        let forward = fused + 2 * count, input = forward + forwardCount
        flipped.initialize(repeating: 0, count: 2 * count)
        for (k, layer) in plan.layers.enumerated() {
            let g = layer.geometry
            ConvolutionTraining.flipWeights(g, weight: values + layer.weight, into: flipped + layer.weight)
            ConvolutionTraining.flipWeights(g, weight: vector + layer.weight, into: flipped + count + layer.weight)
            guard layer.input != nil else { continue }
            let (r, o9) = (g.reduction, 9 * g.outChannels)
            for o in 0..<g.outChannels {
                (forward + forwardOffset[k] + o * 2 * r).initialize(from: vector + layer.weight + o * r, count: r)
                (forward + forwardOffset[k] + o * 2 * r + r).initialize(from: values + layer.weight + o * r, count: r)
            }
            let target = input + inputOffset[k]
            if g.stride == 1 {
                for c in 0..<g.inChannels {
                    (target + c * 2 * o9).initialize(from: flipped + layer.weight + c * o9, count: o9)
                    (target + c * 2 * o9 + o9).initialize(from: flippedVector + layer.weight + c * o9, count: o9)
                }
            } else {
                target.initialize(from: values + layer.weight, count: g.weightCount)
                (target + g.weightCount).initialize(from: vector + layer.weight, count: g.weightCount)
            }
        }
        let base = HessianContext(values: values, vector: vector, flippedValues: flipped, flippedVector: flippedVector,
                                  batchNorm: HessianContext.batchNormConstants(plan, values: values, vector: vector),
                                  lossScale: 1 / Double(data.count))
        let context = HessianCachedContext(base: base, forward: forward, forwardOffset: forwardOffset,
                                           input: input, inputOffset: inputOffset,
                                           packed: useConvolutionKernels ? packedFilters(values: values, vector: vector,
                                                                                         input: input, inputOffset: inputOffset) : [])
        let workers = cachedWorkers
        var product = [Double](repeating: 0, count: count)
        let trainable = layout.entries.filter { $0.role.isTrainable }.map(\.range)
        let imageSize = data.channels * height * width
        try data.pixels.withUnsafeBufferPointer { pixels in
            let shared = UncheckedSendable((pixels.baseAddress!, context, cache))
            try inWaves(imageCount: data.count, isCancelled: isCancelled, work: { slot, chunk, start, _ in
                let (pixels, context, cache) = shared.value
                workers[slot].run(context, cache: cache.chunks[chunk], images: pixels + start * imageSize)
            }, collect: { slot in
                let worker = workers[slot]
                for range in trainable {
                    for i in range { product[i] += Double(worker.product[i]) }
                }
            })
        }
        return HessianVectorResult(loss: cache.loss, correct: cache.correct, imageCount: data.count,
                                   gradient: cache.gradient, product: product)
    }

    /// Whether products (cached, uncached, the primal pass) run on the register kernels: the CPU has them,
    /// `productsUseKernels` is set, and every channel count past the stem is a multiple of their channel
    /// groups (true of every ResNet here).
    var useConvolutionKernels: Bool {
        let strideGroup = Int(STRIDE2_BACKWARD_CHANNEL_GROUP)
        return DirectConvolution.isAvailable && productsUseKernels
            && plan.layers.allSatisfy { $0.channels % DirectConvolution.channelGroup == 0
                && ($0.input == nil || $0.geometry.inChannels % DirectConvolution.channelGroup == 0)
                && ($0.geometry.stride == 1 || ($0.channels % strideGroup == 0 && $0.geometry.inChannels % strideGroup == 0)) }
    }

    /// Per layer: V and W packed for the stride's kernel (F(4×4) at stride 1, direct at stride 2), and the
    /// fused input-gradient filters: [C][2·O][3][3] for F(4×4) at stride 1, [W; V] ([2·O][C][3][3]) as
    /// the stride-2 input-gradient kernel's phase filters at 2.
    private func packedFilters(values: UnsafePointer<Float>, vector: UnsafePointer<Float>, input: UnsafePointer<Float>,
                               inputOffset: [Int]) -> [(v: [Float], w: [Float]?, input: [Float]?)] {
        plan.layers.enumerated().map { k, layer in
            let g = layer.geometry
            let v = HessianKernelFilters.forward(g, weights: vector + layer.weight)
            guard layer.input != nil else { return (v, nil, nil) }
            let w = HessianKernelFilters.forward(g, weights: values + layer.weight)
            let fused = input + inputOffset[k]
            return (v, w, HessianKernelFilters.inputGradient(g, gradChannels: 2 * g.outChannels, flipped: fused, weights: fused))
        }
    }
}
