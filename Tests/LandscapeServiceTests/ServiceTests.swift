import Foundation
import Landscape
import LandscapeEngine
import LandscapeService
import XCTest

/// The service end to end over loopback: the reference ResNet-20 as the only
/// shipped model, the 846 reference CIFAR-10 images as the dataset, a real
/// socket client.
final class ServiceTests: ServiceTestCase {
    static let modelFile = ServiceFixture.modelFile
    static let dataFile = ServiceFixture.dataFile

    override func setUpWithError() throws {
        fixture = try ServiceFixture(name: "service") { configuration in
            configuration.limits.surface.maximumPoints = 41 * 41
            configuration.limits.surface.maximumSamples = 846
            configuration.limits.maximumQueuedJobs = 2
            // A single file's split comes from its name: this link lets the reference test images stand in for
            // training images where only the mechanics of BN recompute are tested.
            let standIn = configuration.modelsDirectory.deletingLastPathComponent().appendingPathComponent("cifar10-head-as-train.bin")
            try FileManager.default.createSymbolicLink(at: standIn, withDestinationURL: Self.dataFile)
            configuration.datasets["cifar-head-train"] = standIn.path
        }
    }

    private func submit(_ fields: [String: Any]) throws -> (status: Int, job: [String: Any]) {
        var body: [String: Any] = ["models": ["resnet20-relu"], "dataset": "cifar-head"]
        body.merge(fields) { $1 }
        let response = try client.post("/api/surfaces", json: body)
        return (response.status, (try response.json()["job"] as? [String: Any]) ?? ["error": response.text])
    }

