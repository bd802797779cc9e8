import Foundation

/// The reference artefacts (PyTorch checkpoints, CIFAR-10 test head, expected
/// numbers) live in ../shared/reference beside the repository; tests read them
/// from there and never copy them in.
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let reference = repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/reference")
    static func referenceFile(_ name: String) -> URL { reference.appendingPathComponent(name) }
}
