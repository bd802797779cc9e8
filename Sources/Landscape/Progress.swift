import Foundation

/// One report from a long computation: what the CLI draws as a bar and the
/// service streams to the page.
public struct ProgressReport: Sendable, Codable, Equatable {
    public var label: String
    public var done: Int
    public var total: Int
    public var elapsedSeconds: Double
    /// Units per second over the work done in this run (resumed work excluded).
    public var rate: Double
    public var etaSeconds: Double?

    public var fraction: Double { total == 0 ? 1 : Double(done) / Double(total) }

    public init(label: String, done: Int, total: Int, elapsedSeconds: Double, rate: Double, etaSeconds: Double?) {
        self.label = label; self.done = done; self.total = total; self.elapsedSeconds = elapsedSeconds
        self.rate = rate; self.etaSeconds = etaSeconds
    }
}

/// A thread-safe cancellation flag shared by a job and whoever may cancel it.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}
