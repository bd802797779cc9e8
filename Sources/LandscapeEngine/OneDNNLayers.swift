import CDNNL
import Foundation

/// One convolution of a per-layer plan (`ConvolutionPlan`) on oneDNN, between neighbours that keep the
/// engine's CNHW activations (the stem reads the NCHW images): either oneDNN reads and writes CNHW
/// itself (the layout described as plain `bacd`, `LayerKernel.onednnCNHW`) or it runs in the layouts it
/// prefers with reorders from and back to CNHW around it (`onednnReordered`). Bias and activation are
/// fused; a residual is seeded into the CNHW output by the caller and added by a sum post-op.
/// Primitives are created once per shape and micro-batch for the life of the process and shared by
/// every worker (each with its own stream, scratchpad and buffers: `OneDNNLayerWorkspace`).
final class OneDNNLayerPrimitive: @unchecked Sendable {
    struct Key: Hashable {
        let inChannels: Int, outChannels: Int, height: Int, width: Int, stride: Int, batch: Int
        /// The source is the network's NCHW images (the stem), not a CNHW activation.
        let nchwSource: Bool
        let residual: Bool
        let activation: Activation
        let reordered: Bool
    }

    let key: Key
    let primitive: dnnl_primitive_t
    let plainSource: dnnl_memory_desc_t, plainDestination: dnnl_memory_desc_t
    let source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destination: dnnl_memory_desc_t
    let scratchpad: dnnl_memory_desc_t
    /// Reorders CNHW → `source`, CNHW → `destination` (the seeded residual), `destination` → CNHW;
    /// nil where the layouts are the same.
    let toSource: dnnl_primitive_t?, toDestination: dnnl_primitive_t?, fromDestination: dnnl_primitive_t?
    /// oneDNN's implementation ("jit:avx512_core", "gemm:jit", "ref:any", ...).
    let implementation: String

    private nonisolated(unsafe) static var cache: [Key: OneDNNLayerPrimitive] = [:]
    private static let cacheLock = NSLock()

    static func primitive(_ key: Key) throws -> OneDNNLayerPrimitive {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let layer = cache[key] { return layer }
        let layer = try OneDNNLayerPrimitive(key: key)
        cache[key] = layer
        return layer
    }

    /// Whether oneDNN computes `layer`'s shape (ResNet on its `measurementInput`, no residual) with its
    /// reference code.
    static func isReference(_ layer: LayerClass, _ kernel: LayerKernel, batch: Int) throws -> Bool {
        let widths = ResNetArchitecture.stageWidths
        let (inChannels, outChannels, size): (Int, Int, Int)
        switch layer {
        case .stem, .stem1: (inChannels, outChannels, size) = (layer.measurementInput.channels, widths[0], layer.measurementInput.size)
        case .stage1: (inChannels, outChannels, size) = (widths[0], widths[0], 32)
        case .stage2: (inChannels, outChannels, size) = (widths[1], widths[1], 16)
        case .stage3: (inChannels, outChannels, size) = (widths[2], widths[2], 8)
        case .downsample2: (inChannels, outChannels, size) = (widths[0], widths[1], 32)
        case .downsample3: (inChannels, outChannels, size) = (widths[1], widths[2], 16)
        }
        let primitive = try primitive(Key(inChannels: inChannels, outChannels: outChannels, height: size, width: size,
                                          stride: layer.stride, batch: batch, nchwSource: layer == .stem || layer == .stem1, residual: false,
                                          activation: Activation(.relu), reordered: kernel == .onednnReordered))
        return primitive.implementation.hasPrefix("ref")
    }

