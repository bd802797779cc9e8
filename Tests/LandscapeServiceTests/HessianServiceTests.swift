import Foundation
import Landscape
import LandscapeCore
import LandscapeEngine
import LandscapeService
import XCTest

/// Hessian runs over the API (issue 16 item 7): a job on the surfaces' queue,
/// its progress as Server-Sent Events, cancel, the stored run and its
/// pictures; a real socket client against the reference ResNet-20 and the
/// reference CIFAR-10 images.
final class HessianServiceTests: ServiceTestCase {
    static let modelFile = ServiceFixture.modelFile
    static let dataFile = ServiceFixture.dataFile

    override func setUpWithError() throws {
        fixture = try ServiceFixture(name: "hessian", threads: 2) { configuration in
            configuration.limits.hessian.maximumSamples = 846
            configuration.limits.hessian.maximumProducts = 200
            configuration.limits.maximumQueuedJobs = 2
        }
    }

    /// A small request: 16 images, top 2 by at most 6 Lanczos steps, 3 trace probes, one 4-step density run.
    static var small: [String: Any] { ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 16, "top": 2,
                                       "lanczos_steps": 6, "trace_probes": 3, "density": true, "density_runs": 1,
                                       "density_steps": 4, "seed": 3] }

    func testHessianJobStreamsProgressAndServesTheLibrarysSpectra() throws {
        let response = try client.post("/api/hessian", json: Self.small)
        XCTAssertEqual(response.status, 202, response.text)
        let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
        XCTAssertEqual(job["kind"] as? String, "hessian")
        let id = try XCTUnwrap(job["id"] as? String)
        let runID = try XCTUnwrap(job["hessian_id"] as? String)

        let stream = try client.events("/api/jobs/\(id)/events")
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.events.last?.0, "done", "\(stream.events.map(\.0))")
        let phases = stream.events.compactMap { event -> String? in
            guard let data = event.1.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return ((object["job"] as? [String: Any])?["progress"] as? [String: Any])?["phase"] as? String
        }
        XCTAssertTrue(phases.contains { $0.contains("Lanczos step") }, "\(phases)")
        XCTAssertTrue(phases.contains { $0.contains("trace probe 3 of 3") }, "\(phases)")
        XCTAssertTrue(phases.contains { $0.contains("density run 1 of 1, step 4 of 4") }, "\(phases)")
        let rates = stream.events.compactMap { event -> Double? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.1.utf8)) as? [String: Any] else { return nil }
            return ((object["job"] as? [String: Any])?["progress"] as? [String: Any])?["rate"] as? Double
        }
        XCTAssertTrue(rates.contains { $0 > 0 }, "progress events carry a rate in products per second")

        // The served spectrum is the library's on the same spec, computed here independently of the service.
        let served = try client.get("/api/hessian/\(runID)")
        XCTAssertEqual(served.status, 200, served.text)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
        let spectraJSON = try JSONSerialization.data(withJSONObject: try XCTUnwrap(body["spectra"] as? [Any]))
        let spectra = try LandscapeJSON.decoder.decode([HessianSpectrum].self, from: spectraJSON)
        XCTAssertEqual(spectra.count, 1)
        let expected = try librarySpectrum()
        let got = try XCTUnwrap(spectra.first)
        XCTAssertEqual(got.topEigenvalues, expected.topEigenvalues)
        XCTAssertEqual(got.topEigenvalues.count, 2)
        XCTAssertEqual(got.topResiduals, expected.topResiduals)
        XCTAssertEqual(got.trace, expected.trace)
        XCTAssertEqual(got.traceStderr, expected.traceStderr)
        XCTAssertEqual(got.density?.density, expected.density?.density)
        XCTAssertEqual(got.loss, expected.loss)
        XCTAssertEqual(got.samples, 16)
        XCTAssertEqual(got.seed, 3)
        // The store holds the eigenvectors beside the JSON, as the CLI writes them.
        let folder = service.configuration.hessianDirectory.appendingPathComponent(runID)
        XCTAssertEqual(got.topEigenvectors, "resnet20-relu.hessian-eigenvectors.safetensors")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(got.topEigenvectors ?? "").path))
        // ... and serves them as they are.
        let vectors = try client.get("/api/hessian/\(runID)/resnet20-relu.eigenvectors.safetensors")
        XCTAssertEqual(vectors.status, 200, vectors.text)
        XCTAssertEqual(vectors.body, try Data(contentsOf: folder.appendingPathComponent(got.topEigenvectors ?? "")))

        for path in ["/api/hessian/\(runID).png", "/api/hessian/\(runID)/density.png"] {
            let picture = try client.get(path)
            XCTAssertEqual(picture.status, 200, path)
            XCTAssertEqual(picture.headers["content-type"], "image/png", path)
            XCTAssertEqual(Array(picture.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47], path)
        }
        let list = try XCTUnwrap(try client.get("/api/hessian").json()["hessian"] as? [[String: Any]])
        XCTAssertEqual(list.map { $0["id"] as? String }, [runID])
        XCTAssertEqual(list.first?["models"] as? [String], ["resnet20-relu"])

        // The same request again is answered from the store at once.
        let again = try client.post("/api/hessian", json: Self.small)
        XCTAssertEqual(again.status, 200, again.text)
        let cached = try XCTUnwrap(try again.json()["job"] as? [String: Any])
        XCTAssertEqual(cached["state"] as? String, "done")
        XCTAssertEqual(cached["hessian_id"] as? String, runID)
    }

    /// `HessianRun` on the same model file, images and options, into a folder of its own.
    private func librarySpectrum() throws -> HessianSpectrum {
        var spec = HessianSpec(models: ["resnet20-relu"])
        spec.samples = 16; spec.top = 2; spec.lanczosSteps = 6; spec.traceProbes = 3
        spec.density = true; spec.densityRuns = 1; spec.densitySteps = 4; spec.seed = 3
        let validated = try spec.validated(limits: HessianLimits())
        let model = try LoadedModel.load(root.appendingPathComponent("Models/resnet20-relu.safetensors"))
        let data = try EvaluationSet.build(spec.evaluationSet(path: Self.dataFile.path, validated), card: model.card)
        let run = try HessianRun(models: [model], data: data, options: validated.options,
                                 directory: root.appendingPathComponent("library"), threads: 2)
        return try XCTUnwrap(try run.run().first)
    }

    func testCancelledHessianJobStopsAndStoresNoRun() throws {
        let response = try client.post("/api/hessian", json: ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 846,
                                                               "top": 3, "lanczos_steps": 100, "seed": 1])
        XCTAssertEqual(response.status, 202, response.text)
        let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
        let id = try XCTUnwrap(job["id"] as? String), runID = try XCTUnwrap(job["hessian_id"] as? String)
        try client.waitFor(job: id) { $0["state"] as? String == "running" }
        let cancel = try client.request("DELETE", "/api/jobs/\(id)")
        XCTAssertEqual(cancel.status, 200)
        let cancelled = try client.waitFor(job: id) { $0["state"] as? String == "cancelled" }
        XCTAssertLessThan((cancelled["progress"] as? [String: Any])?["done"] as? Int ?? .max, 100)
        let cpuBefore = ServiceTests.processCPUSeconds()
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertLessThan(ServiceTests.processCPUSeconds() - cpuBefore, 0.3, "a cancelled Hessian job must stop using the CPU")
        XCTAssertEqual(try client.get("/api/hessian/\(runID)").status, 404, "a cancelled run is not stored as complete")
        XCTAssertEqual((try client.get("/api/hessian").json()["hessian"] as? [[String: Any]])?.count, 0)
    }

    func testBadHessianRequestsAreRefusedNamingTheFieldOrTheCap() throws {
        let cases: [([String: Any], Int, String)] = [
            (["colour": "red"], 400, "colour"),
            (["top": "5"], 400, "top"),
            (["top": 2.5], 400, "top"),
            (["density": 1], 400, "density"),
            (["lanczos_steps": 0], 400, "lanczos_steps"),
            (["top": 10, "lanczos_steps": 5], 400, "top"),
            (["top": 0], 400, "nothing to compute"),
            (["samples": 0], 400, "samples"),
            (["models": []], 400, "models"),
            (["models": "resnet20-relu"], 400, "models"),
            (["models": ["nope"]], 404, "nope"),
            (["dataset": "imagenet"], 400, "dataset"),
            (["subset": "sideways"], 400, "subset"),
            (["seed": -1], 400, "seed"),
            (["trace_probes": Int.max], 400, "trace_probes"),
            // Well formed, but over this server's caps: 422 naming the cap.
            (["samples": 100_000], 422, "846"),
            (["lanczos_steps": 250], 422, "at most 200"),
            (["trace_probes": 5_000], 422, "2000"),
            (["density": true, "density_runs": 50], 422, "density_runs"),
        ]
        try client.assertRefusals("/api/hessian", base: ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 16, "top": 2,
                                                         "lanczos_steps": 6], cases)
        XCTAssertEqual(try client.get("/api/hessian/h0123456789abcde").status, 404)
        XCTAssertEqual(try client.get("/api/hessian/..%2Fetc").status, 400)
        XCTAssertTrue(service.queue.all().isEmpty, "no refused request may leave a job behind")
    }

    /// The Sharpness tab's form and the OpenAPI schema come from the spec, with the configured caps.
    func testLimitsAndTheHessianSchemaComeFromTheSpec() throws {
        let limits = try client.get("/api/limits").json()
        let fields = try XCTUnwrap(limits["hessian_fields"] as? [[String: Any]])
        let samples = try XCTUnwrap(fields.first { $0["name"] as? String == "samples" })
        XCTAssertEqual(samples["maximum"] as? Int, 846, "the configured cap, not a default")
        XCTAssertEqual(fields.first { $0["name"] as? String == "top" }?["default"] as? String, "5")
        XCTAssertEqual((limits["hessian"] as? [String: Any])?["maximum_products"] as? Int, 200)
        let openapi = try client.get("/api/openapi.json").json()
        let schema = try XCTUnwrap(((openapi["components"] as? [String: Any])?["schemas"] as? [String: Any])?["HessianRequest"]
            as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(Set(properties.keys), Set(HessianSpec.fields(limits: service.configuration.limits.hessian).map(\.name)))
        XCTAssertEqual(properties["density"]?["default"] as? Bool, false)
        XCTAssertEqual(properties["samples"]?["maximum"] as? Int, 846)
        XCTAssertEqual(schema["additionalProperties"] as? Bool, false)
        let paths = try XCTUnwrap(openapi["paths"] as? [String: Any])
        for path in ["/api/hessian", "/api/hessian/{id}", "/api/hessian/{id}.png", "/api/hessian/{id}/density.png",
                     "/api/hessian/{id}/{model}.eigenvectors.safetensors"] {
            XCTAssertNotNil(paths[path], path)
        }
    }

}
