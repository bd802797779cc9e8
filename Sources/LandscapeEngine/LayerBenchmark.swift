import CDNNL
import Foundation

/// One 3x3 convolution layer (bias and the activation fused) timed alone, single-threaded, for
/// `landscape bench --layers`: our register kernels (CNHW) against oneDNN (in the layout its
/// primitive prefers, the input reordered once, untimed). Which algorithm wins on which shape.
public enum LayerBenchmark {
    public struct Shape: Sendable, CustomStringConvertible {
        public let channels: Int, outChannels: Int, height: Int, width: Int, stride: Int
        public var description: String { "\(channels)→\(outChannels) \(height)x\(width) s\(stride)" }
        /// Multiply-adds ×2 per image.
        public var flops: Double {
            Double(2 * outChannels * channels * 9 * ((height - 1) / stride + 1) * ((width - 1) / stride + 1))
        }
        /// The multiplies ×2 `algorithm` really does per image on this shape: `flops` ÷ 4 for F(4×4, 3×3),
        /// ÷ 2.25 for F(2×2, 3×3) (stride 1 only: at stride 2 both run the direct kernel), else `flops`
        /// (as `ConvolutionPlan.multiplyFLOPs` counts the network).
        public func multiplyFLOPs(_ algorithm: ConvolutionAlgorithm) -> Double {
            algorithm.multiplyFLOPs(direct: flops, stride: stride)
        }
    }

    /// The distinct convolution shapes of a CIFAR ResNet on H×W images (stem, each stage's stride-2 entry, its stride-1 body).
    public static func shapes(inputChannels: Int = 3, height: Int = 32, width: Int = 32) -> [Shape] {
        let widths = ResNetArchitecture.stageWidths
        var shapes = [Shape(channels: inputChannels, outChannels: widths[0], height: height, width: width, stride: 1)]
        var (h, w) = (height, width)
        for (stage, channels) in widths.enumerated() {
            if stage > 0 {
                shapes.append(Shape(channels: widths[stage - 1], outChannels: channels, height: h, width: w, stride: 2))
                (h, w) = ((h + 1) / 2, (w + 1) / 2)
            }
            shapes.append(Shape(channels: channels, outChannels: channels, height: h, width: w, stride: 1))
        }
        return shapes
    }

    /// Median seconds of one call on `batch` images (`repeats` timed calls after one warm-up), or nil where
    /// `algorithm` does not run this shape (Winograd at stride 2 runs direct, as in the network; im2col: not timed;
    /// oneDNN: not for an activation it has no post-op for).
    public static func seconds(_ algorithm: ConvolutionAlgorithm, _ shape: Shape, batch: Int, repeats: Int,
                               activation: Activation = Activation(.relu)) throws -> Double? {
        OneDNN.useOneThreadHere()
        var state: UInt64 = 3
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        let input = (0..<(batch * shape.channels * shape.height * shape.width)).map { _ in next() }
        let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in next() * 0.2 }
        let bias = (0..<shape.outChannels).map { _ in next() }
        let (outH, outW) = ((shape.height - 1) / shape.stride + 1, (shape.width - 1) / shape.stride + 1)
        var output = [Float](repeating: 0, count: batch * shape.outChannels * outH * outW)
        var call: () throws -> Void
        var cleanup: () -> Void = {}
        switch algorithm.effective {
        case .winograd, .winograd4, .direct:
            let winograd = algorithm.effective == .winograd && shape.stride == 1
            let winograd4 = algorithm.effective == .winograd4 && shape.stride == 1
            let packed = winograd4
                ? Winograd4Convolution.packedFilters(weight, outChannels: shape.outChannels, inChannels: shape.channels)
                : winograd
                ? DirectConvolution.packedWinogradFilters(weight, outChannels: shape.outChannels, inChannels: shape.channels)
                : DirectConvolution.packedWeights(weight, outChannels: shape.outChannels, inChannels: shape.channels)
            guard !packed.isEmpty else { return nil }
            let scratchCount = shape.stride == 1
                ? DirectConvolution.scratchFloats(channels: shape.channels, outChannels: shape.outChannels, height: shape.height, width: shape.width)
                : DirectConvolution.stride2ScratchFloats(channels: shape.channels, height: shape.height, width: shape.width)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            cleanup = { scratch.deallocate() }
            let planeSize = shape.height * shape.width
            let layout = ConvolutionKernels.PlaneLayout(channelStride: batch * planeSize, imageStride: planeSize)
            call = {
                input.withUnsafeBufferPointer { i in packed.withUnsafeBufferPointer { p in bias.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { o in
                        if winograd4 {
                            Winograd4Convolution.convolve(input: i.baseAddress!, layout: layout, channels: shape.channels,
                                                          imageCount: batch, height: shape.height, width: shape.width,
                                                          packedFilters: p.baseAddress!, outChannels: shape.outChannels,
                                                          output: o.baseAddress!, rowStride: batch * outH * outW,
                                                          bias: b.baseAddress!, activation: activation, scratch: scratch)
                            return
                        }
                        DirectConvolution.convolve(winograd: winograd, stride: shape.stride, input: i.baseAddress!, layout: layout,
                                                   channels: shape.channels, imageCount: batch, height: shape.height, width: shape.width,
                                                   packedWeight: p.baseAddress!, outChannels: shape.outChannels,
                                                   output: o.baseAddress!, rowStride: batch * outH * outW, bias: b.baseAddress!,
                                                   activation: activation, scratch: scratch)
                    }
                } } }
            }
        case .onednn:
            guard let eltwise = OneDNN.eltwise(activation) else { return nil }
            let run = try OneDNNLayer(shape, batch: batch, input: input, weight: weight, bias: bias, eltwise: eltwise)
            call = { try run.execute() }
        case .im2col, .auto:
            return nil
        }
        defer { cleanup() }
        try call()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try call()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}

