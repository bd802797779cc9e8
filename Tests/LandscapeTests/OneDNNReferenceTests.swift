import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest

/// `--convolution onednn` on the acceptance check: the pretrained ResNet-20 on the 846 reference
/// CIFAR-10 images gives PyTorch's numbers (ReferenceAccuracyTests' constants and tolerances).
final class OneDNNReferenceTests: XCTestCase {
    func testOneDNNReproducesPyTorchOnTheCIFARHead() throws {
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path))
        XCTAssertEqual(data.data.count, 846)
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        let result = try Evaluator(threads: 2, algorithm: .onednn).evaluate(InferenceNetwork(model), on: data.data, keepLogits: true)
        XCTAssertEqual(result.correctCount, ReferenceAccuracyTests.expectedCorrect)
        XCTAssertEqual(result.meanLoss, ReferenceAccuracyTests.expectedLoss, accuracy: ReferenceAccuracyTests.lossTolerance)
        let logits = try XCTUnwrap(result.logits)
        for (i, expected) in [ReferenceAccuracyTests.logits0, ReferenceAccuracyTests.logits1].enumerated() {
            let got = Array(logits[(i * 10)..<(i * 10 + 10)])
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, ReferenceAccuracyTests.logitTolerance, "image \(i): \(got)")
        }
        // The same images through our kernels: the two paths agree per image far inside the tolerance.
        let ours = try Evaluator(threads: 2).evaluate(InferenceNetwork(model), on: data.data)
        let worst = zip(result.losses, ours.losses).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-3, "largest per-image loss difference, oneDNN against \(ConvolutionAlgorithm.preferred)")
    }

    func testTheSurfaceRecordsOneDNNAsItsKernel() throws {
        let (model, data) = try SurfaceComputationTests.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        let surface = try SurfaceComputationTests.compute(model, data, grid: "-1:1:3", y: nil, algorithm: .onednn,
                                                         directory: directory).run()[0]
        XCTAssertTrue(surface.progress.complete)
        XCTAssertEqual(surface.timing.convolution, "onednn")
        XCTAssertEqual(surface.timing.kernel, ConvolutionAlgorithm.onednn.kernelName)
        XCTAssertTrue(surface.timing.kernel?.hasPrefix("onednn-") ?? false, "\(String(describing: surface.timing.kernel))")
    }
}
