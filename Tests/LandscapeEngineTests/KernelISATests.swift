import XCTest
@testable import LandscapeEngine

/// Choosing the convolution kernels' ISA: what CPUID and XCR0 allow, `LANDSCAPE_KERNEL`, typed errors,
/// and the tiny ResNet against the float64 reference on every ISA this CPU runs (each activation, each algorithm).
final class KernelISATests: XCTestCase {
    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)
    }

    func testTheDefaultIsTheBestISATheCPUAndOSAllow() {
        let cpu = CPUFeatures.current
        let expected: KernelISA = cpu.usableAVX512 ? .avx512 : cpu.usableAVX2FMA ? .avx2 : .portable
        XCTAssertEqual(KernelISA.best, expected, cpu.summary)
        XCTAssertEqual(KernelISA.avx512.isSupported, cpu.usableAVX512)
        XCTAssertEqual(KernelISA.avx2.isSupported, cpu.usableAVX2FMA)
        XCTAssertTrue(KernelISA.portable.isSupported)
    }

    func testTheEnvironmentVariableSelectsAnISAAndBadValuesAreTypedErrors() throws {
        XCTAssertNil(try KernelISA.applyEnvironment([:]))
        XCTAssertNil(try KernelISA.applyEnvironment(["LANDSCAPE_KERNEL": ""]))
        XCTAssertEqual(try KernelISA.applyEnvironment(["LANDSCAPE_KERNEL": "portable"]), .portable)
        XCTAssertEqual(KernelISA.current, .portable)
        XCTAssertFalse(DirectConvolution.isAvailable)
        XCTAssertEqual(ConvolutionAlgorithm.winograd.effective, .im2col)
        XCTAssertEqual(ConvolutionAlgorithm.winograd.kernelISA, .portable)
        XCTAssertEqual(EngineReport.convolutionISA, "portable")
        XCTAssertThrowsError(try KernelISA.applyEnvironment(["LANDSCAPE_KERNEL": "avx3"])) { error in
            XCTAssertEqual(error as? KernelISAError, .unknown(value: "avx3", source: "LANDSCAPE_KERNEL"))
            XCTAssertEqual("\(error)", "LANDSCAPE_KERNEL: 'avx3' is not a convolution kernel ISA; expected one of portable, avx2, avx512")
        }
        XCTAssertEqual(KernelISA.current, .portable, "a refused value changes nothing")
        for isa in [KernelISA.avx2, .avx512] where isa.isSupported {
            XCTAssertEqual(try KernelISA.applyEnvironment(["LANDSCAPE_KERNEL": isa.rawValue.uppercased()]), isa)
            XCTAssertEqual(KernelISA.current, isa)
            XCTAssertEqual(ConvolutionAlgorithm.direct.kernelISA, isa)
            XCTAssertEqual(ConvolutionAlgorithm.im2col.kernelISA, .portable)
        }
    }

    func testAnISATheCPULacksIsRefusedWithWhatItNeeds() throws {
        let lacking = [KernelISA.avx512, .avx2].filter { !$0.isSupported }
        for isa in lacking {
            let before = KernelISA.current
            XCTAssertThrowsError(try KernelISA.select(isa)) { error in
                XCTAssertEqual(error as? KernelISAError, .unsupported(isa, cpu: CPUFeatures.current.summary))
                XCTAssertTrue("\(error)".contains("XCR0"), "\(error)")
            }
            XCTAssertEqual(KernelISA.current, before)
        }
        // The message, whatever this CPU is.
        XCTAssertEqual("\(KernelISAError.unsupported(.avx512, cpu: "AMD family 23 model 49: AVX2, FMA"))",
                       "kernel ISA avx512 needs AVX-512 F, BW, DQ and VL, and an OS that saves opmask and ZMM state "
                       + "(XCR0 bits 5-7); this CPU offers: AMD family 23 model 49: AVX2, FMA")
    }

    /// The whole forward pass (tiny ResNet, BN folded, fused epilogues, option-A shortcuts) on each ISA
    /// against the float64 reference network, as ForwardPassTests does on the default ISA.
    func testTinyResNetMatchesFloat64ReferenceOnEveryISA() throws {
        for isa in KernelISA.allCases {
            guard isa.isSupported else {
                print("KernelISATests: skipping \(isa.rawValue): this CPU cannot run it (\(CPUFeatures.current.summary))")
                continue
            }
            try KernelISA.select(isa)
            for kind in [ActivationKind.relu, .swish, .mish] {
                let arch = try ResNetArchitecture(depth: 8, inputChannels: 3, classCount: 10, activation: Activation(kind))
                let model = ForwardPassTests.randomModel(arch, seed: 7)
                let data = try ForwardPassTests.randomImages(count: 5, channels: 3, height: 12, width: 10, seed: 3)
                let network = InferenceNetwork(model)
                for algorithm in ConvolutionAlgorithm.allCases {
                    let result = try Evaluator(threads: 2, microBatch: 2, algorithm: algorithm)
                        .evaluate(network, on: data, keepLogits: true)
                    for image in 0..<data.count {
                        let expected = ReferenceResNet(model: model).logits(data, image: image)
                        for j in 0..<10 {
                            XCTAssertEqual(Double(result.logits![image * 10 + j]), expected[j],
                                           accuracy: 2e-4 * max(1, abs(expected[j])),
                                           "\(isa) \(kind) \(algorithm) image \(image) logit \(j)")
                        }
                    }
                }
            }
        }
    }
}
