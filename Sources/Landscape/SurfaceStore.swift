import Foundation
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// The one place surfaces and their directions touch the disk. Every write
/// goes to a temporary file in the same directory and is renamed into place,
/// so a crash or `kill -9` leaves either the old file or the new one, never
/// half of one.
public struct SurfaceStore: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw LandscapeError.storeFailure(path: directory.path, detail: "cannot create the directory: \(error.localizedDescription)")
        }
        removeStaleTemporaryFiles()
    }

    public func surfaceFileName(for surface: Surface) -> String { "\(Self.slug(surface.model.name))-\(surface.id).json" }
    public func directionsFileName(id: String) -> String { "directions-\(id).safetensors" }
    public func exists(_ fileName: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(fileName).path)
    }

    /// The surface with this content key, if one was saved (complete or partial).
    public func load(id: String) throws -> Surface? {
        guard let name = try fileNames().first(where: { $0.hasSuffix("-\(id).json") }) else { return nil }
        let url = directory.appendingPathComponent(name)
        return try Surface.decode(Data(contentsOf: url), source: url.path)
    }

    /// Every surface in the directory; files that are not surfaces are skipped.
    public func all() throws -> [(fileName: String, surface: Surface)] {
        try fileNames().filter { $0.hasSuffix(".json") }.compactMap { name in
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
                  let surface = try? Surface.decode(data, source: name) else { return nil }
            return (name, surface)
        }
    }

    public func save(_ surface: Surface) throws {
        try save(surface, encoded: surface.jsonData())
    }

    /// Writes `surface` whose JSON (`surface.jsonData()`) is `encoded`.
    public func save(_ surface: Surface, encoded: Data) throws {
        try Self.writeAtomically(encoded, to: directory.appendingPathComponent(surfaceFileName(for: surface)))
    }

    /// The normalized directions as safetensors: `x.<tensor>` / `y.<tensor>`
    /// under the model's own tensor names, the spec in the metadata.
    public func saveDirections(_ pair: (x: Direction, y: Direction?), layout: ParameterLayout,
                               spec: DirectionSpec, fileName: String, metadata: [String: String] = [:]) throws {
        var dict = DirectionFile.stateDict(pair, layout: layout, spec: spec)
        dict.metadata.merge(metadata) { _, new in new }
        let url = directory.appendingPathComponent(fileName)
        do { try Safetensors.write(dict, to: url) } catch {
            throw Self.classify(error, path: url.path, directory: directory.path)
        }
    }

    private func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The one atomic writer (LandscapeCore's: temporary file beside the target, fsync, rename), with
    /// its failures told apart: a full disk or a read-only store is not a bug.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        do { try AtomicFile.write(data, to: url) } catch {
            throw classify(error, path: url.path, directory: url.deletingLastPathComponent().path)
        }
    }

    /// Why a write failed, as the service must answer it: a full disk (507)
    /// and a read-only or unwritable directory (503) are not bugs (500).
    public static func classify(_ error: any Error, path: String, directory: String) -> LandscapeError {
        let detail = "\(error)"
        // The writer's errno says it first hand; statvfs after the fact covers writers that lose it.
        if let failure = error as? AtomicFileError {
            switch failure.code {
            case ENOSPC, EDQUOT: return .storeUnavailable(path: path, detail: "\(detail) (no space left in \(directory))", full: true)
            case EROFS, EACCES, EPERM:
                return .storeUnavailable(path: path, detail: "\(detail) (\(directory) is read-only or not writable)", full: false)
            default: break
            }
        }
        var stats = statvfs()
        if statvfs(directory, &stats) == 0 {
            if stats.f_flag & UInt(ST_RDONLY) != 0 || access(directory, W_OK) != 0 {
                return .storeUnavailable(path: path, detail: "\(detail) (\(directory) is read-only or not writable)", full: false)
            }
            // Asked after the fact (errno is long gone by now): a write can fail with a few blocks
            // left (reserved blocks), so "nearly full" counts as full.
            if stats.f_bavail < 16 {
                return .storeUnavailable(path: path, detail: "\(detail) (no space left in \(directory))", full: true)
            }
        }
        return .storeFailure(path: path, detail: detail)
    }

    /// When this process first opened a store: temporary files of our own PID older than that
    /// were left by an earlier process that had the same PID (PID 1 in a container).
    private static let firstOpened = Date()

    /// Removes temporary files that a killed writer left behind (`kill -9` between
    /// create and rename): the atomic writer's `.NAME.PID-R.tmp`, and `.NAME.tmp-PID`
    /// of earlier versions, when that PID no longer runs.
    func removeStaleTemporaryFiles() {
        let start = Self.firstOpened
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(".") {
            guard let pid = Self.writerPID(ofTemporaryFile: name) else { continue }
            let path = directory.appendingPathComponent(name).path
            let alive = kill(pid, 0) == 0 || errno == EPERM
            if pid == getpid() {
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
                if let modified, modified < start { unlink(path) }
            } else if !alive {
                unlink(path)
            }
        }
    }

    /// The PID in `.NAME.tmp-PID[-R]` or `.NAME.PID-R.tmp`, or nil for any other name.
    static func writerPID(ofTemporaryFile name: String) -> pid_t? {
        if let range = name.range(of: ".tmp-", options: .backwards) {
            let digits = name[range.upperBound...].prefix { $0.isNumber }
            return digits.isEmpty ? nil : pid_t(digits)
        }
        if name.hasSuffix(".tmp") {
            let stem = name.dropLast(4)
            guard let dot = stem.lastIndex(of: ".") else { return nil }
            let parts = stem[stem.index(after: dot)...].split(separator: "-")
            guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return nil }
            return pid_t(parts[0])
        }
        return nil
    }

    static func slug(_ name: String) -> String {
        String(name.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
    }
}

/// Directions as named tensors, so anyone can recompute a point elsewhere.
public enum DirectionFile {
    public static func stateDict(_ pair: (x: Direction, y: Direction?), layout: ParameterLayout, spec: DirectionSpec) -> StateDict {
        var dict = StateDict()
        for (axis, direction) in [("x", pair.x), ("y", pair.y)] {
            guard let direction else { continue }
            for entry in layout.entries {
                dict["\(axis).\(entry.name)"] = Tensor(shape: entry.shape, scalars: Array(direction.values[entry.range]))
            }
        }
        dict.metadata = ["seed": String(spec.seed), "normalization": spec.normalization.rawValue,
                         "ignore": spec.ignore.rawValue, "mode": spec.mode.rawValue,
                         "format": "x.<tensor> and y.<tensor>: theta(a, b) = theta + a*x + b*y"]
        return dict
    }

    /// Reads a direction file back into flat buffers aligned with `layout`.
    public static func directions(from dict: StateDict, layout: ParameterLayout) throws -> (x: Direction, y: Direction?) {
        func read(_ axis: String) throws -> Direction? {
            guard dict["\(axis).\(layout.entries[0].name)"] != nil else { return nil }
            var values = [Float](repeating: 0, count: layout.totalCount)
            for entry in layout.entries {
                guard let t = dict["\(axis).\(entry.name)"], t.shape == entry.shape else {
                    throw LandscapeError.invalidDirections("tensor \(axis).\(entry.name): missing or not of shape \(entry.shape)")
                }
                values.replaceSubrange(entry.range, with: t.scalars)
            }
            return Direction(values: values)
        }
        guard let x = try read("x") else { throw LandscapeError.invalidDirections("no x.* tensors") }
        return (x, try read("y"))
    }
}
