import Foundation
import LandscapeCore

/// Finished Hessian runs kept by id (`HessianSpec.resultID`): one folder per
/// run holding what `HessianRun` writes (`<model>.hessian.json` and the
/// eigenvector safetensors, both atomic) and, written last and atomically,
/// `run.json`, the entry that marks the run complete. A run stopped half way
/// has no entry and is recomputed by the same request.
public struct HessianStore: Sendable {
    public let directory: URL

    /// What `run.json` holds: the request as it was validated and the spectra's files in model order.
    public struct Entry: Sendable, Codable, Equatable {
        public var id: String
        public var models: [String]
        /// `<model>.hessian.json` per model, beside this entry.
        public var files: [String]
        public var dataset: String
        public var samples: Int
        public var top: Int
        public var negative: Bool
        public var lanczosSteps: Int
        public var traceProbes: Int
        public var density: Bool
        public var densityRuns: Int
        public var densitySteps: Int
        public var seed: UInt64
        public var created: String

        public init(id: String, models: [String], files: [String], dataset: String, samples: Int, options: SpectrumOptions,
                    created: Date = Date()) {
            self.id = id; self.models = models; self.files = files; self.dataset = dataset; self.samples = samples
            top = options.top; negative = options.negative; lanczosSteps = options.lanczosSteps; traceProbes = options.traceProbes
            density = options.density; densityRuns = options.densityRuns; densitySteps = options.densitySteps; seed = options.seed
            self.created = ISO8601DateFormatter().string(from: created)
        }
    }

    public static let entryFileName = "run.json"

    public init(directory: URL) throws {
        self.directory = directory
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw LandscapeError.storeFailure(path: directory.path, detail: "cannot create the Hessian store: \(error.localizedDescription)")
        }
    }

    /// Ids are what `HessianSpec.resultID` makes; anything else (a path, "..") is no id.
    public static func isValidID(_ id: String) -> Bool {
        id.range(of: #"^h[0-9a-f]{15}$"#, options: .regularExpression) != nil
    }

    /// The folder of one run (where `HessianRun` writes).
    public func folder(_ id: String) -> URL { directory.appendingPathComponent(id, isDirectory: true) }

    /// The entry of a complete run, or nil (unknown, or still running / stopped half way).
    public func entry(_ id: String) throws -> Entry? {
        guard Self.isValidID(id) else { return nil }
        let url = folder(id).appendingPathComponent(Self.entryFileName)
        guard let data = try? Data(contentsOf: url) else { return nil }
        do { return try LandscapeJSON.decoder.decode(Entry.self, from: data) } catch {
            throw LandscapeError.invalidRequest("\(url.path): not a Hessian run entry: \(error)")
        }
    }

    /// Marks a run complete (after every spectrum is written).
    public func save(_ entry: Entry) throws {
        try SurfaceStore.writeAtomically(try LandscapeJSON.encode(entry), to: folder(entry.id).appendingPathComponent(Self.entryFileName))
    }

    /// The spectra of a complete run, in model order.
    public func spectra(_ entry: Entry) throws -> [HessianSpectrum] {
        try entry.files.map { name in
            let url = folder(entry.id).appendingPathComponent(name)
            do { return try LandscapeJSON.decoder.decode(HessianSpectrum.self, from: Data(contentsOf: url)) } catch {
                throw LandscapeError.invalidRequest("\(url.path): not a Hessian spectrum: \(error)")
            }
        }
    }

    /// Every complete run, oldest first.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter(Self.isValidID).compactMap { try? entry($0) }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
    }
}
