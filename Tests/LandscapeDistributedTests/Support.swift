import Foundation
import XCTest
import Landscape

/// The built `landscape` binary, mpirun, the reference files, and runs of them with a deadline.
enum MPIFixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let reference = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")
    static let model = reference.appendingPathComponent("resnet20-akamaster.safetensors").path
    static let images = reference.appendingPathComponent("cifar10-test-head.bin").path

    /// `landscape`, built beside this test bundle (`swift test` builds every product).
    static func binary() throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("landscape").path
        let candidates = [beside, repositoryRoot.appendingPathComponent(".build/release/landscape").path]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("the landscape binary is not built (looked at \(candidates))")
        }
        return found
    }

    /// mpirun from PATH; the tests skip, saying so, only where it is genuinely absent (CI installs openmpi-bin).
    static func mpirun() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/mpirun"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("mpirun is not installed (scripts/install-deps --test installs openmpi-bin): MPI runs not tested here")
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-mpi-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `landscape surface` arguments for a small grid of the reference model on the first CIFAR-10 test images.
    static func surfaceArguments(out: URL, grid: String = "-1:1:7", samples: Int = 64, extra: [String] = []) -> [String] {
        ["surface", "--model", model, "--data", images, "--samples", String(samples), "--x", grid, "--y", grid,
         "--threads", "1", "--out", out.path] + extra
    }

    /// mpirun's flags for a test machine: root in CI containers, more ranks than cores.
    static func mpirunArguments(ranks: Int) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-n", String(ranks)]
    }

    /// The one surface a run wrote into `directory`.
    static func surface(in directory: URL) throws -> Surface? {
        let all = try SurfaceStore(directory: directory).all()
        guard all.count <= 1 else { throw NSError(domain: "MPIFixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(all.count) surfaces"]) }
        return all.first?.surface
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A child process whose output goes to a file (no pipe to fill up), waited for with a deadline.
final class Child {
    let process = Process()
    let log: URL

    init(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws {
        log = MPIFixture.temporaryDirectory().appendingPathComponent("output.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        // The test's own environment, never an MPI launch of its own.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMI") }
            .merging(extra) { $1 }
        try process.run()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits at most `seconds`; on expiry terminates the child and fails the test.
    @discardableResult
    func wait(atMost seconds: Double, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            XCTFail("still running after \(seconds) s; output:\n\(output)", file: file, line: line)
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// The PID of the rank `rank` that mpirun started (its child with OMPI_COMM_WORLD_RANK=rank).
    func rankPID(_ rank: Int) -> pid_t? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for name in names {
            guard let pid = pid_t(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[1]) == process.processIdentifier,
                  let environment = FileManager.default.contents(atPath: "/proc/\(name)/environ") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
