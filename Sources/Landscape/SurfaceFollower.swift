import Foundation

/// Follows the surfaces of a computation that another process fills in (`serve --launcher`
/// runs `landscape surface --spec ...` into the service's store): each `poll` reads the
/// surface files that changed since the last one (every save is a write + rename, so a
/// file read is always whole) and returns the points that appeared, coarse-to-fine, as the
/// `Step`s `SurfaceComputation.run` reports for points computed in this process.
public final class SurfaceFollower {
    private let computation: SurfaceComputation
    private var surfaces: [Surface]
    private var stamps: [String?]
    private let order: [Int]
    private let startedWith: Int
    private let start = Date()
    private var done: Int

    /// Starts from what the store holds now (points computed before are not reported).
    public init(computation: SurfaceComputation) throws {
        self.computation = computation
        surfaces = try computation.models.indices.map { try computation.initialSurface(for: $0) }
        stamps = surfaces.map { _ in nil }
        order = ProgressiveOrder.order(for: computation.grid)
        done = surfaces.reduce(0) { $0 + $1.progress.computed }
        startedWith = done
        stamps = surfaces.map { stamp(of: $0) }
    }

    public var total: Int { surfaces.count * computation.grid.pointCount }
    public var isComplete: Bool { done == total }
    public var surfacesSoFar: [Surface] { surfaces }

    private func url(of surface: Surface) -> URL {
        computation.store.directory.appendingPathComponent(computation.store.surfaceFileName(for: surface))
    }

    /// Modification time and size: both change with every rename into place.
    private func stamp(of surface: Surface) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url(of: surface).path) else { return nil }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSinceReferenceDate ?? 0
        return "\(modified)/\((attributes[.size] as? NSNumber)?.intValue ?? -1)"
    }

    /// The points saved since the last poll, each with the surface as it stood after the poll.
    public func poll() throws -> [SurfaceComputation.Step] {
        var steps: [SurfaceComputation.Step] = []
        for index in surfaces.indices {
            let current = stamp(of: surfaces[index])
            guard current != stamps[index] else { continue }
            stamps[index] = current
            let url = url(of: surfaces[index])
            guard let data = try? Data(contentsOf: url) else { continue }
            let stored = try Surface.decode(data, source: url.path)
            guard stored.id == surfaces[index].id else {
                throw LandscapeError.storeFailure(path: url.path, detail: "holds surface \(stored.id), expected \(surfaces[index].id)")
            }
            let new = order.filter { stored.isComputed($0) && !surfaces[index].isComputed($0) }
            surfaces[index] = stored
            for point in new {
                done += 1
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(done - startedWith) / max(elapsed, 1e-9)
                let report = ProgressReport(label: stored.model.name, done: done, total: total, elapsedSeconds: elapsed,
                                            rate: rate, etaSeconds: rate > 0 ? Double(total - done) / rate : nil)
                steps.append(SurfaceComputation.Step(report: report, surface: stored, point: point))
            }
        }
        return steps
    }
}
