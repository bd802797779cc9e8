import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest

/// The acceptance check of ReferenceAccuracyTests (the pretrained ResNet-20 on the 846 reference CIFAR-10
/// images: 776 correct, loss 0.375512 within 1e-4, the first two images' logits) computed with Winograd
/// F(4×4, 3×3) on every register-kernel ISA this CPU runs.
final class Winograd4ReferenceTests: XCTestCase {
    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)
    }

    func testWinograd4ReproducesPyTorchOnTheCIFARHeadOnEveryISA() throws {
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path))
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        var ran: [String] = []
        for isa in [KernelISA.avx2, .avx512] {
            guard isa.isSupported else {
                print("Winograd4ReferenceTests: skipping \(isa.rawValue): this CPU cannot run it (\(CPUFeatures.current.summary))")
                continue
            }
            try KernelISA.select(isa)
            let label = "winograd4 on \(isa.rawValue)"
            XCTAssertEqual(ConvolutionAlgorithm.winograd4.kernelName, isa.rawValue, label)
            let result = try Evaluator(algorithm: .winograd4).evaluate(InferenceNetwork(model), on: data.data, keepLogits: true)
            XCTAssertEqual(result.correctCount, ReferenceAccuracyTests.expectedCorrect, label)
            XCTAssertEqual(result.meanLoss, ReferenceAccuracyTests.expectedLoss, accuracy: ReferenceAccuracyTests.lossTolerance, label)
            let logits = try XCTUnwrap(result.logits)
            var worst: Float = 0
            for (i, expected) in [ReferenceAccuracyTests.logits0, ReferenceAccuracyTests.logits1].enumerated() {
                let error = zip(logits[(i * 10)..<(i * 10 + 10)], expected).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(error, ReferenceAccuracyTests.logitTolerance, "\(label) image \(i)")
                worst = max(worst, error)
            }
            print("Winograd4ReferenceTests: \(label): loss \(result.meanLoss), \(result.correctCount)/\(data.data.count) correct, worst logit error \(worst)")
            ran.append(label)
        }
        if ran.isEmpty { throw XCTSkip("this CPU has no AVX2+FMA: winograd4 runs as im2col") }
    }
}
