import CDirectConvolution

/// Buffer forms of the Float kernels: the switch on the kind happens once,
/// outside the loop, and each loop body is one inlined kernel, so the
/// compiler can vectorize it. Swish and Mish run CDirectConvolution's AVX2
/// forms of the same operations where the CPU has AVX2 (TrainingPasses.h:
/// the same bits, 256-bit lanes where the Swift lanes compile to SSE).
///
/// Buffers of different lengths: only the common prefix (the shortest count)
/// is processed; nothing is read or written out of bounds. The caller owns
/// the shapes, as in every engine kernel.
extension Activation {
    /// TrainingPasses.h's code for Swish and Mish where its AVX2 passes run here, else nil.
    var smoothPassKind: Int32? {
        guard BatchNormTraining.vectorPasses else { return nil }
        switch kind {
        case .swish: return Int32(LANDSCAPE_SMOOTH_SWISH)
        case .mish: return Int32(LANDSCAPE_SMOOTH_MISH)
        default: return nil
        }
    }

    /// In place: buffer[i] = f(buffer[i]). The inference hot path.
    public func apply(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let data = buffer.baseAddress else { return }
        let count = buffer.count
        if let smooth = smoothPassKind { return landscape_smooth_activation(data, data, count, smooth) }
        switch kind {
        case .relu: Activation.transform(data, count, FloatKernels.relu)
        case .leakyRelu: Activation.transform(data, count, FloatKernels.leakyRelu)
        case .swish: Activation.transform(data, count, SIMDKernels.swish, FloatKernels.swish)
        case .mish: Activation.transform(data, count, SIMDKernels.mish, FloatKernels.mish)
        case .gelu: Activation.transform(data, count, FloatKernels.gelu)
        case .elu: Activation.transform(data, count, FloatKernels.elu)
        case .softplus: Activation.transform(data, count, FloatKernels.softplus)
        case .tanh: Activation.transform(data, count, FloatKernels.tanhValue)
        case .nish:
            let t = parameter
            Activation.transform(data, count) { FloatKernels.nish($0, t: t) }
        }
    }

    /// output[i] = f(input[i]), keeping the input for backprop. The two
    /// buffers may be the same memory.
    public func apply(_ input: UnsafeBufferPointer<Float>, to output: UnsafeMutableBufferPointer<Float>) {
        guard let source = input.baseAddress, let target = output.baseAddress else { return }
        let count = min(input.count, output.count)
        if let smooth = smoothPassKind { return landscape_smooth_activation(source, target, count, smooth) }
        switch kind {
        case .relu: Activation.map(source, target, count, FloatKernels.relu)
        case .leakyRelu: Activation.map(source, target, count, FloatKernels.leakyRelu)
        case .swish: Activation.map(source, target, count, SIMDKernels.swish, FloatKernels.swish)
        case .mish: Activation.map(source, target, count, SIMDKernels.mish, FloatKernels.mish)
        case .gelu: Activation.map(source, target, count, FloatKernels.gelu)
        case .elu: Activation.map(source, target, count, FloatKernels.elu)
        case .softplus: Activation.map(source, target, count, FloatKernels.softplus)
        case .tanh: Activation.map(source, target, count, FloatKernels.tanhValue)
        case .nish:
            let t = parameter
            Activation.map(source, target, count) { FloatKernels.nish($0, t: t) }
        }
    }

