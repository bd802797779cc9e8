import Foundation
import Landscape

/// The training paths the service knows: directories as `landscape trajectory --out DIR`
/// writes them (trajectory.json and its PCA directions), found in each configured
/// directory either directly or one level down (Models/trajectories/<model>/).
/// A trajectory's id is its content key; the files are read again only when they change.
public final class TrajectoryCatalog: @unchecked Sendable {
    public let directories: [URL]
    private let lock = NSLock()
    private var decoded: [String: (stamp: String, trajectory: Trajectory)] = [:]

    public struct Entry: Sendable {
        /// The directory holding trajectory.json and the directions file (what `PCAPlane.load` reads).
        public let directory: URL
        public let trajectory: Trajectory
        public var id: String { trajectory.id }
    }

    public init(directories: [URL]) { self.directories = directories }

    /// Every readable trajectory, in the order of the configured directories and then by folder name;
    /// a file that is not a trajectory is skipped (as a foreign file in the surface store is). The first of
    /// two directories with the same id wins.
    public func all() -> [Entry] {
        var seen = Set<String>()
        var entries: [Entry] = []
        for candidate in directories.flatMap(candidates) {
            guard let trajectory = try? decode(candidate), seen.insert(trajectory.id).inserted else { continue }
            entries.append(Entry(directory: candidate, trajectory: trajectory))
        }
        return entries
    }

    public func entry(_ id: String) throws -> Entry {
        guard TrajectoryPlaneRequest.isValidID(id) else {
            throw ServiceError.badRequest("trajectory id '\(id)': expected letters, digits, '_' or '-' (GET /api/trajectories)")
        }
        guard let entry = all().first(where: { $0.id == id }) else { throw ServiceError.notFound("trajectory '\(id)'") }
        return entry
    }

    /// The directory itself when it holds a trajectory.json, else its sub-directories that do.
    private func candidates(_ directory: URL) -> [URL] {
        let manager = FileManager.default
        if manager.fileExists(atPath: directory.appendingPathComponent(Trajectory.fileName).path) { return [directory] }
        let names = ((try? manager.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.map { directory.appendingPathComponent($0) }
            .filter { manager.fileExists(atPath: $0.appendingPathComponent(Trajectory.fileName).path) }
    }

    private func decode(_ directory: URL) throws -> Trajectory {
        let path = directory.appendingPathComponent(Trajectory.fileName).path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let stamp = "\(modified)-\((attributes[.size] as? NSNumber)?.intValue ?? -1)"
        lock.lock()
        if let hit = decoded[path], hit.stamp == stamp { lock.unlock(); return hit.trajectory }
        lock.unlock()
        let trajectory = try Trajectory.load(path)
        lock.lock(); decoded[path] = (stamp, trajectory); lock.unlock()
        return trajectory
    }
}
