import Foundation

/// How the 3×3 convolutions are computed: the stride-1 ones by the chosen algorithm,
/// the two strided ones by the direct kernel unless `im2col` is asked for.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable, Codable {
    /// Unfold patches + one GEMM per chunk (OpenBLAS): the portable path.
    case im2col
    /// The AVX2+FMA direct kernel (CDirectConvolution): no unfolded copy and no
    /// GEMM packing. Without AVX2 it runs as `im2col`.
    case direct
    /// Winograd F(2×2, 3×3) in CDirectConvolution: 2.25× fewer multiplies than `direct`,
    /// paid for with its transforms. Without AVX2 it runs as `im2col`.
    case winograd
    /// Winograd F(4×4, 3×3) (Winograd4Convolution.c): 4× fewer multiplies than `direct` (1.78× fewer than
    /// `winograd`), larger transforms and rounding errors (about 1e-5 relative where F(2×2) has 1e-6). Stride-1
    /// layers only; the strided ones run direct. Without AVX2 it runs as `im2col`.
    case winograd4
    /// oneDNN (libdnnl, the library PyTorch's CPU convolutions use): the whole forward in its preferred
    /// layout, BatchNorm folded, activation and residual fused as post-ops (`OneDNNPlan`). Every
    /// activation but Nish-t.
    case onednn
    /// Per layer, the fastest on this CPU (`ConvolutionChoice`, `ConvolutionPlan`): for each class of
    /// convolutions (stem, stride-1 per stage, stride-2) our kernels or oneDNN between our layers, measured once
    /// per CPU model inside whole forward passes (conversions counted) and cached; `preferred` wherever no
    /// candidate wins by more than 5 %. What the commands use unless told otherwise.
    case auto

    /// The `--convolution` help of every command that evaluates (one text for the CLI).
    public static let help = "3x3 convolutions: auto (the default: per class of layers the fastest on this CPU of "
        + "Winograd F(2x2, 3x3) and F(4x4, 3x3), direct and oneDNN between our layers, measured once per CPU model and "
        + "cached; see README, Engine), winograd (F(2x2, 3x3), stride 1), winograd4 (F(4x4, 3x3), stride 1), direct, "
        + "im2col (the portable path), or onednn (oneDNN for the whole forward; not with nish)."

    /// What evaluation uses unless asked otherwise: `winograd` where the CPU has AVX2 and FMA,
    /// else `im2col`. Measured with whole surfaces (README, Performance): on Zen 4 Winograd
    /// beats `direct` by 15–20 %, on Zen 3 the two tied. One choice for every AVX2 machine
    /// keeps a surface's values the same wherever it is computed or resumed.
    public static var preferred: ConvolutionAlgorithm { DirectConvolution.isAvailable ? .winograd : .im2col }

    /// The multiplies ×2 this algorithm really does on a convolution whose direct form does `direct`: ÷ 4 for
    /// F(4×4, 3×3) and ÷ 2.25 for F(2×2, 3×3) at stride 1 (36 or 16 multiplies per output tile and channel pair
    /// against 144 or 36; the transforms' additions not counted), else `direct` (stride 2 runs the direct kernel;
    /// im2col's GEMM does every multiply). What `landscape bench` divides by the FMA peak.
    public func multiplyFLOPs(direct: Double, stride: Int) -> Double {
        guard stride == 1 else { return direct }
        switch effective {
        case .winograd4: return direct / 4
        case .winograd: return direct / 2.25
        default: return direct
        }
    }

    /// Winograd F(2×2) or F(4×4): stride-1 layers only (their stride-2 layers run the direct kernel).
    public var isWinograd: Bool { self == .winograd || self == .winograd4 }

    /// The algorithm that actually runs on this CPU when this one is asked for.
    public var effective: ConvolutionAlgorithm {
        if self == .auto { return ConvolutionChoice.automatic.effective }
        return self == .im2col || self == .onednn || DirectConvolution.isAvailable ? self : .im2col
    }

    /// The ISA that computes this algorithm's convolutions now: `portable` for im2col (BLAS) and for
    /// oneDNN (whose own JIT picks its ISA: `kernelName`).
    public var kernelISA: KernelISA { effective == .im2col || effective == .onednn ? .portable : KernelISA.current }

    /// What computes the convolutions, as a surface's `timing.kernel` records it: the kernels' ISA
    /// ("avx512", "avx2", "portable" for BLAS), or "onednn-<its ISA>" (e.g. "onednn-avx512_core").
    public var kernelName: String { effective == .onednn ? "onednn-\(OneDNN.isa)" : kernelISA.rawValue }

    /// Whether this algorithm can compute networks with `activation` (oneDNN has no Nish-t).
    public func supports(_ activation: Activation) -> Bool { effective != .onednn || OneDNN.supports(activation) }
}

