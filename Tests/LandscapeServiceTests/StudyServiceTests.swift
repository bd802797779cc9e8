import Foundation
import Landscape
import LandscapeCore
import LandscapeEngine
import LandscapeService
import XCTest

/// Seed studies over the API (issue 16 item 7): a job on the surfaces' queue with SSE progress over
/// every seed, the study stored and served exactly as the library computes it, every seed's
/// surfaces as ordinary surfaces, the strip plot, cancel and refusals. A real socket client
/// against the reference ResNet-20 and the reference CIFAR-10 images.
final class StudyServiceTests: ServiceTestCase {
    static let modelFile = ServiceFixture.modelFile
    static let dataFile = ServiceFixture.dataFile
    static let seedCap = 3

    override func setUpWithError() throws {
        fixture = try ServiceFixture(name: "study", threads: 2) { configuration in
            configuration.limits.maximumStudySeeds = Self.seedCap
            configuration.limits.maximumQueuedJobs = 2
            // Not images at all: a request naming it fails when its images are read, so answering 429 for it shows
            // that a full queue is checked first.
            let notImages = configuration.modelsDirectory.deletingLastPathComponent().appendingPathComponent("not-images.bin")
            try Data("not a dataset".utf8).write(to: notImages)
            configuration.datasets["not-images"] = notImages.path
        }
    }