    private init(key: Key) throws {
        guard let eltwise = OneDNN.eltwise(key.activation) else {
            throw EngineError.invalidArchitecture("oneDNN \(OneDNN.version) has no \(key.activation.name) activation")
        }
        guard OneDNN.engine != nil else { throw EngineError.invalidInput("oneDNN \(OneDNN.version) could not create a CPU engine") }
        OneDNN.useOneThreadHere()
        self.key = key
        let (outH, outW) = ((key.height - 1) / key.stride + 1, (key.width - 1) / key.stride + 1)
        var plainSource = dnnl_memory_desc_t(), plainDestination = dnnl_memory_desc_t()
        // CNHW is oneDNN's `bacd` (dims N, C, H, W; C outermost in memory, then N).
        try OneDNN.check(cdnnl_md4(&plainSource, Int64(key.batch), Int64(key.inChannels), Int64(key.height), Int64(key.width),
                                   key.nchwSource ? dnnl_nchw : dnnl_bacd), "describing a layer's input")
        try OneDNN.check(cdnnl_md4(&plainDestination, Int64(key.batch), Int64(key.outChannels), Int64(outH), Int64(outW), dnnl_bacd),
                         "describing a layer's output")
        self.plainSource = plainSource
        self.plainDestination = plainDestination
        var pd: dnnl_primitive_desc_t?
        let what = "planning a \(key.inChannels)→\(key.outChannels) convolution (stride \(key.stride)) on \(key.height)x\(key.width)"
        if key.reordered {
            // The stem keeps its NCHW source (oneDNN's first-layer kernels read it directly), as in `OneDNNPlan`.
            try OneDNN.check(cdnnl_convolution(&pd, OneDNN.engine, &plainSource, Int64(key.outChannels), Int64(key.stride),
                                               key.nchwSource ? 0 : 1, key.residual ? 1 : 0, eltwise.kind, eltwise.alpha, eltwise.beta),
                             what)
        } else {
            try OneDNN.check(cdnnl_convolution_between(&pd, OneDNN.engine, &plainSource, &plainDestination, Int64(key.stride),
                                                    key.residual ? 1 : 0, eltwise.kind, eltwise.alpha, eltwise.beta), what)
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&primitive, pd), "creating a convolution")
        self.primitive = primitive!
        source = cdnnl_query_md(pd, dnnl_query_src_md)
        weights = cdnnl_query_md(pd, dnnl_query_weights_md)
        destination = cdnnl_query_md(pd, dnnl_query_dst_md)
        scratchpad = cdnnl_query_md(pd, dnnl_query_scratchpad_md)
        implementation = String(cString: cdnnl_implementation(pd))
        toSource = try Self.reorder(plainSource, to: source)
        toDestination = key.residual ? try Self.reorder(plainDestination, to: destination) : nil
        fromDestination = try Self.reorder(destination, to: plainDestination)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        [toSource, toDestination, fromDestination].forEach { if let p = $0 { dnnl_primitive_destroy(p) } }
    }

    private static func reorder(_ from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws -> dnnl_primitive_t? {
        guard !OneDNN.equal(from, to) else { return nil }
        var from = from, to = to
        var pd: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_reorder_primitive_desc_create(&pd, &from, OneDNN.engine, &to, OneDNN.engine, nil), "planning a reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&primitive, pd), "creating a reorder")
        return primitive
    }
}

/// A network's weights in the layouts of its oneDNN layers, reordered once per network (per grid
/// point) by the first worker that needs them, then shared read-only.
final class OneDNNLayerWeights: @unchecked Sendable {
    private let lock = NSLock()
    private var byLayer: [Int: [(md: dnnl_memory_desc_t, weights: UnsafeMutableRawPointer)]] = [:]   // guarded by lock

    init() {}

    deinit { byLayer.values.forEach { $0.forEach { $0.weights.deallocate() } } }

    /// Convolution `index`'s weights (float32 OIHW, BatchNorm folded) in `layer`'s weights layout.
    func weights(index: Int, of convolution: FoldedConvolution, for layer: OneDNNLayerPrimitive,
                 stream: dnnl_stream_t) throws -> UnsafeMutableRawPointer {
        lock.lock()
        defer { lock.unlock() }
        if let found = byLayer[index]?.first(where: { OneDNN.equal($0.md, layer.weights) }) { return found.weights }
        let target = UnsafeMutableRawPointer.allocate(byteCount: max(OneDNN.size(layer.weights), 4), alignment: 64)
        do {
            try convolution.weight.withUnsafeBufferPointer { w in
                try OneDNN.reorderWeights(w.baseAddress!, outChannels: convolution.outChannels, inChannels: convolution.inChannels,
                                          into: layer.weights, target: target, stream: stream)
            }
        } catch {
            target.deallocate()
            throw error
        }
        byLayer[index, default: []].append((layer.weights, target))
        return target
    }
}