/// Scratch buffers of one worker thread, reused across micro-batches and
/// grid points so the forward pass allocates nothing.
final class ForwardWorkspace {
    let batch: Int
    let height: Int
    let width: Int
    private let activationCapacity: Int
    private let columnCapacity: Int
    let buffers: [UnsafeMutablePointer<Float>]   // three CNHW activations: block input, inner, output
    let columns: UnsafeMutablePointer<Float>
    let registerKernelScratch: UnsafeMutablePointer<Float>   // CDirectConvolution: one image's padded planes + sums
    /// Which algorithm the stride-1 convolutions use.
    let algorithm: ConvolutionAlgorithm
    let pooled: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>
    /// The oneDNN state when `algorithm` is `onednn`.
    let oneDNN: OneDNNWorkspace?
    /// The kernel of each convolution (InferenceNetwork's order: stem, conv1 and conv2 of each block) under
    /// the per-layer plan; `.ours(algorithm)` throughout for a single algorithm.
    let layerKernels: [LayerKernel]
    /// The oneDNN state of a per-layer plan's oneDNN layers (nil when the plan has none).
    let oneDNNLayers: OneDNNLayerWorkspace?
    /// When set (a per-layer measurement), each convolution's seconds on this thread's CPU clock, its
    /// conversions included, are added here by index (CPU time: on a loaded machine a descheduled thread's
    /// wait would otherwise land on whichever layer it happened in).
    var layerSeconds: [Double]?

    /// This thread's CPU time in seconds.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Target size of one im2col chunk: a few hundred KiB stays in the per-core
    /// L2 (512 KiB here) between being written and being read by the GEMM.
    static let columnChunkFloats = 96 * 1024

    init(architecture: ResNetArchitecture, batch: Int, height: Int, width: Int, algorithm: ConvolutionAlgorithm,
         oneDNNPlan: OneDNNPlan? = nil, plan: ConvolutionPlan? = nil) throws {
        if let plan = oneDNNPlan { oneDNN = try OneDNNWorkspace(plan: plan) } else { oneDNN = nil }
        self.algorithm = algorithm
        layerKernels = Self.layerKernels(architecture, plan: plan ?? .uniform(algorithm))
        oneDNNLayers = try layerKernels.contains { $0.isOneDNN } ? OneDNNLayerWorkspace() : nil
        self.batch = batch
        self.height = height
        self.width = width
        let widths = ResNetArchitecture.stageWidths
        let activationCapacity = widths.max()! * batch * height * width
        self.activationCapacity = activationCapacity
        // One image of the widest unfold must fit; otherwise chunks hold several images.
        // Stage 1 has the largest per-image unfold (each later stage halves H and W, doubles C).
        columnCapacity = max(Self.columnChunkFloats, widths[0] * 9 * height * width)
        buffers = (0..<3).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: activationCapacity) }
        columns = .allocate(capacity: columnCapacity)
        registerKernelScratch = .allocate(capacity: DirectConvolution.scratchCapacity(architecture: architecture,
                                                                                      height: height, width: width))
        pooled = .allocate(capacity: widths.last! * batch)
        logits = .allocate(capacity: architecture.classCount * batch)
    }

    deinit {
        buffers.forEach { $0.deallocate() }
        columns.deallocate()
        registerKernelScratch.deallocate()
        pooled.deallocate()
        logits.deallocate()
    }

    /// The kernel of each of `architecture`'s convolutions under `plan`.
    static func layerKernels(_ architecture: ResNetArchitecture, plan: ConvolutionPlan) -> [LayerKernel] {
        let convolutions = 1 + 2 * architecture.blocksPerStage * ResNetArchitecture.stageWidths.count
        return (0..<convolutions).map {
            plan.kernel(LayerClass.of(convolution: $0, in: architecture), activation: architecture.activation)
        }
    }

    func fits(batch: Int, height: Int, width: Int, algorithm: ConvolutionAlgorithm, oneDNNPlan: OneDNNPlan?,
              layerKernels: [LayerKernel]) -> Bool {
        batch <= self.batch && height == self.height && width == self.width && algorithm == self.algorithm
            && oneDNN?.plan === oneDNNPlan && layerKernels == self.layerKernels
    }

    /// How many images' unfolded patches fit in one chunk for a convolution.
    func imagesPerChunk(reduction: Int, planeSize: Int) -> Int {
        max(1, columnCapacity / (reduction * planeSize))
    }
}