    /// One model, seeds 4 and 9, a 1D grid of 5 points, 8 images.
    static var small: [String: Any] { ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 8, "x": "-1:1:5",
                                       "seeds": [4, 9]] }

    func testStudyJobStreamsProgressOverEverySeedAndServesTheLibrarysStudy() throws {
        let response = try client.post("/api/studies", json: Self.small)
        XCTAssertEqual(response.status, 202, response.text)
        let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
        XCTAssertEqual(job["kind"] as? String, "study")
        let id = try XCTUnwrap(job["id"] as? String)
        let studyID = try XCTUnwrap(job["study_id"] as? String)
        let surfaceIDs = try XCTUnwrap(job["surface_ids"] as? [String])
        XCTAssertEqual(surfaceIDs.count, 2, "one surface per model and seed")
        XCTAssertEqual((job["progress"] as? [String: Any])?["total"] as? Int, 10)

        let stream = try client.events("/api/jobs/\(id)/events")
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.events.last?.0, "done", "\(stream.events.map(\.0))")
        let phases = stream.events.compactMap { event -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.1.utf8)) as? [String: Any] else { return nil }
            return ((object["job"] as? [String: Any])?["progress"] as? [String: Any])?["phase"] as? String
        }
        XCTAssertTrue(phases.contains { $0.hasPrefix("seed 4") }, "\(phases)")
        XCTAssertTrue(phases.contains { $0.hasPrefix("seed 9") }, "\(phases)")
        let done = stream.events.compactMap { event -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.1.utf8)) as? [String: Any] else { return nil }
            return ((object["job"] as? [String: Any])?["progress"] as? [String: Any])?["done"] as? Int
        }
        XCTAssertEqual(done.max(), 10)
        XCTAssertEqual(done, done.sorted(), "progress over all seeds never goes back")

        // The served study is the library's on the same spec, computed here independently of the service.
        let served = try client.get("/api/studies/\(studyID)")
        XCTAssertEqual(served.status, 200, served.text)
        let study = try SeedStudy.decode(served.body, source: "the API")
        let expected = try libraryStudy()
        XCTAssertEqual(study, expected)
        XCTAssertEqual(study.id, studyID)
        XCTAssertEqual(study.seeds, [4, 9])
        XCTAssertEqual(study.models.first?.perSeed.map(\.surfaceId), surfaceIDs)
        XCTAssertNotNil(study.models.first?.curvature?.mean)
        XCTAssertEqual(try client.get("/api/studies/\(studyID).json").body, served.body)

        // Every seed's surface is an ordinary, complete surface of the service.
        for surfaceID in surfaceIDs {
            let surface = try client.get("/api/surfaces/\(surfaceID)")
            XCTAssertEqual(surface.status, 200, surface.text)
            let progress = try XCTUnwrap((try surface.json())["progress"] as? [String: Any])
            XCTAssertEqual(progress["computed"] as? Int, 5)
            XCTAssertEqual(progress["total"] as? Int, 5)
        }
        let picture = try client.get("/api/studies/\(studyID).png")
        XCTAssertEqual(picture.status, 200)
        XCTAssertEqual(picture.headers["content-type"], "image/png")
        XCTAssertEqual(Array(picture.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let list = try XCTUnwrap(try client.get("/api/studies").json()["studies"] as? [[String: Any]])
        XCTAssertEqual(list.map { $0["id"] as? String }, [studyID])
        XCTAssertEqual(list.first?["seeds"] as? [Int], [4, 9])

        // The same request again (seeds as a string this time) is answered from the store at once.
        var again = Self.small
        again["seeds"] = "4,9"
        let second = try client.post("/api/studies", json: again)
        XCTAssertEqual(second.status, 200, second.text)
        let cached = try XCTUnwrap(try second.json()["job"] as? [String: Any])
        XCTAssertEqual(cached["state"] as? String, "done")
        XCTAssertEqual(cached["study_id"] as? String, studyID)
    }

    /// `SeedStudyComputation` on the same model file, images and spec, into a store of its own.
    private func libraryStudy() throws -> SeedStudy {
        var body = Self.small
        body["models"] = [root.appendingPathComponent("Models/resnet20-relu.safetensors").path]
        let spec = try SeedStudySpec.decode(json: try JSONSerialization.data(withJSONObject: body))
        let validated = try spec.validated(limits: SeedStudyLimits())
        let model = try LoadedModel.load(root.appendingPathComponent("Models/resnet20-relu.safetensors"))
        let data = try EvaluationSet.build(spec.surface.evaluationSet(path: Self.dataFile.path, samples: validated.surface.samples,
                                                                      samplesAtMost: validated.surface.samplesAtMost), card: model.card)
        let store = try SurfaceStore(directory: root.appendingPathComponent("library"))
        let evaluator = Evaluator(threads: 2)
        let computation = SeedStudyComputation(seeds: validated.seeds, widthThreshold: validated.widthThreshold,
                                               pointsPerSeed: validated.surface.grid.pointCount) { seed in
            var directions = spec.surface.directions
            directions.seed = seed
            return try SurfaceComputation(models: [model.surfaceModel], data: data, grid: validated.surface.grid,
                                          directions: .random(directions), bnMode: spec.surface.bnMode, store: store,
                                          evaluator: evaluator)
        }
        return try computation.run().study
    }

    func testCancelledStudyStopsAndStoresNoStudy() throws {
        let response = try client.post("/api/studies", json: ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 846,
                                                               "x": "-1:1:41", "seeds": "0:2"])
        XCTAssertEqual(response.status, 202, response.text)
        let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
        let id = try XCTUnwrap(job["id"] as? String), studyID = try XCTUnwrap(job["study_id"] as? String)
        try client.waitFor(job: id) { $0["state"] as? String == "running" }
        let cancel = try client.request("DELETE", "/api/jobs/\(id)")
        XCTAssertEqual(cancel.status, 200)
        let cancelled = try client.waitFor(job: id) { $0["state"] as? String == "cancelled" }
        XCTAssertLessThan((cancelled["progress"] as? [String: Any])?["done"] as? Int ?? .max, 123)
        XCTAssertEqual(try client.get("/api/studies/\(studyID)").status, 404, "a cancelled study is not stored")
        XCTAssertEqual((try client.get("/api/studies").json()["studies"] as? [[String: Any]])?.count, 0)
    }

    func testBadStudyRequestsAreRefusedNamingTheFieldOrTheCap() throws {
        let cases: [([String: Any], Int, String)] = [
            (["colour": "red"], 400, "colour"),
            (["seeds": NSNull()], 400, "seeds"),
            (["seeds": "0:0"], 400, "at least 2"),
            (["seeds": [1, 1]], 400, "listed twice"),
            (["seeds": [1, -2]], 400, "seeds"),
            (["seeds": "three"], 400, "seeds"),
            (["seeds": true], 400, "seeds"),
            (["seed": 3], 400, "seed"),
            (["width_threshold": 0.3], 400, "width_threshold"),
            (["width_threshold": "0.1"], 400, "width_threshold"),
            (["x": "1:-1:5"], 400, "x"),
            (["samples": 0], 400, "samples"),
            (["models": []], 400, "models"),
            (["models": ["nope"]], 404, "nope"),
            (["dataset": "imagenet"], 400, "dataset"),
            // Well formed, but over this server's seed cap: 422 naming the cap.
            (["seeds": "0:9"], 422, "at most \(Self.seedCap) seeds"),
        ]
        try client.assertRefusals("/api/studies", base: Self.small, cases)
        XCTAssertEqual(try client.get("/api/studies/0123456789abcdef").status, 404)
        XCTAssertEqual(try client.get("/api/studies/0123456789abcdef.png").status, 404)
        XCTAssertEqual(try client.get("/api/studies/..%2Fetc").status, 400)
        XCTAssertTrue(service.queue.all().isEmpty, "no refused request may leave a job behind")
    }

    /// A full queue answers a study 429 with Retry-After, as it answers a surface, before reading its images or
    /// building any seed's directions; a malformed study is still 400.
    func testFullQueueRefusesAStudyBeforePreparingIt() throws {
        var fillers: [String] = []
        for seed in [11, 12] {
            let response = try client.post("/api/surfaces", json: ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 846,
                                                                    "x": "-1:1:41", "seed": seed])
            XCTAssertEqual(response.status, 202, response.text)
            fillers.append(try XCTUnwrap((try response.json()["job"] as? [String: Any])?["id"] as? String))
        }
        defer { for id in fillers { _ = try? client.request("DELETE", "/api/jobs/\(id)") } }
        var body = Self.small
        body["dataset"] = "not-images"
        body["seeds"] = "0:2"
        let refused = try client.post("/api/studies", json: body)
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertNotNil(refused.headers["retry-after"])
        XCTAssertEqual(try client.post("/api/surfaces", json: ["models": ["resnet20-relu"], "dataset": "cifar-head", "x": "-1:1:3",
                                                               "seed": 13]).status, 429, "the surface route's answer")
        body["seeds"] = "5:1"
        XCTAssertEqual(try client.post("/api/studies", json: body).status, 400, "checks that cost nothing come first")
        XCTAssertEqual(service.queue.all().count, 2, "no refused request leaves a job behind")
    }

    /// The study form and the OpenAPI schema come from the spec, with the configured cap.
    func testLimitsAndTheStudySchemaComeFromTheSpec() throws {
        let limits = try client.get("/api/limits").json()
        let fields = try XCTUnwrap(limits["study_fields"] as? [[String: Any]])
        XCTAssertEqual(fields.map { $0["name"] as? String }, SeedStudySpec.fields(limits: service.configuration.limits.study).map(\.name))
        XCTAssertEqual(fields.first { $0["name"] as? String == "seeds" }?["maximum"] as? Int, Self.seedCap)
        XCTAssertFalse(fields.contains { $0["name"] as? String == "seed" }, "seeds replace the single seed")
        XCTAssertEqual(limits["max_study_seeds"] as? Int, Self.seedCap)
        let openapi = try client.get("/api/openapi.json").json()
        let schema = try XCTUnwrap(((openapi["components"] as? [String: Any])?["schemas"] as? [String: Any])?["StudyRequest"]
            as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(Set(properties.keys), Set(fields.compactMap { $0["name"] as? String }))
        XCTAssertEqual(properties["width_threshold"]?["default"] as? Double, SeedStudy.defaultWidthThreshold)
        XCTAssertEqual(properties["width_threshold"]?["enum"] as? [Double], SurfaceSummary.widthThresholds)
        // seeds: the command line's text or an array of integers, as the decoder takes them; the array's cap is the server's.
        let seeds = try XCTUnwrap(properties["seeds"]?["oneOf"] as? [[String: Any]])
        XCTAssertEqual(seeds.compactMap { $0["type"] as? String }, ["string", "array"])
        XCTAssertEqual(seeds.last?["maxItems"] as? Int, Self.seedCap)
        let required = try XCTUnwrap(schema["required"] as? [String])
        XCTAssertEqual(Set(required), Set(fields.filter { $0["required"] as? Bool == true }.compactMap { $0["name"] as? String }))
        XCTAssertTrue(required.contains("seeds"))
        let paths = try XCTUnwrap(openapi["paths"] as? [String: Any])
        for path in ["/api/studies", "/api/studies/{id}", "/api/studies/{id}.png"] { XCTAssertNotNil(paths[path], path) }
    }

}
