import Foundation
import XCTest
import Landscape

/// `mpirun -n N landscape surface` on this machine, against the same command without mpirun:
/// the reference ResNet-20 on the first CIFAR-10 test images, one thread per rank.
final class MPISurfaceTests: XCTestCase {
    /// The single-process surface of a grid, computed once per grid.
    nonisolated(unsafe) private static var references: [String: (surface: Surface, directions: Data)] = [:]

    private func reference(grid: String, samples: Int) throws -> (surface: Surface, directions: Data) {
        let key = "\(grid)/\(samples)"
        if let known = Self.references[key] { return known }
        let out = MPIFixture.temporaryDirectory()
        let run = try Child(try MPIFixture.binary(), MPIFixture.surfaceArguments(out: out, grid: grid, samples: samples))
        XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
        let surface = try XCTUnwrap(try MPIFixture.surface(in: out))
        let directions = try Data(contentsOf: out.appendingPathComponent(try SurfaceStore(directory: out).directionsFileName(id: surface.id)))
        Self.references[key] = (surface, directions)
        return (surface, directions)
    }

    private func assertSameValues(_ surface: Surface, _ reference: Surface, _ context: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(surface.id, reference.id, context, file: file, line: line)
        XCTAssertEqual(surface.progress.computed, reference.progress.total, "\(context): complete", file: file, line: line)
        XCTAssertEqual(surface.loss, reference.loss, "\(context): loss", file: file, line: line)
        XCTAssertEqual(surface.accuracy, reference.accuracy, "\(context): accuracy", file: file, line: line)
        XCTAssertEqual(surface.lossStderr, reference.lossStderr, "\(context): loss standard error", file: file, line: line)
        XCTAssertEqual(surface.diverged, reference.diverged, "\(context): diverged points", file: file, line: line)
    }