extension InferenceNetwork {
    /// Logits [batch][classes] of `batch` NCHW images (normalized), written to
    /// `workspace.logits`.
    func forward(images: UnsafePointer<Float>, batch: Int, workspace ws: ForwardWorkspace) throws {
        if let oneDNN = ws.oneDNN {
            try oneDNN.forward(self, images: images, batch: batch, pooled: ws.pooled, logits: ws.logits)
            return
        }
        var height = ws.height, width = ws.width
        let inputLayout = ConvolutionKernels.PlaneLayout(channelStride: height * width,
                                                         imageStride: architecture.inputChannels * height * width)
        var current = ws.buffers[0], inner = ws.buffers[1], next = ws.buffers[2]
        try convolve(stem, index: 0, input: images, layout: inputLayout, batch: batch, height: height, width: width,
                     output: current, residual: .none, workspace: ws)
        for (b, block) in blocks.enumerated() {
            let inLayout = ConvolutionKernels.PlaneLayout(channelStride: batch * height * width, imageStride: height * width)
            let (outH, outW) = block.downsamples ? ((height + 1) / 2, (width + 1) / 2) : (height, width)
            try convolve(block.conv1, index: 1 + 2 * b, input: current, layout: inLayout, batch: batch, height: height,
                         width: width, output: inner, residual: .none, workspace: ws)
            let shortcut: Residual = block.downsamples
                ? .optionA(source: current, channels: block.conv1.inChannels, height: height, width: width)
                : .identity(current)
            let innerLayout = ConvolutionKernels.PlaneLayout(channelStride: batch * outH * outW, imageStride: outH * outW)
            try convolve(block.conv2, index: 2 + 2 * b, input: inner, layout: innerLayout, batch: batch, height: outH,
                         width: outW, output: next, residual: shortcut, workspace: ws)
            swap(&current, &next)
            height = outH
            width = outW
        }
        let channels = blocks.last?.conv2.outChannels ?? stem.outChannels
        ConvolutionKernels.averagePool(current, channels: channels, batch: batch, planeSize: height * width,
                                       into: ws.pooled)
        linearWeight.withUnsafeBufferPointer { w in
            linearBias.withUnsafeBufferPointer { b in
                ConvolutionKernels.linear(pooled: ws.pooled, channels: channels, batch: batch,
                                          weight: w.baseAddress!, bias: b.baseAddress!,
                                          classes: architecture.classCount, into: ws.logits)
            }
        }
    }

    /// What the second convolution of a block adds before its activation.
    enum Residual {
        case none
        case identity(UnsafeMutablePointer<Float>)
        /// He et al.'s option A: x[:, :, ::2, ::2], zero-padded by out/4 channels on each side.
        case optionA(source: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int)
    }