/// One worker's oneDNN state for the per-layer plan: a stream, the blocked source and destination
/// buffers of the reordered layers, a scratchpad and a zero bias (for layers whose bias was seeded into
/// the output with the residual); buffers grow to the largest layer met.
final class OneDNNLayerWorkspace {
    private let stream: dnnl_stream_t
    private var buffers: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []   // source, destination, scratchpad
    private let zeros: UnsafeMutablePointer<Float>
    private let zeroCount = 4096

    init() throws {
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, OneDNN.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        self.stream = stream!
        buffers = (0..<3).map { _ in (UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64), 64) }
        zeros = .allocate(capacity: zeroCount)
        zeros.initialize(repeating: 0, count: zeroCount)
    }

    deinit {
        dnnl_stream_destroy(stream)
        buffers.forEach { $0.pointer.deallocate() }
        zeros.deallocate()
    }

    private func buffer(_ index: Int, bytes: Int) -> UnsafeMutableRawPointer {
        if buffers[index].bytes < bytes {
            buffers[index].pointer.deallocate()
            buffers[index] = (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), bytes)
        }
        return buffers[index].pointer
    }

    /// output = act(conv(input) + bias (+ output's seeded residual when the layer has one)); `bias` nil: zero
    /// (the caller seeded bias and residual into `output`). `input` is CNHW (NCHW for the stem), `output` CNHW,
    /// both at the layer's micro-batch.
    func run(_ layer: OneDNNLayerPrimitive, index: Int, convolution: FoldedConvolution, network: InferenceNetwork,
             input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?) throws {
        OneDNN.useOneThreadHere()
        precondition(layer.key.outChannels <= zeroCount, "a layer wider than the zero bias")
        let weights = try network.oneDNNLayerWeights.weights(index: index, of: convolution, for: layer, stream: stream)
        var memories: [dnnl_memory_t] = []
        defer { memories.forEach { dnnl_memory_destroy($0) } }
        func memory(_ md: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer) throws -> dnnl_memory_t {
            let m = try OneDNN.memory(md, pointer)
            memories.append(m)
            return m
        }
        func reorder(_ primitive: dnnl_primitive_t, _ from: dnnl_memory_t, _ to: dnnl_memory_t) throws {
            try OneDNN.check(cdnnl_execute(primitive, stream, CDNNL_ARG_FROM, from, CDNNL_ARG_TO, to, 0, nil, 0, nil, 0, nil),
                             "reordering an activation")
        }
        let plainIn = try memory(layer.plainSource, UnsafeMutableRawPointer(mutating: input))
        let plainOut = try memory(layer.plainDestination, UnsafeMutableRawPointer(output))
        var src = plainIn, dst = plainOut
        if let toSource = layer.toSource {
            src = try memory(layer.source, buffer(0, bytes: OneDNN.size(layer.source)))
            try reorder(toSource, plainIn, src)
        }
        if layer.fromDestination != nil {
            dst = try memory(layer.destination, buffer(1, bytes: OneDNN.size(layer.destination)))
            if let toDestination = layer.toDestination { try reorder(toDestination, plainOut, dst) }
        }
        let scratch = try OneDNN.size(layer.scratchpad) > 0
            ? memory(layer.scratchpad, buffer(2, bytes: OneDNN.size(layer.scratchpad))) : nil
        var biasMD = dnnl_memory_desc_t()
        try OneDNN.check(cdnnl_md1(&biasMD, Int64(layer.key.outChannels)), "describing a bias")
        let biasMemory = try memory(biasMD, UnsafeMutableRawPointer(mutating: bias ?? UnsafePointer(zeros)))
        let weightsMemory = try memory(layer.weights, weights)
        try OneDNN.check(cdnnl_execute(layer.primitive, stream, CDNNL_ARG_SRC, src, CDNNL_ARG_WEIGHTS, weightsMemory,
                                       CDNNL_ARG_BIAS, biasMemory, CDNNL_ARG_DST, dst, CDNNL_ARG_SCRATCHPAD, scratch),
                         "running a convolution (\(layer.implementation))")
        if let fromDestination = layer.fromDestination { try reorder(fromDestination, dst, plainOut) }
    }
}
