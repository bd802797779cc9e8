/// The backward half of a product from the primal cache: only the
/// R-derivatives of `HessianBackward.swift`'s recursion, the primal gradients
/// (dy, and q = f''(y)·da) read from the cache:
///
///   R(dy) = q·R(y) + f'(y)·R(da)
///   R(dβ) = Σ R(dy)              R(dγ) = invStd·(Σ R(dy)·(z − μ) + Σ dy·R(z))
///   R(dz) = vγ·invStd·dy + s·R(dy)
///   R(dW) += R(dz) ⋆ in          (dz ⋆ R(in) was added in the forward pass)
///   R(d in) += Wᵀ R(dz) + Vᵀ dz  one input gradient over [R(dz); dz]
extension HessianCachedWorker {
    func backward(_ context: HessianCachedContext, _ cache: HessianPrimalCache.Chunk, images: UnsafePointer<Float>,
                  n: Int) {
        let layers = plan.layers
        for k in 0..<(layers.count - 1) {
            rda[k].update(repeating: 0, count: layers[k].channels * n * layers[k].plane)
        }
        for k in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[k]
            let length = layer.channels * n * layer.plane
            let bn = context.base.batchNorm[k]
            // R(dy), in place over R(da)
            let (rg, ryk) = (rda[k], ry[k])
            if cache.d1.isEmpty {
                let (a, leaky) = (cache.a[k], activation.kind == .leakyRelu)
                for i in 0..<length {
                    rg[i] *= leaky ? FloatKernels.leakyReluDerivative(a[i]) : FloatKernels.reluDerivative(a[i])
                }
            } else {
                let (q, d1) = (cache.q[k], cache.d1[k])
                for i in 0..<length { rg[i] = q[i] * ryk[i] + d1[i] * rg[i] }
            }
            batchNormParameters(k, bn, cache, n: n)
            shortcutBackward(k, rda, n: n)
            // [R(dz); dz] as one tensor of 2·O channels
            let half = length
            for c in 0..<layer.channels {
                let start = c * n * layer.plane
                let (dy, rdy, rdz) = (cache.dy[k] + start, rg + start, pair + start)
                let (scale, rScale) = (bn.scale[c], bn.rScale[c])
                for i in 0..<(n * layer.plane) { rdz[i] = rScale * dy[i] + scale * rdy[i] }
            }
            primalInputGradient(k, cache, bn, n: n, into: pair + half)
            convolutionBackward(k, context, cache, images: images, n: n)
        }
    }

    /// R(dβ), R(dγ), summed over the chunk in float64.
    private func batchNormParameters(_ k: Int, _ bn: HessianContext.BatchNormConstants, _ cache: HessianPrimalCache.Chunk,
                                     n: Int) {
        let layer = plan.layers[k]
        let length = n * layer.plane
        for c in 0..<layer.channels {
            let start = c * length
            let sums = BatchNormChannelSums(dy: cache.dy[k] + start, rdy: rda[k] + start, z: cache.z[k] + start, rz: rz[k] + start,
                                            mean: bn.mean[c], count: length, primal: false, r: true)
            product[layer.beta + c] = Float(sums.rSum)
            product[layer.gamma + c] = Float(Double(bn.invStd[c]) * (sums.rProduct + sums.cross))
        }
    }

    /// R(dW) += R(dz) ⋆ in into `product`; R(d in) += [W' | V'] ∗ [R(dz); dz] (stride 1) or
    /// [W; V]ᵀ ⋆ [R(dz); dz] (stride 2) onto the input layer's R(da): on training's kernels where the CPU
    /// runs them, else im2col + GEMM (+ col2im at stride 2).
    private func convolutionBackward(_ k: Int, _ context: HessianCachedContext, _ cache: HessianPrimalCache.Chunk,
                                     images: UnsafePointer<Float>, n: Int) {
        let layer = plan.layers[k]
        let g = layer.geometry
        let (input, _, layout) = convolutionInput(layer, cache, images: images, n: n)
        let rGradInput = layer.input.map { rda[$0] }
        let ldz = n * g.outPlane
        if context.usesKernels {
            kernelWeightGradient(g, input: input, layout: layout, gradOutput: pair, n: n, into: product + layer.weight)
            guard let rGradInput, let filters = context.packed[k].input else { return }
            kernelInputGradient(g, gradOutput: pair, gradChannels: 2 * g.outChannels, filters: filters, n: n,
                                into: rGradInput, layout: layout)
            return
        }
        let pairLayout = ConvolutionKernels.PlaneLayout(channelStride: ldz, imageStride: g.outPlane)
        let direct = rGradInput != nil && g.stride == 1
        let pairGeometry = ConvolutionGeometry(inChannels: 2 * g.outChannels, outChannels: g.inChannels, stride: 1,
                                               inHeight: g.outHeight, inWidth: g.outWidth)
        let unfoldedRows = direct ? max(g.reduction, pairGeometry.reduction) : g.reduction
        let fused = context.input + context.inputOffset[k]
        ConvolutionTraining.forEachChunk(g, images: 0..<n, capacity: columnCapacity, unfoldedRows: unfoldedRows,
                                         allowsBands: rGradInput == nil || direct) { chunk in
            let cols = chunk.columns(g)
            ConvolutionTraining.unfold(g, chunk, source: input, layout: layout, into: columns)
            TrainingBLAS.gemm(transposeB: true, m: g.outChannels, n: g.reduction, k: cols,
                              a: pair + chunk.offset(g), lda: ldz, b: columns, ldb: cols, beta: 1,
                              c: product + layer.weight, ldc: g.reduction)
            guard let rGradInput else { return }
            if direct {
                ConvolutionTraining.unfold(pairGeometry, chunk, source: pair, layout: pairLayout, into: gradColumns)
                TrainingBLAS.gemm(m: g.inChannels, n: cols, k: pairGeometry.reduction, a: fused, lda: pairGeometry.reduction,
                                  b: gradColumns, ldb: cols, beta: 1,
                                  c: rGradInput + chunk.first * layout.imageStride + chunk.rows.lowerBound * g.inWidth,
                                  ldc: layout.channelStride)
            } else {
                TrainingBLAS.gemm(transposeA: true, m: g.reduction, n: cols, k: 2 * g.outChannels,
                                  a: fused, lda: g.reduction, b: pair + chunk.offset(g), ldb: ldz, beta: 0,
                                  c: gradColumns, ldc: cols)
                ConvolutionTraining.col2im3x3(gradColumns, layout: layout, channels: g.inChannels, imageCount: chunk.count,
                                              height: g.inHeight, width: g.inWidth, stride: g.stride,
                                              addingInto: rGradInput + chunk.first * layout.imageStride)
            }
        }
    }
}