    func testOneTwoAndThreeRanksWriteExactlyTheSingleProcessSurface() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let expected = try reference(grid: "-1:1:7", samples: 64)
        for ranks in 1...3 {
            let out = MPIFixture.temporaryDirectory()
            let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: ranks) + [binary] + MPIFixture.surfaceArguments(out: out))
            XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
            let surface = try XCTUnwrap(try MPIFixture.surface(in: out), "\(ranks) ranks wrote no surface:\n\(run.output)")
            assertSameValues(surface, expected.surface, "\(ranks) ranks")
            let directions = try Data(contentsOf: out.appendingPathComponent(try SurfaceStore(directory: out).directionsFileName(id: surface.id)))
            XCTAssertEqual(directions, expected.directions, "\(ranks) ranks: directions file byte for byte")
        }
    }

    /// Read while three ranks fill it: the file always decodes, counts exactly the points it holds,
    /// and a point once written never changes.
    func testTheSurfaceFileIsConsistentAtEveryMomentOfARun() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let expected = try reference(grid: "-1:1:9", samples: 96).surface
        let out = MPIFixture.temporaryDirectory()
        let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 3) + [binary]
                            + MPIFixture.surfaceArguments(out: out, grid: "-1:1:9", samples: 96))
        var reads = 0, lastComputed = 0
        var seen: [Int: Double] = [:]
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let running = run.process.isRunning
            if let surface = try MPIFixture.surface(in: out) {   // throws if a file failed to decode
                reads += 1
                let filled = (0..<surface.grid.pointCount).filter { surface.isComputed($0) }
                XCTAssertEqual(surface.progress.computed, filled.count, "computed counts the points present")
                XCTAssertEqual(surface.progress.total, 81)
                XCTAssertGreaterThanOrEqual(surface.progress.computed, lastComputed, "progress never goes back")
                lastComputed = surface.progress.computed
                for point in filled {
                    let value = surface.lossAt(point)
                    XCTAssertEqual(value, expected.lossAt(point), "point \(point) as the single-process run has it")
                    if let before = seen[point] { XCTAssertEqual(value, before, "point \(point) changed") }
                    seen[point] = value
                }
            }
            if !running { break }
            usleep(10_000)
        }
        XCTAssertEqual(run.wait(atMost: 5), 0, run.output)
        XCTAssertEqual(lastComputed, 81)
        XCTAssertGreaterThan(reads, 3, "the file was read while the run went on")
    }

    /// SIGKILL of rank 1 mid-run: the launcher ends the run naming the rank and its host; every point
    /// saved so far is right; the same command with another rank count completes with identical values.
    func testAKilledRankEndsTheRunNamingItAndTheRerunCompletesIdentically() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let expected = try reference(grid: "-1:1:9", samples: 96).surface
        let out = MPIFixture.temporaryDirectory()
        let arguments = MPIFixture.surfaceArguments(out: out, grid: "-1:1:9", samples: 96)
        let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 3) + [binary] + arguments)
        try waitForPoints(3, in: out, while: run)
        let victim = try XCTUnwrap(run.rankPID(1), "rank 1's process")
        kill(victim, SIGKILL)
        XCTAssertNotEqual(run.wait(atMost: 60), 0, run.output)
        XCTAssertTrue(run.output.contains("rank 1"), run.output)
        XCTAssertTrue(run.output.contains(MPIFixture.hostName()), "names the host:\n\(run.output)")
        let partial = try XCTUnwrap(try MPIFixture.surface(in: out))
        XCTAssertLessThan(partial.progress.computed, 81, "stopped before the end")
        for point in 0..<81 where partial.isComputed(point) {
            XCTAssertEqual(partial.lossAt(point), expected.lossAt(point), "saved point \(point)")
        }
        let rerun = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 2) + [binary] + arguments)
        XCTAssertEqual(rerun.wait(atMost: 300), 0, rerun.output)
        assertSameValues(try XCTUnwrap(try MPIFixture.surface(in: out)), expected, "resumed with 2 ranks")
    }

    /// A rank that stops answering (SIGSTOP: alive, silent, unnoticed by mpirun) is named by rank 0
    /// within --rank-timeout; the same command resumes, here as a single rank.
    func testAHungRankIsNamedWithinTheRankTimeoutAndTheRunResumes() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let expected = try reference(grid: "-1:1:9", samples: 96).surface
        let out = MPIFixture.temporaryDirectory()
        let arguments = MPIFixture.surfaceArguments(out: out, grid: "-1:1:9", samples: 96, extra: ["--rank-timeout", "2"])
        let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 3) + [binary] + arguments)
        try waitForPoints(3, in: out, while: run)
        let victim = try XCTUnwrap(run.rankPID(2), "rank 2's process")
        kill(victim, SIGSTOP)
        defer { kill(victim, SIGCONT); kill(victim, SIGKILL) }
        let stopped = Date()
        XCTAssertNotEqual(run.wait(atMost: 60), 0, run.output)
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 30, "ended within a bounded time")
        XCTAssertTrue(run.output.contains("rank 2 on host \(MPIFixture.hostName()) sent nothing"), run.output)
        XCTAssertTrue(run.output.contains("run the same command again to resume"), run.output)
        let rerun = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 1) + [binary] + arguments)
        XCTAssertEqual(rerun.wait(atMost: 300), 0, rerun.output)
        assertSameValues(try XCTUnwrap(try MPIFixture.surface(in: out)), expected, "resumed with 1 rank")
    }

    /// The last points of a run can take longer than --rank-timeout while a rank has no work left
    /// (here: 4 ranks, 2 points, rank 1 never gets one): rank 0 keeps it informed, so it neither
    /// gives up on rank 0 nor ends the run. Before that, rank 1 ended the run after 1 s.
    func testARankWithoutWorkOutwaitsALastPointLongerThanTheRankTimeout() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        // im2col on every image: about 1-3 s a point here, against a 1 s timeout.
        let arguments = { (out: URL) in
            ["surface", "--model", MPIFixture.model, "--data", MPIFixture.images, "--samples", "846", "--x", "-1:1:2",
             "--threads", "1", "--convolution", "im2col", "--rank-timeout", "1", "--out", out.path]
        }
        let single = MPIFixture.temporaryDirectory()
        let plain = try Child(binary, arguments(single))
        XCTAssertEqual(plain.wait(atMost: 300), 0, plain.output)
        let out = MPIFixture.temporaryDirectory()
        let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 4) + [binary] + arguments(out))
        XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
        assertSameValues(try XCTUnwrap(try MPIFixture.surface(in: out)), try XCTUnwrap(try MPIFixture.surface(in: single)), "4 ranks, 2 points")
    }

    /// Started as a rank where the MPI library is missing: a message that says what to install, no crash,
    /// nothing written. (Without such variables MPI is never loaded: `landscape` links no libmpi.)
    func testALaunchWithoutTheMPILibrarySaysWhatToInstall() throws {
        let out = MPIFixture.temporaryDirectory().appendingPathComponent("surfaces")
        let run = try Child(try MPIFixture.binary(), MPIFixture.surfaceArguments(out: out, grid: "-1:1:3", samples: 8),
                            environment: ["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "1",
                                          "LANDSCAPE_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        XCTAssertNotEqual(run.wait(atMost: 60), 0, run.output)
        XCTAssertTrue(run.output.contains("launched by an MPI launcher (OMPI_COMM_WORLD_RANK=0)"), run.output)
        XCTAssertTrue(run.output.contains("cannot load /nonexistent/libmpi.so.40"), run.output)
        XCTAssertTrue(run.output.contains("install OpenMPI 4"), run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written, not even the directory")
    }

    private func waitForPoints(_ count: Int, in directory: URL, while run: Child) throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, run.process.isRunning {
            if let surface = try? MPIFixture.surface(in: directory), surface.progress.computed >= count { return }
            usleep(20_000)
        }
        XCTFail("no \(count) points saved:\n\(run.output)")
    }
}
