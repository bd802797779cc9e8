/// One thread's buffers for a Hessian-vector product from a filled
/// `HessianPrimalCache`, and its forward half: only the R-quantities are
/// computed (R(z), R(y), R(a) per layer, the head's), the primal ones are read
/// from the cache. `HessianCachedBackward.swift` holds the backward half.
///
/// Per layer with input `in` (a cached activation) and the 2·O-channel pair [R(dz); dz]:
///   R(z)      = V ∗ in + W ∗ R(in)
///   R(dW)    += dz ⋆ R(in)            (forward pass: R(in) is at hand)
///   R(dW)    += R(dz) ⋆ in            (backward pass)
///   R(d in)  += [W' | V'] ∗ [R(dz); dz] at stride 1, [W; V]ᵀ ⋆ [R(dz); dz] at stride 2
/// Where the CPU runs the register kernels (`HessianCachedContext.usesKernels`) every one of these is a
/// call of the kernels training uses (`TrainingKernels`: Winograd F(4×4) convolutions and Winograd weight
/// gradients at stride 1, the stride-2 kernels at 2); elsewhere im2col + GEMMs fused along their inner dimension
/// ([V | W] × [col(in); col(R(in))], one GEMM for R(d in)): six convolution-sized GEMMs per layer
/// instead of the uncached path's nine, four unfolds instead of nine.
final class HessianCachedWorker: HessianChunkWorker {
    let rz: [UnsafeMutablePointer<Float>], ry: [UnsafeMutablePointer<Float>], ra: [UnsafeMutablePointer<Float>]
    let rda: [UnsafeMutablePointer<Float>]
    /// 2 × the largest layer: [R(dz); dz] as one CNHW tensor of 2·O channels (dz alone in the forward pass).
    let pair: UnsafeMutablePointer<Float>
    let rPooled: UnsafeMutablePointer<Float>, rdPooled: UnsafeMutablePointer<Float>
    let rLogits: UnsafeMutablePointer<Float>, rdLogits: UnsafeMutablePointer<Float>
    let columns: UnsafeMutablePointer<Float>, gradColumns: UnsafeMutablePointer<Float>
    let columnCapacity: Int
    /// The chunk's share of H·v, aligned with `ResNetModel.values`.
    let product: UnsafeMutablePointer<Float>

    init(plan: TrainingPlan, activation: Activation, classes: Int, capacity: Int, parameterCount: Int) {
        let sizes = HessianChunkWorker.layerSizes(plan, capacity: capacity)
        let largest = sizes.max() ?? 0
        // Stacked unfolds ([in; R(in)], [R(dz); dz]) need twice a single one's rows.
        let columnFloats = 2 * HessianChunkWorker.minimumColumnFloats(plan)
        columnCapacity = columnFloats
        let headCount = 2 * plan.features * capacity + 2 * classes * capacity
        let arena = FloatArena(count: 4 * sizes.reduce(0, +) + 2 * largest + headCount + 2 * columnFloats + parameterCount)
        let views = arena.perLayer(4, sizes: sizes)
        rz = views[0]; ry = views[1]; ra = views[2]; rda = views[3]
        pair = arena.take(2 * largest)
        rPooled = arena.take(plan.features * capacity); rdPooled = arena.take(plan.features * capacity)
        rLogits = arena.take(classes * capacity); rdLogits = arena.take(classes * capacity)
        columns = arena.take(columnFloats); gradColumns = arena.take(columnFloats)
        product = arena.take(parameterCount)
        super.init(plan: plan, activation: activation, classes: classes, capacity: capacity, parameterCount: parameterCount,
                   arena: arena)
    }

    /// H·v contributions of the chunk's `n` images (NCHW at `images`), written over `product`.
    func run(_ context: HessianCachedContext, cache: HessianPrimalCache.Chunk, images: UnsafePointer<Float>) {
        let n = cache.count
        precondition(n >= 1 && n <= capacity, "chunk of \(n) images: capacity \(capacity)")
        product.update(repeating: 0, count: parameterCount)
        forward(context, cache, images: images, n: n)
        head(context.base, cache, n: n)
        backward(context, cache, images: images, n: n)
    }

