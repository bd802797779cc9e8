import XCTest
@testable import LandscapeEngine

/// The F(4×4) kernel's ways through its transforms (Winograd4Template.h), each on both ISAs against the
/// float64 convolution, with every epilogue: tiles gathered one by one from padded copies (2 tile columns: 8×8,
/// 7×7, 5×5; 3 tile columns: 10×10) or read as contiguous 4-tile groups (tile columns a multiple of 4: 16×16,
/// 32×32, 13×15, 30×30, 14×14, 9×13, one tile row 4×16; or rounded up to one, the tiles past the row computed
/// and never stored: 7 columns 28×28, 11×27, 11 columns 6×44), the epilogue always in the output transform,
/// ragged planes' last tile row skipped and last tile column stored through masks (7×7, 14×14, 9×13, 11×27).
/// Batches make chunks span images.
final class Winograd4FastPathTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "this CPU has no AVX2+FMA: evaluation uses im2col")
    }

    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)   // what every other test expects
    }

    /// (height, width, channels, images): contiguous groups, whole tiles.
    static let planes: [(Int, Int, Int, Int)] = [
        (16, 16, 16, 3), (32, 32, 8, 2), (13, 15, 8, 3), (30, 30, 4, 2), (4, 16, 8, 5), (20, 16, 8, 2),
        (8, 8, 32, 4), (28, 28, 4, 2), (12, 20, 8, 3), (7, 7, 16, 5), (10, 10, 8, 3), (5, 32, 8, 3),
        (14, 14, 16, 3), (9, 13, 8, 3), (28, 28, 16, 3), (11, 27, 8, 3), (6, 44, 8, 2), (5, 5, 8, 7),
    ]

    func testEveryPathAndEpilogueMatchesFloat64OnAVX2() throws {
        try DirectConvolutionTests.use(.avx2)
        try checkAgainstFloat64()
    }

    func testEveryPathAndEpilogueMatchesFloat64OnAVX512() throws {
        try DirectConvolutionTests.use(.avx512)
        try checkAgainstFloat64()
    }

    /// The tiles' lane order differs between 8 and 16 lanes on the contiguous path; the values must not.
    func testEveryPathGivesTheSameBitsOnAVX2AndAVX512() throws {
        try XCTSkipUnless(KernelISA.avx512.isSupported, "this CPU cannot run the avx512 kernels (\(CPUFeatures.current.summary))")
        for (height, width, channels, images) in Self.planes {
            for kind in [ActivationKind?.none, .relu, .swish, .mish] {
                let run = Run(height: height, width: width, channels: channels, images: images)
                var results: [[Float]] = []
                for isa in [KernelISA.avx2, .avx512] {
                    try KernelISA.select(isa)
                    results.append(run.convolve(kind: kind, withShortcut: true, withBias: true))
                    results.append(run.convolve(kind: nil, withShortcut: false, withBias: false))
                }
                XCTAssertTrue(results[0].elementsEqual(results[2]) { $0.bitPattern == $1.bitPattern },
                              "\(height)x\(width) \(String(describing: kind))")
                XCTAssertTrue(results[1].elementsEqual(results[3]) { $0.bitPattern == $1.bitPattern },
                              "\(height)x\(width) without bias")
            }
        }
    }

    /// Contiguous planes are read straight from the input with the window's positions outside the plane masked
    /// off (no padded copy; gathered ones through it): with NaN between the planes, anything read past a
    /// plane's edge would show. Same bits as the packed layout, on both ISAs.
    func testEveryPlaneReadsNothingOutsideItsPlanes() throws {
        var isas = [KernelISA.avx2]
        if KernelISA.avx512.isSupported { isas.append(.avx512) }
        for (height, width, channels, images) in Self.planes {
            let run = Run(height: height, width: width, channels: channels, images: images)
            let planeSize = height * width, gap = 2 * width + 8
            var gapped = [Float](repeating: .nan, count: channels * images * (planeSize + gap))
            for c in 0..<channels {
                for b in 0..<images {
                    for i in 0..<planeSize {
                        gapped[(c * images + b) * (planeSize + gap) + i] = run.input[(c * images + b) * planeSize + i]
                    }
                }
            }
            for isa in isas {
                try KernelISA.select(isa)
                for kind in [ActivationKind?.none, .swish] {
                    let packed = run.convolve(kind: kind, withShortcut: true, withBias: true)
                    let read = run.convolve(kind: kind, withShortcut: true, withBias: true, input: gapped,
                                            layout: .init(channelStride: images * (planeSize + gap), imageStride: planeSize + gap))
                    XCTAssertTrue(packed.elementsEqual(read) { $0.bitPattern == $1.bitPattern },
                                  "\(height)x\(width) \(String(describing: kind)) on \(isa)")
                }
            }
        }
    }

    /// The output transform stores ragged planes' edge tiles through masks: with a gap after each output
    /// channel's images (and the shortcut's, NaN there), nothing may be written past the last image's bottom
    /// row or right edge, and the values must be the bits of the packed layout, on both ISAs.
    func testEveryPlaneWritesNothingOutsideItsPlanes() throws {
        var isas = [KernelISA.avx2]
        if KernelISA.avx512.isSupported { isas.append(.avx512) }
        let sentinel = Float(12345.5)
        for (height, width, channels, images) in Self.planes {
            let run = Run(height: height, width: width, channels: channels, images: images)
            let block = images * height * width, gap = 4 * width + 16, stride = block + gap
            for isa in isas {
                try KernelISA.select(isa)
                for (kind, withBias) in [(ActivationKind?.none, false), (.relu, true), (.mish, true)] {
                    let packed = run.convolve(kind: kind, withShortcut: withBias, withBias: withBias)
                    var start = [Float](repeating: sentinel, count: run.outChannels * stride)
                    var shortcut = [Float](repeating: .nan, count: run.outChannels * stride)
                    for o in 0..<run.outChannels {
                        for i in 0..<block {
                            start[o * stride + i] = withBias ? .nan : run.start[o * block + i]
                            shortcut[o * stride + i] = run.shortcut[o * block + i]
                        }
                    }
                    let output = run.convolve(kind: kind, withBias: withBias, into: start, rowStride: stride,
                                              shortcut: withBias ? shortcut : nil)
                    var inside = true, outside = true
                    for o in 0..<run.outChannels {
                        for i in 0..<block where output[o * stride + i].bitPattern != packed[o * block + i].bitPattern {
                            inside = false
                        }
                        for i in block..<stride where output[o * stride + i].bitPattern != sentinel.bitPattern {
                            outside = false
                        }
                    }
                    XCTAssertTrue(inside, "\(height)x\(width) \(String(describing: kind)) on \(isa): values")
                    XCTAssertTrue(outside, "\(height)x\(width) \(String(describing: kind)) on \(isa): wrote past the planes")
                }
            }
        }
    }

    private struct Run {
        let height: Int, width: Int, channels: Int, images: Int
        let outChannels = 8
        let input: [Float], weight: [Float], bias: [Float], shortcut: [Float], start: [Float]

        init(height: Int, width: Int, channels: Int, images: Int) {
            (self.height, self.width, self.channels, self.images) = (height, width, channels, images)
            var rng = TestRNG(UInt64(height * 1000 + width * 10 + channels))
            let planeSize = height * width
            input = (0..<(channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
            weight = (0..<(8 * channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            bias = (0..<8).map { _ in Float(rng.symmetric()) }
            shortcut = (0..<(8 * images * planeSize)).map { _ in Float(rng.symmetric() * 2) }
            start = (0..<(8 * images * planeSize)).map { _ in Float(rng.symmetric()) }
        }

        /// With a bias the output starts as NaN (every value must be overwritten); without, as `start`.
        func convolve(kind: ActivationKind?, withShortcut: Bool, withBias: Bool, input: [Float]? = nil,
                      layout: ConvolutionKernels.PlaneLayout? = nil) -> [Float] {
            let planeSize = height * width
            return Winograd4Tests.winograd4(
                input: input ?? self.input, layout: layout ?? .init(channelStride: images * planeSize, imageStride: planeSize),
                channels: channels, images: images, height: height, width: width, weight: weight,
                outChannels: outChannels,
                start: withBias ? [Float](repeating: .nan, count: outChannels * images * planeSize) : start,
                bias: withBias ? bias : nil, shortcut: withShortcut ? shortcut : nil,
                activation: kind.map { Activation($0) })
        }

        /// Into `start`, whose output channels are `rowStride` floats apart (the shortcut, when given, too).
        func convolve(kind: ActivationKind?, withBias: Bool, into start: [Float], rowStride: Int,
                      shortcut: [Float]?) -> [Float] {
            let planeSize = height * width
            var output = start
            let packed = Winograd4Convolution.packedFilters(weight, outChannels: outChannels, inChannels: channels)
            let count = DirectConvolution.scratchFloats(channels: channels, outChannels: outChannels, height: height,
                                                        width: width)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
            scratch.initialize(repeating: .nan, count: count)
            defer { scratch.deallocate() }
            input.withUnsafeBufferPointer { source in
                packed.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        (shortcut ?? []).withUnsafeBufferPointer { s in
                            output.withUnsafeMutableBufferPointer { out in
                                Winograd4Convolution.convolve(
                                    input: source.baseAddress!,
                                    layout: .init(channelStride: images * planeSize, imageStride: planeSize),
                                    channels: channels, imageCount: images, height: height, width: width,
                                    packedFilters: w.baseAddress!, outChannels: outChannels, output: out.baseAddress!,
                                    rowStride: rowStride, bias: withBias ? b.baseAddress! : nil,
                                    shortcut: shortcut == nil ? nil : s.baseAddress!,
                                    activation: kind.map { Activation($0) }, scratch: scratch)
                            }
                        }
                    }
                }
            }
            return output
        }
    }

    private func checkAgainstFloat64() throws {
        for (height, width, channels, images) in Self.planes {
            let run = Run(height: height, width: width, channels: channels, images: images)
            let sums = Winograd4Tests.float64(input: run.input, channels: channels, images: images, height: height,
                                              width: width, weight: run.weight, outChannels: run.outChannels)
            let perChannel = images * height * width
            // No bias: the sums added onto the output.
            let added = run.convolve(kind: nil, withShortcut: false, withBias: false)
            var worst = 0.0
            for i in 0..<added.count { worst = max(worst, abs(Double(added[i]) - (Double(run.start[i]) + sums[i]))) }
            XCTAssertLessThan(worst, 1e-4, "\(height)x\(width) without bias on \(KernelISA.current)")
            for kind in [ActivationKind?.none, .relu, .swish, .mish] {
                for withShortcut in [false, true] {
                    let output = run.convolve(kind: kind, withShortcut: withShortcut, withBias: true)
                    var worst = 0.0
                    for i in 0..<output.count {
                        var x = sums[i] + Double(run.bias[i / perChannel]) + (withShortcut ? Double(run.shortcut[i]) : 0)
                        switch kind {
                        case .relu?: x = max(0, x)
                        case .swish?: x = x / (1 + exp(-x))
                        case .mish?: x = x * tanh(log1p(exp(x)))
                        default: break
                        }
                        worst = max(worst, abs(Double(output[i]) - x))
                    }
                    // As Winograd4Tests: float32 sums through transforms with constants up to 8 and 1/24.
                    XCTAssertLessThan(worst, 1e-4, "\(height)x\(width) \(String(describing: kind)) shortcut \(withShortcut) on \(KernelISA.current)")
                }
            }
        }
    }
}
