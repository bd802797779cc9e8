import XCTest
import LandscapeEngine
import Foundation

/// Not a test: measures training throughput (ResNet-20, batch 128, 32x32x3)
/// when LANDSCAPE_TRAINING_BENCHMARK=1, and is skipped otherwise, because tests must
/// not depend on timing.
///   LANDSCAPE_TRAINING_BENCHMARK=1 swift test -c release --filter TrainingThroughputTests
final class TrainingThroughputTests: XCTestCase {
    func testMeasureResNet20TrainingThroughput() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["LANDSCAPE_TRAINING_BENCHMARK"] == "1" else {
            throw XCTSkip("set LANDSCAPE_TRAINING_BENCHMARK=1 to measure training throughput")
        }
        let batch = 128, steps = Int(environment["LANDSCAPE_TRAINING_STEPS"] ?? "") ?? 5
        let threads = Int(environment["LANDSCAPE_TRAINING_THREADS"] ?? "") ?? 2
        let arch = try ResNetArchitecture(depth: 20, activation: Activation(parsing: environment["LANDSCAPE_TRAINING_ACTIVATION"] ?? "relu"))
        var rng = TestRNG(1)
        var model = ResNetModel.randomlyInitialized(arch, using: &rng)
        let images = (0..<(batch * 3 * 32 * 32)).map { _ in Float(rng.symmetric()) }
        let labels = (0..<batch).map { Int32($0 % 10) }
        let network = try TrainingNetwork(architecture: arch, batchCapacity: batch, height: 32, width: 32, threads: threads)
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)
        _ = try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels)   // warm-up
        let start = Date()
        for _ in 0..<steps { _ = try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels) }
        let seconds = Date().timeIntervalSince(start)
        print("training throughput: \(arch.name) \(arch.activation), batch \(batch), \(threads) thread(s): "
              + String(format: "%.1f img/s (%.3f s/step)", Double(steps * batch) / seconds, seconds / Double(steps)))
    }
}