    /// The input of a layer's convolution (a cached activation or the images) and its R-derivative.
    func convolutionInput(_ layer: TrainingLayer, _ cache: HessianPrimalCache.Chunk, images: UnsafePointer<Float>,
                          n: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>?, ConvolutionKernels.PlaneLayout) {
        Self.convolutionInput(layer, activations: cache.a, rActivations: ra, images: images, n: n)
    }

    /// dz = s·dy of layer `k` into `target` (CNHW).
    func primalInputGradient(_ k: Int, _ cache: HessianPrimalCache.Chunk, _ bn: HessianContext.BatchNormConstants,
                             n: Int, into target: UnsafeMutablePointer<Float>) {
        let length = n * plan.layers[k].plane
        for c in 0..<bn.scale.count {
            let (dy, dz, scale) = (cache.dy[k] + c * length, target + c * length, bn.scale[c])
            for i in 0..<length { dz[i] = scale * dy[i] }
        }
    }

    private func forward(_ context: HessianCachedContext, _ cache: HessianPrimalCache.Chunk,
                         images: UnsafePointer<Float>, n: Int) {
        let base = context.base
        for (k, layer) in plan.layers.enumerated() {
            let g = layer.geometry
            let (input, rInput, layout) = convolutionInput(layer, cache, images: images, n: n)
            let ldz = n * g.outPlane
            let gradWeight = product + layer.weight
            if context.usesKernels {
                // R(z) = V ∗ in + W ∗ R(in), then R(dW) += dz ⋆ R(in), all on the kernels
                let length = layer.channels * n * layer.plane
                rz[k].update(repeating: 0, count: length)
                let packed = context.packed[k]
                convolve(g, input: input, layout: layout, filters: packed.v, output: rz[k], n: n)
                if let rInput, let w = packed.w {
                    convolve(g, input: rInput, layout: layout, filters: w, output: rz[k], n: n)
                    primalInputGradient(k, cache, base.batchNorm[k], n: n, into: pair)
                    kernelWeightGradient(g, input: rInput, layout: layout, gradOutput: pair, n: n, into: gradWeight)
                }
            } else if let rInput {
                primalInputGradient(k, cache, base.batchNorm[k], n: n, into: pair)
                let fused = context.forward + context.forwardOffset[k]
                ConvolutionTraining.forEachChunk(g, images: 0..<n, capacity: columnCapacity, unfoldedRows: 2 * g.reduction,
                                                 allowsBands: true) { chunk in
                    let cols = chunk.columns(g)
                    let rColumns = columns + g.reduction * cols
                    ConvolutionTraining.unfold(g, chunk, source: input, layout: layout, into: columns)
                    ConvolutionTraining.unfold(g, chunk, source: rInput, layout: layout, into: rColumns)
                    // R(z) = V ∗ in + W ∗ R(in)
                    TrainingBLAS.gemm(m: g.outChannels, n: cols, k: 2 * g.reduction, a: fused, lda: 2 * g.reduction,
                                      b: columns, ldb: cols, beta: 0, c: rz[k] + chunk.offset(g), ldc: ldz)
                    // R(dW) += dz ⋆ R(in)
                    TrainingBLAS.gemm(transposeB: true, m: g.outChannels, n: g.reduction, k: cols,
                                      a: pair + chunk.offset(g), lda: ldz, b: rColumns, ldb: cols, beta: 1,
                                      c: gradWeight, ldc: g.reduction)
                }
            } else {
                // The stem: R(z) = V ∗ images.
                ConvolutionTraining.forward(g, weight: base.vector + layer.weight, input: input, inputLayout: layout,
                                            output: rz[k], batch: n, images: 0..<n, columns: columns,
                                            columnCapacity: columnCapacity)
            }
            batchNormForward(k, base.batchNorm[k], cache, n: n)
            let length = layer.channels * n * layer.plane
            shortcutForward(k, from: ra, into: ry[k], n: n)
            // R(a) = f'(y)·R(y)
            let (ryk, rak) = (ry[k], ra[k])
            if cache.d1.isEmpty {
                let (a, leaky) = (cache.a[k], activation.kind == .leakyRelu)
                for i in 0..<length {
                    rak[i] = (leaky ? FloatKernels.leakyReluDerivative(a[i]) : FloatKernels.reluDerivative(a[i])) * ryk[i]
                }
            } else {
                let d1 = cache.d1[k]
                for i in 0..<length { rak[i] = d1[i] * ryk[i] }
            }
        }
    }

