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

/// A test case whose `fixture` (set in its setUp) is stopped and removed after each test.
class ServiceTestCase: XCTestCase {
    var fixture: ServiceFixture!
    var root: URL { fixture.root }
    var service: LandscapeService { fixture.service }
    var client: TestClient { fixture.client }

    override func tearDownWithError() throws { fixture?.tearDown() }
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

extension TestClient {
    /// POSTs `base` with each case's fields merged in (an NSNull value removes the field) and checks the status and
    /// that the error names `word`; then that malformed JSON and an empty body are 400.
    func assertRefusals(_ path: String, base: [String: Any], _ cases: [([String: Any], Int, String)],
                        file: StaticString = #filePath, line: UInt = #line) throws {
        for (fields, status, word) in cases {
            var body = base
            body.merge(fields) { $1 }
            for (name, value) in fields where value is NSNull { body[name] = nil }
            let response = try post(path, json: body)
            XCTAssertEqual(response.status, status, "\(fields): \(response.text)", file: file, line: line)
            let error = try response.json()["error"] as? String ?? ""
            XCTAssertTrue(error.contains(word), "\(fields): error '\(error)' should mention \(word)", file: file, line: line)
        }
        XCTAssertEqual(try request("POST", path, body: Data("{not json".utf8)).status, 400, file: file, line: line)
        XCTAssertEqual(try request("POST", path, body: Data()).status, 400, file: file, line: line)
    }
}
