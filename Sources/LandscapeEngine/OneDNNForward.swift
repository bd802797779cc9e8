import CDNNL
import Foundation

/// One worker's oneDNN state for a plan: its stream, the three activation buffers it cycles
/// through (in oneDNN's layout), a zero-padded copy of a short last micro-batch, its scratchpad,
/// and a memory object per convolution argument, bound once to those buffers (only the input
/// images, weights and biases change from call to call).
final class OneDNNWorkspace {
    let plan: OneDNNPlan
    private let stream: dnnl_stream_t
    private let buffers: [UnsafeMutableRawPointer]
    private let paddedInput: UnsafeMutablePointer<Float>
    private let scratchpad: UnsafeMutableRawPointer
    private let memories: [Memories]
    /// For the second convolution of a downsampling block: the buffers of the option-A shortcut.
    private let shortcuts: [Int: (from: Int, to: Int, fromMD: dnnl_memory_desc_t)]
    private let finalBuffer: Int

    private struct Memories {
        let src: dnnl_memory_t
        let weights: dnnl_memory_t
        let bias: dnnl_memory_t
        let dst: dnnl_memory_t
        let scratchpad: dnnl_memory_t?
    }

    init(plan: OneDNNPlan) throws {
        self.plan = plan
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, OneDNN.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        self.stream = stream!
        let buffers = (0..<3).map { _ in UnsafeMutableRawPointer.allocate(byteCount: max(plan.activationBytes, 64), alignment: 64) }
        self.buffers = buffers
        let key = plan.key
        let inputCount = key.batch * key.inputChannels * key.height * key.width
        paddedInput = .allocate(capacity: inputCount)
        paddedInput.initialize(repeating: 0, count: inputCount)
        let scratchpad = UnsafeMutableRawPointer.allocate(byteCount: max(plan.scratchpadBytes, 64), alignment: 64)
        self.scratchpad = scratchpad
        // Buffer indices as the forward pass uses them: the block input `current`, the inner activation, and
        // `next` (a downsampling block's output, seeded with its shortcut); an identity block sums into `current`.
        var current = 0
        let inner = 1
        var next = 2
        var memories: [Memories] = []
        var shortcuts: [Int: (from: Int, to: Int, fromMD: dnnl_memory_desc_t)] = [:]
        func bind(src: UnsafeMutableRawPointer?, dst: Int) throws {
            let layer = plan.layers[memories.count]
            var biasMD = dnnl_memory_desc_t()
            try OneDNN.check(cdnnl_md1(&biasMD, Int64(layer.outChannels)), "describing a bias")
            let scratch = try (OneDNN.size(layer.scratchpad) > 0 ? OneDNN.memory(layer.scratchpad, scratchpad) : nil)
            memories.append(try Memories(src: OneDNN.memory(layer.src, src), weights: OneDNN.memory(layer.weights, nil),
                                         bias: OneDNN.memory(biasMD, nil), dst: OneDNN.memory(layer.dst, buffers[dst]),
                                         scratchpad: scratch))
        }
        try bind(src: nil, dst: current)
        while memories.count < plan.layers.count {
            let conv1 = plan.layers[memories.count]
            try bind(src: buffers[current], dst: inner)
            if conv1.stride == 1 {
                try bind(src: buffers[inner], dst: current)
            } else {
                shortcuts[memories.count] = (from: current, to: next, fromMD: conv1.src)
                try bind(src: buffers[inner], dst: next)
                swap(&current, &next)
            }
        }
        self.memories = memories
        self.shortcuts = shortcuts
        finalBuffer = current
    }

    deinit {
        for m in memories {
            [m.src, m.weights, m.bias, m.dst].forEach { dnnl_memory_destroy($0) }
            if let s = m.scratchpad { dnnl_memory_destroy(s) }
        }
        dnnl_stream_destroy(stream)
        buffers.forEach { $0.deallocate() }
        paddedInput.deallocate()
        scratchpad.deallocate()
    }

    /// Logits [batch][classes] of `batch` (≤ the plan's) NCHW images into `logits`; `pooled` holds
    /// [channels][plan batch]. A short batch runs padded with zero images to the plan's batch, so every
    /// image is computed by the same primitives whatever the batch it came in.
    func forward(_ network: InferenceNetwork, images: UnsafePointer<Float>, batch: Int,
                 pooled: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>) throws {
        OneDNN.useOneThreadHere()
        let key = plan.key
        let weights = try network.oneDNNWeights.layers(for: plan, network: network, stream: stream)
        var source = UnsafeMutableRawPointer(mutating: images)
        if batch < key.batch {
            let imageSize = key.inputChannels * key.height * key.width
            paddedInput.update(from: images, count: batch * imageSize)
            (paddedInput + batch * imageSize).update(repeating: 0, count: (key.batch - batch) * imageSize)
            source = UnsafeMutableRawPointer(paddedInput)
        }
        try OneDNN.check(dnnl_memory_set_data_handle(memories[0].src, source), "binding the input images")
        for (index, layer) in plan.layers.enumerated() {
            let m = memories[index]
            try OneDNN.check(dnnl_memory_set_data_handle(m.weights, weights[index].weights), "binding weights")
            try OneDNN.check(dnnl_memory_set_data_handle(m.bias, weights[index].bias), "binding a bias")
            if let shortcut = shortcuts[index] {
                var fromMD = shortcut.fromMD, toMD = layer.dst
                cdnnl_option_a_shortcut(&fromMD, buffers[shortcut.from].assumingMemoryBound(to: Float.self),
                                        &toMD, buffers[shortcut.to].assumingMemoryBound(to: Float.self))
            }
            try OneDNN.check(cdnnl_execute(layer.primitive, stream, CDNNL_ARG_SRC, m.src, CDNNL_ARG_WEIGHTS, m.weights,
                                           CDNNL_ARG_BIAS, m.bias, CDNNL_ARG_DST, m.dst,
                                           CDNNL_ARG_SCRATCHPAD, m.scratchpad),
                             "running a convolution (\(layer.implementation))")
        }
        var last = plan.layers.last!.dst
        cdnnl_average_pool(&last, buffers[finalBuffer].assumingMemoryBound(to: Float.self), pooled)
        network.linearWeight.withUnsafeBufferPointer { w in
            network.linearBias.withUnsafeBufferPointer { b in
                ConvolutionKernels.linear(pooled: pooled, channels: Int(last.dims.1), batch: key.batch,
                                          weight: w.baseAddress!, bias: b.baseAddress!,
                                          classes: network.architecture.classCount, into: logits)
            }
        }
    }
}
