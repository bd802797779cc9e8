import Foundation
import LandscapeCore

/// Finished seed studies kept by id (`SeedStudy.id`): one `study-<id>.json` per study, written
/// atomically once every seed's surfaces are complete (the surfaces themselves live in the surface
/// store). A study stopped half way has no file and is resumed by the same request.
public struct SeedStudyStore: Sendable {
    public let directory: URL

    /// What the list of studies shows of each: enough to pick one.
    public struct Entry: Sendable, Codable, Equatable {
        public var id: String
        public var seeds: [UInt64]
        public var dimensions: Int
        public var widthThreshold: Double
        public var models: [String]
        public var samples: Int
        public var sentences: [String]
        public var created: String
    }

    public init(directory: URL) throws {
        self.directory = directory
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw LandscapeError.storeFailure(path: directory.path, detail: "cannot create the seed study store: \(error.localizedDescription)")
        }
    }

    /// Ids are what `SeedStudy.id` makes (16 hexadecimal digits); anything else (a path, "..") is no id.
    public static func isValidID(_ id: String) -> Bool {
        id.range(of: #"^[0-9a-f]{16}$"#, options: .regularExpression) != nil
    }

    public func url(_ id: String) -> URL { directory.appendingPathComponent("study-\(id).json") }

    /// The finished study, or nil (unknown, or its job has not finished).
    public func study(_ id: String) throws -> SeedStudy? {
        guard Self.isValidID(id) else { return nil }
        let url = url(id)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try SeedStudy.load(url.path)
    }

    /// Stores a finished study (through the one atomic writer).
    public func save(_ study: SeedStudy) throws { try study.write(to: url(study.id)) }

    /// Every finished study, oldest first.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let ids = names.filter { $0.hasPrefix("study-") && $0.hasSuffix(".json") }.map { String($0.dropFirst(6).dropLast(5)) }
        return ids.filter(Self.isValidID).compactMap { id -> Entry? in
            guard let study = try? study(id) else { return nil }
            let date = (try? FileManager.default.attributesOfItem(atPath: url(id).path)[.modificationDate] as? Date) ?? Date()
            return Entry(id: id, seeds: study.seeds, dimensions: study.dimensions, widthThreshold: study.widthThreshold,
                         models: study.models.map(\.label), samples: study.dataset.samples,
                         sentences: study.comparisons.map(\.sentence), created: ISO8601DateFormatter().string(from: date))
        }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
    }
}
