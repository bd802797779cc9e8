import Foundation

/// One piece of work on a thread of its own while the calling thread keeps talking MPI (a Hessian unit on
/// rank 0, a surface point in `LocalSlot`). `start` and `takeFinished` are called from that one thread.
final class BackgroundWork<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var finished: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)
    private var threads = 0

    var isIdle: Bool { lock.lock(); defer { lock.unlock() }; return !running && finished == nil }

    func start(_ body: @escaping @Sendable () throws -> Value) {
        lock.lock()
        running = true
        threads += 1
        lock.unlock()
        let thread = Thread { [self] in
            let outcome = Result { try body() }
            lock.lock()
            running = false
            finished = outcome
            lock.unlock()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func takeFinished() -> Result<Value, any Error>? {
        lock.lock()
        defer { lock.unlock() }
        guard let result = finished else { return nil }
        finished = nil
        threads -= 1
        done.wait()
        return result
    }

    /// Waits for a running piece to end (its caller cancels it first).
    func wait() {
        lock.lock()
        let outstanding = threads
        lock.unlock()
        if outstanding > 0 { done.wait() }
    }
}
