import CDNNL
import Foundation

/// The oneDNN primitives of one ResNet forward at one micro-batch and image size: the stem, then
/// each block's two convolutions (the second with a sum post-op onto the shortcut), every one
/// 3x3 / padding 1 with bias and the activation fused. Creating primitives is slow (JIT), so plans
/// are cached per (architecture, batch, height, width) for the life of the process and shared by
/// every worker; executing a primitive from several threads is safe in oneDNN, each worker
/// bringing its own scratchpad (user scratchpad mode) and stream.
final class OneDNNPlan: @unchecked Sendable {
    struct Key: Hashable {
        let depth: Int
        let inputChannels: Int
        let activation: Activation
        let batch: Int
        let height: Int
        let width: Int
    }

    struct Layer {
        let outChannels: Int
        let inChannels: Int
        let stride: Int
        let primitive: dnnl_primitive_t
        let src: dnnl_memory_desc_t
        let weights: dnnl_memory_desc_t
        let dst: dnnl_memory_desc_t
        let scratchpad: dnnl_memory_desc_t
        /// oneDNN's implementation ("jit:avx512_core", ...).
        let implementation: String
    }

    let key: Key
    /// Stem, then conv1 and conv2 of each block in order (InferenceNetwork's order).
    let layers: [Layer]
    /// The NCHW images the stem reads.
    let input: dnnl_memory_desc_t
    /// Bytes of the largest activation (each of the three buffers a worker cycles through).
    let activationBytes: Int
    /// Bytes of the largest scratchpad.
    let scratchpadBytes: Int

    private nonisolated(unsafe) static var cache: [Key: OneDNNPlan] = [:]
    private static let cacheLock = NSLock()

    /// The cached plan for `key`, created (on this thread, single-threaded) if needed.
    static func plan(architecture: ResNetArchitecture, batch: Int, height: Int, width: Int) throws -> OneDNNPlan {
        let key = Key(depth: architecture.depth, inputChannels: architecture.inputChannels,
                      activation: architecture.activation, batch: batch, height: height, width: width)
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let plan = cache[key] { return plan }
        let plan = try OneDNNPlan(key: key, architecture: architecture)
        cache[key] = plan
        return plan
    }

    private init(key: Key, architecture: ResNetArchitecture) throws {
        guard let eltwise = OneDNN.eltwise(architecture.activation) else {
            throw EngineError.invalidArchitecture("--convolution onednn: oneDNN \(OneDNN.version) has no \(architecture.activation.name) "
                + "activation (it has relu, swish, mish, gelu, elu, leaky_relu, softplus, tanh); use --convolution winograd, direct or im2col")
        }
        guard OneDNN.engine != nil else { throw EngineError.invalidInput("oneDNN \(OneDNN.version) could not create a CPU engine") }
        OneDNN.useOneThreadHere()
        self.key = key
        var input = dnnl_memory_desc_t()
        try OneDNN.check(cdnnl_md4(&input, Int64(key.batch), Int64(key.inputChannels), Int64(key.height), Int64(key.width),
                                   dnnl_nchw), "describing the input images")
        self.input = input
        var layers: [Layer] = []
        func add(_ src: dnnl_memory_desc_t, outChannels: Int, stride: Int, sum: Bool) throws -> Layer {
            var src = src
            var pd: dnnl_primitive_desc_t?
            try OneDNN.check(cdnnl_convolution(&pd, OneDNN.engine, &src, Int64(outChannels), Int64(stride), 0, sum ? 1 : 0,
                                               eltwise.kind, eltwise.alpha, eltwise.beta),
                             "planning a \(src.dims.1)→\(outChannels) convolution (stride \(stride)) on \(src.dims.2)x\(src.dims.3)")
            defer { dnnl_primitive_desc_destroy(pd) }
            var primitive: dnnl_primitive_t?
            try OneDNN.check(dnnl_primitive_create(&primitive, pd), "creating a convolution")
            let layer = Layer(outChannels: outChannels, inChannels: Int(src.dims.1), stride: stride, primitive: primitive!,
                              src: cdnnl_query_md(pd, dnnl_query_src_md), weights: cdnnl_query_md(pd, dnnl_query_weights_md),
                              dst: cdnnl_query_md(pd, dnnl_query_dst_md),
                              scratchpad: cdnnl_query_md(pd, dnnl_query_scratchpad_md),
                              implementation: String(cString: cdnnl_implementation(pd)))
            layers.append(layer)
            return layer
        }
        let widths = ResNetArchitecture.stageWidths
        var current = try add(input, outChannels: widths[0], stride: 1, sum: false).dst
        for stage in 0..<widths.count {
            for block in 0..<architecture.blocksPerStage {
                let stride = stage > 0 && block == 0 ? 2 : 1
                let inner = try add(current, outChannels: widths[stage], stride: stride, sum: false).dst
                let output = try add(inner, outChannels: widths[stage], stride: 1, sum: true).dst
                // The identity shortcut is summed in place into the block's input buffer: same layout needed.
                // The option-A shortcut and the pooling address the layouts through their blocking descriptors.
                if stride == 1, !OneDNN.equal(output, current) {
                    throw EngineError.invalidInput("oneDNN \(OneDNN.version) chose another layout for a block's output than for its input")
                }
                if stride == 2, !OneDNN.addressable(current) || !OneDNN.addressable(output) {
                    throw EngineError.invalidInput("oneDNN \(OneDNN.version) chose an activation layout the option-A shortcut cannot address")
                }
                current = output
            }
        }
        guard OneDNN.addressable(current) else {
            throw EngineError.invalidInput("oneDNN \(OneDNN.version) chose a final activation layout the pooling cannot address")
        }
        self.layers = layers
        activationBytes = layers.map { OneDNN.size($0.dst) }.max() ?? 0
        scratchpadBytes = layers.map { OneDNN.size($0.scratchpad) }.max() ?? 0
    }

