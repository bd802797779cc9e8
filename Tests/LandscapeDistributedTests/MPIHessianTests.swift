import Foundation
import XCTest
import Landscape
import LandscapeCore

/// `mpirun -n N landscape hessian` against the same command without mpirun: the reference ResNet-20
/// on a few CIFAR-10 test images, top 2 eigenvalues, trace probes and density runs, one thread per rank.
final class MPIHessianTests: XCTestCase {
    private func arguments(out: URL) -> [String] {
        ["hessian", "--model", MPIFixture.model, "--data", MPIFixture.images, "--samples", "8", "--top", "2",
         "--lanczos-steps", "6", "--trace", "5", "--density", "--density-runs", "3", "--density-steps", "3",
         "--seed", "11", "--threads", "1", "--out", out.path]
    }

    /// The spectrum a run wrote, its timing (wall clock, products per rank) set aside.
    private func spectrum(in directory: URL) throws -> (spectrum: HessianSpectrum, eigenvectors: Data) {
        let name = URL(fileURLWithPath: MPIFixture.model).deletingPathExtension().lastPathComponent
        var spectrum = try LandscapeJSON.decoder.decode(HessianSpectrum.self,
                                                from: try Data(contentsOf: directory.appendingPathComponent("\(name).hessian.json")))
        spectrum.timing = HessianSpectrum.Timing(seconds: 0, products: 0, secondsPerProduct: 0, threads: 0)
        let vectors = try Data(contentsOf: directory.appendingPathComponent("\(name).hessian-eigenvectors.safetensors"))
        return (spectrum, vectors)
    }

    func testOneTwoAndThreeRanksWriteExactlyTheSingleProcessSpectrum() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let single = MPIFixture.temporaryDirectory()
        let run = try Child(binary, arguments(out: single))
        XCTAssertEqual(run.wait(atMost: 300), 0, run.output)
        let expected = try spectrum(in: single)
        XCTAssertEqual(expected.spectrum.topEigenvalues.count, 2)
        XCTAssertEqual(expected.spectrum.traceSamples?.count, 5)
        XCTAssertEqual(expected.spectrum.density?.runs.count, 3)
        for ranks in 1...3 {
            let out = MPIFixture.temporaryDirectory()
            let distributed = try Child(mpirun, MPIFixture.mpirunArguments(ranks: ranks) + [binary] + arguments(out: out))
            XCTAssertEqual(distributed.wait(atMost: 300), 0, distributed.output)
            let got = try spectrum(in: out)
            // Equatable over every double: eigenvalues, residuals, trace samples, quadrature nodes and weights, density grid.
            XCTAssertEqual(got.spectrum, expected.spectrum, "\(ranks) ranks: the spectrum bit for bit")
            XCTAssertEqual(got.spectrum.traceSamples?.map(\.bitPattern), expected.spectrum.traceSamples?.map(\.bitPattern), "\(ranks) ranks")
            XCTAssertEqual(got.eigenvectors, expected.eigenvectors, "\(ranks) ranks: eigenvector file byte for byte")
            if ranks > 1 {
                let line = distributed.output.split(separator: "\n").first { $0.contains("spectrum units") } ?? ""
                XCTAssertTrue(line.contains("\(ranks) ranks") && !line.contains("(0 on other ranks)"),
                              "\(ranks) ranks: other ranks took probes or density runs: \(line)")
            }
        }
    }

    /// A rank that stops answering mid-spectrum (SIGSTOP: alive, silent, unnoticed by mpirun) is named
    /// by rank 0 within --rank-timeout, and the run ends instead of waiting for it.
    func testAHungRankIsNamedWithinTheRankTimeout() throws {
        let (mpirun, binary) = (try MPIFixture.mpirun(), try MPIFixture.binary())
        let out = MPIFixture.temporaryDirectory()
        let arguments = ["hessian", "--model", MPIFixture.model, "--data", MPIFixture.images, "--samples", "8", "--top", "0",
                         "--trace", "600", "--threads", "1", "--rank-timeout", "2", "--out", out.path]
        let run = try Child(mpirun, MPIFixture.mpirunArguments(ranks: 2) + [binary] + arguments)
        var victim: pid_t?
        let found = Date().addingTimeInterval(60)
        while victim == nil, run.process.isRunning, Date() < found {
            victim = run.rankPID(1)
            usleep(50_000)
        }
        let pid = try XCTUnwrap(victim, "rank 1's process:\n\(run.output)")
        sleep(3)   // set-up done, probes under way (600 probes take tens of seconds here: with the primal cache a
                   // probe on 8 images costs ~0.07 s, so 80 of them could end before the stop, and a rank stopped
                   // after its last probe is then only waited for by mpirun)
        XCTAssertTrue(run.process.isRunning, "the run is still going: \(run.output)")
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT); kill(pid, SIGKILL) }
        let stopped = Date()
        XCTAssertNotEqual(run.wait(atMost: 60), 0, run.output)
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 30, "ended within a bounded time")
        XCTAssertTrue(run.output.contains("rank 1 on host \(MPIFixture.hostName()) sent nothing"), run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("resnet20-akamaster.hessian.json").path),
                       "no spectrum is written from part of the probes")
    }
}
