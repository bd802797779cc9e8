import Foundation
import XCTest
import LandscapeEngine
import LandscapeIO
import LandscapeCore
@testable import Landscape

/// A training state through a safetensors file: everything comes back, the
/// file is ordinary safetensors with PyTorch names, and errors name the file.
final class TrainingCheckpointTests: XCTestCase {
    private func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A state part-way through a run: momentum, a moved generator, a position.
    private func midRunState() throws -> TrainingState {
        let recipe = try TrainingRecipe(epochs: 3, batchSize: 4,
                                        schedule: .multiStep(rate: 0.1, milestones: [1.5, 2.25], gamma: 0.1),
                                        nesterov: true, seed: 42)
        let architecture = try ResNetArchitecture(depth: 8, inputChannels: 1, classCount: 10, activation: Activation(.mish))
        var state = TrainingState.initial(recipe: recipe, architecture: architecture)
        var noise = SeededGenerator(seed: 7)
        // SGD keeps velocity for trainable tensors only; BN statistics' slots stay 0.
        state.momentumBuffer = [Float](repeating: 0, count: state.model.layout.totalCount)
        for entry in state.model.layout.entries where entry.role.isTrainable {
            for i in entry.range { state.momentumBuffer[i] = Float(noise.nextGaussian()) }
        }
        state.model.values = state.model.values.map { $0 + Float(noise.nextGaussian()) * 1e-3 }
        for _ in 0..<5 { _ = state.generator.next() }
        state.epoch = 1
        state.batchInEpoch = 2
        state.step = 9
        return state
    }

    func testAStateSurvivesTheFileBitForBit() throws {
        let state = try midRunState()
        let url = try directory().appendingPathComponent("run.checkpoint.safetensors")
        try TrainingCheckpoint.save(state, to: url, extra: ["run_log": "{\"epochs\":[]}"])
        let loaded = try TrainingCheckpoint.loadWithMetadata(from: url)
        // Compared field by field first, so a failure names the field without printing every weight.
        XCTAssertTrue(loaded.state.model.values == state.model.values, "weights differ")
        XCTAssertTrue(loaded.state.momentumBuffer == state.momentumBuffer, "momentum differs")
        XCTAssertEqual(loaded.state.generator.state, state.generator.state)
        XCTAssertEqual(loaded.state.recipe, state.recipe)
        XCTAssertEqual(loaded.state.model.architecture, state.model.architecture)
        XCTAssertEqual([loaded.state.epoch, loaded.state.batchInEpoch, loaded.state.step], [1, 2, 9])
        XCTAssertTrue(loaded.state == state, "states differ")
        XCTAssertEqual(loaded.metadata["run_log"], "{\"epochs\":[]}")
        XCTAssertTrue(try TrainingCheckpoint.load(from: url) == state)
    }

    /// Checkpoints written before the one JSON coding kept camelCase keys in their metadata
    /// ("batchSize"); they must still resume. The new files use snake_case ("batch_size").
    func testCheckpointsWithCamelCaseMetadataStillLoad() throws {
        let state = try midRunState()
        let url = try directory().appendingPathComponent("old.safetensors")
        try TrainingCheckpoint.save(state, to: url)
        var dict = try Safetensors.read(url)
        XCTAssertTrue(dict.metadata["recipe"]?.contains("\"batch_size\"") == true, dict.metadata["recipe"] ?? "no recipe")
        let camelCase = JSONEncoder()
        camelCase.outputFormatting = .sortedKeys
        dict.metadata["recipe"] = String(decoding: try camelCase.encode(state.recipe), as: UTF8.self)
        dict.metadata["architecture"] = String(decoding: try camelCase.encode(state.model.architecture), as: UTF8.self)
        XCTAssertTrue(dict.metadata["recipe"]?.contains("\"batchSize\"") == true)
        try Safetensors.write(dict, to: url)
        XCTAssertTrue(try TrainingCheckpoint.load(from: url) == state)
    }

    func testADirectoryIsNamedAsOne() throws {
        let folder = try directory().appendingPathComponent("run.safetensors")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        XCTAssertThrowsError(try TrainingCheckpoint.load(from: folder)) { error in
            XCTAssertEqual("\(error)", "\(folder.path): is a directory, expected a checkpoint file (.safetensors, .pt, .th)")
        }
    }

    func testTheFileIsPlainSafetensorsWithPyTorchNames() throws {
        let state = try midRunState()
        let url = try directory().appendingPathComponent("run.safetensors")
        try TrainingCheckpoint.save(state, to: url)
        let dict = try Safetensors.read(url)
        // resnet8, 1 channel: conv1 is 16x1x3x3; every weight and one momentum per trainable tensor.
        XCTAssertEqual(dict["conv1.weight"]?.shape, [16, 1, 3, 3])
        XCTAssertEqual(dict["layer3.0.bn2.running_var"]?.shape, [64])
        XCTAssertEqual(dict["optimizer.momentum.linear.weight"]?.shape, [10, 64])
        XCTAssertNil(dict["optimizer.momentum.bn1.running_mean"])
        XCTAssertEqual(dict.metadata["epoch"], "1")
        XCTAssertEqual(dict.metadata["batch_in_epoch"], "2")
        XCTAssertEqual(dict.metadata["step"], "9")
        // Weights load alone as a model, as `landscape eval` would.
        let model = try ResNetModel(architecture: state.model.architecture,
                                    stateDict: StateDict(dict.items.filter { !$0.name.hasPrefix("optimizer.") }.map { ($0.name, $0.tensor) }))
        XCTAssertEqual(model.values, state.model.values)
    }

    func testSavingReplacesTheOldFileAndLeavesNoTemporaryFile() throws {
        let folder = try directory()
        let url = folder.appendingPathComponent("c.safetensors")
        var state = try midRunState()
        try TrainingCheckpoint.save(state, to: url)
        state.step = 10
        try TrainingCheckpoint.save(state, to: url)
        XCTAssertEqual(try TrainingCheckpoint.load(from: url).step, 10)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["c.safetensors"])
    }

    func testAWeightsFileIsRefusedNamingTheFileAndTheField() throws {
        let state = try midRunState()
        let url = try directory().appendingPathComponent("weights.safetensors")
        try Safetensors.write(state.model.stateDict(metadata: ["activation": "mish"]), to: url)
        XCTAssertThrowsError(try TrainingCheckpoint.load(from: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(url.path), message)
            XCTAssertTrue(message.contains("'format'"), message)
        }
    }

    func testAMissingFileIsNamed() throws {
        let url = try directory().appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try TrainingCheckpoint.load(from: url)) { error in
            XCTAssertEqual("\(error)", "\(url.path): no such file")
        }
    }
}
