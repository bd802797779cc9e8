import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest

/// The acceptance check everything stands on: the pretrained akamaster
/// ResNet-20, read from each of its three file formats, evaluated on the 846
/// real CIFAR-10 test images, gives the numbers PyTorch 2.15 gives
/// (../shared/reference/README.md).
final class ReferenceAccuracyTests: XCTestCase {
    static let expectedCorrect = 776
    static let expectedLoss = 0.375512          // PyTorch, float64
    static let lossTolerance = 1e-4             // README: float32 engine within 1e-4
    static let logitTolerance: Float = 1e-3     // README: logits within 1e-3 absolute
    static let logits0: [Float] = [-5.30968, -0.49577, 0.87726, 23.73052, -4.10504, 4.46373, -0.23435, -5.41793, -3.71179, -9.88218]
    static let logits1: [Float] = [5.95395, 11.69083, -8.77125, -6.91105, -11.66847, -8.16296, -6.04122, -8.32134, 32.13241, -0.00407]

    func testEveryReferenceFormatReproducesPyTorchOnTheCIFARHead() throws {
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path))
        XCTAssertEqual(data.data.count, 846)
        XCTAssertEqual(data.info.mean, [0.485, 0.456, 0.406].map { Double(Float($0)) })
        for file in ["resnet20-akamaster.th", "resnet20-akamaster.pt", "resnet20-akamaster.safetensors"] {
            let loaded = try LoadedModel.load(Fixtures.referenceFile(file))
            XCTAssertEqual(loaded.model.architecture.depth, 20, file)
            let result = try Evaluator().evaluate(InferenceNetwork(loaded.model), on: data.data, keepLogits: true)
            XCTAssertEqual(result.correctCount, Self.expectedCorrect, file)
            XCTAssertEqual(result.meanLoss, Self.expectedLoss, accuracy: Self.lossTolerance, file)
            let logits = try XCTUnwrap(result.logits)
            for (i, expected) in [Self.logits0, Self.logits1].enumerated() {
                let got = Array(logits[(i * 10)..<(i * 10 + 10)])
                let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, Self.logitTolerance, "\(file) image \(i): \(got)")
            }
        }
    }

    func testEvaluationDoesNotDependOnThreadCount() throws {
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path,
                                                                samples: 100))
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        let one = try Evaluator(threads: 1).evaluate(InferenceNetwork(model), on: data.data)
        let two = try Evaluator(threads: 2).evaluate(InferenceNetwork(model), on: data.data)
        XCTAssertEqual(one.losses, two.losses)
        XCTAssertEqual(one.correct, two.correct)
    }
}
