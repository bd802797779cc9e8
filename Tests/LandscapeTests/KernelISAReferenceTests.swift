import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest

/// The acceptance check of ReferenceAccuracyTests (the pretrained ResNet-20 on the 846 reference CIFAR-10
/// images: 776 correct, loss 0.375512 within 1e-4) on every convolution kernel ISA this CPU runs and every
/// algorithm, and the surface JSON naming the ISA that computed it.
final class KernelISAReferenceTests: XCTestCase {
    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)
    }

    func testEveryISAAndAlgorithmReproducesPyTorchOnTheCIFARHead() throws {
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path))
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        var ran: [String] = []
        for isa in KernelISA.allCases {
            guard isa.isSupported else {
                print("KernelISAReferenceTests: skipping \(isa.rawValue): this CPU cannot run it (\(CPUFeatures.current.summary))")
                continue
            }
            try KernelISA.select(isa)
            let network = InferenceNetwork(model)
            for algorithm in isa == .portable ? [ConvolutionAlgorithm.im2col] : [.winograd, .direct] {
                let label = "\(isa.rawValue) \(algorithm.rawValue)"
                XCTAssertEqual(algorithm.kernelISA, isa, label)
                let result = try Evaluator(algorithm: algorithm).evaluate(network, on: data.data, keepLogits: true)
                XCTAssertEqual(result.correctCount, ReferenceAccuracyTests.expectedCorrect, label)
                XCTAssertEqual(result.meanLoss, ReferenceAccuracyTests.expectedLoss, accuracy: ReferenceAccuracyTests.lossTolerance, label)
                let logits = try XCTUnwrap(result.logits)
                for (i, expected) in [ReferenceAccuracyTests.logits0, ReferenceAccuracyTests.logits1].enumerated() {
                    let worst = zip(logits[(i * 10)..<(i * 10 + 10)], expected).map { abs($0 - $1) }.max() ?? .infinity
                    XCTAssertLessThanOrEqual(worst, ReferenceAccuracyTests.logitTolerance, "\(label) image \(i)")
                }
                ran.append(label)
            }
        }
        XCTAssertTrue(ran.contains("portable im2col"), "\(ran)")
    }

    func testTheSurfaceRecordsTheKernelISAThatComputedIt() throws {
        let (model, data) = try SurfaceComputationTests.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        let cancel = CancellationFlag()
        try KernelISA.select(.portable)
        XCTAssertThrowsError(try SurfaceComputationTests.compute(model, data, grid: "-1:1:3", y: nil, algorithm: .winograd,
                                                                directory: directory)
            .run(cancel: cancel) { _ in cancel.cancel() })
        let first = try SurfaceStore(directory: directory).all()[0].surface
        XCTAssertEqual(first.timing.kernel, "portable")
        XCTAssertEqual(first.timing.convolution, "im2col")
        // Resumed on the best ISA: both are named, in the order used.
        try KernelISA.select(KernelISA.best)
        let resumed = try SurfaceComputationTests.compute(model, data, grid: "-1:1:3", y: nil, algorithm: .winograd,
                                                          directory: directory).run()[0]
        XCTAssertTrue(resumed.progress.complete)
        XCTAssertEqual(resumed.timing.kernel, KernelISA.best == .portable ? "portable" : "portable+\(KernelISA.best.rawValue)")
        let store = try SurfaceStore(directory: directory)
        let stored = try XCTUnwrap(String(data: Data(contentsOf: directory.appendingPathComponent(store.surfaceFileName(for: resumed))),
                                          encoding: .utf8))
        XCTAssertTrue(stored.contains("\"kernel\""), "written to the JSON file")
    }
}