    /// R(y) = (z − μ)·vγ·invStd + s·R(z) + vβ, channel by channel.
    private func batchNormForward(_ k: Int, _ bn: HessianContext.BatchNormConstants, _ cache: HessianPrimalCache.Chunk,
                                  n: Int) {
        let length = n * plan.layers[k].plane
        for c in 0..<bn.mean.count {
            let start = c * length
            let (zc, rzc, ryc) = (cache.z[k] + start, rz[k] + start, ry[k] + start)
            let (mean, scale, rScale, rShift) = (bn.mean[c], bn.scale[c], bn.rScale[c], bn.rShift[c])
            for i in 0..<length { ryc[i] = (zc[i] - mean) * rScale + scale * rzc[i] + rShift }
        }
    }

    /// R of pool, linear layer and cross-entropy gradient, from the cached pooled features, softmax and dℓ:
    /// R(logits) = V·p + W·R(p) + vb, R(dℓ) = scale·p ⊙ (R(logits) − p·R(logits)),
    /// R(dW) = Σ_b R(dℓ_b) pᵀ + dℓ_b R(p)ᵀ, R(db) = Σ_b R(dℓ_b), R(dp) = Vᵀ dℓ + Wᵀ R(dℓ).
    private func head(_ context: HessianContext, _ cache: HessianPrimalCache.Chunk, n: Int) {
        let last = plan.layers[plan.layers.count - 1]
        let features = plan.features
        ClassifierHead.averagePool(ra[ra.count - 1], channels: features, batch: n, plane: last.plane, images: 0..<n,
                                   into: rPooled)
        let weight = context.values + plan.linearWeight
        let vWeight = context.vector + plan.linearWeight, vBias = context.vector + plan.linearBias
        let (pooled, dLogits, probabilities) = (cache.pooled, cache.dLogits, cache.probabilities)
        for b in 0..<n {
            var expected = 0.0
            for j in 0..<classes {
                var rSum = Double(vBias[j])
                for c in 0..<features {
                    rSum += Double(vWeight[j * features + c]) * Double(pooled[c * n + b])
                        + Double(weight[j * features + c]) * Double(rPooled[c * n + b])
                }
                let rLogit = Double(Float(rSum))
                rLogits[b * classes + j] = Float(rSum)
                expected += probabilities[b * classes + j] * rLogit
            }
            for j in 0..<classes {
                let p = probabilities[b * classes + j]
                rdLogits[b * classes + j] = Float(context.lossScale * p * (Double(rLogits[b * classes + j]) - expected))
            }
        }
        for j in 0..<classes {
            var rBiasSum = 0.0
            for b in 0..<n { rBiasSum += Double(rdLogits[b * classes + j]) }
            product[plan.linearBias + j] = Float(rBiasSum)
            for c in 0..<features {
                var rSum = 0.0
                for b in 0..<n {
                    rSum += Double(rdLogits[b * classes + j]) * Double(pooled[c * n + b])
                        + Double(dLogits[b * classes + j]) * Double(rPooled[c * n + b])
                }
                product[plan.linearWeight + j * features + c] = Float(rSum)
            }
        }
        for c in 0..<features {
            for b in 0..<n {
                var rSum = 0.0
                for j in 0..<classes {
                    rSum += Double(vWeight[j * features + c]) * Double(dLogits[b * classes + j])
                        + Double(weight[j * features + c]) * Double(rdLogits[b * classes + j])
                }
                rdPooled[c * n + b] = Float(rSum)
            }
        }
        ClassifierHead.averagePoolBackward(rdPooled, channels: features, batch: n, plane: last.plane, images: 0..<n,
                                           into: rda[rda.count - 1])
    }
}
