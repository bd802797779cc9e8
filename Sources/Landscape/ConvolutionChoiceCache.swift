import Foundation
import LandscapeCore
import LandscapeEngine

/// Where `--convolution auto` keeps its per-CPU decision: a small JSON file
/// (`$XDG_CACHE_HOME/landscape/convolution-choice.json`, else `~/.cache/landscape/…`) with one
/// entry per CPU key (model name, the ISA features the engine sees, oneDNN's version and ISA):
/// the per-layer plan chosen (`ConvolutionPlan.decide`: the kernel of each class of convolutions)
/// and the measured microseconds per image of each class under each candidate. Version 3 (per-layer
/// plans with the 1-channel stem's class); an older file (version 1: one algorithm per CPU; 2: no
/// 1-channel stem), a missing, unreadable or corrupt file is ignored with a message and rewritten
/// (atomically) after the next measurement; it never stops a command.
public struct ConvolutionChoiceCache: Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        /// Layer class (`LayerClass` raw value) → kernel (`LayerKernel` name).
        public var plan: [String: String]
        /// Where the plan names oneDNN for a network whose activation oneDNN lacks.
        public var fallback: String
        /// Layer class → kernel → measured microseconds per image.
        public var microsecondsPerImage: [String: [String: Double]]
        public var threads: Int
        public var measured: String
    }

    struct File: Codable {
        var version: Int
        var entries: [String: Entry]
    }

    /// 3: a class of its own for the 1-channel stem (version-2 plans lack it and are measured again).
    static let version = 3
    public let url: URL

    public init(url: URL) { self.url = url }

    /// The default location from the environment (XDG_CACHE_HOME, else HOME/.cache); nil without either.
    public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let base: URL
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            base = URL(fileURLWithPath: xdg)
        } else if let home = environment["HOME"], !home.isEmpty {
            base = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        } else {
            return nil
        }
        return base.appendingPathComponent("landscape").appendingPathComponent("convolution-choice.json")
    }

    /// This machine's key: what decides which algorithm is fastest.
    public static var currentKey: String {
        let cpu = CPUFeatures.brand.isEmpty ? "unknown CPU" : CPUFeatures.brand
        return "\(cpu) | \(CPUFeatures.current.summary) | kernels \(KernelISA.current.rawValue) | \(ConvolutionAlgorithm.onednn.kernelName)"
    }

    /// The entries on disk, and a message when the file exists but could not be used (nil when it is fine or absent).
    public func load() -> (entries: [String: Entry], problem: String?) {
        guard FileManager.default.fileExists(atPath: url.path) else { return ([:], nil) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            return ([:], "\(url.path): could not be read (\(error.localizedDescription)); measuring again")
        }
        // The version first: a version-1 file (one algorithm per CPU) has no per-layer fields to decode.
        struct Version: Decodable { var version: Int }
        if let found = try? JSONDecoder().decode(Version.self, from: data), found.version != Self.version {
            return ([:], "\(url.path): field 'version' is \(found.version), expected \(Self.version); measuring again")
        }
        do {
            let file = try JSONDecoder().decode(File.self, from: data)
            for (key, entry) in file.entries {
                if let problem = Self.problem(in: entry) { return ([:], "\(url.path): entry '\(key)': \(problem); measuring again") }
            }
            return (file.entries, nil)
        } catch {
            return ([:], "\(url.path): not a convolution-choice file (\(Self.describe(error))); measuring again")
        }
    }

    /// What is wrong with an entry (a name no kernel or class has), or nil.
    static func problem(in entry: Entry) -> String? {
        guard let fallback = ConvolutionAlgorithm(rawValue: entry.fallback), fallback != .auto, fallback != .onednn else {
            return "field 'fallback' is '\(entry.fallback)', expected one of im2col, direct, winograd"
        }
        for (layer, kernel) in entry.plan {
            guard LayerClass(rawValue: layer) != nil else {
                return "field 'plan' names the layer class '\(layer)', expected one of "
                    + LayerClass.allCases.map(\.rawValue).joined(separator: ", ")
            }
            guard LayerKernel(name: kernel) != nil else {
                return "field 'plan.\(layer)' is '\(kernel)', expected one of "
                    + LayerKernel.candidates.map(\.description).joined(separator: ", ")
            }
        }
        return nil
    }

    static func plan(of entry: Entry) -> ConvolutionPlan {
        var plan = ConvolutionPlan.uniform(ConvolutionAlgorithm(rawValue: entry.fallback) ?? .preferred)
        for (layer, kernel) in entry.plan {
            if let layer = LayerClass(rawValue: layer), let kernel = LayerKernel(name: kernel) { plan.kernels[layer] = kernel }
        }
        return plan
    }

    /// The cached plan for `key`, else `measure()`'s per-layer seconds decided (`ConvolutionPlan.decide`) and
    /// saved. `note` receives what happened (a corrupt or old file ignored, a measurement made, a save that
    /// failed), one line each. `mayMeasure` false (ranks of an MPI run, which must all agree and would disturb
    /// each other's timing): the cached entry, else `preferred` throughout, without measuring.
    public func choose(key: String = currentKey, threads: Int, mayMeasure: Bool = true,
                       measure: () throws -> [LayerClass: [LayerKernel: Double]],
                       note: (String) -> Void) -> ConvolutionPlan {
        var (entries, problem) = load()
        if let problem { note(problem) }
        if let entry = entries[key] { return Self.plan(of: entry) }
        guard mayMeasure else { return .uniform(.preferred) }
        let seconds: [LayerClass: [LayerKernel: Double]]
        do { seconds = try measure() } catch {
            note("convolution auto: the measurement failed (\(error)); using \(ConvolutionAlgorithm.preferred.rawValue)")
            return .uniform(.preferred)
        }
        let choice = ConvolutionPlan.decide(seconds: seconds, incumbent: .preferred)
        let figures = seconds.sorted { $0.key < $1.key }.map { layer, times in
            "\(layer.rawValue): " + times.sorted { $0.key.description < $1.key.description }
                .map { "\($0.key) \(String(format: "%.1f", $0.value * 1e6))" }.joined(separator: ", ")
        }.joined(separator: "; ")
        note("convolution auto: \(choice) on this CPU (µs per image, \(threads) threads: \(figures)); cached in \(url.path)")
        entries[key] = Entry(plan: Dictionary(uniqueKeysWithValues: choice.kernels.map { ($0.key.rawValue, $0.value.description) }),
                             fallback: choice.fallback.rawValue,
                             microsecondsPerImage: Dictionary(uniqueKeysWithValues: seconds.map { layer, times in
                                 (layer.rawValue, Dictionary(uniqueKeysWithValues: times.map { ($0.key.description, $0.value * 1e6) }))
                             }),
                             threads: threads, measured: ISO8601DateFormatter().string(from: Date()))
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(File(version: Self.version, entries: entries)), to: url)
        } catch {
            note("convolution auto: could not save \(url.path) (\(error)); the choice holds for this run only")
        }
        return choice
    }

    /// Installs the engine's `auto` resolver: this cache (default location), measuring with `threads`;
    /// notes go to standard error. Without a cache location, measures every run.
    public static func install(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                               environment: [String: String] = ProcessInfo.processInfo.environment) {
        // Under mpirun (OpenMPI, MPICH/PMI) or srun every rank must choose alike: no measurement, only the cache.
        let underMPI = ["OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID"].contains { environment[$0] != nil }
        ConvolutionChoice.resolver = {
            let measure = { try ConvolutionChoice.measureLayers(threads: threads) }
            let note: (String) -> Void = { FileHandle.standardError.write(Data("landscape: \($0)\n".utf8)) }
            guard let url = defaultURL() else {
                return ConvolutionChoiceCache(url: URL(fileURLWithPath: "/nonexistent/convolution-choice.json"))
                    .choose(threads: threads, mayMeasure: !underMPI, measure: measure, note: note)
            }
            return ConvolutionChoiceCache(url: url).choose(threads: threads, mayMeasure: !underMPI, measure: measure, note: note)
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return "invalid JSON at \(path(context))"
        case DecodingError.keyNotFound(let key, let context): return "missing field '\(key.stringValue)' at \(path(context))"
        case DecodingError.typeMismatch(_, let context): return "field '\(path(context))': \(context.debugDescription)"
        case DecodingError.valueNotFound(_, let context): return "field '\(path(context))' is null"
        default: return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "the top level" : context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