    deinit { layers.forEach { dnnl_primitive_destroy($0.primitive) } }
}

/// A network's weights in the layouts of a plan's primitives: reordered once per network (that is,
/// once per grid point: the weights change from point to point) by the first worker that needs them,
/// then shared read-only.
final class OneDNNWeights: @unchecked Sendable {
    struct Layer {
        let weights: UnsafeMutableRawPointer
        let bias: UnsafeMutablePointer<Float>
    }

    private let lock = NSLock()
    private var byPlan: [ObjectIdentifier: [Layer]] = [:]   // guarded by lock

    init() {}

    deinit {
        for layers in byPlan.values {
            for layer in layers {
                layer.weights.deallocate()
                layer.bias.deallocate()
            }
        }
    }

    /// The layers' weights and biases for `plan`, reordered on first use.
    func layers(for plan: OneDNNPlan, network: InferenceNetwork, stream: dnnl_stream_t) throws -> [Layer] {
        lock.lock()
        defer { lock.unlock() }
        if let layers = byPlan[ObjectIdentifier(plan)] { return layers }
        let convolutions = [network.stem] + network.blocks.flatMap { [$0.conv1, $0.conv2] }
        precondition(convolutions.count == plan.layers.count, "a oneDNN plan for another architecture")
        var layers: [Layer] = []
        do {
            for (convolution, layer) in zip(convolutions, plan.layers) {
                let weights = UnsafeMutableRawPointer.allocate(byteCount: max(OneDNN.size(layer.weights), 4), alignment: 64)
                let bias = UnsafeMutablePointer<Float>.allocate(capacity: convolution.outChannels)
                layers.append(Layer(weights: weights, bias: bias))
                convolution.bias.withUnsafeBufferPointer { bias.update(from: $0.baseAddress!, count: convolution.outChannels) }
                try convolution.weight.withUnsafeBufferPointer { (w) in
                    try OneDNN.reorderWeights(w.baseAddress!, outChannels: convolution.outChannels,
                                              inChannels: convolution.inChannels, into: layer.weights, target: weights,
                                              stream: stream)
                }
            }
        } catch {
            layers.forEach { $0.weights.deallocate(); $0.bias.deallocate() }
            throw error
        }
        byPlan[ObjectIdentifier(plan)] = layers
        return layers
    }
}
