import Foundation
import Landscape

/// The Hessian spectra and seed studies shipped with the models (Models/hessian and Models/studies by
/// default), listed and served read only beside the computed ones, as Models/surfaces is for surfaces:
/// on a fresh clone (no cache) they are what the Sharpness tab opens with. Each folder is read again
/// only when its files change (names, sizes, modification times), so the lead can recompute them under
/// a running server.
final class ShippedResults: @unchecked Sendable {
    let hessianDirectory: URL
    let studiesDirectory: URL
    private let lock = NSLock()
    private var hessian: (stamp: String, run: Result<ShippedHessianRun?, Error>)?
    private var studies: (stamp: String, studies: ShippedStudies)?

    init(hessianDirectory: URL, studiesDirectory: URL) {
        self.hessianDirectory = hessianDirectory
        self.studiesDirectory = studiesDirectory
    }

    convenience init(configuration: ServiceConfiguration) {
        self.init(hessianDirectory: configuration.shippedHessianDirectory, studiesDirectory: configuration.shippedStudiesDirectory)
    }

    // MARK: Hessian

    /// The shipped run, nil when there is none; a folder whose spectra cannot be read is the server's problem (503).
    func hessianRun() throws -> ShippedHessianRun? {
        let stamp = Self.stamp(hessianDirectory)
        lock.lock()
        if let hit = hessian, hit.stamp == stamp { lock.unlock(); return try Self.unwrap(hit.run) }
        lock.unlock()
        let run = Result { try ShippedHessianRun.read(directory: hessianDirectory) }
        lock.lock(); hessian = (stamp, run); lock.unlock()
        return try Self.unwrap(run)
    }

    /// The shipped run's entry for the list ([] or one), and what keeps it from being listed.
    func hessianListing() -> (entries: [HessianStore.Entry], problems: [String]) {
        do { return (try hessianRun().map { [$0.entry] } ?? [], []) } catch { return ([], ["\(error)"]) }
    }

    /// The shipped run with this id, nil when it is not the shipped one.
    func hessianRun(_ id: String) throws -> ShippedHessianRun? {
        guard let run = try hessianRun(), run.entry.id == id else { return nil }
        return run
    }

    // MARK: Seed studies

    func shippedStudies() -> ShippedStudies {
        let stamp = Self.stamp(studiesDirectory)
        lock.lock()
        if let hit = studies, hit.stamp == stamp { lock.unlock(); return hit.studies }
        lock.unlock()
        let read = ShippedStudies(directory: studiesDirectory)
        lock.lock(); studies = (stamp, read); lock.unlock()
        return read
    }

    // MARK: -

    private static func unwrap(_ run: Result<ShippedHessianRun?, Error>) throws -> ShippedHessianRun? {
        do { return try run.get() } catch {
            throw ServiceError.storageUnavailable("the shipped Hessian spectra cannot be read", detail: "\(error)", full: false)
        }
    }

    /// Names, sizes and modification times of a folder's files: what changes when any of them is rewritten
    /// (every write is a write + rename).
    static func stamp(_ directory: URL) -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        return names.map { name -> String in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name):\((attributes?[.size] as? NSNumber)?.intValue ?? -1):\(modified)"
        }.joined(separator: "|")
    }
}

/// The body of GET /api/hessian and GET /api/studies: the computed results under their own name
/// (`hessian`, `studies`), then the shipped ones and what keeps a shipped file from being listed.
struct ResultListBody<Entry: Encodable>: Encodable {
    let name: String
    let computed: [Entry]
    let shipped: [Entry]
    let shippedProblems: [String]

    private struct Key: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.init(stringValue) }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(computed, forKey: Key(name))
        try container.encode(shipped, forKey: Key("shipped"))
        try container.encode(shippedProblems, forKey: Key("shipped_problems"))
    }
}
