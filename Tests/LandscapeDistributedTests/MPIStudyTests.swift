import Foundation
import XCTest
import Landscape

/// `mpirun -n N landscape surface --seeds ...` against the same seed study without mpirun: the
/// reference ResNet-20 on the first CIFAR-10 test images, three seeds of a small plane, one thread per rank.
final class MPIStudyTests: XCTestCase {
    /// The single-process study (its JSON bytes) and every surface file's values, computed once.
    nonisolated(unsafe) private static var single: (study: Data, surfaces: [String: Surface], directions: [String: Data])?

    private static let seeds = "0:2"

    private func studyArguments(out: URL, extra: [String] = []) -> [String] {
        ["surface", "--model", MPIFixture.model, "--data", MPIFixture.images, "--samples", "48", "--x", "-1:1:5", "--y", "-1:1:5",
         "--seeds", Self.seeds, "--threads", "1", "--out", out.path] + extra
    }

    /// The study file a run wrote into `directory` (one per study), its surfaces by id and directions by file name.
    private func results(in directory: URL) throws -> (study: Data, surfaces: [String: Surface], directions: [String: Data]) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let studies = names.filter { $0.hasPrefix("study-") && $0.hasSuffix(".json") }
        XCTAssertEqual(studies.count, 1, "one study file in \(names)")
        let study = try Data(contentsOf: directory.appendingPathComponent(try XCTUnwrap(studies.first)))
        let surfaces = Dictionary(uniqueKeysWithValues: try SurfaceStore(directory: directory).all().map { ($0.surface.id, $0.surface) })
        let directions = Dictionary(uniqueKeysWithValues: try names.filter { $0.hasPrefix("directions-") }
            .map { ($0, try Data(contentsOf: directory.appendingPathComponent($0))) })
        return (study, surfaces, directions)
    }

    private func reference() throws -> (study: Data, surfaces: [String: Surface], directions: [String: Data]) {
        if let single = Self.single { return single }
        let out = MPIFixture.temporaryDirectory()
        let run = try Child(try MPIFixture.binary(), studyArguments(out: out))
        XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
        let found = try results(in: out)
        XCTAssertEqual(found.surfaces.count, 3, "three seeds, one model")
        Self.single = found
        return found
    }

    private func assertSame(_ found: (study: Data, surfaces: [String: Surface], directions: [String: Data]),
                            _ expected: (study: Data, surfaces: [String: Surface], directions: [String: Data]), _ context: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found.study, expected.study, "\(context): the study JSON byte for byte", file: file, line: line)
        XCTAssertEqual(Set(found.surfaces.keys), Set(expected.surfaces.keys), "\(context): the same surfaces", file: file, line: line)
        for (id, surface) in expected.surfaces {
            guard let other = found.surfaces[id] else { continue }
            XCTAssertEqual(other.progress.computed, surface.progress.total, "\(context) \(id): complete", file: file, line: line)
            XCTAssertEqual(other.loss, surface.loss, "\(context) \(id): loss", file: file, line: line)
            XCTAssertEqual(other.accuracy, surface.accuracy, "\(context) \(id): accuracy", file: file, line: line)
            XCTAssertEqual(other.lossStderr, surface.lossStderr, "\(context) \(id): loss standard error", file: file, line: line)
        }
        XCTAssertEqual(found.directions, expected.directions, "\(context): directions files byte for byte", file: file, line: line)
    }

    func testOneTwoAndThreeRanksWriteExactlyTheSingleProcessStudy() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let expected = try reference()
        // The study reads widths and curvatures off real surfaces: a study of empty or constant ones would compare nothing.
        XCTAssertTrue(expected.surfaces.values.allSatisfy { ($0.summary?.centreLoss ?? 0) > 0 }, "the surfaces have a centre loss")
        for ranks in 1...3 {
            let out = MPIFixture.temporaryDirectory()
            let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: ranks) + [binary] + studyArguments(out: out))
            XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
            assertSame(try results(in: out), expected, "\(ranks) ranks")
            if ranks > 1 {
                // Every seed went to the workers: one set-up per seed, points on other ranks.
                XCTAssertTrue(run.output.contains("set-up (3 computations)"), run.output)
                XCTAssertFalse(run.output.contains("(0 on other ranks)"), run.output)
            }
        }
    }

    /// SIGKILL of rank 1 during the second seed: the run ends naming the rank and its host, the first
    /// seed's surface and every saved point are kept and right, no study file is written; the same
    /// command with another rank count resumes and writes the single-process study exactly.
    func testAKilledRankEndsTheStudyNamingItAndTheRerunResumesIdentically() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let expected = try reference()
        let out = MPIFixture.temporaryDirectory()
        let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 3) + [binary] + studyArguments(out: out))
        // Wait for the first seed's surface to complete and the second to begin.
        let deadline = Date().addingTimeInterval(120)
        var begunSecond = false
        while Date() < deadline, run.process.isRunning, !begunSecond {
            let surfaces = (try? SurfaceStore(directory: out).all().map(\.surface)) ?? []
            begunSecond = surfaces.contains { $0.progress.computed == 25 } && surfaces.contains { $0.progress.computed > 0 && $0.progress.computed < 25 }
            if !begunSecond { usleep(5_000) }
        }
        guard begunSecond else { return XCTFail("the run finished or stalled before the second seed could be interrupted:\n\(run.output)") }
        let victim = try XCTUnwrap(run.rankPID(1), "rank 1's process")
        kill(victim, SIGKILL)
        XCTAssertNotEqual(run.wait(atMost: 60), 0, run.output)
        XCTAssertTrue(run.output.contains("rank 1"), run.output)
        XCTAssertTrue(run.output.contains(MPIFixture.hostName()), "names the host:\n\(run.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        XCTAssertFalse(names.contains { $0.hasPrefix("study-") }, "no study from an unfinished run: \(names)")
        let partial = try SurfaceStore(directory: out).all().map(\.surface)
        XCTAssertLessThan(partial.reduce(0) { $0 + $1.progress.computed }, 75, "stopped before the end")
        for surface in partial {
            let reference = try XCTUnwrap(expected.surfaces[surface.id], "surface \(surface.id) is one of the study's")
            for point in 0..<25 where surface.isComputed(point) {
                XCTAssertEqual(surface.lossAt(point), reference.lossAt(point), "saved point \(point) of \(surface.id)")
            }
        }
        let rerun = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 2) + [binary] + studyArguments(out: out))
        XCTAssertEqual(rerun.wait(atMost: 300), 0, rerun.output)
        assertSame(try results(in: out), expected, "resumed with 2 ranks")
        // The resumed run set up the workers only for the seeds it still had points of.
        XCTAssertFalse(rerun.output.contains("set-up (3 computations)"), rerun.output)
    }
}
