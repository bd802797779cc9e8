import Foundation

/// One thread's buffers for the Hessian-vector product of a chunk of images,
/// and the forward half of it: the eval-mode forward pass (z, y, a per layer)
/// and its R-derivative along v (R(z), R(y), R(a)), then the loss head.
/// `HessianBackward.swift` holds the backward half.
///
/// Tensors are CNHW over the chunk (channel c, image b at (c·n + b)·plane for
/// a chunk of n images), as in the training code, whose convolution, pooling
/// and shortcut kernels this reuses. Images are independent under eval-mode
/// BatchNorm, so a chunk needs nothing from any other chunk.
final class HessianWorker: HessianChunkWorker {
    /// Per layer: z, y = BN(z) (+ shortcut), a = f(y), their R-derivatives, and the
    /// gradient at a (then, in place, at y and z) with its R-derivative.
    let z: [UnsafeMutablePointer<Float>], y: [UnsafeMutablePointer<Float>], a: [UnsafeMutablePointer<Float>]
    let rz: [UnsafeMutablePointer<Float>], ry: [UnsafeMutablePointer<Float>], ra: [UnsafeMutablePointer<Float>]
    let da: [UnsafeMutablePointer<Float>], rda: [UnsafeMutablePointer<Float>]
    /// Scratch of the largest layer's size (W·R(input) before it is added to R(z)).
    let scratch: UnsafeMutablePointer<Float>
    /// Head: [features][n] pooled features and [n][classes] logits, with R and gradients.
    let pooled: UnsafeMutablePointer<Float>, rPooled: UnsafeMutablePointer<Float>
    let dPooled: UnsafeMutablePointer<Float>, rdPooled: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>, rLogits: UnsafeMutablePointer<Float>
    let dLogits: UnsafeMutablePointer<Float>, rdLogits: UnsafeMutablePointer<Float>
    let columns: UnsafeMutablePointer<Float>, gradColumns: UnsafeMutablePointer<Float>
    let columnCapacity: Int
    /// The chunk's share of the gradient and of H·v, aligned with `ResNetModel.values`.
    let gradient: UnsafeMutablePointer<Float>
    let product: UnsafeMutablePointer<Float>
    /// The chunk's summed (not averaged) cross-entropy and correct count.
    var lossSum = 0.0
    var correct = 0

    init(plan: TrainingPlan, activation: Activation, classes: Int, capacity: Int, parameterCount: Int) {
        let sizes = HessianChunkWorker.layerSizes(plan, capacity: capacity)
        let largest = sizes.max() ?? 0
        let features = plan.features
        let columnFloats = HessianChunkWorker.minimumColumnFloats(plan)
        columnCapacity = columnFloats
        // One arena: 8 tensors per layer, scratch, head, columns, the two parameter-sized sums.
        let headCount = 4 * features * capacity + 4 * classes * capacity
        let arena = FloatArena(count: 8 * sizes.reduce(0, +) + largest + headCount + 2 * columnFloats + 2 * parameterCount)
        let views = arena.perLayer(8, sizes: sizes)
        z = views[0]; y = views[1]; a = views[2]
        rz = views[3]; ry = views[4]; ra = views[5]
        da = views[6]; rda = views[7]
        scratch = arena.take(largest)
        pooled = arena.take(features * capacity); rPooled = arena.take(features * capacity)
        dPooled = arena.take(features * capacity); rdPooled = arena.take(features * capacity)
        logits = arena.take(classes * capacity); rLogits = arena.take(classes * capacity)
        dLogits = arena.take(classes * capacity); rdLogits = arena.take(classes * capacity)
        columns = arena.take(columnFloats); gradColumns = arena.take(columnFloats)
        gradient = arena.take(parameterCount); product = arena.take(parameterCount)
        super.init(plan: plan, activation: activation, classes: classes, capacity: capacity, parameterCount: parameterCount,
                   arena: arena)
    }

