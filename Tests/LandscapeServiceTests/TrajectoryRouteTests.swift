import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeService
import XCTest

/// Trajectories through the service over a real socket: a tiny ResNet-8 (Swish) trained here
/// with a snapshot after every step on Fashion-MNIST-like images, its PCA plane written as
/// `landscape trajectory --out Models/trajectories/<model>` writes it, served by the catalog.
final class TrajectoryRouteTests: XCTestCase {
    /// Built once per test process: the run takes a few seconds, every test reads it.
    private struct Prepared: Sendable {
        let root: URL
        let directory: URL
        let trajectory: Trajectory
    }

    private static let modelID = "resnet8-swish"
    private static let prepared: Result<Prepared, Error> = Result { try prepare() }

    private var root: URL!
    private var service: LandscapeService!
    private var client: TestClient!
    private var trajectory: Trajectory!

    override func setUpWithError() throws {
        let prepared = try Self.prepared.get()
        trajectory = prepared.trajectory
        root = prepared.root
        var limits = ServiceConfiguration.Limits()
        limits.surface.maximumSamples = 16
        let configuration = ServiceConfiguration(
            root: root, cacheDirectory: root.appendingPathComponent("cache-\(UUID().uuidString)"),
            datasets: ["fashion-tiny": root.appendingPathComponent("fashion-tiny").path], limits: limits, threads: 2)
        service = try LandscapeService(configuration: configuration, port: 0)
        try service.start()
        client = TestClient(port: service.port)
    }

    override func tearDownWithError() throws { service?.stop(timeout: 5) }

    override class func tearDown() {
        if case .success(let prepared) = prepared { try? FileManager.default.removeItem(at: prepared.root) }
    }

    /// resnet8 (Swish), 2 epochs of 3 steps, a snapshot after every step (7 points), every snapshot
    /// evaluated on the first 12 test images; the final model is Models/resnet8-swish.safetensors.
    private static func prepare() throws -> Prepared {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-trajapi-\(UUID().uuidString)")
        let models = root.appendingPathComponent("Models")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Public"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: models.appendingPathComponent("trajectories"), withIntermediateDirectories: true)
        try Data("<!doctype html><title>landscape</title>".utf8).write(to: root.appendingPathComponent("Public/index.html"))
        let data = root.appendingPathComponent("fashion-tiny")
        try writeFashionLikeData(at: data)
        let recipe = try TrainingRecipe(epochs: 2, batchSize: 8, schedule: .cosine(rate: 0.1, floor: 0), seed: 2)
        let configuration = TrainingConfiguration(depth: 8, activation: Activation(.swish), dataPath: data.path, recipe: recipe,
                                                  trainLimit: 24, evalLimit: 8, threads: 2,
                                                  output: models.appendingPathComponent("\(modelID).safetensors"),
                                                  snapshots: root.appendingPathComponent("run/snapshots"), snapshotEvery: 1)
        guard try TrainingRun(configuration).run() == .finished else { throw CocoaError(.featureUnsupported) }
        let spec = TrajectorySpec(snapshots: configuration.snapshots!.path, model: configuration.output.path)
        let input = try TrajectoryInput.load(spec)
        var result = try TrajectoryComputation.compute(input)
        let final = try LoadedModel.load(configuration.output)
        let set = try EvaluationSet.build(EvaluationSetRequest(path: data.path, split: .test, samples: 12), card: final.card)
        try TrajectoryComputation.evaluate(&result, input, on: set, evaluator: Evaluator(threads: 1))
        let directory = models.appendingPathComponent("trajectories/\(modelID)")
        try TrajectoryComputation.write(result, layout: final.model.layout, to: directory)
        // A served model that is not the path's final model: the first snapshot's weights.
        let first = try XCTUnwrap(try TrajectorySpec.snapshotFiles(in: configuration.snapshots!.path).first)
        try FileManager.default.copyItem(at: first, to: models.appendingPathComponent("\(modelID)-start.safetensors"))
        return Prepared(root: root, directory: directory, trajectory: result.trajectory)
    }