    /// Backprop through the activation: gradInput[i] = gradOutput[i]·f'(input[i]).
    /// Overwrites gradInput (it does not accumulate); gradInput may be the
    /// same memory as gradOutput.
    public func backward(input: UnsafeBufferPointer<Float>, gradOutput: UnsafeBufferPointer<Float>,
                         gradInput: UnsafeMutableBufferPointer<Float>) {
        guard let x = input.baseAddress, let upstream = gradOutput.baseAddress,
              let downstream = gradInput.baseAddress else { return }
        let count = min(input.count, gradOutput.count, gradInput.count)
        if let smooth = smoothPassKind {
            return landscape_smooth_activation_backward(x, upstream, downstream, count, smooth)
        }
        switch kind {
        case .relu: Activation.chain(x, upstream, downstream, count, FloatKernels.reluDerivative)
        case .leakyRelu: Activation.chain(x, upstream, downstream, count, FloatKernels.leakyReluDerivative)
        case .swish: Activation.chain(x, upstream, downstream, count, SIMDKernels.swishDerivative, FloatKernels.swishDerivative)
        case .mish: Activation.chain(x, upstream, downstream, count, SIMDKernels.mishDerivative, FloatKernels.mishDerivative)
        case .gelu: Activation.chain(x, upstream, downstream, count, FloatKernels.geluDerivative)
        case .elu: Activation.chain(x, upstream, downstream, count, FloatKernels.eluDerivative)
        case .softplus: Activation.chain(x, upstream, downstream, count, FloatKernels.softplusDerivative)
        case .tanh: Activation.chain(x, upstream, downstream, count, FloatKernels.tanhDerivative)
        case .nish:
            let t = parameter
            Activation.chain(x, upstream, downstream, count) { FloatKernels.nishDerivative($0, t: t) }
        }
    }

    // One pointer for the in-place loop, so the vectorizer needs no alias check.
    @inline(__always)
    private static func transform(_ data: UnsafeMutablePointer<Float>, _ count: Int, _ f: (Float) -> Float) {
        for i in 0..<count { data[i] = f(data[i]) }
    }

    @inline(__always)
    private static func map(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ count: Int,
                            _ f: (Float) -> Float) {
        for i in 0..<count { target[i] = f(source[i]) }
    }

    @inline(__always)
    private static func chain(_ x: UnsafePointer<Float>, _ upstream: UnsafePointer<Float>,
                              _ downstream: UnsafeMutablePointer<Float>, _ count: Int,
                              _ derivative: (Float) -> Float) {
        for i in 0..<count { downstream[i] = upstream[i] * derivative(x[i]) }
    }

    // The same loops with the body on `SIMDKernels.width` lanes at a time and the scalar kernel on the tail
    // (Swish and Mish: see SIMDKernels for why).
    @inline(__always)
    private static func transform(_ data: UnsafeMutablePointer<Float>, _ count: Int,
                                  _ lanes: (SIMDKernels.Lanes) -> SIMDKernels.Lanes, _ f: (Float) -> Float) {
        let whole = count - count % SIMDKernels.width
        for i in stride(from: 0, to: whole, by: SIMDKernels.width) { SIMDKernels.store(lanes(SIMDKernels.load(data + i)), data + i) }
        for i in whole..<count { data[i] = f(data[i]) }
    }

    @inline(__always)
    private static func map(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ count: Int,
                            _ lanes: (SIMDKernels.Lanes) -> SIMDKernels.Lanes, _ f: (Float) -> Float) {
        let whole = count - count % SIMDKernels.width
        for i in stride(from: 0, to: whole, by: SIMDKernels.width) { SIMDKernels.store(lanes(SIMDKernels.load(source + i)), target + i) }
        for i in whole..<count { target[i] = f(source[i]) }
    }

    @inline(__always)
    private static func chain(_ x: UnsafePointer<Float>, _ upstream: UnsafePointer<Float>,
                              _ downstream: UnsafeMutablePointer<Float>, _ count: Int,
                              _ lanes: (SIMDKernels.Lanes) -> SIMDKernels.Lanes, _ derivative: (Float) -> Float) {
        let whole = count - count % SIMDKernels.width
        for i in stride(from: 0, to: whole, by: SIMDKernels.width) {
            SIMDKernels.store(SIMDKernels.load(upstream + i) * lanes(SIMDKernels.load(x + i)), downstream + i)
        }
        for i in whole..<count { downstream[i] = upstream[i] * derivative(x[i]) }
    }
}