    /// Gradient and H·v contributions of `n` images (NCHW at `images`), written
    /// over `gradient` and `product`; the loss sum into `lossSum`.
    /// With `record`, the chunk's primal values are copied into it on the way (`HessianPrimalCache`).
    /// `rDerivatives: false` is the primal pass alone, which fills a cache (`record` is then required):
    /// the forward values, the loss and the ordinary gradient, the same floats as with the R-derivatives
    /// (every primal quantity is computed by the same expressions in the same order), `product` left at 0.
    func run(_ context: HessianContext, images: UnsafePointer<Float>, labels: UnsafePointer<Int32>, count n: Int,
             record: HessianPrimalCache.Chunk? = nil, rDerivatives r: Bool = true) {
        precondition(n >= 1 && n <= capacity, "chunk of \(n) images: capacity \(capacity)")
        precondition(r || record != nil, "the primal pass alone is for filling a primal cache")
        gradient.update(repeating: 0, count: parameterCount)
        product.update(repeating: 0, count: parameterCount)
        forward(context, images: images, n: n, r: r)
        head(context, labels: labels, n: n, record: record, r: r)
        if let record { recordForward(record, n: n) }
        backward(context, images: images, n: n, record: record, r: r)
    }

    /// z, a and (f'' ≠ 0) f'(y) per layer; f''(y) goes into `q`, multiplied by da in the backward pass.
    private func recordForward(_ record: HessianPrimalCache.Chunk, n: Int) {
        precondition(record.count == n, "primal cache chunk of \(record.count) images for \(n)")
        for (k, layer) in plan.layers.enumerated() {
            let length = layer.channels * n * layer.plane
            record.z[k].update(from: z[k], count: length)
            record.a[k].update(from: a[k], count: length)
            if !record.d1.isEmpty {
                let (yk, d1, d2) = (y[k], record.d1[k], record.q[k])
                for i in 0..<length { (d1[i], d2[i]) = activation.firstAndSecondDerivative(yk[i]) }
            }
        }
        record.pooled.update(from: pooled, count: plan.features * n)
        record.dLogits.update(from: dLogits, count: classes * n)
    }

    /// The input of a layer's convolution and its R-derivative (nil for the images, which do not depend on θ).
    func convolutionInput(_ layer: TrainingLayer, images: UnsafePointer<Float>,
                          n: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>?, ConvolutionKernels.PlaneLayout) {
        Self.convolutionInput(layer, activations: a, rActivations: ra, images: images, n: n)
    }

    private func forward(_ context: HessianContext, images: UnsafePointer<Float>, n: Int, r: Bool) {
        for (k, layer) in plan.layers.enumerated() {
            let g = layer.geometry
            let (input, rInput, layout) = convolutionInput(layer, images: images, n: n)
            let length = layer.channels * n * layer.plane
            // z = W ∗ in;  R(z) = V ∗ in + W ∗ R(in)
            if context.usesKernels {
                let filters = context.kernels[k]
                z[k].update(repeating: 0, count: length)
                convolve(g, input: input, layout: layout, filters: filters.w, output: z[k], n: n)
                if r {
                    rz[k].update(repeating: 0, count: length)
                    convolve(g, input: input, layout: layout, filters: filters.v, output: rz[k], n: n)
                    if let rInput { convolve(g, input: rInput, layout: layout, filters: filters.w, output: rz[k], n: n) }
                }
            } else {
                ConvolutionTraining.forward(g, weight: context.values + layer.weight, input: input, inputLayout: layout,
                                            output: z[k], batch: n, images: 0..<n, columns: columns,
                                            columnCapacity: columnCapacity)
                if r {
                    ConvolutionTraining.forward(g, weight: context.vector + layer.weight, input: input, inputLayout: layout,
                                                output: rz[k], batch: n, images: 0..<n, columns: columns,
                                                columnCapacity: columnCapacity)
                }
                if r, let rInput {
                    ConvolutionTraining.forward(g, weight: context.values + layer.weight, input: rInput, inputLayout: layout,
                                                output: scratch, batch: n, images: 0..<n, columns: columns,
                                                columnCapacity: columnCapacity)
                    let target = rz[k], source = scratch
                    for i in 0..<length { target[i] += source[i] }
                }
            }
            batchNormForward(k, context.batchNorm[k], n: n, r: r)
            shortcutForward(k, from: a, into: y[k], n: n)
            if r { shortcutForward(k, from: ra, into: ry[k], n: n) }
            // a = f(y);  R(a) = f'(y)·R(y)
            activation.apply(UnsafeBufferPointer(start: y[k], count: length),
                             to: UnsafeMutableBufferPointer(start: a[k], count: length))
            guard r else { continue }
            activation.backward(input: UnsafeBufferPointer(start: y[k], count: length),
                                gradOutput: UnsafeBufferPointer(start: ry[k], count: length),
                                gradInput: UnsafeMutableBufferPointer(start: ra[k], count: length))
        }
    }

