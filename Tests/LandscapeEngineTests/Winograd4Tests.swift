import XCTest
@testable import LandscapeEngine

/// Winograd F(4×4, 3×3) (Winograd4Convolution.c) on each ISA it comes in (AVX2, AVX-512), against a
/// naive float64 convolution written from the definition: every plane shape the ResNets meet (32/16/8
/// for CIFAR-10, 28/14/7 for Fashion-MNIST) and odd ones (1×1, planes that are no whole number of 4×4
/// tiles, rows of one tile), 1 to 64 channels, batches whose tiles chunks share across images; every
/// epilogue activation with and without the shortcut; and its filter transform against G g Gᵀ in float64.
final class Winograd4Tests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "this CPU has no AVX2+FMA: evaluation uses im2col")
    }

    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)   // what every other test expects
    }

    /// The worst absolute errors against float64 seen by the plane checks, printed for the report.
    nonisolated(unsafe) static var worstSeen: [String: Double] = [:]

    typealias Shape = (channels: Int, outChannels: Int, height: Int, width: Int, images: Int)
    static let shapes: [Shape] = [
        (16, 16, 32, 32, 2), (32, 32, 16, 16, 3), (64, 64, 8, 8, 8), (16, 16, 28, 28, 2), (32, 32, 14, 14, 3),
        (64, 64, 7, 7, 8), (3, 16, 32, 32, 2), (1, 16, 28, 28, 2), (1, 4, 1, 1, 5), (3, 8, 9, 11, 3),
        (16, 12, 3, 17, 2), (32, 8, 13, 6, 4), (3, 4, 5, 5, 7), (16, 16, 10, 10, 3), (64, 32, 4, 4, 9),
        (1, 4, 2, 30, 3),
    ]

    func testMatchesFloat64ConvolutionOnEveryPlaneShapeOnAVX2() throws {
        try DirectConvolutionTests.use(.avx2)
        try checkMatchesFloat64()
    }

    func testMatchesFloat64ConvolutionOnEveryPlaneShapeOnAVX512() throws {
        try DirectConvolutionTests.use(.avx512)
        try checkMatchesFloat64()
    }

    func testEpilogueActivationsAndShortcutOnAVX2() throws {
        try DirectConvolutionTests.use(.avx2)
        try checkEpilogue()
    }

    func testEpilogueActivationsAndShortcutOnAVX512() throws {
        try DirectConvolutionTests.use(.avx512)
        try checkEpilogue()
    }

    /// Tiles are numbered across the images of a call: an image's values must not depend on its neighbours
    /// or on how many there are.
    func testAnImageGetsTheSameBitsAloneOrInABatch() throws {
        for isa in [KernelISA.avx2, .avx512] where isa.isSupported {
            try KernelISA.select(isa)
            for (height, width, channels) in [(8, 8, 64), (7, 7, 16), (32, 32, 16), (5, 9, 3)] {
                var rng = TestRNG(UInt64(height * 100 + width))
                let images = 6, planeSize = height * width
                let input = (0..<(channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
                let weight = (0..<(16 * channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
                let bias = (0..<16).map { _ in Float(rng.symmetric()) }
                let batch = Self.winograd4(input: input, layout: .init(channelStride: images * planeSize, imageStride: planeSize),
                                           channels: channels, images: images, height: height, width: width, weight: weight,
                                           outChannels: 16, start: [Float](repeating: 0, count: 16 * images * planeSize),
                                           bias: bias, activation: Activation(.swish))
                // Image 4 alone, read in place from the batch's CNHW planes.
                let alone = Self.winograd4(input: Array(input[(4 * planeSize)...]),
                                           layout: .init(channelStride: images * planeSize, imageStride: planeSize),
                                           channels: channels, images: 1, height: height, width: width, weight: weight,
                                           outChannels: 16, start: [Float](repeating: 0, count: 16 * planeSize),
                                           bias: bias, activation: Activation(.swish))
                for o in 0..<16 {
                    for i in 0..<planeSize {
                        XCTAssertEqual(alone[o * planeSize + i], batch[(o * images + 4) * planeSize + i],
                                       "\(height)x\(width) channel \(o) position \(i) on \(isa)")
                    }
                }
            }
        }
    }

    func testAVX2AndAVX512GiveTheSameBits() throws {
        try XCTSkipUnless(KernelISA.avx512.isSupported, "this CPU cannot run the avx512 kernels (\(CPUFeatures.current.summary))")
        for shape in [Self.shapes[0], Self.shapes[2], Self.shapes[5], Self.shapes[10]] {
            var rng = TestRNG(UInt64(shape.height * 31 + shape.channels))
            let planeSize = shape.height * shape.width
            let input = (0..<(shape.channels * shape.images * planeSize)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let bias = (0..<shape.outChannels).map { _ in Float(rng.symmetric()) }
            let shortcut = (0..<(shape.outChannels * shape.images * planeSize)).map { _ in Float(rng.symmetric()) }
            var results: [[Float]] = []
            for isa in [KernelISA.avx2, .avx512] {
                try KernelISA.select(isa)
                results.append(Self.winograd4(input: input, layout: .init(channelStride: shape.images * planeSize, imageStride: planeSize),
                                              channels: shape.channels, images: shape.images, height: shape.height, width: shape.width,
                                              weight: weight, outChannels: shape.outChannels, start: shortcut, bias: bias,
                                              shortcut: shortcut, activation: Activation(.mish)))
            }
            XCTAssertTrue(results[0].elementsEqual(results[1]) { $0.bitPattern == $1.bitPattern }, "\(shape)")
        }
    }

    /// U = G g Gᵀ against the product computed here in float64 from the matrices of Lavin & Gray.
    func testFilterTransformIsGgGTransposed() throws {
        let g: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        var rng = TestRNG(5)
        let (outChannels, channels) = (8, 3)
        let weight = (0..<(outChannels * channels * 9)).map { _ in Float(rng.symmetric()) }
        let packed = Winograd4Convolution.packedFilters(weight, outChannels: outChannels, inChannels: channels)
        XCTAssertEqual(packed.count, 36 * outChannels * channels)
        for o in 0..<outChannels {
            for c in 0..<channels {
                for i in 0..<6 {
                    for j in 0..<6 {
                        var u = 0.0
                        for a in 0..<3 { for b in 0..<3 { u += g[i][a] * Double(weight[(o * channels + c) * 9 + a * 3 + b]) * g[j][b] } }
                        let got = packed[(((o / 4) * 36 + i * 6 + j) * channels + c) * 4 + o % 4]
                        XCTAssertEqual(Double(got), u, accuracy: 1e-6 * max(1, abs(u)), "o \(o) c \(c) xi \(i * 6 + j)")
                    }
                }
            }
        }
        XCTAssertTrue(Winograd4Convolution.packedFilters([Float](repeating: 1, count: 6 * 9), outChannels: 6, inChannels: 1).isEmpty,
                      "output channels outside the kernel group are left to im2col")
    }

    private func checkMatchesFloat64() throws {
        var worstOverall = 0.0, worstShape = ""
        for (index, shape) in Self.shapes.enumerated() {
            var rng = TestRNG(UInt64(200 + index))
            let planeSize = shape.height * shape.width
            let input = (0..<(shape.channels * shape.images * planeSize)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let start = (0..<(shape.outChannels * shape.images * planeSize)).map { _ in Float(rng.symmetric()) }
            let layout = ConvolutionKernels.PlaneLayout(channelStride: shape.images * planeSize, imageStride: planeSize)
            // No bias: the sums are added onto `start` (the option-A shortcut's path).
            let output = Self.winograd4(input: input, layout: layout, channels: shape.channels, images: shape.images,
                                        height: shape.height, width: shape.width, weight: weight,
                                        outChannels: shape.outChannels, start: start)
            let expected = Self.float64(input: input, channels: shape.channels, images: shape.images, height: shape.height,
                                        width: shape.width, weight: weight, outChannels: shape.outChannels)
            var worst = 0.0
            for i in 0..<output.count { worst = max(worst, abs(Double(output[i]) - (Double(start[i]) + expected[i]))) }
            // float32 sums of up to 576 products of magnitude ≤ 0.3 through transforms with constants up to 8
            // and 1/24: about 1e-5; direct and F(2×2) are checked against the same 1e-4.
            XCTAssertLessThan(worst, 1e-4, "\(shape) on \(KernelISA.current)")
            if worst > worstOverall { (worstOverall, worstShape) = (worst, "\(shape)") }
        }
        print("Winograd4Tests: worst |error| against float64 on \(KernelISA.current.rawValue): \(worstOverall) (\(worstShape))")
    }

    private func checkEpilogue() throws {
        for (height, width, channels) in [(8, 8, 32), (7, 7, 16), (16, 16, 16), (3, 17, 4), (32, 32, 3)] {
            for kind in [ActivationKind?.none, .relu, .swish, .mish] {
                for withShortcut in [false, true] {
                    var rng = TestRNG(UInt64(height * 1000 + width * 10 + channels))
                    let images = 3, outChannels = 16, planeSize = height * width
                    let input = (0..<(channels * images * planeSize)).map { _ in Float(rng.symmetric()) }
                    let weight = (0..<(outChannels * channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
                    let bias = (0..<outChannels).map { _ in Float(rng.symmetric()) }
                    let shortcut = (0..<(outChannels * images * planeSize)).map { _ in Float(rng.symmetric() * 2) }
                    let garbage = [Float](repeating: .nan, count: outChannels * images * planeSize)   // all overwritten
                    let output = Self.winograd4(input: input, layout: .init(channelStride: images * planeSize, imageStride: planeSize),
                                                channels: channels, images: images, height: height, width: width, weight: weight,
                                                outChannels: outChannels, start: garbage, bias: bias,
                                                shortcut: withShortcut ? shortcut : nil, activation: kind.map { Activation($0) })
                    let sums = Self.float64(input: input, channels: channels, images: images, height: height, width: width,
                                            weight: weight, outChannels: outChannels)
                    var worst = 0.0
                    for o in 0..<outChannels {
                        for i in 0..<(images * planeSize) {
                            let index = o * images * planeSize + i
                            var x = sums[index] + Double(bias[o]) + (withShortcut ? Double(shortcut[index]) : 0)
                            switch kind {
                            case .relu?: x = max(0, x)
                            case .swish?: x = x / (1 + exp(-x))
                            case .mish?: x = x * tanh(log1p(exp(x)))
                            default: break
                            }
                            worst = max(worst, abs(Double(output[index]) - x))
                        }
                    }
                    XCTAssertLessThan(worst, 1e-4, "\(height)x\(width) \(channels) channels \(String(describing: kind)) shortcut \(withShortcut) on \(KernelISA.current)")
                }
            }
        }
    }

    /// conv(input) in float64 from the definition, CNHW in and out (padding 1).
    static func float64(input: [Float], channels: Int, images: Int, height: Int, width: Int, weight: [Float],
                        outChannels: Int) -> [Double] {
        let planeSize = height * width
        var out = [Double](repeating: 0, count: outChannels * images * planeSize)
        for o in 0..<outChannels {
            for b in 0..<images {
                for y in 0..<height {
                    for x in 0..<width {
                        var sum = 0.0
                        for c in 0..<channels {
                            for dy in 0..<3 {
                                let iy = y + dy - 1
                                guard iy >= 0, iy < height else { continue }
                                for dx in 0..<3 {
                                    let ix = x + dx - 1
                                    guard ix >= 0, ix < width else { continue }
                                    sum += Double(weight[(o * channels + c) * 9 + dy * 3 + dx])
                                        * Double(input[(c * images + b) * planeSize + iy * width + ix])
                                }
                            }
                        }
                        out[(o * images + b) * planeSize + y * width + x] = sum
                    }
                }
            }
        }
        return out
    }

    /// start + conv(input) (or the epilogue's result) through the F(4×4) kernel, in a scratch sized as the engine sizes it.
    static func winograd4(input: [Float], layout: ConvolutionKernels.PlaneLayout, channels: Int, images: Int,
                          height: Int, width: Int, weight: [Float], outChannels: Int, start: [Float],
                          bias: [Float]? = nil, shortcut: [Float]? = nil, activation: Activation? = nil) -> [Float] {
        var output = start
        let packed = Winograd4Convolution.packedFilters(weight, outChannels: outChannels, inChannels: channels)
        precondition(!packed.isEmpty)
        let scratch = UnsafeMutablePointer<Float>.allocate(
            capacity: DirectConvolution.scratchFloats(channels: channels, outChannels: outChannels, height: height, width: width))
        // Poisoned: the kernel must not read what it did not write.
        scratch.initialize(repeating: .nan, count: DirectConvolution.scratchFloats(channels: channels, outChannels: outChannels,
                                                                                   height: height, width: width))
        defer { scratch.deallocate() }
        input.withUnsafeBufferPointer { source in
            packed.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { out in
                    let b = bias.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.count) }
                    let s = shortcut.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.count) }
                    defer { b?.deallocate(); s?.deallocate() }
                    if let bias { b!.initialize(from: bias, count: bias.count) }
                    if let shortcut { s!.initialize(from: shortcut, count: shortcut.count) }
                    Winograd4Convolution.convolve(input: source.baseAddress!, layout: layout, channels: channels,
                                                  imageCount: images, height: height, width: width,
                                                  packedFilters: w.baseAddress!, outChannels: outChannels,
                                                  output: out.baseAddress!, rowStride: images * height * width,
                                                  bias: b.map { UnsafePointer($0) }, shortcut: s.map { UnsafePointer($0) },
                                                  activation: activation, scratch: scratch)
                }
            }
        }
        return output
    }
}
