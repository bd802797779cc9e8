import Foundation
import LandscapeService
import XCTest

/// A started service on a fresh temporary root, the set-up every API test shares: Models/ holding the
/// reference ResNet-20 as `resnet20-relu` (a link, not a copy: the weights stay in ../shared), a
/// one-line Public/index.html, the 846 reference CIFAR-10 test images as dataset `cifar-head`, the
/// caps a test sets, and a real socket client on the ephemeral port.
final class ServiceFixture {
    static let modelFile = Fixtures.referenceFile("resnet20-akamaster.safetensors")
    static let dataFile = Fixtures.referenceFile("cifar10-test-head.bin")
    static let modelID = "resnet20-relu"
    static let datasetID = "cifar-head"

    let root: URL
    let service: LandscapeService
    let client: TestClient

    /// `configure` runs before the service starts: caps, extra datasets, files put beside the models
    /// (the configuration's directories are inside the fixture's root).
    init(name: String, threads: Int? = nil, configure: (inout ServiceConfiguration) throws -> Void = { _ in }) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-\(name)-\(UUID().uuidString)")
        try Self.makeRoot(root)
        var configuration = ServiceConfiguration(root: root, datasets: [Self.datasetID: Self.dataFile.path])
        if let threads { configuration.threads = threads }
        try configure(&configuration)
        service = try LandscapeService(configuration: configuration, port: 0)
        try service.start()
        client = TestClient(port: service.port)
    }

    /// Models/ with the reference model and Public/ with a page: what `ServiceConfiguration(root:)` expects.
    static func makeRoot(_ root: URL) throws {
        let models = root.appendingPathComponent("Models"), page = root.appendingPathComponent("Public")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: page, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: models.appendingPathComponent("\(modelID).safetensors"),
                                                   withDestinationURL: modelFile)
        try Data("<!doctype html><title>landscape</title>".utf8).write(to: page.appendingPathComponent("index.html"))
    }

    var modelPath: URL { root.appendingPathComponent("Models/\(Self.modelID).safetensors") }

    /// Stops the service and removes the root.
    func tearDown() {
        service.stop(timeout: 5)
        try? FileManager.default.removeItem(at: root)
    }
}

extension TestClient {
    /// Polls GET /api/jobs/{id} until `condition` holds; fails the test (and returns [:]) after `timeout` seconds.
    @discardableResult
    func waitFor(job id: String, timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line,
                 _ condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let job = try get("/api/jobs/\(id)").json()["job"] as? [String: Any], condition(job) { return job }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("job \(id) did not reach the expected state in \(timeout) s", file: file, line: line)
        return [:]
    }
}