    /// y = (z − μ)·s + β and (with `r`) R(y) = (z − μ)·vγ·invStd + s·R(z) + vβ, channel by channel.
    private func batchNormForward(_ k: Int, _ bn: HessianContext.BatchNormConstants, n: Int, r: Bool) {
        let plane = plan.layers[k].plane
        let length = n * plane
        for c in 0..<bn.mean.count {
            let start = c * length
            let zc = z[k] + start, rzc = rz[k] + start, yc = y[k] + start, ryc = ry[k] + start
            let mean = bn.mean[c], scale = bn.scale[c], shift = bn.shift[c]
            let rScale = bn.rScale[c], rShift = bn.rShift[c]
            guard r else {
                for i in 0..<length { yc[i] = (zc[i] - mean) * scale + shift }
                continue
            }
            for i in 0..<length {
                let centred = zc[i] - mean
                yc[i] = centred * scale + shift
                ryc[i] = centred * rScale + scale * rzc[i] + rShift
            }
        }
    }

    /// Pool, linear layer and mean cross-entropy with (`r`) their R-derivatives, then
    /// the gradients of the head: linear weight and bias into `gradient` and
    /// `product`, the pooled features' into `dPooled`/`rdPooled`, and the
    /// last layer's output gradient into `da`/`rda`. Without `r`, the R-terms are skipped (their sums
    /// are separate accumulators, so the primal ones are the same floats either way).
    private func head(_ context: HessianContext, labels: UnsafePointer<Int32>, n: Int, record: HessianPrimalCache.Chunk?,
                      r: Bool) {
        let last = plan.layers[plan.layers.count - 1]
        let features = plan.features
        ClassifierHead.averagePool(a[a.count - 1], channels: features, batch: n, plane: last.plane, images: 0..<n, into: pooled)
        if r {
            ClassifierHead.averagePool(ra[ra.count - 1], channels: features, batch: n, plane: last.plane, images: 0..<n,
                                       into: rPooled)
        }
        let weight = context.values + plan.linearWeight, bias = context.values + plan.linearBias
        let vWeight = context.vector + plan.linearWeight, vBias = context.vector + plan.linearBias
        // logits = W·p + b;  R(logits) = V·p + W·R(p) + vb  (float64 sums)
        for b in 0..<n {
            for j in 0..<classes {
                var sum = Double(bias[j]), rSum = Double(vBias[j])
                for c in 0..<features {
                    let p = Double(pooled[c * n + b])
                    sum += Double(weight[j * features + c]) * p
                    if r { rSum += Double(vWeight[j * features + c]) * p + Double(weight[j * features + c]) * Double(rPooled[c * n + b]) }
                }
                logits[b * classes + j] = Float(sum)
                if r { rLogits[b * classes + j] = Float(rSum) }
            }
        }
        softmaxCrossEntropy(labels: labels, n: n, scale: context.lossScale, probabilitiesInto: record?.probabilities, r: r)
        // dW = Σ_b dℓ_b pᵀ, R(dW) = Σ_b R(dℓ_b) pᵀ + dℓ_b R(p)ᵀ; db = Σ dℓ, R(db) = Σ R(dℓ)
        for j in 0..<classes {
            var biasSum = 0.0, rBiasSum = 0.0
            for b in 0..<n {
                biasSum += Double(dLogits[b * classes + j])
                if r { rBiasSum += Double(rdLogits[b * classes + j]) }
            }
            gradient[plan.linearBias + j] = Float(biasSum)
            product[plan.linearBias + j] = Float(rBiasSum)
            for c in 0..<features {
                var sum = 0.0, rSum = 0.0
                for b in 0..<n {
                    let d = Double(dLogits[b * classes + j])
                    sum += d * Double(pooled[c * n + b])
                    if r { rSum += Double(rdLogits[b * classes + j]) * Double(pooled[c * n + b]) + d * Double(rPooled[c * n + b]) }
                }
                gradient[plan.linearWeight + j * features + c] = Float(sum)
                product[plan.linearWeight + j * features + c] = Float(rSum)
            }
        }
        // dp = Wᵀ dℓ;  R(dp) = Vᵀ dℓ + Wᵀ R(dℓ)
        for c in 0..<features {
            for b in 0..<n {
                var sum = 0.0, rSum = 0.0
                for j in 0..<classes {
                    let d = Double(dLogits[b * classes + j])
                    sum += Double(weight[j * features + c]) * d
                    if r {
                        rSum += Double(vWeight[j * features + c]) * d
                            + Double(weight[j * features + c]) * Double(rdLogits[b * classes + j])
                    }
                }
                dPooled[c * n + b] = Float(sum)
                rdPooled[c * n + b] = Float(rSum)
            }
        }
        ClassifierHead.averagePoolBackward(dPooled, channels: features, batch: n, plane: last.plane, images: 0..<n,
                                           into: da[da.count - 1])
        guard r else { return }
        ClassifierHead.averagePoolBackward(rdPooled, channels: features, batch: n, plane: last.plane, images: 0..<n,
                                           into: rda[rda.count - 1])
    }

