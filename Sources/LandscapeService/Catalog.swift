import Foundation
import Landscape
import LandscapeIO

/// The models and surfaces the service knows: shipped models in Models/,
/// shipped surfaces in Models/surfaces, computed ones in the cache. Models
/// are read once and kept (a ResNet-20 is about 1 MB of floats).
public final class Catalog: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let cacheStore: SurfaceStore
    /// Training paths and their PCA planes (TrajectoryCatalog.swift).
    public let trajectories: TrajectoryCatalog
    private let shippedStore: SurfaceStore?
    private let lock = NSLock()
    private var models: [String: LoadedModel] = [:]
    /// Decoded surfaces by file path, valid while the file's modification time and size are unchanged
    /// (every save is a write + rename, so both change): the PNG and list endpoints stop re-reading JSON.
    private var decoded: [String: (stamp: String, surface: Surface)] = [:]

    static let modelExtensions: Set<String> = ["safetensors", "pt", "th", "pth"]

    public init(configuration: ServiceConfiguration) throws {
        self.configuration = configuration
        trajectories = TrajectoryCatalog(directories: configuration.trajectoryDirectories)
        cacheStore = try SurfaceStore(directory: configuration.cacheDirectory)
        let shipped = configuration.shippedSurfacesDirectory
        shippedStore = FileManager.default.fileExists(atPath: shipped.path) ? try SurfaceStore(directory: shipped) : nil
    }

    // MARK: Models

    /// Model ids (file names without extension) in Models/, sorted.
    public func modelIDs() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: configuration.modelsDirectory.path)) ?? []
        return files.filter { Self.modelExtensions.contains(($0 as NSString).pathExtension) }
            .map { ($0 as NSString).deletingPathExtension }.sorted()
    }

    public func model(_ id: String) throws -> LoadedModel {
        lock.lock()
        if let cached = models[id] { lock.unlock(); return cached }
        lock.unlock()
        guard id.range(of: #"^[A-Za-z0-9._-]+$"#, options: .regularExpression) != nil, !id.hasPrefix(".") else {
            throw ServiceError.badRequest("model id '\(id)': expected letters, digits, '.', '_' or '-'")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: configuration.modelsDirectory.path)) ?? []
        guard let file = files.first(where: { ($0 as NSString).deletingPathExtension == id
                                               && Self.modelExtensions.contains(($0 as NSString).pathExtension) }) else {
            throw ServiceError.notFound("model '\(id)'")
        }
        let loaded: LoadedModel
        do { loaded = try LoadedModel.load(configuration.modelsDirectory.appendingPathComponent(file)) } catch {
            throw ServiceError.badRequest("model '\(id)' cannot be loaded", detail: "\(error)")
        }
        lock.lock(); models[id] = loaded; lock.unlock()
        return loaded
    }

    // MARK: Surfaces

    /// Every surface, shipped first, newest computed ones after. A computed
    /// surface with the same id as a shipped one replaces it (it is at least as complete).
    public func surfaces() throws -> [(surface: Surface, shipped: Bool)] {
        var byID: [String: (surface: Surface, shipped: Bool)] = [:]
        var order: [String] = []
        for (store, shipped) in [(shippedStore, true), (cacheStore, false)] {
            guard let store else { continue }
            for name in try surfaceFiles(in: store) {
                guard let surface = try? decodedSurface(store.directory.appendingPathComponent(name)) else { continue }
                if byID[surface.id] == nil { order.append(surface.id) }
                if let existing = byID[surface.id], existing.surface.progress.computed > surface.progress.computed { continue }
                byID[surface.id] = (surface, shipped)
            }
        }
        return order.compactMap { byID[$0] }
    }

    public func surface(_ id: String) throws -> Surface {
        guard id.range(of: #"^[A-Za-z0-9_-]+$"#, options: .regularExpression) != nil else {
            throw ServiceError.badRequest("surface id '\(id)': expected letters, digits, '_' or '-'")
        }
        let candidates = try [cacheStore, shippedStore].compactMap { $0 }.compactMap { try load(id: id, from: $0) }
        guard let best = candidates.max(by: { $0.progress.computed < $1.progress.computed }) else {
            throw ServiceError.notFound("surface '\(id)'")
        }
        return best
    }

    private func surfaceFiles(in store: SurfaceStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.directory.path).filter { $0.hasSuffix(".json") }.sorted()
    }

    private func load(id: String, from store: SurfaceStore) throws -> Surface? {
        guard let name = try surfaceFiles(in: store).first(where: { $0.hasSuffix("-\(id).json") }) else { return nil }
        return try decodedSurface(store.directory.appendingPathComponent(name))
    }

    private func decodedSurface(_ url: URL) throws -> Surface {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let stamp = "\(modified)-\((attributes[.size] as? NSNumber)?.intValue ?? -1)"
        lock.lock()
        if let hit = decoded[url.path], hit.stamp == stamp { lock.unlock(); return hit.surface }
        lock.unlock()
        let surface = try Surface.decode(Data(contentsOf: url), source: url.path)
        lock.lock(); decoded[url.path] = (stamp, surface); lock.unlock()
        return surface
    }

    /// The complete stored surface with this id, from either store.
    func completeSurface(_ id: String) -> Surface? {
        [cacheStore, shippedStore].compactMap { $0 }.compactMap { try? load(id: id, from: $0) }.first { $0.progress.complete }
    }

    // MARK: Datasets

    public func datasetPath(_ idOrPath: String) throws -> String {
        if let path = configuration.datasets[idOrPath] { return path }
        throw ServiceError.badRequest("dataset '\(idOrPath)': expected one of \(configuration.datasets.keys.sorted().joined(separator: ", "))")
    }
}
