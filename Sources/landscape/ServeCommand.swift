import ArgumentParser
import Foundation
import HTTPServer
import LandscapeService
import Landscape
import LandscapeExport

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the browser page and the JSON/PNG API (Models/ and its shipped surfaces by default).")

    /// The documented default port.
    static let defaultPort: UInt16 = 8420

    @Option(help: "Address to listen on (0.0.0.0 to accept other machines, e.g. in Docker).") var host = "127.0.0.1"
    @Option(help: "TCP port.") var port: UInt16 = ServeCommand.defaultPort
    @Option(help: "Repository root holding Models/ and Public/.") var root = FileManager.default.currentDirectoryPath
    @Option(help: "Directory for surfaces computed on request (default ROOT/.landscape-cache/surfaces).") var cache: String?
    @Option(name: .customLong("dataset"), help: "Extra dataset as ID=PATH (repeatable); fashion-mnist is always offered.")
    var datasets: [String] = []
    @Option(help: "Largest grid (points per surface) a request may ask for.") var maxPoints = 101 * 101
    @Option(help: "Most images per point a request may ask for.") var maxSamples = 10_000
    @Option(help: "Jobs waiting or running before requests get 429.") var maxJobs = 4
    @Option(help: "Worker threads for surface computation.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "No access log on standard output.") var quiet = false
    @Option(name: .customLong("import"), help: ArgumentHelp(
        "Directory of HDF5 surfaces in Li et al.'s layout (with their dir_file direction files) to browse; imported at start-up.",
        valueName: "DIR"))
    var importDirectory: String?
    @Option(name: .customLong("import-model"), help: ArgumentHelp(
        "Model id (in Models/) the imported surfaces were computed for (default: the one our export's metadata names, else the only model).",
        valueName: "ID"))
    var importModel: String?
    @Option(help: ArgumentHelp(
        "Run surface, seed-study and Hessian jobs through this command prefix, e.g. 'mpirun -n 16 --hostfile hosts' or 'srun -N 4' (read by /bin/sh): each job runs as PREFIX <this landscape> surface|hessian --spec FILE.json --out <cache>; progress, events, cancel and resume as for jobs run here.",
        valueName: "PREFIX"))
    var launcher: String?
    @Option(name: .customLong("trajectories"), help: ArgumentHelp(
        "Directory of trajectories to serve besides Models/trajectories: one `landscape trajectory --out` directory, or a folder of them (repeatable).",
        valueName: "DIR"))
    var trajectoryDirectories: [String] = []
    @Option(name: .customLong("shipped-hessian"), help: ArgumentHelp(
        "Hessian spectra to show as shipped instead of ROOT/Models/hessian: a `landscape hessian --out` directory (read only).",
        valueName: "DIR"))
    var shippedHessian: String?
    @Option(name: .customLong("shipped-studies"), help: ArgumentHelp(
        "Seed studies to show as shipped instead of ROOT/Models/studies: a folder of `landscape surface --seeds --study` JSONs (read only).",
        valueName: "DIR"))
    var shippedStudies: String?

    func validate() throws {
        guard maxPoints >= 1, maxSamples >= 1, maxJobs >= 1, threads >= 1 else {
            throw ValidationError("--max-points, --max-samples, --max-jobs and --threads must be at least 1")
        }
        if let launcher, launcher.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--launcher: expected a command prefix such as 'mpirun -n 4', got an empty one")
        }
        for directory in trajectoryDirectories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--trajectories '\(directory)': not a directory (expected the --out DIR of `landscape trajectory`, or a folder of them)")
            }
        }
        for (flag, directory) in [("--shipped-hessian", shippedHessian), ("--shipped-studies", shippedStudies)] {
            guard let directory else { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(flag) '\(directory)': not a directory")
            }
        }
        for entry in datasets where !entry.contains("=") {
            throw ValidationError("--dataset '\(entry)': expected ID=PATH")
        }
    }

    func run() throws {
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL
        var datasetMap = ServiceConfiguration.defaultDatasets
        for entry in datasets {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            datasetMap[parts[0]] = parts[1]
        }
        var limits = ServiceConfiguration.Limits()
        limits.surface.maximumPoints = maxPoints
        limits.surface.maximumSamples = maxSamples
        limits.maximumQueuedJobs = maxJobs
        var configuration = ServiceConfiguration(root: rootURL, cacheDirectory: cache.map { URL(fileURLWithPath: $0) },
                                                 datasets: datasetMap, limits: limits, threads: threads)
        configuration.launcher = launcher.map { Launcher(command: $0, executable: Launcher.currentExecutable) }
        configuration.trajectoryDirectories += trajectoryDirectories.map { URL(fileURLWithPath: $0).standardizedFileURL }
        if let shippedHessian { configuration.shippedHessianDirectory = URL(fileURLWithPath: shippedHessian).standardizedFileURL }
        if let shippedStudies { configuration.shippedStudiesDirectory = URL(fileURLWithPath: shippedStudies).standardizedFileURL }
        let printLine: @Sendable (AccessLogEntry) -> Void = { entry in
            print(entry.line)
            fflush(nil)   // one line per request even when stdout is a pipe
        }
        let log = quiet ? nil : printLine
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: configuration.publicDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LandscapeError.invalidRequest("no page at \(configuration.publicDirectory.path): run from the repository root (where Public/ and Models/ are) "
                                  + "or pass --root DIR")
        }
        let service = try LandscapeService(configuration: configuration, host: host, port: port, accessLog: log)
        if let importDirectory { try importSurfaces(from: importDirectory, into: service) }
        try service.start()
        let models = service.catalog.modelIDs()
        let surfaces = (try? service.catalog.surfaces().count) ?? 0
        let trajectories = service.catalog.trajectories.all().count
        print("landscape serving http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(service.port)/ — \(models.count) models, \(surfaces) surfaces, \(trajectories) trajectories from \(configuration.modelsDirectory.path); Ctrl-C stops")
        if let launcher { print("surface, study and Hessian jobs run through: \(launcher) \(Launcher.currentExecutable) surface|hessian --spec ...") }
        if models.isEmpty { print("warning: no models in \(configuration.modelsDirectory.path); run from the repository root or pass --root") }
        fflush(nil)
        service.stopOnSignals { print("landscape: stopped"); fflush(nil) }
        service.waitUntilStopped()
    }

    /// Imports before serving; a file that cannot be imported is named on standard error and skipped.
    private func importSurfaces(from directory: String, into service: LandscapeService) throws {
        let report = try service.importSurfaces(from: URL(fileURLWithPath: directory), modelID: importModel)
        for (file, surface) in report.imported {
            print("imported \(file) as surface \(surface.id) (\(surface.model.name), \(surface.grid), "
                  + "\(surface.progress.computed) of \(surface.progress.total) points\(surface.directions.file == nil ? ", no directions" : ""))")
        }
        for (file, warning) in report.warnings { FileHandle.standardError.write(Data("landscape serve --import: \(file): \(warning)\n".utf8)) }
        for (file, reason) in report.skipped {
            FileHandle.standardError.write(Data("landscape serve --import: skipped \(file): \(reason)\n".utf8))
        }
        if report.imported.isEmpty && report.skipped.isEmpty {
            FileHandle.standardError.write(Data("landscape serve --import: no .h5 or .hdf5 surface files in \(directory)\n".utf8))
        }
    }
}
