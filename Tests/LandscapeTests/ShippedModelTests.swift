import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest

/// The models shipped in Models/ are what their cards say: the card's test
/// loss and accuracy are recomputed here with the evaluator on the
/// Fashion-MNIST test split the set-up command installs.
final class ShippedModelTests: XCTestCase {
    static let models = Fixtures.repositoryRoot.appendingPathComponent("Models")
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"
    /// Images re-evaluated per model: a subset keeps CI short, and the card's
    /// figures cover the whole split, so the comparison is statistical.
    static let subset = 2000

    static func shippedWeights() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: models, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "safetensors" }.sorted { $0.path < $1.path }
    }

    func testReLUSwishAndMishAreShippedWithCards() throws {
        let activations = try Self.shippedWeights().compactMap { try ModelCard.load(forWeights: $0)?.activation }
        XCTAssertEqual(Set(activations), ["relu", "swish", "mish"])
    }

    func testCardsMatchWhatTheEvaluatorMeasuresOnTheTestSplit() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.fashionMNIST),
                          "Fashion-MNIST is not installed (scripts/install-deps installs it)")
        for weights in try Self.shippedWeights() {
            let loaded = try LoadedModel.load(weights)
            let card = try XCTUnwrap(loaded.card, weights.lastPathComponent)
            XCTAssertEqual(card.activation, loaded.model.architecture.activation.name)
            XCTAssertEqual(card.parameterCount.map { $0 > 0 }, true)
            let cardAccuracy = try XCTUnwrap(card.metrics?.testAccuracy)
            let cardLoss = try XCTUnwrap(card.metrics?.testLoss)
            let set = try EvaluationSet.build(EvaluationSetRequest(path: Self.fashionMNIST, split: .test,
                                                                   samples: Self.subset, subset: .random, subsetSeed: 1),
                                              card: card)
            let result = try Evaluator().evaluate(InferenceNetwork(loaded.model), on: set.data)
            // Four standard errors of a proportion (and of the mean loss) measured on the subset.
            let accuracyTolerance = 4 * (cardAccuracy * (1 - cardAccuracy) / Double(Self.subset)).squareRoot() + 1e-3
            XCTAssertEqual(result.accuracy, cardAccuracy, accuracy: accuracyTolerance, weights.lastPathComponent)
            XCTAssertEqual(result.meanLoss, cardLoss, accuracy: 4 * result.lossStandardError + 1e-3, weights.lastPathComponent)
        }
    }
}