    func testModelsListsTheShippedModelWithItsArchitecture() throws {
        let response = try client.get("/api/models")
        XCTAssertEqual(response.status, 200)
        let models = try XCTUnwrap(try response.json()["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["id"] as? String }, ["resnet20-relu"])
        XCTAssertEqual(models.first?["architecture"] as? String, "resnet20")
        XCTAssertEqual(models.first?["activation"] as? String, "relu")
        let expected = try ResNetArchitecture(depth: 20, inputChannels: 3, classCount: 10, activation: Activation(.relu))
        XCTAssertEqual(models.first?["parameter_count"] as? Int, ResNetModel(architecture: expected).parameterCount)
    }

    func testPostedJobStreamsEveryPointThenItsSurfaceAndPictureAreServed() throws {
        let (status, job) = try submit(["x": "-0.5:0.5:3", "y": "-0.5:0.5:3", "samples": 32])
        XCTAssertEqual(status, 202, "\(job)")
        let id = try XCTUnwrap(job["id"] as? String)
        let stream = try client.events("/api/jobs/\(id)/events")
        XCTAssertEqual(stream.status, 200)
        let names = stream.events.map(\.0)
        XCTAssertEqual(names.filter { $0 == "point" }.count, 9, "\(names)")
        XCTAssertEqual(names.last, "done")

        let surfaceID = try XCTUnwrap((job["surface_ids"] as? [String])?.first)
        let surface = try Surface.jsonDecoder.decode(Surface.self, from: try client.get("/api/surfaces/\(surfaceID)").body)
        XCTAssertTrue(surface.progress.complete)
        XCTAssertTrue(surface.loss.allSatisfy { $0.allSatisfy { $0 != nil } })

        // The centre is the trained model itself: evaluate it independently of the service.
        let loaded = try LoadedModel.load(Self.modelFile)
        let data = try EvaluationSet.build(EvaluationSetRequest(path: Self.dataFile.path, samples: 32))
        let direct = try Evaluator().evaluate(InferenceNetwork(loaded.model), on: data.data)
        let centre = try XCTUnwrap(surface.loss[1][1])
        XCTAssertEqual(centre, direct.meanLoss, accuracy: 1e-9)

        let picture = try client.get("/api/surfaces/\(surfaceID).png?kind=heatmap&width=320&height=240")
        XCTAssertEqual(picture.status, 200)
        XCTAssertEqual(picture.headers["content-type"], "image/png")
        XCTAssertEqual(Array(picture.body.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let etag = try XCTUnwrap(picture.headers["etag"])
        let again = try client.get("/api/surfaces/\(surfaceID).png?kind=heatmap&width=320&height=240",
                                   headers: ["If-None-Match": etag])
        XCTAssertEqual(again.status, 304)

        // The same request again is answered from the store at once.
        let (cachedStatus, cached) = try submit(["x": "-0.5:0.5:3", "y": "-0.5:0.5:3", "samples": 32])
        XCTAssertEqual(cachedStatus, 200)
        XCTAssertEqual(cached["state"] as? String, "done")
        XCTAssertEqual(cached["surface_ids"] as? [String], [surfaceID])
    }

    func testRecomputeJobRecordsTheTrainingImagesItReestimatedFrom() throws {
        let (status, job) = try submit(["x": "-0.5:0.5:3", "samples": 32, "bn_mode": "recompute", "dataset": "cifar-head-train",
                                        "bn_batches": 2, "bn_batch_size": 16])
        XCTAssertEqual(status, 202, "\(job)")
        let id = try XCTUnwrap(job["id"] as? String)
        let stream = try client.events("/api/jobs/\(id)/events")
        XCTAssertEqual(stream.events.map(\.0).last, "done")
        let surfaceID = try XCTUnwrap((job["surface_ids"] as? [String])?.first)
        let surface = try Surface.jsonDecoder.decode(Surface.self, from: try client.get("/api/surfaces/\(surfaceID)").body)
        XCTAssertEqual(surface.bnMode, .recompute)
        XCTAssertEqual(surface.bnRecompute?.batches, 2)
        XCTAssertEqual(surface.bnRecompute?.dataset.samples, 32)
        XCTAssertEqual(surface.bnRecompute?.dataset.split, "train")
        XCTAssertTrue(surface.progress.complete)
        // Eval mode on the same grid is another surface.
        let (_, evalJob) = try submit(["x": "-0.5:0.5:3", "samples": 32, "dataset": "cifar-head-train"])
        XCTAssertNotEqual(evalJob["surface_ids"] as? [String], [surfaceID])
    }

    func testCancelledJobStopsComputingAndStopsUsingCPU() throws {
        let (status, job) = try submit(["x": "-1:1:21", "y": "-1:1:21", "samples": 256])
        XCTAssertEqual(status, 202, "\(job)")
        let id = try XCTUnwrap(job["id"] as? String)
        try client.waitFor(job: id, timeout: 60) { ($0["progress"] as? [String: Any])?["done"] as? Int ?? 0 >= 2 }
        XCTAssertEqual(try client.request("DELETE", "/api/jobs/\(id)").status, 200)
        let cancelled = try client.waitFor(job: id, timeout: 60) { $0["state"] as? String == "cancelled" }
        let doneAtCancel = (cancelled["progress"] as? [String: Any])?["done"] as? Int
        let cpuBefore = Self.processCPUSeconds()
        Thread.sleep(forTimeInterval: 1.0)
        let cpuUsed = Self.processCPUSeconds() - cpuBefore
        XCTAssertLessThan(cpuUsed, 0.3, "a cancelled job must stop using the CPU")
        let later = try client.get("/api/jobs/\(id)").json()["job"] as? [String: Any]
        XCTAssertEqual((later?["progress"] as? [String: Any])?["done"] as? Int, doneAtCancel)
    }

    func testBadRequestsAreRefusedWithANamedField() throws {
        let cases: [([String: Any], Int, String)] = [
            (["x": "1:-1:5"], 400, "grid"),
            (["x": "-1:1:1000", "y": "-1:1:1000"], 400, "grid"),
            (["x": "-1:1:5", "norm": "sideways"], 400, "norm"),
            (["x": "-1:1:5", "samples": 100_000], 400, "samples"),
            (["x": "-1:1:5", "dataset": "imagenet"], 400, "dataset"),
            (["x": "-1:1:5", "models": ["nope"]], 404, "nope"),
            (["x": "-1:1:5", "models": []], 400, "models"),
            (["x": "-1:1:5", "bn_mode": "recompute", "bn_batches": 0], 400, "bn_batches"),
            (["x": "-1:1:5", "bn_mode": "recompute", "bn_batches": 1000], 400, "at most 4096 training images"),
            // Reproducers of the hardening review: each crashed the server (SIGILL, SIGSEGV, abort) or answered 500.
            (["x": "-1:1:3", "bn_mode": "recompute", "bn_batches": 4611686018427387904, "bn_batch_size": 4], 400, "bn_batches"),
            (["x": "-1:1:3", "bn_mode": "recompute", "bn_batches": Int.max], 400, "bn_batches"),
            (["x": "-1:1:4611686018427387904", "y": "-1:1:4"], 400, "exceeds the cap"),
            (["x": "-1:1:4294967296", "y": "-1:1:4294967296"], 400, "exceeds the cap"),
            (["x": "-1e38:1e38:3"], 400, "grid"),
            (["x": "-1e308:1e308:3"], 400, "grid"),
            (["x": "-1:1:5", "bn_batches": 4], 400, "bn_batches"),
            (["x": "-1:1:5", "bn_mode": "recompute", "bn_batches": 2, "bn_batch_size": 1000], 400, "bn recompute"),
        ]
        for (fields, status, word) in cases {
            var body: [String: Any] = ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 64]
            body.merge(fields) { $1 }
            let response = try client.post("/api/surfaces", json: body)
            XCTAssertEqual(response.status, status, "\(fields): \(response.text)")
            let error = try response.json()["error"] as? String ?? ""
            XCTAssertTrue(error.contains(word), "\(fields): error '\(error)' should mention \(word)")
        }
        let garbage = try client.request("POST", "/api/surfaces", body: Data("{not json".utf8))
        XCTAssertEqual(garbage.status, 400)
        XCTAssertEqual(try client.get("/api/surfaces/0123456789abcdef").status, 404)
        XCTAssertEqual(try client.get("/api/jobs/j9999-none").status, 404)
    }

    func testQueueCapAnswers429WithRetryAfter() throws {
        var statuses: [Int] = []
        var last: TestClient.Response?
        for seed in 0..<4 {
            let body: [String: Any] = ["models": ["resnet20-relu"], "dataset": "cifar-head", "x": "-1:1:21",
                                       "y": "-1:1:21", "samples": 256, "seed": seed]
            let response = try client.post("/api/surfaces", json: body)
            statuses.append(response.status)
            last = response
        }
        XCTAssertEqual(Array(statuses.prefix(2)), [202, 202])
        XCTAssertEqual(statuses.last, 429)
        XCTAssertNotNil(last?.headers["retry-after"])
        // Only the two accepted requests left files: a refused one writes nothing.
        let cache = service.configuration.cacheDirectory
        let surfaces = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(surfaces.count, 2, "\(surfaces)")
        for job in service.queue.all() { _ = try? service.queue.cancel(job.id) }
    }

    /// 300 small jobs took the RSS from 100 MB to 1,365 MB and /api/jobs listed all of them.
    func testFinishedJobsReleaseTheirComputationAndHistoryIsBounded() throws {
        func cycle(_ seed: Int) throws {
            let body: [String: Any] = ["models": ["resnet20-relu"], "dataset": "cifar-head", "x": "-1:1:3",
                                       "samples": 8, "seed": seed]
            let response = try client.post("/api/surfaces", json: body)
            XCTAssertEqual(response.status, 202, response.text)
            let id = try XCTUnwrap((try response.json()["job"] as? [String: Any])?["id"] as? String)
            XCTAssertEqual(try client.request("DELETE", "/api/jobs/\(id)").status, 200)
        }
        for seed in 0..<50 { try cycle(seed) }   // warm-up: caches, allocator arenas
        let before = Self.residentBytes()
        for seed in 50..<1_050 { try cycle(seed) }
        let growth = Self.residentBytes() - before
        XCTAssertLessThan(growth, 50 << 20, "RSS grew by \(growth >> 20) MB over 1,000 create/cancel cycles")
        let listed = try XCTUnwrap(try client.get("/api/jobs").json()["jobs"] as? [[String: Any]])
        XCTAssertLessThanOrEqual(listed.count, ServiceConfiguration.Limits().maximumFinishedJobs)
    }

    /// A full disk answered 500; it is 507 Insufficient Storage with the reason, and the server goes on.
    func testAFullDiskAnswers507WithTheReason() throws {
        let mount = root.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "mount -t tmpfs -o size=64k tmpfs \(mount.path) 2>/dev/null && mkdir \(mount.path)/cache "
                           + "&& (dd if=/dev/zero of=\(mount.path)/filler bs=4k 2>/dev/null; true)"]
        try shell.run()
        shell.waitUntilExit()
        guard shell.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here (not root?)") }
        defer { _ = try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: [mount.path]).waitUntilExit() }
        var configuration = service.configuration
        configuration.cacheDirectory = mount.appendingPathComponent("cache")
        let full = try LandscapeService(configuration: configuration, port: 0)
        try full.start()
        defer { full.stop(timeout: 5) }
        let body: [String: Any] = ["models": ["resnet20-relu"], "dataset": "cifar-head", "x": "-1:1:41", "y": "-1:1:41", "samples": 8]
        let response = try TestClient(port: full.port).post("/api/surfaces", json: body)
        XCTAssertEqual(response.status, 507, response.text)
        XCTAssertTrue(response.text.contains("no space left"), response.text)
        XCTAssertEqual(try TestClient(port: full.port).get("/api/models").status, 200)
    }

    /// 32 concurrent 4096² renders took 2.3 GB: renders beyond the slots wait briefly, then get 503 + Retry-After.
    func testRendersBeyondTheSlotsAreRefusedWith503AndRetryAfter() throws {
        var configuration = service.configuration
        configuration.limits.concurrentRenders = 1
        configuration.limits.renderSlotWait = 0.05
        let busy = try LandscapeService(configuration: configuration, port: 0)
        try busy.start()
        defer { busy.stop(timeout: 5) }
        final class Answers: @unchecked Sendable {
            let lock = NSLock()
            var statuses: [Int] = [], retryAfter: [String?] = []
        }
        let answers = Answers(), port = busy.port
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            // Distinct ranges: no two requests share a cached picture.
            let path = "/api/activations.png?names=relu,mish&range=-\(5 + i):5&width=4096&height=4096"
            let response = try? TestClient(port: port).get(path)
            answers.lock.lock()
            answers.statuses.append(response?.status ?? 0)
            answers.retryAfter.append(response?.headers["retry-after"])
            answers.lock.unlock()
        }
        let (statuses, retryAfter) = (answers.statuses, answers.retryAfter)
        XCTAssertTrue(statuses.contains(200), "\(statuses)")
        XCTAssertTrue(statuses.contains(503), "\(statuses)")
        XCTAssertEqual(Set(statuses), [200, 503], "\(statuses)")
        XCTAssertTrue(zip(statuses, retryAfter).allSatisfy { $0.0 != 503 || $0.1 != nil }, "every 503 says when to retry")
    }

    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = Int(statm.split(separator: " ")[1]) ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testActivationCurvesLocateTheMishMinimum() throws {
        let response = try client.get("/api/activations.json?names=relu,mish&range=-5:5&points=101")
        XCTAssertEqual(response.status, 200)
        let curves = try XCTUnwrap(try response.json()["activations"] as? [[String: Any]])
        XCTAssertEqual(curves.count, 2)
        XCTAssertNil(curves[0]["minimum"] as? [String: Any], "ReLU has no dip to mark")
        let minimum = try XCTUnwrap(curves[1]["minimum"] as? [String: Any])
        // Misra 2019: Mish's minimum is about -0.30884 at x about -1.1924.
        XCTAssertEqual(minimum["x"] as? Double ?? 0, -1.1924, accuracy: 1e-3)
        XCTAssertEqual(minimum["value"] as? Double ?? 0, -0.30884, accuracy: 1e-4)
        XCTAssertEqual(try client.get("/api/activations.json?names=bogus").status, 400)
    }

