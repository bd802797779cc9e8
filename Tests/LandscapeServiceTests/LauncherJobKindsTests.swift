import Foundation
import XCTest
import Landscape
import LandscapeCore
@testable import LandscapeService

/// `serve --launcher 'mpirun ... -n 2'` for the other job kinds: a Hessian job runs as
/// `mpirun ... landscape hessian --spec FILE --out <run folder> --no-pictures --progress FILE`, a seed study as
/// `mpirun ... landscape surface --spec FILE --out <cache> --study FILE`, each against a server
/// computing the same request in-process.
final class LauncherJobKindsTests: LauncherTestCase {
    /// 16 images, top 2 by at most 6 Lanczos steps, 3 trace probes, one 4-step density run.
    static var hessianRequest: [String: Any] { ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 16, "top": 2,
                                                "lanczos_steps": 6, "trace_probes": 3, "density": true, "density_runs": 1,
                                                "density_steps": 4, "seed": 3] }
    /// One model, seeds 4, 9 and 11, a 1D grid of 5 points, 16 images.
    static var studyRequest: [String: Any] { ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 16, "x": "-1:1:5",
                                              "seeds": [4, 9, 11]] }

    /// Submits, follows the job's events to its end, and returns the job as first answered and the events.
    private func runToEnd(_ client: TestClient, _ path: String, _ body: [String: Any]) throws -> (job: [String: Any], events: [(String, String)]) {
        let response = try client.post(path, json: body)
        XCTAssertEqual(response.status, 202, response.text)
        let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
        let stream = try client.events("/api/jobs/\(try XCTUnwrap(job["id"] as? String))/events", timeout: 400)
        XCTAssertEqual(stream.status, 200)
        return (job, stream.events)
    }

    private func progress(_ events: [(String, String)]) -> [[String: Any]] {
        events.compactMap { event in
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.1.utf8)) as? [String: Any] else { return nil }
            return (object["job"] as? [String: Any])?["progress"] as? [String: Any]
        }
    }

    /// The stored spectra of a finished run.
    private func spectra(_ client: TestClient, _ runID: String) throws -> [HessianSpectrum] {
        let served = try client.get("/api/hessian/\(runID)")
        XCTAssertEqual(served.status, 200, served.text)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
        return try LandscapeJSON.decoder.decode([HessianSpectrum].self,
                                                from: JSONSerialization.data(withJSONObject: try XCTUnwrap(body["spectra"] as? [Any])))
    }

    func testAHessianJobThroughMpirunReachesDoneWithTheSpectrumOfAnInProcessJob() throws {
        let launched = try service(cache: "launched", launcher: try mpiLauncher())
        let (job, events) = try runToEnd(launched, "/api/hessian", Self.hessianRequest)
        XCTAssertEqual(events.last?.0, "done", "\(events.suffix(2))")
        // Progress came from the run's progress file: products counted up to the job's total, with the phase.
        let reports = progress(events)
        let done = reports.compactMap { $0["done"] as? Int }
        XCTAssertEqual(done, done.sorted(), "progress never goes back")
        XCTAssertGreaterThan(Set(done).count, 2, "several reports while the run went on: \(done)")
        // Each label names the model and the phases with their counts, as an in-process job's names its phase.
        let phases = reports.compactMap { $0["phase"] as? String }
        XCTAssertFalse(phases.isEmpty, "\(reports)")
        for phase in phases {
            XCTAssertTrue(phase.hasPrefix("resnet20-relu: Lanczos ") && phase.hasSuffix(" (2 ranks)"), phase)
        }
        XCTAssertTrue(phases.contains("resnet20-relu: Lanczos done, trace probes 3 of 3, density runs 1 of 1 (2 ranks)"), "\(phases)")
        let runID = try XCTUnwrap(job["hessian_id"] as? String)
        let viaLauncher = try spectra(launched, runID)

        let local = try service(cache: "local", launcher: nil)
        let (localJob, localEvents) = try runToEnd(local, "/api/hessian", Self.hessianRequest)
        XCTAssertEqual(localEvents.last?.0, "done")
        XCTAssertEqual(localJob["hessian_id"] as? String, runID, "the same request, the same run id")
        let inProcess = try spectra(local, runID)
        XCTAssertEqual(viaLauncher.count, 1)
        XCTAssertEqual(viaLauncher.first?.topEigenvalues.count, 2)
        XCTAssertNotNil(viaLauncher.first?.trace)
        XCTAssertNotNil(viaLauncher.first?.density)
        // Eigenvalues, trace samples, density: the same bits (two ranks split the probes; rank 0 orders them back).
        let (a, b) = (try XCTUnwrap(viaLauncher.first), try XCTUnwrap(inProcess.first))
        XCTAssertEqual(a.topEigenvalues, b.topEigenvalues)
        XCTAssertEqual(a.topResiduals, b.topResiduals)
        XCTAssertEqual(a.trace, b.trace)
        XCTAssertEqual(a.traceSamples, b.traceSamples)
        XCTAssertEqual(a.loss, b.loss)
        XCTAssertEqual(a.density?.density == b.density?.density, true, "the density grid's values")
        var sameButTiming = a
        sameButTiming.timing = b.timing   // seconds differ between any two runs
        XCTAssertTrue(sameButTiming == b, "every other field equal too")
        // The store holds what the in-process job writes: the spectrum, its eigenvectors and the entry (no PNGs).
        let files = { (cache: String) in
            try FileManager.default.contentsOfDirectory(atPath: self.root.appendingPathComponent("\(cache)/hessian/\(runID)").path).sorted()
        }
        XCTAssertEqual(try files("launched"), try files("local"))
        XCTAssertEqual(try files("local"), ["resnet20-relu.hessian-eigenvectors.safetensors", "resnet20-relu.hessian.json", "run.json"])
    }

    func testAStudyJobThroughMpirunReachesDoneWithTheStudyOfAnInProcessJob() throws {
        let launched = try service(cache: "launched", launcher: try mpiLauncher())
        let (job, events) = try runToEnd(launched, "/api/studies", Self.studyRequest)
        XCTAssertEqual(events.last?.0, "done", "\(events.suffix(2))")
        let reports = progress(events)
        let phases = reports.compactMap { $0["phase"] as? String }
        for seed in [4, 9, 11] { XCTAssertTrue(phases.contains { $0.hasPrefix("seed \(seed) ·") }, "seed \(seed) in \(phases)") }
        let done = reports.compactMap { $0["done"] as? Int }
        XCTAssertEqual(done, done.sorted(), "progress over all seeds never goes back")
        XCTAssertEqual(done.last, 15)
        let studyID = try XCTUnwrap(job["study_id"] as? String)
        let viaLauncher = try launched.get("/api/studies/\(studyID)")
        XCTAssertEqual(viaLauncher.status, 200, viaLauncher.text)

        let local = try service(cache: "local", launcher: nil)
        let (localJob, localEvents) = try runToEnd(local, "/api/studies", Self.studyRequest)
        XCTAssertEqual(localEvents.last?.0, "done")
        XCTAssertEqual(localJob["study_id"] as? String, studyID, "the same request, the same study id")
        let inProcess = try local.get("/api/studies/\(studyID)")
        XCTAssertEqual(viaLauncher.body, inProcess.body, "the study JSON byte for byte")
        let study = try SeedStudy.decode(viaLauncher.body, source: "the API")
        XCTAssertNotNil(study.models.first?.curvature?.mean, "a study of real surfaces")
        for surfaceID in try XCTUnwrap(job["surface_ids"] as? [String]) {
            let a = try Surface.jsonDecoder.decode(Surface.self, from: try launched.get("/api/surfaces/\(surfaceID)").body)
            let b = try Surface.jsonDecoder.decode(Surface.self, from: try local.get("/api/surfaces/\(surfaceID)").body)
            XCTAssertEqual(a.loss, b.loss, "surface \(surfaceID): loss bit for bit")
            XCTAssertEqual(a.accuracy, b.accuracy)
        }
    }

    private func snapshot(_ client: TestClient, _ id: String) throws -> [String: Any] {
        try XCTUnwrap(try client.get("/api/jobs/\(id)").json()["job"] as? [String: Any])
    }

    /// Cancelling a launched job ends mpirun and its ranks (no stray process), stores no result; the
    /// same request resumes (a study from its saved surfaces) and reaches done. Hessian and study jobs.
    func testCancelEndsALaunchedHessianOrStudyJobWithNoStrayProcessAndTheRequestResumes() throws {
        let launched = try service(cache: "launched", launcher: try mpiLauncher(grace: 5))
        let cases: [(path: String, body: [String: Any], marker: (String) -> String, key: String)] = [
            ("/api/hessian", ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 256, "top": 1, "lanczos_steps": 4,
                              "trace_probes": 150], { "landscape-launch-hessian-\($0)" }, "hessian_id"),
            ("/api/studies", ["models": ["resnet20-relu"], "dataset": "cifar-head", "samples": 128, "x": "-1:1:15",
                              "seeds": "0:2"], { "landscape-launch-study-\($0)" }, "study_id"),
        ]
        var studySurfaces: [String] = []
        for (path, body, marker, key) in cases {
            let response = try launched.post(path, json: body)
            XCTAssertEqual(response.status, 202, response.text)
            let job = try XCTUnwrap(try response.json()["job"] as? [String: Any])
            let id = try XCTUnwrap(job["id"] as? String)
            let resultID = try XCTUnwrap(job[key] as? String)
            if key == "study_id" { studySurfaces = try XCTUnwrap(job["surface_ids"] as? [String]) }
            let deadline = Date().addingTimeInterval(240)
            var state: [String: Any] = [:]
            while Date() < deadline {
                state = try snapshot(launched, id)
                let done = (state["progress"] as? [String: Any])?["done"] as? Int ?? 0
                if done >= 2 || ["done", "failed"].contains(state["state"] as? String ?? "") { break }
                usleep(50_000)
            }
            XCTAssertEqual(state["state"] as? String, "running", "\(path): \(state)")
            XCTAssertGreaterThanOrEqual(processes(mentioning: marker(resultID)).count, 3, "\(path): mpirun and two ranks run the job")
            _ = try launched.request("DELETE", "/api/jobs/\(id)")
            let stopBy = Date().addingTimeInterval(30)
            while state["state"] as? String != "cancelled", Date() < stopBy {
                usleep(100_000)
                state = try snapshot(launched, id)
            }
            XCTAssertEqual(state["state"] as? String, "cancelled", "\(path)")
            let gone = Date().addingTimeInterval(10)
            while !processes(mentioning: marker(resultID)).isEmpty, Date() < gone { usleep(100_000) }
            XCTAssertEqual(processes(mentioning: marker(resultID)), [], "\(path): no launcher or rank of the job is left")
            let result = try launched.get(path + "/" + resultID)
            XCTAssertEqual(result.status, 404, "\(path): no result from a cancelled job: \(result.text)")
        }
        // The cancelled study again: a new job that starts from its saved points and reaches done.
        let kept = try studySurfaces.reduce(0) { sum, id in
            let response = try launched.get("/api/surfaces/\(id)")
            guard response.status == 200 else { return sum }
            return sum + (try Surface.jsonDecoder.decode(Surface.self, from: response.body)).progress.computed
        }
        XCTAssertGreaterThanOrEqual(kept, 2, "the points saved before the cancel stay")
        let (_, events) = try runToEnd(launched, "/api/studies", cases[1].body)
        XCTAssertEqual(events.last?.0, "done", "\(events.suffix(2))")
        let done = progress(events).filter { $0["phase"] is String }.compactMap { $0["done"] as? Int }
        XCTAssertGreaterThanOrEqual(done.first ?? 0, kept, "the rerun counts the kept points from its first report: \(done.prefix(3))")
        XCTAssertEqual(done.last, 45)
    }
}