    /// IDX files, 28x28: 40 train and 16 test images whose brightness depends on the label (learnable).
    private static func writeFashionLikeData(at directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func idx(_ sizes: [Int], _ payload: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 8, UInt8(sizes.count)]
            for size in sizes { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) } }
            return Data(bytes + payload)
        }
        for (prefix, count, offset) in [("train", 40, 0), ("t10k", 16, 1000)] {
            let labels = (0..<count).map { UInt8(($0 * 7 + offset) % 10) }
            var pixels: [UInt8] = []
            for n in 0..<count {
                for p in 0..<784 { pixels.append(UInt8((Int(labels[n]) * 25 + (p % 28) * 3 + (n + offset) % 5) % 256)) }
            }
            try idx([count, 28, 28], pixels).write(to: directory.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try idx([count], labels).write(to: directory.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }

    private func post(_ fields: [String: Any]) throws -> TestClient.Response {
        var body: [String: Any] = ["models": [Self.modelID], "dataset": "fashion-tiny", "samples": 12]
        body.merge(fields) { $1 }
        return try client.post("/api/surfaces", json: body)
    }

    // MARK: Resources

    func testTheListNamesTheShippedTrajectoryItsModelSnapshotsAndExplainedVariance() throws {
        let response = try client.get("/api/trajectories")
        XCTAssertEqual(response.status, 200)
        let list = try XCTUnwrap(try response.json()["trajectories"] as? [[String: Any]])
        XCTAssertEqual(list.count, 1)
        let entry = try XCTUnwrap(list.first)
        XCTAssertEqual(entry["id"] as? String, trajectory.id)
        XCTAssertEqual(entry["model"] as? String, Self.modelID, "the served model with the final model's bytes")
        XCTAssertEqual(entry["activation"] as? String, "swish")
        XCTAssertEqual(entry["snapshots"] as? Int, 7)
        // JSONSerialization may read the last digit of a double one ulp away: compare to rounding.
        let ratio = try XCTUnwrap(entry["explained_variance_ratio"] as? [Double])
        XCTAssertEqual(ratio.count, 2)
        for (read, written) in zip(ratio, trajectory.explainedVarianceRatio) { XCTAssertEqual(read, written, accuracy: 1e-15) }
        XCTAssertEqual(entry["axis_labels"] as? [String], [trajectory.axisLabel(0), trajectory.axisLabel(1)])
        XCTAssertEqual(entry["steps"] as? [Int], [0, 6])
        XCTAssertEqual(entry["evaluated"] as? Bool, true)
    }

    func testTheJSONIsTheTrajectoryFileWithEverySnapshotsStepEpochLossAndAccuracy() throws {
        for path in ["/api/trajectories/\(trajectory.id)", "/api/trajectories/\(trajectory.id).json"] {
            let response = try client.get(path)
            XCTAssertEqual(response.status, 200, path)
            XCTAssertEqual(try Trajectory.decodeForTest(response.body), trajectory, path)
            let points = try XCTUnwrap(try response.json()["points"] as? [[String: Any]])
            XCTAssertEqual(points.compactMap { $0["step"] as? Int }, Array(0...6))
            XCTAssertEqual(points.compactMap { $0["test_accuracy"] as? Double }.count, 7)
            XCTAssertEqual(points.last?["x"] as? Double, 0, "the final model is the origin")
        }
    }

    func testThePictureIsAPNGOfTheRequestedSize() throws {
        let response = try client.get("/api/trajectories/\(trajectory.id).png?width=640&height=400")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "image/png")
        XCTAssertEqual(Array(response.body.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height, big-endian, at bytes 16..<24.
        let size = response.body.subdata(in: 16..<24).map(Int.init)
        XCTAssertEqual(size[0] << 24 | size[1] << 16 | size[2] << 8 | size[3], 640)
        XCTAssertEqual(size[4] << 24 | size[5] << 16 | size[6] << 8 | size[7], 400)
        XCTAssertEqual(try client.get("/api/trajectories/\(trajectory.id).png?width=3").status, 400)
    }

    func testUnknownAndMalformedIdsAre404And400() throws {
        XCTAssertEqual(try client.get("/api/trajectories/0123456789abcdef").status, 404)
        XCTAssertEqual(try client.get("/api/trajectories/0123456789abcdef.png").status, 404)
        XCTAssertEqual(try client.get("/api/trajectories/bad%20id").status, 400)
    }

    /// `serve --trajectories DIR` with DIR one `landscape trajectory --out` directory (not a folder of them).
    func testADirectTrajectoryDirectoryIsFoundToo() throws {
        let catalog = TrajectoryCatalog(directories: [try Self.prepared.get().directory, root.appendingPathComponent("no-such-dir")])
        XCTAssertEqual(catalog.all().map(\.id), [trajectory.id])
        XCTAssertEqual(try catalog.entry(trajectory.id).directory, try Self.prepared.get().directory)
    }

    // MARK: PCA-plane surfaces

    func testAPCASurfaceCoversThePathCarriesItAndItsCentreIsTheFinalModelsEvaluatedLoss() throws {
        let response = try post(["directions": "pca", "trajectory": trajectory.id])
        XCTAssertEqual(response.status, 202, response.text)
        let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
        let events = try client.events("/api/jobs/\(job["id"] as? String ?? "")/events")
        XCTAssertEqual(events.events.last?.0, "done", "\(events.events.suffix(2))")
        let id = try XCTUnwrap((job["surface_ids"] as? [String])?.first)
        let surface = try Surface.decode(try client.get("/api/surfaces/\(id)").body, source: "GET /api/surfaces/\(id)")
        XCTAssertEqual(surface.directions.kind, "pca")
        let axes = try trajectory.coveringAxes()
        XCTAssertEqual(surface.grid.x, axes.x, "no axes given: the grid covers the path as the CLI's does")
        XCTAssertEqual(surface.grid.y, axes.y)
        XCTAssertEqual(surface.path?.trajectory, trajectory.id)
        XCTAssertEqual(surface.path?.points, trajectory.points)
        // The origin is the final model: its loss on the same 12 images is the last snapshot's evaluated test loss.
        XCTAssertEqual(surface.summary?.centreLoss ?? .nan, trajectory.points.last?.testLoss ?? .infinity, accuracy: 1e-9)
        XCTAssertEqual(surface.summary?.centreAccuracy, trajectory.points.last?.testAccuracy)
        // The same request again is answered from the store.
        XCTAssertEqual(try post(["directions": "pca", "trajectory": trajectory.id]).status, 200)
    }

    func testPCARequestsThatCannotBeMetAreRefusedNamingTheField() throws {
        func refusal(_ fields: [String: Any]) throws -> (Int, String) {
            let response = try post(fields)
            return (response.status, (try? response.json()["error"] as? String) ?? response.text)
        }
        let id = trajectory.id
        var (status, message) = try refusal(["directions": "pca"])
        XCTAssertEqual(status, 400); XCTAssertTrue(message.contains("trajectory"), message)
        (status, message) = try refusal(["directions": "random", "trajectory": id])
        XCTAssertEqual(status, 400); XCTAssertTrue(message.contains("directions 'pca' only"), message)
        (status, message) = try refusal(["directions": "pca", "trajectory": id, "models": [Self.modelID, "\(Self.modelID)-start"]])
        XCTAssertEqual(status, 400); XCTAssertTrue(message.hasPrefix("models:"), message)
        (status, message) = try refusal(["directions": "pca", "trajectory": id, "seed": 3])
        XCTAssertEqual(status, 400); XCTAssertTrue(message.hasPrefix("seed, norm, ignore, mode:"), message)
        (status, message) = try refusal(["directions": "sideways", "trajectory": id])
        XCTAssertEqual(status, 400); XCTAssertTrue(message.hasPrefix("directions:"), message)
        (status, message) = try refusal(["directions": "pca", "trajectory": "0123456789abcdef"])
        XCTAssertEqual(status, 404, message)
        // Not the path's final model: the plane would be drawn around the wrong origin.
        (status, message) = try refusal(["directions": "pca", "trajectory": id, "models": ["\(Self.modelID)-start"]])
        XCTAssertEqual(status, 400, message); XCTAssertTrue(message.contains("cannot be used with model"), message)
    }

    func testTheOpenAPIDocumentDescribesTheTrajectoryRoutesAndTheRequestFields() throws {
        let document = try client.get("/api/openapi.json").json()
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        for path in ["/api/trajectories", "/api/trajectories/{id}", "/api/trajectories/{id}.png"] {
            XCTAssertNotNil(paths[path], path)
        }
        let schema = try XCTUnwrap(((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?["SurfaceRequest"] as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(properties["directions"]?["enum"] as? [String], ["random", "pca"])
        XCTAssertEqual(properties["trajectory"]?["pattern"] as? String, TrajectoryPlaneRequest.idPattern)
    }
}

private extension Trajectory {
    static func decodeForTest(_ data: Data) throws -> Trajectory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trajectory-\(UUID().uuidString).json")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Trajectory.load(url.path)
    }
}