    /// conv (BN folded) → + bias → + residual → activation, chunk by chunk so
    /// the epilogue touches the GEMM output while it is still in cache.
    private func convolve(_ conv: FoldedConvolution, index: Int, input: UnsafePointer<Float>,
                          layout: ConvolutionKernels.PlaneLayout, batch: Int, height: Int, width: Int,
                          output: UnsafeMutablePointer<Float>, residual: Residual, workspace ws: ForwardWorkspace) throws {
        let started = ws.layerSeconds == nil ? 0 : ForwardWorkspace.threadCPUSeconds()
        defer { if ws.layerSeconds != nil { ws.layerSeconds![index] += ForwardWorkspace.threadCPUSeconds() - started } }
        let outH = (height - 1) / conv.stride + 1, outW = (width - 1) / conv.stride + 1
        let planeSize = outH * outW
        let rowStride = batch * planeSize
        let algorithm: ConvolutionAlgorithm
        switch ws.layerKernels[index] {
        case .ours(let ours): algorithm = ours
        case .onednnCNHW, .onednnReordered:
            try convolveOnOneDNN(conv, index: index, input: input, nchwInput: index == 0, batch: batch, height: height,
                                 width: width, output: output, residual: residual, workspace: ws)
            return
        }
        // The register kernels (CDirectConvolution; their weights are empty without AVX2): Winograd for
        // stride 1 when asked, the direct kernel otherwise (strided convolutions under Winograd too).
        let winograd4 = algorithm == .winograd4 && conv.stride == 1
        let winograd = algorithm == .winograd && conv.stride == 1
        let registerWeights = algorithm == .im2col ? []
            : winograd4 ? conv.winograd4Weight
            : winograd ? conv.winogradWeight : conv.directWeight
        let useRegisterKernel = !registerWeights.isEmpty
        // F(4×4) numbers its tiles across the images of a call and chunks them itself (a 8×8 plane has only
        // 4 tiles): it takes the whole micro-batch at once.
        let chunk = winograd4 && useRegisterKernel ? batch : ws.imagesPerChunk(reduction: conv.reduction, planeSize: planeSize)
        let activation = architecture.activation
        var first = 0
        while first < batch {
            let count = min(chunk, batch - first)
            let outChunk = output + first * planeSize
            let segment = count * planeSize
            var activated = false
            if useRegisterKernel {
                activated = convolveInRegisters(conv, weights: registerWeights, winograd: winograd, winograd4: winograd4,
                                                input: input + first * layout.imageStride, layout: layout, count: count,
                                                height: height, width: width, output: outChunk, rowStride: rowStride,
                                                residual: residual, first: first, batch: batch, workspace: ws)
            } else {
                // Seed the output with bias (+ shortcut) and let the GEMM accumulate onto it
                // (beta = 1): saves BLAS's separate zeroing pass and a read-modify-write here.
                seedOutput(conv, outChunk: outChunk, rowStride: rowStride, first: first, count: count, batch: batch,
                           outH: outH, outW: outW, residual: residual)
                ConvolutionKernels.im2col3x3(source: input + first * layout.imageStride, layout: layout,
                                             channels: conv.inChannels, imageCount: count,
                                             height: height, width: width, stride: conv.stride, into: ws.columns)
                conv.weight.withUnsafeBufferPointer { weight in
                    ConvolutionKernels.gemm(m: conv.outChannels, n: segment, k: conv.reduction,
                                            a: weight.baseAddress!, b: ws.columns, c: outChunk, ldc: rowStride)
                }
            }
            if !activated {
                // After a register kernel (an option-A shortcut), the kernels' activation: the same
                // arithmetic as their fused epilogue, 8 or 16 lanes at a time.
                let kernelActivation = useRegisterKernel && DirectConvolution.fusedCode(activation) != nil
                for o in 0..<conv.outChannels {
                    let row = UnsafeMutableBufferPointer(start: outChunk + o * rowStride, count: segment)
                    if kernelActivation { DirectConvolution.activate(row, activation) } else { activation.apply(row) }
                }
            }
            first += count
        }
    }

