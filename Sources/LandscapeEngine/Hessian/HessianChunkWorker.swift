/// What both chunk workers of a Hessian-vector product share (`HessianWorker`: the uncached product and
/// the primal pass; `HessianCachedWorker`: the product from a `HessianPrimalCache`): the network, the
/// chunk capacity, one zeroed arena their buffers are views of, and the pieces of the recursion that
/// are the same for a primal quantity and its R-derivative (shortcuts, a layer's input, the BatchNorm
/// parameter sums). Tensors are CNHW over the chunk, as in the training code.
class HessianChunkWorker {
    let plan: TrainingPlan
    let activation: Activation
    let classes: Int
    let capacity: Int
    let parameterCount: Int
    private let arena: FloatArena
    /// Scratch of the register kernels (HessianKernels.swift): the F(4×4) and stride-2 convolutions, and the
    /// weight gradients and stride-2 input gradients.
    let kernelScratch: UnsafeMutablePointer<Float>
    let gradientScratch: UnsafeMutablePointer<Float>

    /// `arena`: the subclass's buffers, taken before this init (it keeps them alive).
    init(plan: TrainingPlan, activation: Activation, classes: Int, capacity: Int, parameterCount: Int, arena: FloatArena) {
        self.plan = plan
        self.activation = activation
        self.classes = classes
        self.capacity = capacity
        self.parameterCount = parameterCount
        self.arena = arena
        let (convolution, gradient) = Self.kernelScratchFloats(plan)
        kernelScratch = .allocate(capacity: max(convolution, 1))
        kernelScratch.initialize(repeating: 0, count: max(convolution, 1))
        gradientScratch = .allocate(capacity: max(gradient, 1))
        gradientScratch.initialize(repeating: 0, count: max(gradient, 1))
    }

    deinit {
        kernelScratch.deallocate()
        gradientScratch.deallocate()
    }

    /// Floats per layer for a chunk of `capacity` images.
    static func layerSizes(_ plan: TrainingPlan, capacity: Int) -> [Int] {
        plan.layers.map { $0.channels * capacity * $0.plane }
    }

    /// Floats of one unfold buffer: a column chunk, or more where one band row of a layer needs it.
    static func minimumColumnFloats(_ plan: TrainingPlan) -> Int {
        max(TrainingBuffers.columnChunkFloats, plan.layers.map { ConvolutionTraining.minimumCapacity($0.geometry) }.max() ?? 0)
    }

    /// The input of `layer`'s convolution and its R-derivative: the images (which do not depend on θ: no R)
    /// at the stem, else the source layer's activation among `activations` and `rActivations`.
    static func convolutionInput(_ layer: TrainingLayer, activations: [UnsafeMutablePointer<Float>],
                                 rActivations: [UnsafeMutablePointer<Float>], images: UnsafePointer<Float>,
                                 n: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>?, ConvolutionKernels.PlaneLayout) {
        let g = layer.geometry
        guard let source = layer.input else {
            return (images, nil, .init(channelStride: g.inPlane, imageStride: g.inChannels * g.inPlane))
        }
        return (UnsafePointer(activations[source]), UnsafePointer(rActivations[source]),
                .init(channelStride: n * g.inPlane, imageStride: g.inPlane))
    }

    /// Layer `k`'s shortcut added in the forward pass: `into` (its y or R(y)) += the source's `from` (a or R(a)).
    func shortcutForward(_ k: Int, from: [UnsafeMutablePointer<Float>], into: UnsafeMutablePointer<Float>, n: Int) {
        let layer = plan.layers[k]
        switch layer.shortcut {
        case .none: break
        case .identity(let source):
            let (target, added) = (into, from[source])
            for i in 0..<(layer.channels * n * layer.plane) { target[i] += added[i] }
        case .optionA(let source):
            let input = plan.layers[source].geometry
            OptionAShortcut.forwardAdd(from[source], inChannels: input.outChannels, inHeight: input.outHeight,
                                       inWidth: input.outWidth, into: into, outChannels: layer.channels, batch: n, images: 0..<n)
        }
    }

