import CDNNL
import Foundation

/// oneDNN (Debian's libdnnl, 2.6; the library PyTorch's CPU convolutions use) as the engine's
/// `--convolution onednn`: the whole evaluation forward of the ResNet runs in the activation layout
/// oneDNN prefers (nChw16c with AVX-512, nChw8c with AVX2), BatchNorm folded into the weights and
/// bias as for our kernels, the activation as an eltwise post-op and the residual add as a sum
/// post-op (`OneDNNPlan`, `OneDNNWorkspace`). Only this file and the two beside it know oneDNN.
///
/// Threads: each of the evaluator's workers runs oneDNN single-threaded on its own micro-batches
/// (OpenMP team size 1 on that thread), as with our kernels, so `--threads` is the number of cores
/// used and results do not depend on it.
enum OneDNN {
    /// The CPU engine, created once (thread-safe in oneDNN); nil if oneDNN could not create one.
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()

    /// "2.6.3" (the library loaded at run time).
    static var version: String {
        guard let v = dnnl_version() else { return "unknown" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }

    /// The ISA oneDNN's JIT kernels target on this CPU ("avx512_core", "avx2", ...).
    static var isa: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_sse41: return "sse41"
        default: return "other"
        }
    }

    /// The eltwise post-op computing `activation` as the engine defines it (`Activation`), or nil
    /// where oneDNN 2.6 has none (Nish-t).
    static func eltwise(_ activation: Activation) -> (kind: dnnl_alg_kind_t, alpha: Float, beta: Float)? {
        switch activation.kind {
        case .relu: return (dnnl_eltwise_relu, 0, 0)
        case .swish: return (dnnl_eltwise_swish, 1, 0)        // x·σ(αx), α = 1
        case .mish: return (dnnl_eltwise_mish, 0, 0)
        case .gelu: return (dnnl_eltwise_gelu_erf, 0, 0)      // PyTorch's approximate='none'
        case .elu: return (dnnl_eltwise_elu, 1, 0)
        case .leakyRelu: return (dnnl_eltwise_relu, 0.01, 0)  // negative slope 0.01
        case .softplus: return (dnnl_eltwise_soft_relu, 0, 0) // log(1 + eˣ); equals x above 20 in float32
        case .tanh: return (dnnl_eltwise_tanh, 0, 0)
        case .nish: return nil
        }
    }

    /// Whether the oneDNN forward can run networks with `activation`.
    static func supports(_ activation: Activation) -> Bool { eltwise(activation) != nil }

    /// Makes oneDNN calls from this thread single-threaded (libgomp keeps the team size per thread).
    @inline(__always)
    static func useOneThreadHere() { omp_set_num_threads(1) }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
        guard status == dnnl_success else {
            throw EngineError.invalidInput("oneDNN \(version): \(what()) failed (status \(status.rawValue)\(statusName(status)))")
        }
    }

    private static func statusName(_ status: dnnl_status_t) -> String {
        switch status {
        case dnnl_out_of_memory: return ": out of memory"
        case dnnl_invalid_arguments: return ": invalid arguments"
        case dnnl_unimplemented: return ": no implementation for these shapes on this CPU"
        default: return ""
        }
    }

    /// A memory object over `pointer` (which may be changed later with `setHandle`).
    static func memory(_ md: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer?) throws -> dnnl_memory_t {
        var memory: dnnl_memory_t?
        var md = md
        try check(dnnl_memory_create(&memory, &md, engine, pointer), "creating a memory object")
        return memory!
    }

    static func size(_ md: dnnl_memory_desc_t) -> Int {
        var md = md
        return dnnl_memory_desc_get_size(&md)
    }

    /// Whether the shim's loops can address `md` (blocked, unpadded; see `cdnnl_addressable`).
    static func addressable(_ md: dnnl_memory_desc_t) -> Bool {
        var md = md
        return cdnnl_addressable(&md) != 0
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// Copies float32 OIHW weights [O][I][3][3] into `md`'s layout (`target`, `size(md)` bytes).
    static func reorderWeights(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                               into md: dnnl_memory_desc_t, target: UnsafeMutableRawPointer,
                               stream: dnnl_stream_t) throws {
        var plain = dnnl_memory_desc_t()
        try check(cdnnl_md4(&plain, Int64(outChannels), Int64(inChannels), 3, 3, dnnl_oihw), "describing OIHW weights")
        try reorder(plain, UnsafeRawPointer(weights), to: md, target, stream: stream)
    }

    /// Copies a tensor from one layout to another (a plain copy when the layouts are the same).
    static func reorder(_ fromMD: dnnl_memory_desc_t, _ source: UnsafeRawPointer, to toMD: dnnl_memory_desc_t,
                        _ target: UnsafeMutableRawPointer, stream: dnnl_stream_t) throws {
        if equal(fromMD, toMD) {
            target.copyMemory(from: source, byteCount: size(fromMD))
            return
        }
        var from = fromMD, to = toMD
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, nil), "planning a reorder")
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, pd), "creating a reorder")
        defer { dnnl_primitive_destroy(primitive) }
        let fromMemory = try memory(fromMD, UnsafeMutableRawPointer(mutating: source))
        defer { dnnl_memory_destroy(fromMemory) }
        let toMemory = try memory(toMD, target)
        defer { dnnl_memory_destroy(toMemory) }
        try check(cdnnl_execute(primitive, stream, CDNNL_ARG_FROM, fromMemory, CDNNL_ARG_TO, toMemory, 0, nil, 0, nil, 0, nil),
                  "reordering a tensor")
    }

    /// One 3x3 convolution (padding 1, `stride`) through the same primitive configuration as the
    /// network's (layouts chosen by oneDNN, bias, sum and eltwise post-ops), on CNHW input and output
    /// with the layout conversion at the boundary: out = act(conv(input) + bias + shortcut).
    /// For tests and per-layer measurements; the network keeps activations in oneDNN's layout instead.
    static func convolveCNHW(_ input: [Float], images: Int, channels: Int, height: Int, width: Int,
                             weight: [Float], bias: [Float], outChannels: Int, stride: Int,
                             shortcut: [Float]? = nil, activation: Activation? = nil) throws -> [Float] {
        let (outH, outW) = ((height - 1) / stride + 1, (width - 1) / stride + 1)
        precondition(input.count == images * channels * height * width && weight.count == outChannels * channels * 9
                     && bias.count == outChannels && (shortcut?.count ?? images * outChannels * outH * outW) == images * outChannels * outH * outW)
        var eltwise = (kind: dnnl_alg_kind_undef, alpha: Float(0), beta: Float(0))
        if let activation {
            guard let e = self.eltwise(activation) else { throw EngineError.invalidInput("oneDNN has no \(activation.name)") }
            eltwise = e
        }
        useOneThreadHere()
        var plainIn = dnnl_memory_desc_t(), plainOut = dnnl_memory_desc_t()
        // CNHW is oneDNN's `bacd` (dims N, C, H, W; C outermost in memory, then N).
        try check(cdnnl_md4(&plainIn, Int64(images), Int64(channels), Int64(height), Int64(width), dnnl_bacd), "describing the input")
        try check(cdnnl_md4(&plainOut, Int64(images), Int64(outChannels), Int64(outH), Int64(outW), dnnl_bacd), "describing the output")
        var pd: dnnl_primitive_desc_t?
        try check(cdnnl_convolution(&pd, engine, &plainIn, Int64(outChannels), Int64(stride), 1, shortcut == nil ? 0 : 1,
                                    eltwise.kind, eltwise.alpha, eltwise.beta), "planning a convolution")
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, pd), "creating a convolution")
        defer { dnnl_primitive_destroy(primitive) }
        let srcMD = cdnnl_query_md(pd, dnnl_query_src_md), weightsMD = cdnnl_query_md(pd, dnnl_query_weights_md)
        let dstMD = cdnnl_query_md(pd, dnnl_query_dst_md), scratchMD = cdnnl_query_md(pd, dnnl_query_scratchpad_md)
        var biasMD = dnnl_memory_desc_t()
        try check(cdnnl_md1(&biasMD, Int64(outChannels)), "describing the bias")
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        defer { dnnl_stream_destroy(stream) }
        let buffers = [srcMD, weightsMD, dstMD, scratchMD].map {
            UnsafeMutableRawPointer.allocate(byteCount: max(size($0), 64), alignment: 64)
        }
        defer { buffers.forEach { $0.deallocate() } }
        try input.withUnsafeBytes { (p) in try reorder(plainIn, p.baseAddress!, to: srcMD, buffers[0], stream: stream!) }
        try weight.withUnsafeBufferPointer { (w) in
            try reorderWeights(w.baseAddress!, outChannels: outChannels, inChannels: channels, into: weightsMD,
                               target: buffers[1], stream: stream!)
        }
        if let shortcut {
            try shortcut.withUnsafeBytes { (p) in try reorder(plainOut, p.baseAddress!, to: dstMD, buffers[2], stream: stream!) }
        }
        var biasCopy = bias
        let biasMemory = try biasCopy.withUnsafeMutableBytes { (b) in try memory(biasMD, b.baseAddress!) }
        let memories = try [memory(srcMD, buffers[0]), memory(weightsMD, buffers[1]), biasMemory, memory(dstMD, buffers[2])]
        defer { memories.forEach { dnnl_memory_destroy($0) } }
        let scratch = try (size(scratchMD) > 0 ? memory(scratchMD, buffers[3]) : nil)
        defer { if let scratch { dnnl_memory_destroy(scratch) } }
        try biasCopy.withUnsafeMutableBytes { (b) in
            try check(dnnl_memory_set_data_handle(memories[2], b.baseAddress!), "binding the bias")
            try check(cdnnl_execute(primitive, stream, CDNNL_ARG_SRC, memories[0], CDNNL_ARG_WEIGHTS, memories[1],
                                    CDNNL_ARG_BIAS, memories[2], CDNNL_ARG_DST, memories[3], CDNNL_ARG_SCRATCHPAD, scratch),
                      "running a convolution")
        }
        var output = [Float](repeating: 0, count: images * outChannels * outH * outW)
        try output.withUnsafeMutableBytes { (p) in try reorder(dstMD, buffers[2], to: plainOut, p.baseAddress!, stream: stream!) }
        return output
    }
}
