import XCTest
@testable import LandscapeEngine

/// The direct and Winograd 3×3 convolutions, on each ISA they come in (AVX2, AVX-512), against a
/// naive float64 convolution written from the definition, on every plane shape the ResNets
/// meet (32/16/8 for CIFAR-10, 28/14/7 for Fashion-MNIST) and odd ones. Each check runs once
/// per ISA (`…OnAVX2`, `…OnAVX512`), skipped with the reason where this CPU lacks the ISA.
final class DirectConvolutionTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "this CPU has no AVX2+FMA: evaluation uses im2col")
    }

    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)   // what every other test expects
    }

    /// Selects `isa` for the rest of the test, or skips it where the CPU or OS lacks the ISA.
    static func use(_ isa: KernelISA) throws {
        try XCTSkipUnless(isa.isSupported, "this CPU cannot run the \(isa.rawValue) kernels (\(CPUFeatures.current.summary))")
        try KernelISA.select(isa)
        XCTAssertEqual(KernelISA.current, isa)
    }

    func testMatchesFloat64ConvolutionOnEveryPlaneShapeOnAVX2() throws { try Self.use(.avx2); try checkMatchesFloat64() }
    func testMatchesFloat64ConvolutionOnEveryPlaneShapeOnAVX512() throws { try Self.use(.avx512); try checkMatchesFloat64() }
    func testStride2MatchesFloat64ConvolutionOnAVX2() throws { try Self.use(.avx2); try checkStride2() }
    func testStride2MatchesFloat64ConvolutionOnAVX512() throws { try Self.use(.avx512); try checkStride2() }
    func testEpilogueWritesBiasShortcutAndReLUOnAVX2() throws { try Self.use(.avx2); try checkEpilogue() }
    func testEpilogueWritesBiasShortcutAndReLUOnAVX512() throws { try Self.use(.avx512); try checkEpilogue() }
    func testAnImageGetsTheSameBitsAloneOrInABatchOnAVX2() throws {
        try Self.use(.avx2)
        for winograd in [false, true] { try checkSameBitsAloneOrInABatch(winograd: winograd) }
    }
    func testAnImageGetsTheSameBitsAloneOrInABatchOnAVX512() throws {
        try Self.use(.avx512)
        for winograd in [false, true] { try checkSameBitsAloneOrInABatch(winograd: winograd) }
    }

    private func checkMatchesFloat64() throws {
        let shapes: [(channels: Int, outChannels: Int, height: Int, width: Int)] = [
            (16, 16, 32, 32), (32, 32, 16, 16), (64, 64, 8, 8), (16, 16, 28, 28), (32, 32, 14, 14),
            (64, 64, 7, 7), (1, 16, 28, 28), (3, 16, 32, 32), (5, 8, 9, 11), (2, 4, 1, 1), (4, 12, 3, 17),
            (6, 8, 10, 8), (3, 4, 12, 7),   // rows of 4 tiles, chunks of 4 + 1 and 4 + 2 tile rows
        ]
        for winograd in [false, true] { for (index, shape) in shapes.enumerated() {
            var rng = TestRNG(UInt64(100 + index))
            let images = 3
            let planeSize = shape.height * shape.width
            let input = (0..<(shape.channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let start = (0..<(shape.outChannels * images * planeSize)).map { _ in Float(rng.symmetric()) }
            // CNHW input and output, as between the ResNet's layers.
            let layout = ConvolutionKernels.PlaneLayout(channelStride: images * planeSize, imageStride: planeSize)
            let output = Self.direct(input: input, layout: layout, channels: shape.channels, images: images,
                                     height: shape.height, width: shape.width, weight: weight,
                                     outChannels: shape.outChannels, start: start, winograd: winograd)
            var worst = 0.0
            for o in 0..<shape.outChannels {
                for b in 0..<images {
                    for y in 0..<shape.height {
                        for x in 0..<shape.width {
                            var sum = Double(start[(o * images + b) * planeSize + y * shape.width + x])
                            for c in 0..<shape.channels {
                                for dy in 0..<3 {
                                    for dx in 0..<3 {
                                        let iy = y + dy - 1, ix = x + dx - 1
                                        guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { continue }
                                        sum += Double(weight[(o * shape.channels + c) * 9 + dy * 3 + dx])
                                            * Double(input[(c * images + b) * planeSize + iy * shape.width + ix])
                                    }
                                }
                            }
                            let got = Double(output[(o * images + b) * planeSize + y * shape.width + x])
                            worst = max(worst, abs(got - sum))
                        }
                    }
                }
            }
            // float32 sums of up to 576 products of magnitude ≤ 0.3: rounding stays far below 1e-4
            // (Winograd adds the transforms' roundings, still within it).
            XCTAssertLessThan(worst, 1e-4, "\(shape) winograd \(winograd) on \(KernelISA.current)")
        } }
    }

    private func checkStride2() throws {
        let shapes: [(channels: Int, outChannels: Int, height: Int, width: Int)] = [
            (16, 32, 32, 32), (32, 64, 16, 16), (16, 32, 28, 28), (32, 64, 14, 14), (3, 8, 9, 11), (4, 4, 5, 5), (2, 4, 1, 1),
        ]
        for (index, shape) in shapes.enumerated() {
            var rng = TestRNG(UInt64(200 + index))
            let images = 2
            let planeSize = shape.height * shape.width
            let (outH, outW) = ((shape.height + 1) / 2, (shape.width + 1) / 2)
            let input = (0..<(shape.channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let bias = (0..<shape.outChannels).map { _ in Float(rng.symmetric()) }
            let layout = ConvolutionKernels.PlaneLayout(channelStride: images * planeSize, imageStride: planeSize)
            let output = Self.direct(input: input, layout: layout, channels: shape.channels, images: images,
                                     height: shape.height, width: shape.width, weight: weight, outChannels: shape.outChannels,
                                     start: [Float](repeating: .nan, count: shape.outChannels * images * outH * outW),
                                     bias: bias, stride: 2)
            var worst = 0.0
            for o in 0..<shape.outChannels {
                for b in 0..<images {
                    for y in 0..<outH {
                        for x in 0..<outW {
                            var sum = Double(bias[o])
                            for c in 0..<shape.channels {
                                for dy in 0..<3 {
                                    for dx in 0..<3 {
                                        let iy = 2 * y + dy - 1, ix = 2 * x + dx - 1
                                        guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { continue }
                                        sum += Double(weight[(o * shape.channels + c) * 9 + dy * 3 + dx])
                                            * Double(input[(c * images + b) * planeSize + iy * shape.width + ix])
                                    }
                                }
                            }
                            let got = Double(output[(o * images + b) * outH * outW + y * outW + x])
                            worst = max(worst, got.isNaN ? .infinity : abs(got - sum))
                        }
                    }
                }
            }
            XCTAssertLessThan(worst, 1e-4, "\(shape) on \(KernelISA.current)")
        }
    }

    /// Rows shorter than a vector (7), and longer ones that end mid-vector (14, 11; the last vector
    /// overlaps the one before), at stride 1 (direct, Winograd) and 2.
    private func checkEpilogue() throws {
        var rng = TestRNG(5)
        let (channels, outChannels, images) = (8, 8, 2)
        for (height, width, stride) in [(7, 7, 1), (14, 14, 1), (9, 11, 1), (28, 28, 2), (7, 7, 2)] {
            let planeSize = height * width
            let outPlane = ((height - 1) / stride + 1) * ((width - 1) / stride + 1)
            let input = (0..<(channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<(outChannels * channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let bias = (0..<outChannels).map { _ in Float(rng.symmetric()) }
            let shortcut = (0..<(outChannels * images * outPlane)).map { _ in Float(rng.symmetric()) }
            let layout = ConvolutionKernels.PlaneLayout(channelStride: images * planeSize, imageStride: planeSize)
            let zero = [Float](repeating: 0, count: outChannels * images * outPlane)
            let sums = Self.direct(input: input, layout: layout, channels: channels, images: images, height: height,
                                   width: width, weight: weight, outChannels: outChannels, start: zero, stride: stride)
            for winograd in stride == 1 ? [false, true] : [false] { for relu in [false, true] {
                let label = "\(height)x\(width) stride \(stride) relu \(relu) winograd \(winograd) on \(KernelISA.current)"
                // Garbage in the output first: the epilogue must overwrite, not add.
                let fused = Self.direct(input: input, layout: layout, channels: channels, images: images, height: height,
                                        width: width, weight: weight, outChannels: outChannels,
                                        start: zero.map { _ in 1e6 }, bias: bias, shortcut: shortcut,
                                        activation: relu ? Activation(.relu) : nil,
                                        winograd: winograd, stride: stride)
                var negatives = 0, wrong = 0
                for i in 0..<zero.count {
                    let o = i / (images * outPlane)
                    let plain = sums[i] + bias[o] + shortcut[i]
                    if plain < 0 { negatives += 1 }
                    if abs(fused[i] - (relu ? max(0, plain) : plain)) > 1e-5 { wrong += 1 }
                }
                XCTAssertEqual(wrong, 0, label)
                XCTAssertGreaterThan(negatives, 20, "the ReLU case must see negative values: \(label)")
            } }
        }
    }

    // The fused activations alone, against float64: FusedActivationTests.

    /// AVX-512 takes every sum in the AVX2 order and the epilogue's operations in the same order: the same bits,
    /// whichever ISA computes a surface or resumes it (plane shapes, strides, algorithms, every epilogue).
    func testAVX2AndAVX512GiveTheSameBits() throws {
        try XCTSkipUnless(KernelISA.avx512.isSupported, "this CPU cannot run the avx512 kernels (\(CPUFeatures.current.summary))")
        let shapes: [(channels: Int, outChannels: Int, height: Int, width: Int)] = [
            (16, 16, 32, 32), (32, 32, 16, 16), (64, 64, 8, 8), (16, 16, 28, 28), (32, 32, 14, 14), (64, 64, 7, 7),
            (3, 16, 32, 32), (5, 8, 9, 11), (2, 4, 1, 1), (4, 12, 3, 17), (3, 4, 12, 7),
        ]
        let activations: [Activation?] = [nil, Activation(.relu), Activation(.swish), Activation(.mish)]
        for (index, shape) in shapes.enumerated() {
            var rng = TestRNG(UInt64(300 + index))
            let images = 2
            let planeSize = shape.height * shape.width
            let input = (0..<(shape.channels * images * planeSize)).map { _ in Float(rng.symmetric() * 2) }
            let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let bias = (0..<shape.outChannels).map { _ in Float(rng.symmetric()) }
            let layout = ConvolutionKernels.PlaneLayout(channelStride: images * planeSize, imageStride: planeSize)
            for (winograd, stride) in [(false, 1), (true, 1), (false, 2)] {
                let outPlane = ((shape.height - 1) / stride + 1) * ((shape.width - 1) / stride + 1)
                let start = (0..<(shape.outChannels * images * outPlane)).map { _ in Float(rng.symmetric()) }
                let shortcut = (0..<(shape.outChannels * images * outPlane)).map { _ in Float(rng.symmetric()) }
                for activation in activations {
                    var outputs: [[Float]] = []
                    for isa in [KernelISA.avx2, .avx512] {
                        try KernelISA.select(isa)
                        outputs.append(Self.direct(input: input, layout: layout, channels: shape.channels, images: images,
                                                   height: shape.height, width: shape.width, weight: weight,
                                                   outChannels: shape.outChannels, start: start,
                                                   bias: activation == nil ? nil : bias, shortcut: activation == nil ? nil : shortcut,
                                                   activation: activation, winograd: winograd, stride: stride))
                    }
                    let differing = zip(outputs[0], outputs[1]).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(shape) winograd \(winograd) stride \(stride) \(activation?.kind.rawValue ?? "sums only")")
                }
            }
        }
    }

    private func checkSameBitsAloneOrInABatch(winograd: Bool) throws {
        var rng = TestRNG(9)
        let (channels, outChannels, height, width, images) = (16, 16, 14, 14, 4)
        let planeSize = height * width
        let input = (0..<(channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
        let weight = (0..<(outChannels * channels * 9)).map { _ in Float(rng.symmetric()) }
        let zero = [Float](repeating: 0, count: outChannels * images * planeSize)
        let batch = Self.direct(input: input, layout: .init(channelStride: images * planeSize, imageStride: planeSize),
                                channels: channels, images: images, height: height, width: width, weight: weight,
                                outChannels: outChannels, start: zero, winograd: winograd)
        // Image 2 alone, copied to NCHW (the network input's layout).
        var alone = [Float](repeating: 0, count: channels * planeSize)
        for c in 0..<channels {
            for i in 0..<planeSize { alone[c * planeSize + i] = input[(c * images + 2) * planeSize + i] }
        }
        let single = Self.direct(input: alone, layout: .init(channelStride: planeSize, imageStride: channels * planeSize),
                                 channels: channels, images: 1, height: height, width: width, weight: weight,
                                 outChannels: outChannels, start: [Float](repeating: 0, count: outChannels * planeSize),
                                 winograd: winograd)
        for o in 0..<outChannels {
            for i in 0..<planeSize {
                XCTAssertEqual(single[o * planeSize + i], batch[(o * images + 2) * planeSize + i], "channel \(o) position \(i) winograd \(winograd) on \(KernelISA.current)")
            }
        }
    }

    func testOutputChannelCountsOutsideTheKernelGroupAreLeftToIm2col() {
        XCTAssertTrue(DirectConvolution.packedWeights([Float](repeating: 1, count: 6 * 9), outChannels: 6, inChannels: 1).isEmpty)
        XCTAssertEqual(DirectConvolution.packedWeights([Float](repeating: 1, count: 16 * 9), outChannels: 16, inChannels: 1).count, 16 * 9)
    }

    /// start + conv(input) (or the epilogue's result), through a kernel, in a scratch sized as the engine sizes it.
    static func direct(input: [Float], layout: ConvolutionKernels.PlaneLayout, channels: Int, images: Int,
                       height: Int, width: Int, weight: [Float], outChannels: Int, start: [Float],
                       bias: [Float]? = nil, shortcut: [Float]? = nil, activation: Activation? = nil,
                       winograd: Bool = false, stride: Int = 1) -> [Float] {
        var output = start
        let packed = winograd
            ? DirectConvolution.packedWinogradFilters(weight, outChannels: outChannels, inChannels: channels)
            : DirectConvolution.packedWeights(weight, outChannels: outChannels, inChannels: channels)
        precondition(!packed.isEmpty)
        let scratch = UnsafeMutablePointer<Float>.allocate(
            capacity: max(DirectConvolution.scratchFloats(channels: channels, outChannels: outChannels, height: height, width: width),
                          DirectConvolution.stride2ScratchFloats(channels: channels, height: height, width: width)))
        defer { scratch.deallocate() }
        input.withUnsafeBufferPointer { source in
            packed.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { out in
                    let b = bias.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.count) }
                    let s = shortcut.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.count) }
                    defer { b?.deallocate(); s?.deallocate() }
                    if let bias { b!.initialize(from: bias, count: bias.count) }
                    if let shortcut { s!.initialize(from: shortcut, count: shortcut.count) }
                    DirectConvolution.convolve(winograd: winograd, stride: stride, input: source.baseAddress!, layout: layout,
                                               channels: channels,
                                               imageCount: images, height: height, width: width,
                                               packedWeight: w.baseAddress!, outChannels: outChannels,
                                               output: out.baseAddress!,
                                               rowStride: images * ((height - 1) / stride + 1) * ((width - 1) / stride + 1),
                                               bias: b.map { UnsafePointer($0) }, shortcut: s.map { UnsafePointer($0) },
                                               activation: activation, scratch: scratch)
                }
            }
        }
        return output
    }
}
