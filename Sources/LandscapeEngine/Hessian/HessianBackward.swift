/// The backward half of a chunk's Hessian-vector product: ordinary
/// backpropagation (eval-mode BatchNorm) and, beside it, its R-derivative
/// along v, layer by layer from the last to the stem:
///
///   dy = f'(y)·da                R(dy) = f''(y)·R(y)·da + f'(y)·R(da)
///   dβ = Σ dy                    R(dβ) = Σ R(dy)
///   dγ = Σ dy·x̂                  R(dγ) = Σ R(dy)·x̂ + dy·R(z)·invStd      (x̂ = (z − μ)·invStd)
///   dz = s·dy                    R(dz) = vγ·invStd·dy + s·R(dy)
///   dW = dz ⋆ in                 R(dW) = R(dz) ⋆ in + dz ⋆ R(in)
///   d(in) += Wᵀ dz               R(d(in)) += Wᵀ R(dz) + Vᵀ dz
///
/// and the shortcut passes dy, R(dy) on to its source. R(dW), R(dγ), R(dβ)
/// (and the head's) are H·v. Layers are visited in reverse order, so every
/// consumer of a layer's output (the next convolution, a shortcut) has added
/// its share to `da` before that layer is processed.
///
/// Without `r` (the primal pass that fills a cache) only the left column runs,
/// each quantity by the same expression as beside its R-derivative.
extension HessianWorker {
    func backward(_ context: HessianContext, images: UnsafePointer<Float>, n: Int, record: HessianPrimalCache.Chunk? = nil,
                  r: Bool = true) {
        let layers = plan.layers
        for k in 0..<(layers.count - 1) {
            let length = layers[k].channels * n * layers[k].plane
            da[k].update(repeating: 0, count: length)
            if r { rda[k].update(repeating: 0, count: length) }
        }
        for k in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[k]
            let length = layer.channels * n * layer.plane
            if let record, !record.q.isEmpty {
                let (q, g) = (record.q[k], da[k])
                for i in 0..<length { q[i] *= g[i] }   // f''(y)·da
            }
            if r {
                activation.secondOrderBackward(input: y[k], rInput: ry[k], gradient: da[k], rGradient: rda[k], count: length)
            } else if let record {
                primalActivationBackward(k, record, count: length)
            }
            record?.dy[k].update(from: da[k], count: length)
            batchNormParameters(k, context.batchNorm[k], n: n, r: r)
            shortcutBackward(k, da, n: n)
            if r { shortcutBackward(k, rda, n: n) }
            batchNormInputGradient(k, context.batchNorm[k], n: n, r: r)
            convolutionBackward(k, context, images: images, n: n, r: r)
        }
    }

    /// dy = f'(y)·da in place, f'(y) as `secondOrderBackward` takes it: read off y for the piecewise-linear
    /// activations, else the f'(y) just recorded in the cache (the same `firstAndSecondDerivative`).
    private func primalActivationBackward(_ k: Int, _ record: HessianPrimalCache.Chunk, count length: Int) {
        let (yk, g) = (y[k], da[k])
        if !record.d1.isEmpty {
            let d1 = record.d1[k]
            for i in 0..<length { g[i] = d1[i] * g[i] }
        } else if activation.kind == .leakyRelu {
            for i in 0..<length { g[i] *= FloatKernels.leakyReluDerivative(yk[i]) }
        } else {
            for i in 0..<length { g[i] *= FloatKernels.reluDerivative(yk[i]) }
        }
    }

    /// dβ, dγ and (`r`) their R-derivatives, summed over the chunk in float64.
    private func batchNormParameters(_ k: Int, _ bn: HessianContext.BatchNormConstants, n: Int, r: Bool) {
        let layer = plan.layers[k]
        let length = n * layer.plane
        for c in 0..<layer.channels {
            let start = c * length
            let sums = r ? BatchNormChannelSums(dy: da[k] + start, rdy: rda[k] + start, z: z[k] + start, rz: rz[k] + start,
                                                mean: bn.mean[c], count: length, primal: true, r: true)
                : BatchNormChannelSums(dy: da[k] + start, rdy: nil, z: z[k] + start, rz: nil, mean: bn.mean[c], count: length,
                                       primal: true, r: false)
            let invStd = Double(bn.invStd[c])
            gradient[layer.beta + c] = Float(sums.sum)
            gradient[layer.gamma + c] = Float(invStd * sums.product)
            product[layer.beta + c] = Float(sums.rSum)
            product[layer.gamma + c] = Float(invStd * (sums.rProduct + sums.cross))
        }
    }

    /// In place: R(dz) = vγ·invStd·dy + s·R(dy) (with `r`), then dz = s·dy.
    private func batchNormInputGradient(_ k: Int, _ bn: HessianContext.BatchNormConstants, n: Int, r: Bool) {
        let layer = plan.layers[k]
        let length = n * layer.plane
        for c in 0..<layer.channels {
            let g = da[k] + c * length, rg = rda[k] + c * length
            let scale = bn.scale[c], rScale = bn.rScale[c]
            guard r else {
                for i in 0..<length { g[i] *= scale }
                continue
            }
            for i in 0..<length {
                rg[i] = rScale * g[i] + scale * rg[i]
                g[i] *= scale
            }
        }
    }

    /// dW into `gradient`, R(dW) into `product` (with `r`); d(in), R(d(in)) added onto the input layer's `da`, `rda`:
    /// on the register kernels where the product runs on them (HessianKernels.swift), else im2col + GEMM.
    private func convolutionBackward(_ k: Int, _ context: HessianContext, images: UnsafePointer<Float>, n: Int, r: Bool) {
        let layer = plan.layers[k]
        let g = layer.geometry
        let (input, rInput, layout) = convolutionInput(layer, images: images, n: n)
        let gradInput = layer.input.map { da[$0] }, rGradInput = layer.input.map { rda[$0] }
        let weight = context.values + layer.weight, vector = context.vector + layer.weight
        func backward(_ filters: UnsafePointer<Float>, flipped: UnsafePointer<Float>, input: UnsafePointer<Float>,
                      gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                      gradInput: UnsafeMutablePointer<Float>?) {
            ConvolutionTraining.backward(g, weight: filters, input: input, inputLayout: layout, gradOutput: gradOutput,
                                         batch: n, images: 0..<n, gradWeight: gradWeight, gradInput: gradInput,
                                         columns: columns, gradColumns: gradColumns, columnCapacity: columnCapacity,
                                         flippedWeight: flipped)
        }
        if context.usesKernels {
            let filters = context.kernels[k]
            func gradients(_ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
                           inputFilters: [Float]?, gradInput: UnsafeMutablePointer<Float>?) {
                kernelWeightGradient(g, input: input, layout: layout, gradOutput: gradOutput, n: n, into: gradWeight)
                if let gradInput, let inputFilters {
                    kernelInputGradient(g, gradOutput: gradOutput, gradChannels: g.outChannels, filters: inputFilters, n: n,
                                        into: gradInput, layout: layout)
                }
            }
            // the same three terms as below
            gradients(da[k], input: input, gradWeight: gradient + layer.weight, inputFilters: filters.wInput, gradInput: gradInput)
            guard r else { return }
            gradients(rda[k], input: input, gradWeight: product + layer.weight, inputFilters: filters.wInput,
                      gradInput: rGradInput)
            if let rInput {
                gradients(da[k], input: rInput, gradWeight: product + layer.weight, inputFilters: filters.vInput,
                          gradInput: rGradInput)
            }
            return
        }
        let flippedWeight = context.flippedValues + layer.weight, flippedVector = context.flippedVector + layer.weight
        // dW = dz ⋆ in, d(in) += Wᵀ dz
        backward(weight, flipped: flippedWeight, input: input, gradOutput: da[k], gradWeight: gradient + layer.weight,
                 gradInput: gradInput)
        guard r else { return }
        // R(dW) = R(dz) ⋆ in + …, R(d(in)) += Wᵀ R(dz) + …
        backward(weight, flipped: flippedWeight, input: input, gradOutput: rda[k], gradWeight: product + layer.weight,
                 gradInput: rGradInput)
        // … + dz ⋆ R(in), … + Vᵀ dz (the images do not depend on θ: R(in) = 0 at the stem)
        if let rInput {
            backward(vector, flipped: flippedVector, input: rInput, gradOutput: da[k], gradWeight: product + layer.weight,
                     gradInput: rGradInput)
        }
    }
}
