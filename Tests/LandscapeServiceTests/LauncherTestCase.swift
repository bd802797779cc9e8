import Foundation
import XCTest
@testable import LandscapeService

/// What every `serve --launcher` test shares: a fresh root (`ServiceFixture.makeRoot`: the reference model as
/// `resnet20-relu`, a page), services on it with caches of their own (through a launcher or in-process, stopped
/// after each test), the `landscape` binary and `mpirun` (skipped when either is missing), and the job's
/// processes found by their command lines.
class LauncherTestCase: XCTestCase {
    var root: URL!
    var services: [LandscapeService] = []

    /// `landscape`, built beside this test bundle (`swift test` builds every product).
    static func binary() throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("landscape").path
        let candidates = [beside, Fixtures.repositoryRoot.appendingPathComponent(".build/release/landscape").path]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("the landscape binary is not built (looked at \(candidates))")
        }
        return found
    }

    static func mpirun() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/mpirun"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("mpirun is not installed (scripts/install-deps --test installs openmpi-bin): the launcher path is not tested here")
    }

    override func setUpWithError() throws {
        // As in a full test run, where earlier tests' Foundation.Process has installed its SIGCHLD handler:
        // the launcher's children then interrupt this process's system calls (EINTR) when they end.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-\(Self.self)-\(UUID().uuidString)")
        try ServiceFixture.makeRoot(root)
    }

    override func tearDownWithError() throws {
        for service in services { service.stop(timeout: 15) }
        try? FileManager.default.removeItem(at: root)
    }

    /// A started service on the root with its own cache (`<root>/<cache>`), one thread, dataset `cifar-head`
    /// (every image of it may be used; a Hessian job up to 200 products); through `launcher` when given.
    func service(cache: String, launcher: Launcher?) throws -> TestClient {
        var limits = ServiceConfiguration.Limits()
        limits.surface.maximumSamples = 846
        limits.hessian.maximumSamples = 846
        limits.hessian.maximumProducts = 200
        var configuration = ServiceConfiguration(root: root, cacheDirectory: root.appendingPathComponent(cache),
                                                 datasets: [ServiceFixture.datasetID: ServiceFixture.dataFile.path],
                                                 limits: limits, threads: 1)
        configuration.launcher = launcher
        let service = try LandscapeService(configuration: configuration, port: 0)
        try service.start()
        services.append(service)
        return TestClient(port: service.port)
    }

    /// `mpirun -n 2` (as root too, oversubscribed) starting the built `landscape`.
    func mpiLauncher(grace: TimeInterval = 10) throws -> Launcher {
        Launcher(command: "\(try Self.mpirun()) --allow-run-as-root --oversubscribe -n 2", executable: try Self.binary(),
                 cancelGrace: grace, pollInterval: 0.05)
    }

    /// PIDs of live processes whose command line mentions `text` (a job's work folder: mpirun, its ranks).
    func processes(mentioning text: String) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            guard let pid = pid_t(name), let line = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let stat = (try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8)) ?? ""
            guard !stat.contains(") Z ") else { return nil }   // a zombie is already dead
            return String(decoding: line, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(text) ? pid : nil
        }
    }
}