    /// Layer `k`'s shortcut in the backward pass: the source's gradient (da or R(da), in `gradients`) gets
    /// layer k's (dy or R(dy)). It is still untouched then (the source's other consumer, the block's first
    /// convolution, comes later in reverse order), so the option-A adjoint may write it whole.
    func shortcutBackward(_ k: Int, _ gradients: [UnsafeMutablePointer<Float>], n: Int) {
        let layer = plan.layers[k]
        switch layer.shortcut {
        case .none: break
        case .identity(let source):
            let (g, target) = (gradients[k], gradients[source])
            for i in 0..<(layer.channels * n * layer.plane) { target[i] += g[i] }
        case .optionA(let source):
            let input = plan.layers[source].geometry
            OptionAShortcut.backward(gradients[k], outChannels: layer.channels, into: gradients[source], inChannels: input.outChannels,
                                     inHeight: input.outHeight, inWidth: input.outWidth, batch: n, images: 0..<n)
        }
    }
}

/// One channel's BatchNorm backward sums over a chunk, in float64, four lanes then the tail (one fixed order,
/// whichever of them a pass needs): Σ dy and Σ dy·(z − μ) (dβ, dγ/invStd), and their R-derivatives' parts
/// Σ R(dy), Σ R(dy)·(z − μ) and Σ dy·R(z).
struct BatchNormChannelSums {
    var sum = 0.0, product = 0.0, rSum = 0.0, rProduct = 0.0, cross = 0.0

    /// `primal`: the first two sums; `r`: the last three (then `rdy` and `rz` are given).
    @inline(__always)
    init(dy: UnsafePointer<Float>, rdy: UnsafePointer<Float>?, z: UnsafePointer<Float>, rz: UnsafePointer<Float>?,
         mean: Float, count length: Int, primal: Bool, r: Bool) {
        var sums = SIMD4<Double>(), products = SIMD4<Double>(), rSums = SIMD4<Double>(), rProducts = SIMD4<Double>()
        var crossProducts = SIMD4<Double>()
        var i = 0
        while i + 4 <= length {
            let g = SIMD4<Double>(Double(dy[i]), Double(dy[i + 1]), Double(dy[i + 2]), Double(dy[i + 3]))
            let centred = SIMD4<Double>(Double(z[i] - mean), Double(z[i + 1] - mean), Double(z[i + 2] - mean), Double(z[i + 3] - mean))
            if primal {
                sums += g
                products += g * centred
            }
            if r, let rdy, let rz {
                let rg = SIMD4<Double>(Double(rdy[i]), Double(rdy[i + 1]), Double(rdy[i + 2]), Double(rdy[i + 3]))
                let rzv = SIMD4<Double>(Double(rz[i]), Double(rz[i + 1]), Double(rz[i + 2]), Double(rz[i + 3]))
                rSums += rg
                rProducts += rg * centred
                crossProducts += g * rzv
            }
            i += 4
        }
        sum = sums.sum(); product = products.sum(); rSum = rSums.sum(); rProduct = rProducts.sum(); cross = crossProducts.sum()
        while i < length {
            let centred = Double(z[i] - mean)
            if primal {
                sum += Double(dy[i]); product += Double(dy[i]) * centred
            }
            if r, let rdy, let rz {
                rSum += Double(rdy[i]); rProduct += Double(rdy[i]) * centred
                cross += Double(dy[i]) * Double(rz[i])
            }
            i += 1
        }
    }
}

/// One zeroed allocation of floats handed out as consecutive views; freed with its owner.
final class FloatArena {
    private let base: UnsafeMutablePointer<Float>
    private let count: Int
    private var offset = 0

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: 0, count: count)
    }

    deinit { base.deallocate() }

    func take(_ size: Int) -> UnsafeMutablePointer<Float> {
        precondition(offset + size <= count, "arena of \(count) floats: \(offset) taken, \(size) more asked")
        defer { offset += size }
        return base + offset
    }

    /// `kinds` views of each size, layer after layer: views[kind][layer].
    func perLayer(_ kinds: Int, sizes: [Int]) -> [[UnsafeMutablePointer<Float>]] {
        var views: [[UnsafeMutablePointer<Float>]] = Array(repeating: [], count: kinds)
        for size in sizes {
            for kind in 0..<kinds { views[kind].append(take(size)) }
        }
        return views
    }
}
