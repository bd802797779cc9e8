import XCTest
import LandscapeEngine
import Foundation

/// Not a test: measures training throughput (ResNet-20, batch 128, 32x32x3 or LANDSCAPE_TRAINING_SHAPE)
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
        // LANDSCAPE_TRAINING_SHAPE=HxWxC, e.g. 28x28x1 for Fashion-MNIST (default 32x32x3, CIFAR-10).
        let shape = (environment["LANDSCAPE_TRAINING_SHAPE"] ?? "32x32x3").split(separator: "x").compactMap { Int($0) }
        guard shape.count == 3 else { throw XCTSkip("LANDSCAPE_TRAINING_SHAPE: expected HxWxC such as 28x28x1") }
        let (height, width, channels) = (shape[0], shape[1], shape[2])
        let arch = try ResNetArchitecture(depth: 20, inputChannels: channels,
                                          activation: Activation(parsing: environment["LANDSCAPE_TRAINING_ACTIVATION"] ?? "relu"))
        var rng = TestRNG(1)
        var model = ResNetModel.randomlyInitialized(arch, using: &rng)
        let images = (0..<(batch * channels * height * width)).map { _ in Float(rng.symmetric()) }
        let labels = (0..<batch).map { Int32($0 % 10) }
        // LANDSCAPE_TRAINING_CONVOLUTION=im2col|direct|winograd (default: the preferred one on this CPU).
        let convolution = try environment["LANDSCAPE_TRAINING_CONVOLUTION"].map { name in
            guard let algorithm = ConvolutionAlgorithm(rawValue: name) else {
                throw XCTSkip("LANDSCAPE_TRAINING_CONVOLUTION: expected im2col, direct or winograd, got '\(name)'")
            }
            return algorithm
        } ?? .preferred
        let network = try TrainingNetwork(architecture: arch, batchCapacity: batch, height: height, width: width, threads: threads,
                                          convolution: convolution)
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)
        _ = try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels)   // warm-up
        // LANDSCAPE_TRAINING_PROFILE=1: time every phase of the timed steps too.
        if environment["LANDSCAPE_TRAINING_PROFILE"] == "1" { network.profile = TrainingProfile(shards: network.shardCount) }
        let start = Date(), cpuStart = Self.processCPUSeconds()
        for _ in 0..<steps { _ = try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels) }
        let seconds = Date().timeIntervalSince(start), cpuSeconds = Self.processCPUSeconds() - cpuStart
        // CPU time is less disturbed than wall time when other jobs share the cores.
        print(String(format: "training CPU time: %.1f img per CPU-second", Double(steps * batch) / cpuSeconds))
        if let profile = network.profile { print(profile.table) }
        print("training throughput: \(network.convolution) convolutions, \(arch.name) \(arch.activation) \(height)x\(width)x\(channels), batch \(batch), \(threads) thread(s): "
              + String(format: "%.1f img/s (%.3f s/step)", Double(steps * batch) / seconds, seconds / Double(steps)))
    }

    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
