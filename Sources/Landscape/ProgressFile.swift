import Foundation
import LandscapeCore

/// A run's latest `ProgressReport` as a small JSON file, replaced atomically (`--progress FILE`):
/// how a run that writes no store after every unit (a Hessian run: its spectra appear only once
/// each model is done) tells `serve --launcher` how far it is. Readers see the previous report or
/// the next, never a torn one.
public final class ProgressFile: @unchecked Sendable {
    public let url: URL
    /// Reports closer together than this are not written (the last one always is).
    public let interval: TimeInterval
    private var lastWrite: Date?

    public init(url: URL, interval: TimeInterval = 0.2) {
        self.url = url
        self.interval = interval
    }

    /// Writes `report` unless one was written less than `interval` ago (a finished one always).
    public func record(_ report: ProgressReport) throws {
        let now = Date()
        if let lastWrite, now.timeIntervalSince(lastWrite) < interval, report.done < report.total { return }
        try AtomicFile.write(try LandscapeJSON.encode(report), to: url)
        lastWrite = now
    }

    /// The latest report, nil while there is none yet. A file that is not a report is an error naming it.
    public static func read(_ url: URL) throws -> ProgressReport? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do { return try LandscapeJSON.decoder.decode(ProgressReport.self, from: data) } catch {
            throw LandscapeError.storeFailure(path: url.path, detail: "not a progress report: \(error)")
        }
    }
}