    /// ℓ = log Σ e^z − z_label per image (summed into `lossSum`),
    /// dℓ = scale·(softmax − onehot) and R(dℓ) = scale·p ⊙ (R(z) − p·R(z)), p = softmax(z).
    /// With `probabilitiesInto`, the softmax is also written there ([n][classes]). Without `r`, no R(dℓ).
    private func softmaxCrossEntropy(labels: UnsafePointer<Int32>, n: Int, scale: Double,
                                     probabilitiesInto kept: UnsafeMutablePointer<Double>?, r: Bool) {
        lossSum = 0
        correct = 0
        var probabilities = [Double](repeating: 0, count: classes)
        for b in 0..<n {
            let zb = logits + b * classes, rzb = rLogits + b * classes
            let label = Int(labels[b])
            var maximum = Double(zb[0]), best = 0
            for j in 1..<classes {
                maximum = max(maximum, Double(zb[j]))
                if zb[j] > zb[best] { best = j }
            }
            var sum = 0.0
            for j in 0..<classes { sum += exp(Double(zb[j]) - maximum) }
            let logSumExp = maximum + log(sum)
            lossSum += logSumExp - Double(zb[label])
            if best == label { correct += 1 }
            var expected = 0.0
            for j in 0..<classes {
                probabilities[j] = exp(Double(zb[j]) - logSumExp)
                if r { expected += probabilities[j] * Double(rzb[j]) }
            }
            if let kept { for j in 0..<classes { kept[b * classes + j] = probabilities[j] } }
            for j in 0..<classes {
                let p = probabilities[j]
                dLogits[b * classes + j] = Float(scale * (p - (j == label ? 1 : 0)))
                if r { rdLogits[b * classes + j] = Float(scale * p * (Double(rzb[j]) - expected)) }
            }
        }
    }
}
