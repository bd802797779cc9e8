import Foundation

/// Writes a computation's surfaces on a thread of its own, so that a point's
/// store write (JSON encoding, the atomic writer's fsync and rename: 2–25 ms
/// per point here, more on network disks; the encoding grows with the grid)
/// overlaps the next point's forward passes instead of leaving both cores idle.
/// One write in flight at a time: `submit` waits for the previous one first,
/// so files are written in order and a crash leaves the last completed write,
/// whole (`AtomicFile`). Whoever submits learns a write's outcome from
/// `finish`, which waits for it and rethrows its error.
final class SurfaceWriter: @unchecked Sendable {
    private let store: SurfaceStore
    private let profile: SurfaceProfile?
    private let queue = DispatchQueue(label: "landscape.surface-writer")
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var failure: (any Error)?   // guarded by lock

    init(store: SurfaceStore, profile: SurfaceProfile?) {
        self.store = store
        self.profile = profile
    }

    /// Waits for the write in flight, if any; throws its error if it failed.
    func finish() throws {
        group.wait()
        lock.lock()
        let error = failure
        failure = nil
        lock.unlock()
        if let error { throw error }
    }

    /// Starts writing `surfaces` (each to its own file) after the write in flight. Call `finish`
    /// first to learn how that one went: an error it left is otherwise reported by the next `finish`.
    func submit(_ surfaces: [Surface]) {
        group.wait()
        let store = self.store, profile = self.profile
        queue.async(group: group) {
            do {
                for surface in surfaces {
                    let json = try profile.measuring(.encode) { try surface.jsonData() }
                    try profile.measuring(.write) { try store.save(surface, encoded: json) }
                }
            } catch {
                self.lock.lock()
                if self.failure == nil { self.failure = error }
                self.lock.unlock()
            }
        }
    }
}

extension Optional where Wrapped == SurfaceProfile {
    /// Runs `body`, adding its wall time to `phase` when there is a profile.
    func measuring<T>(_ phase: SurfaceProfile.Phase, _ body: () throws -> T) rethrows -> T {
        guard let profile = self else { return try body() }
        return try profile.measure(phase, body)
    }
}
