import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest

/// `--convolution auto`'s per-layer plans on the acceptance check: the pretrained ResNet-20 on the 846
/// reference CIFAR-10 images gives PyTorch's numbers whichever class runs on oneDNN; a surface records
/// what ran per class.
final class HybridReferenceTests: XCTestCase {
    static func plan(_ kernel: LayerKernel, for classes: [LayerClass]) -> ConvolutionPlan {
        var plan = ConvolutionPlan.uniform(.preferred)
        for layer in classes { plan.kernels[layer] = kernel }
        return plan
    }

    func testHybridPlansReproducePyTorchOnTheCIFARHead() throws {
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path))
        XCTAssertEqual(data.data.count, 846)
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        let ours = try Evaluator(threads: 2, algorithm: .preferred).evaluate(InferenceNetwork(model), on: data.data)
        for plan in [Self.plan(.onednnReordered, for: [.downsample2, .downsample3]),
                     // oneDNN 2.6.3 runs CNHW through its (slow) reference code: the two stride-2 layers only.
                     Self.plan(.onednnCNHW, for: [.downsample2, .downsample3]),
                     Self.plan(.onednnReordered, for: [.stem, .stage1, .stage3])] {
            let result = try Evaluator(threads: 2, plan: plan).evaluate(InferenceNetwork(model), on: data.data, keepLogits: true)
            XCTAssertEqual(result.correctCount, ReferenceAccuracyTests.expectedCorrect, "\(plan)")
            XCTAssertEqual(result.meanLoss, ReferenceAccuracyTests.expectedLoss, accuracy: ReferenceAccuracyTests.lossTolerance, "\(plan)")
            let logits = try XCTUnwrap(result.logits)
            for (i, expected) in [ReferenceAccuracyTests.logits0, ReferenceAccuracyTests.logits1].enumerated() {
                let worst = zip(logits[(i * 10)..<(i * 10 + 10)], expected).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, ReferenceAccuracyTests.logitTolerance, "\(plan) image \(i)")
            }
            let difference = zip(result.losses, ours.losses).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(difference, 1e-3, "\(plan): largest per-image loss difference against \(ConvolutionAlgorithm.preferred)")
        }
    }

    func testTheSurfaceRecordsWhatRanPerClass() throws {
        let (model, data) = try SurfaceComputationTests.fixture()
        let plan = Self.plan(.onednnReordered, for: [.downsample2, .downsample3])
        let surface = try SurfaceComputation(
            models: [model], data: data, grid: GridSpec(x: GridAxis(parsing: "-1:1:3"), y: nil),
            directions: .random(DirectionSpec(seed: 0)), store: SurfaceStore(directory: SurfaceComputationTests.temporaryDirectory()),
            evaluator: Evaluator(threads: 2, microBatch: 4, plan: plan)).run()[0]
        XCTAssertTrue(surface.progress.complete)
        XCTAssertEqual(surface.timing.convolution, "auto")
        let kernel = try XCTUnwrap(surface.timing.kernel)
        XCTAssertEqual(kernel, plan.kernelName(activation: model.model.architecture.activation))
        XCTAssertTrue(kernel.contains("onednn-") && kernel.contains("(stride-2)"), kernel)
    }
}
