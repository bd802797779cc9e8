import Foundation
import LandscapeCore
import LandscapeEngine

/// Where `--convolution auto` keeps its per-CPU decision: a small JSON file
/// (`$XDG_CACHE_HOME/landscape/convolution-choice.json`, else `~/.cache/landscape/…`) with one
/// entry per CPU key (model name, the ISA features the engine sees, oneDNN's version and ISA):
/// the measured images per second of each candidate and the algorithm chosen
/// (`ConvolutionChoice.decide`). A missing, unreadable or corrupt file is ignored with a message
/// and rewritten (atomically) after the next measurement; it never stops a command.
public struct ConvolutionChoiceCache: Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public var algorithm: String
        public var imagesPerSecond: [String: Double]
        public var threads: Int
        public var measured: String
    }

    struct File: Codable {
        var version: Int
        var entries: [String: Entry]
    }

    static let version = 1
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
        do {
            let file = try JSONDecoder().decode(File.self, from: data)
            guard file.version == Self.version else {
                return ([:], "\(url.path): field 'version' is \(file.version), expected \(Self.version); measuring again")
            }
            for (key, entry) in file.entries {
                guard let algorithm = ConvolutionAlgorithm(rawValue: entry.algorithm), algorithm != .auto else {
                    return ([:], "\(url.path): entry '\(key)': field 'algorithm' is '\(entry.algorithm)', expected one of "
                        + ConvolutionChoice.candidates.map(\.rawValue).joined(separator: ", ") + "; measuring again")
                }
            }
            return (file.entries, nil)
        } catch {
            return ([:], "\(url.path): not a convolution-choice file (\(Self.describe(error))); measuring again")
        }
    }

    /// The cached algorithm for `key`, else `measure()`'s rates decided and saved. `note` receives what happened
    /// (a corrupt file ignored, a measurement made, a save that failed), one line each.
    /// `mayMeasure` false (ranks of an MPI run, which must all agree and would disturb each other's timing):
    /// the cached entry, else `preferred`, without measuring.
    public func choose(key: String = currentKey, threads: Int, mayMeasure: Bool = true,
                       measure: () throws -> [ConvolutionAlgorithm: Double],
                       note: (String) -> Void) -> ConvolutionAlgorithm {
        var (entries, problem) = load()
        if let problem { note(problem) }
        if let entry = entries[key], let algorithm = ConvolutionAlgorithm(rawValue: entry.algorithm) { return algorithm }
        guard mayMeasure else { return .preferred }
        let rates: [ConvolutionAlgorithm: Double]
        do { rates = try measure() } catch {
            note("convolution auto: the measurement failed (\(error)); using \(ConvolutionAlgorithm.preferred.rawValue)")
            return .preferred
        }
        let choice = ConvolutionChoice.decide(rates: rates, incumbent: .preferred)
        let figures = rates.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \(String(format: "%.0f", $0.value))" }.joined(separator: ", ")
        note("convolution auto: \(choice.rawValue) on this CPU (img/s, \(threads) threads: \(figures)); cached in \(url.path)")
        entries[key] = Entry(algorithm: choice.rawValue,
                             imagesPerSecond: Dictionary(uniqueKeysWithValues: rates.map { ($0.key.rawValue, $0.value) }),
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
            let measure = { try ConvolutionChoice.measure(threads: threads) }
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