/// One oneDNN convolution primitive with its buffers bound, for `LayerBenchmark`.
private final class OneDNNLayer {
    let primitive: dnnl_primitive_t
    let stream: dnnl_stream_t
    var memories: [dnnl_memory_t?] = []
    var buffers: [UnsafeMutableRawPointer] = []

    init(_ shape: LayerBenchmark.Shape, batch: Int, input: [Float], weight: [Float], bias: [Float],
         eltwise: (kind: dnnl_alg_kind_t, alpha: Float, beta: Float)) throws {
        var plain = dnnl_memory_desc_t()
        try OneDNN.check(cdnnl_md4(&plain, Int64(batch), Int64(shape.channels), Int64(shape.height), Int64(shape.width), dnnl_nchw),
                         "describing the input")
        var pd: dnnl_primitive_desc_t?
        // The stem reads NCHW images as in the network; the others take the layout oneDNN prefers.
        try OneDNN.check(cdnnl_convolution(&pd, OneDNN.engine, &plain, Int64(shape.outChannels), Int64(shape.stride),
                                           shape.channels <= 4 ? 0 : 1, 0, eltwise.kind, eltwise.alpha, eltwise.beta),
                         "planning a convolution")
        defer { dnnl_primitive_desc_destroy(pd) }
        var primitive: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&primitive, pd), "creating a convolution")
        self.primitive = primitive!
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, OneDNN.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        self.stream = stream!
        var biasMD = dnnl_memory_desc_t()
        try OneDNN.check(cdnnl_md1(&biasMD, Int64(shape.outChannels)), "describing the bias")
        let mds = [cdnnl_query_md(pd, dnnl_query_src_md), cdnnl_query_md(pd, dnnl_query_weights_md), biasMD,
                   cdnnl_query_md(pd, dnnl_query_dst_md), cdnnl_query_md(pd, dnnl_query_scratchpad_md)]
        buffers = mds.map { UnsafeMutableRawPointer.allocate(byteCount: max(OneDNN.size($0), 64), alignment: 64) }
        try input.withUnsafeBytes { try OneDNN.reorder(plain, $0.baseAddress!, to: mds[0], buffers[0], stream: stream!) }
        try weight.withUnsafeBufferPointer {
            try OneDNN.reorderWeights($0.baseAddress!, outChannels: shape.outChannels, inChannels: shape.channels, into: mds[1],
                                      target: buffers[1], stream: stream!)
        }
        bias.withUnsafeBytes { buffers[2].copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        for (index, md) in mds.enumerated() {
            memories.append(try (index == 4 && OneDNN.size(md) == 0 ? nil : OneDNN.memory(md, buffers[index])))
        }
    }

    func execute() throws {
        try OneDNN.check(cdnnl_execute(primitive, stream, CDNNL_ARG_SRC, memories[0], CDNNL_ARG_WEIGHTS, memories[1],
                                       CDNNL_ARG_BIAS, memories[2], CDNNL_ARG_DST, memories[3], CDNNL_ARG_SCRATCHPAD, memories[4]),
                         "running a convolution")
    }

    deinit {
        memories.forEach { if let m = $0 { dnnl_memory_destroy(m) } }
        dnnl_primitive_destroy(primitive)
        dnnl_stream_destroy(stream)
        buffers.forEach { $0.deallocate() }
    }
}