    /// One chunk through a register kernel (direct or Winograd). Bias, identity shortcut and the activation
    /// (ReLU, Swish, Mish) are written by the kernel
    /// while the sums are in cache; an option-A shortcut is seeded here and the sums added onto it.
    /// Returns whether the activation has been applied.
    private func convolveInRegisters(_ conv: FoldedConvolution, weights: [Float], winograd: Bool, winograd4: Bool,
                                     input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout,
                                     count: Int, height: Int, width: Int, output: UnsafeMutablePointer<Float>, rowStride: Int,
                                     residual: Residual, first: Int, batch: Int, workspace ws: ForwardWorkspace) -> Bool {
        var shortcut: UnsafePointer<Float>? = nil
        switch residual {
        case .optionA:
            seedOutput(conv, outChunk: output, rowStride: rowStride, first: first, count: count, batch: batch,
                       outH: (height - 1) / conv.stride + 1, outW: (width - 1) / conv.stride + 1, residual: residual)
            weights.withUnsafeBufferPointer { w in
                if winograd4 {
                    Winograd4Convolution.convolve(input: input, layout: layout, channels: conv.inChannels, imageCount: count,
                                                  height: height, width: width, packedFilters: w.baseAddress!,
                                                  outChannels: conv.outChannels, output: output, rowStride: rowStride,
                                                  scratch: ws.registerKernelScratch)
                    return
                }
                DirectConvolution.convolve(winograd: winograd, stride: conv.stride, input: input, layout: layout,
                                           channels: conv.inChannels, imageCount: count,
                                           height: height, width: width, packedWeight: w.baseAddress!,
                                           outChannels: conv.outChannels, output: output, rowStride: rowStride,
                                           scratch: ws.registerKernelScratch)
            }
            return false
        case .identity(let source):
            shortcut = UnsafePointer(source + first * ((height - 1) / conv.stride + 1) * ((width - 1) / conv.stride + 1))
        case .none:
            break
        }
        let fused: Activation? = DirectConvolution.fusedCode(architecture.activation) != nil ? architecture.activation : nil
        weights.withUnsafeBufferPointer { w in
            conv.bias.withUnsafeBufferPointer { bias in
                if winograd4 {
                    Winograd4Convolution.convolve(input: input, layout: layout, channels: conv.inChannels, imageCount: count,
                                                  height: height, width: width, packedFilters: w.baseAddress!,
                                                  outChannels: conv.outChannels, output: output, rowStride: rowStride,
                                                  bias: bias.baseAddress!, shortcut: shortcut, activation: fused,
                                                  scratch: ws.registerKernelScratch)
                    return
                }
                DirectConvolution.convolve(winograd: winograd, stride: conv.stride, input: input, layout: layout,
                                           channels: conv.inChannels, imageCount: count,
                                           height: height, width: width, packedWeight: w.baseAddress!,
                                           outChannels: conv.outChannels, output: output, rowStride: rowStride,
                                           bias: bias.baseAddress!, shortcut: shortcut, activation: fused,
                                           scratch: ws.registerKernelScratch)
            }
        }
        return fused != nil
    }

    /// A per-layer plan's oneDNN layer: a residual (with the bias) seeded into the CNHW output first and
    /// added by the primitive's sum post-op; bias and activation fused.
    private func convolveOnOneDNN(_ conv: FoldedConvolution, index: Int, input: UnsafePointer<Float>, nchwInput: Bool,
                                  batch: Int, height: Int, width: Int, output: UnsafeMutablePointer<Float>,
                                  residual: Residual, workspace ws: ForwardWorkspace) throws {
        var hasResidual = true
        if case .none = residual { hasResidual = false }
        let layer = try OneDNNLayerPrimitive.primitive(.init(
            inChannels: conv.inChannels, outChannels: conv.outChannels, height: height, width: width, stride: conv.stride,
            batch: batch, nchwSource: nchwInput, residual: hasResidual, activation: architecture.activation,
            reordered: ws.layerKernels[index] == .onednnReordered))
        if hasResidual {
            let (outH, outW) = ((height - 1) / conv.stride + 1, (width - 1) / conv.stride + 1)
            seedOutput(conv, outChunk: output, rowStride: batch * outH * outW, first: 0, count: batch, batch: batch,
                       outH: outH, outW: outW, residual: residual)
        }
        try conv.bias.withUnsafeBufferPointer { bias in
            try ws.oneDNNLayers!.run(layer, index: index, convolution: conv, network: self, input: input, output: output,
                                     bias: hasResidual ? nil : bias.baseAddress!)
        }
    }

    private func seedOutput(_ conv: FoldedConvolution, outChunk: UnsafeMutablePointer<Float>, rowStride: Int,
                            first: Int, count: Int, batch: Int, outH: Int, outW: Int, residual: Residual) {
        let planeSize = outH * outW
        let segment = count * planeSize
        for o in 0..<conv.outChannels {
            let row = outChunk + o * rowStride
            let bias = conv.bias[o]
            switch residual {
            case .none:
                row.update(repeating: bias, count: segment)
            case .identity(let source):
                let add = source + o * rowStride + first * planeSize
                for i in 0..<segment { row[i] = bias + add[i] }
            case let .optionA(source, channels, inH, inW):
                row.update(repeating: bias, count: segment)
                let c = o - conv.outChannels / 4
                guard c >= 0 && c < channels else { continue }
                for b in 0..<count {
                    let plane = source + (c * batch + first + b) * inH * inW
                    let target = row + b * planeSize
                    for y in 0..<outH {
                        for x in 0..<outW { target[y * outW + x] += plane[2 * y * inW + 2 * x] }
                    }
                }
            }
        }
    }
}
