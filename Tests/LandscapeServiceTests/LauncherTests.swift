import Foundation
import XCTest
import Landscape
@testable import LandscapeService

/// `serve --launcher 'mpirun ... -n 2'`: a real server whose surface jobs run as
/// `mpirun ... landscape surface --spec FILE --out <cache>`, against a server computing in-process.
final class LauncherTests: LauncherTestCase {
    private func submit(_ client: TestClient, _ fields: [String: Any]) throws -> (status: Int, job: [String: Any]) {
        var body: [String: Any] = ["models": ["resnet20-relu"], "dataset": "cifar-head"]
        body.merge(fields) { $1 }
        let response = try client.post("/api/surfaces", json: body)
        return (response.status, (try response.json()["job"] as? [String: Any]) ?? ["error": response.text])
    }

    private func job(_ client: TestClient, _ id: String) throws -> [String: Any] {
        try XCTUnwrap(try client.get("/api/jobs/\(id)").json()["job"] as? [String: Any])
    }

    private func surface(_ client: TestClient, _ id: String) throws -> Surface {
        try Surface.jsonDecoder.decode(Surface.self, from: try client.get("/api/surfaces/\(id)").body)
    }

    func testAJobThroughMpirunStreamsEveryPointToDoneWithTheValuesOfALocalJob() throws {
        let launched = try service(cache: "launched", launcher: try mpiLauncher())
        let request: [String: Any] = ["x": "-0.5:0.5:3", "y": "-0.5:0.5:3", "samples": 32]
        let (status, job) = try submit(launched, request)
        XCTAssertEqual(status, 202, "\(job)")
        let id = try XCTUnwrap(job["id"] as? String)
        let stream = try launched.events("/api/jobs/\(id)/events", timeout: 300)
        XCTAssertEqual(stream.status, 200)
        let names = stream.events.map(\.0)
        XCTAssertEqual(names.filter { $0 == "point" }.count, 9, "\(stream.events)")
        XCTAssertEqual(names.last, "done", "\(stream.events.suffix(2))")
        // Each point event carries the value the store holds, in coarse-to-fine order, each point once.
        let points = try stream.events.filter { $0.0 == "point" }.map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.1.utf8)) as? [String: Any])
        }
        XCTAssertEqual(Set(points.compactMap { $0["index"] as? Int }), Set(0..<9))
        let surfaceID = try XCTUnwrap((job["surface_ids"] as? [String])?.first)
        let viaLauncher = try surface(launched, surfaceID)
        XCTAssertTrue(viaLauncher.progress.complete)
        for point in points {
            let index = try XCTUnwrap(point["index"] as? Int)
            // JSONSerialization (this test's parser) may round the last digit; the stored surfaces are compared exactly below.
            let expected = try XCTUnwrap(viaLauncher.lossAt(index))
            XCTAssertEqual(try XCTUnwrap(point["loss"] as? Double), expected, accuracy: 1e-13 * abs(expected), "point \(index)")
        }

        let local = try service(cache: "local", launcher: nil)
        let (localStatus, localJob) = try submit(local, request)
        XCTAssertEqual(localStatus, 202, "\(localJob)")
        let localEvents = try local.events("/api/jobs/\(try XCTUnwrap(localJob["id"] as? String))/events", timeout: 300)
        XCTAssertEqual(localEvents.events.last?.0, "done")
        XCTAssertEqual(localJob["surface_ids"] as? [String], [surfaceID], "the same request, the same surface key")
        let inProcess = try surface(local, surfaceID)
        XCTAssertEqual(viaLauncher.loss, inProcess.loss, "loss bit for bit")
        XCTAssertEqual(viaLauncher.accuracy, inProcess.accuracy)
        XCTAssertEqual(viaLauncher.lossStderr, inProcess.lossStderr)
    }

    func testCancelEndsTheLauncherAndItsRanksKeepsThePointsAndTheSameRequestResumes() throws {
        let launched = try service(cache: "launched", launcher: try mpiLauncher(grace: 5))
        let request: [String: Any] = ["x": "-1:1:9", "y": "-1:1:9", "samples": 192]
        let (status, job) = try submit(launched, request)
        XCTAssertEqual(status, 202, "\(job)")
        let id = try XCTUnwrap(job["id"] as? String)
        let marker = "landscape-launch-\(id)"
        // Wait for a few saved points and for both ranks to be there.
        let deadline = Date().addingTimeInterval(240)
        var snapshot: [String: Any] = [:]
        while Date() < deadline {
            snapshot = try self.job(launched, id)
            let done = (snapshot["progress"] as? [String: Any])?["done"] as? Int ?? 0
            if done >= 3 || (snapshot["state"] as? String).map({ ["done", "failed"].contains($0) }) == true { break }
            usleep(50_000)
        }
        XCTAssertEqual(snapshot["state"] as? String, "running", "\(snapshot)")
        XCTAssertGreaterThanOrEqual(processes(mentioning: marker).count, 3, "mpirun and two ranks run the job")
        let cancelled = try XCTUnwrap(try launched.request("DELETE", "/api/jobs/\(id)").json()["job"] as? [String: Any])
        var state = cancelled["state"] as? String
        let stopBy = Date().addingTimeInterval(30)
        while state != "cancelled", Date() < stopBy {
            usleep(100_000)
            state = try self.job(launched, id)["state"] as? String
        }
        XCTAssertEqual(state, "cancelled")
        let gone = Date().addingTimeInterval(10)
        while !processes(mentioning: marker).isEmpty, Date() < gone { usleep(100_000) }
        XCTAssertEqual(processes(mentioning: marker), [], "no launcher or rank of the job is left")

        let surfaceID = try XCTUnwrap((job["surface_ids"] as? [String])?.first)
        let kept = try surface(launched, surfaceID)
        XCTAssertGreaterThanOrEqual(kept.progress.computed, 3, "the points saved before the cancel stay")
        XCTAssertLessThan(kept.progress.computed, 81)

        // The same request again: a new job that starts from the kept points and finishes the surface.
        let (again, resumed) = try submit(launched, request)
        XCTAssertEqual(again, 202, "\(resumed)")
        XCTAssertGreaterThanOrEqual((resumed["progress"] as? [String: Any])?["done"] as? Int ?? 0, kept.progress.computed)
        let stream = try launched.events("/api/jobs/\(try XCTUnwrap(resumed["id"] as? String))/events", timeout: 400)
        XCTAssertEqual(stream.events.last?.0, "done", "\(stream.events.suffix(2))")
        XCTAssertEqual(stream.events.filter { $0.0 == "point" }.count, 81 - kept.progress.computed, "only the missing points run")
        let complete = try surface(launched, surfaceID)
        XCTAssertTrue(complete.progress.complete)
        for point in 0..<81 where kept.isComputed(point) {
            XCTAssertEqual(complete.lossAt(point), kept.lossAt(point), "point \(point) kept as it was")
        }
    }

    func testALauncherThatCannotStartOrFailsFailsTheJobWithItsOutput() throws {
        let binary = try Self.binary()
        let request: [String: Any] = ["x": "-0.5:0.5:3", "samples": 8]
        let cases: [(Launcher, [String])] = [
            (Launcher(command: "/nonexistent/mpirun -n 2", executable: binary, pollInterval: 0.05), ["127", "/nonexistent/mpirun"]),
            // Looks like an MPI launch to the CLI, whose MPI library is missing: it exits non-zero, saying why.
            (Launcher(command: "env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 LANDSCAPE_MPI_LIBRARY=/nonexistent/libmpi.so",
                      executable: binary, pollInterval: 0.05), ["exited with status", "MPI cannot be used", "/nonexistent/libmpi.so"]),
            // Exits 0 without running anything: the job is not reported done with points missing.
            (Launcher(command: "true", executable: binary, pollInterval: 0.05), ["exited 0 with 0 of 3 points saved"]),
        ]
        for (index, (launcher, expected)) in cases.enumerated() {
            let client = try service(cache: "failing-\(index)", launcher: launcher)
            let (status, job) = try submit(client, request)
            XCTAssertEqual(status, 202, "\(job)")
            let stream = try client.events("/api/jobs/\(try XCTUnwrap(job["id"] as? String))/events", timeout: 120)
            XCTAssertEqual(stream.events.last?.0, "failed", "\(launcher.command): \(stream.events)")
            let final = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data((stream.events.last?.1 ?? "{}").utf8)) as? [String: Any])
            let error = ((final["job"] as? [String: Any])?["error"] as? String) ?? ""
            for text in expected { XCTAssertTrue(error.contains(text), "\(launcher.command): '\(text)' in \(error)") }
        }
    }
}