    /// The page reads defaults and caps from here and the OpenAPI schema, never from a copy of its own.
    func testLimitsAndTheRequestSchemaComeFromTheConfiguredSpec() throws {
        let limits = try client.get("/api/limits").json()
        XCTAssertEqual(limits["max_grid_points"] as? Int, 41 * 41, "the configured cap, not a default")
        XCTAssertEqual(limits["max_samples"] as? Int, 846)
        XCTAssertEqual((limits["levels"] as? [String: Any])?["default"] as? Int, 20)
        XCTAssertEqual((limits["activations"] as? [String])?.prefix(3), ["relu", "swish", "mish"])
        let schema = try XCTUnwrap(((try client.get("/api/openapi.json").json()["components"] as? [String: Any])?["schemas"]
            as? [String: Any])?["SurfaceRequest"] as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(properties["samples"]?["default"] as? Int, 1000)
        XCTAssertEqual(properties["samples"]?["maximum"] as? Int, 846)
        XCTAssertEqual(properties["norm"]?["default"] as? String, "filter")
        // x may be left out when a trajectory is named (the grid covers its path): the schema says "x or trajectory".
        XCTAssertEqual(schema["required"] as? [String], ["models"])
        let either = (schema["allOf"] as? [[String: Any]])?.first?["anyOf"] as? [[String: [String]]]
        XCTAssertEqual(either?.compactMap { $0["required"] }, [["x"], ["trajectory"]])
        XCTAssertNil(properties["x"]?["default"], "the decoder has no default for x")
        XCTAssertEqual(Set(properties.keys), Set(SurfaceSpec.fields(limits: service.configuration.limits.surface).map(\.name)))
    }

    func testPageAndOpenAPIDescriptionAreServed() throws {
        let page = try client.get("/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<title>landscape</title>"))
        let openapi = try client.get("/api/openapi.json").json()
        XCTAssertEqual(openapi["openapi"] as? String, "3.0.3")
        XCTAssertNotNil((openapi["paths"] as? [String: Any])?["/api/surfaces"])
    }


    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
