import XCTest
import Landscape
import LandscapeIO

final class EvaluationSetTests: XCTestCase {
    static let cifarHead = Fixtures.referenceFile("cifar10-test-head.bin").path

    /// `eval --data cifar10-test-head.bin --split train` recorded "train" while computing the test file.
    func testASingleFileIsNeverRelabelledAsAnotherSplit() throws {
        XCTAssertThrowsError(try EvaluationSet.build(EvaluationSetRequest(path: Self.cifarHead, split: .train, samples: 8))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(Self.cifarHead) && message.contains("holding the test split"), message)
        }
        XCTAssertEqual(try EvaluationSet.build(EvaluationSetRequest(path: Self.cifarHead, samples: 8)).info.split, "test")
        XCTAssertEqual(try EvaluationSet.build(EvaluationSetRequest(path: Self.cifarHead, split: .test, samples: 8)).info.split, "test")
    }

    /// The default 1,000 samples failed on the 846-image reference file.
    func testADefaultSampleCountUsesASmallerSplitWhole() throws {
        let set = try EvaluationSet.build(EvaluationSetRequest(path: Self.cifarHead, samples: 1000, samplesAtMost: true))
        XCTAssertEqual(set.data.count, 846)
        XCTAssertThrowsError(try EvaluationSet.build(EvaluationSetRequest(path: Self.cifarHead, samples: 1000)),
                             "an explicit count the split cannot give is still refused")
    }

    /// The Fashion-MNIST model with CIFAR data said "normalization mean is 1 values, expected 3".
    func testAModelCardForOtherImagesIsRefusedNamingChannelsAndDataset() throws {
        let card = try XCTUnwrap(try ModelCard.load(forWeights: Fixtures.repositoryRoot.appendingPathComponent("Models/resnet20-relu.safetensors")))
        XCTAssertThrowsError(try EvaluationSet.build(EvaluationSetRequest(path: Self.cifarHead, samples: 8), card: card)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("takes 1-channel images"), message)
            XCTAssertTrue(message.contains("3-channel 32x32"), message)
            XCTAssertTrue(message.contains(Self.cifarHead), message)
        }
    }
}
