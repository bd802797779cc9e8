import Foundation
import LandscapeEngine
import LandscapeIO

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
        try Self.writeAtomically(surface.jsonData(), to: directory.appendingPathComponent(surfaceFileName(for: surface)))
    }

    /// The normalized directions as safetensors: `x.<tensor>` / `y.<tensor>`
    /// under the model's own tensor names, the spec in the metadata.
    public func saveDirections(_ pair: (x: Direction, y: Direction?), layout: ParameterLayout,
                               spec: DirectionSpec, fileName: String) throws {
        let dict = DirectionFile.stateDict(pair, layout: layout, spec: spec)
        try Safetensors.write(dict, to: directory.appendingPathComponent(fileName))
    }

    private func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Write to `.NAME.tmp-PID` beside the target, then rename over it.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw LandscapeError.storeFailure(path: url.path, detail: "rename failed: \(String(cString: strerror(errno)))")
            }
        } catch let error as LandscapeError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw LandscapeError.storeFailure(path: url.path, detail: error.localizedDescription)
        }
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
