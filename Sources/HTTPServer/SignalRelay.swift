#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Delivers POSIX signals to Swift closures. A DispatchSource signal source alone is unreliable on
/// Linux: libdispatch reads a signalfd, which only sees a signal if *every* thread blocks it, and
/// with SIG_IGN set the kernel otherwise discards it on whichever thread it lands. So: a sigaction
/// handler writes the signal number into a pipe (async-signal-safe), and a DispatchSource read
/// source on that pipe calls the subscribers on a normal queue.
final class SignalRelay: @unchecked Sendable {
    static let shared = SignalRelay()

    /// Read by the C handler; set once before any handler is installed.
    nonisolated(unsafe) private static var writeFD: Int32 = -1

    private let lock = NSLock()
    private var subscribers: [Int32: [Int: @Sendable () -> Void]] = [:]
    private var installed: Set<Int32> = []
    private var nextToken = 0
    private var source: DispatchSourceRead?

    private init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)   // no child process keeps the relay's pipe
        }
        Self.writeFD = fds[1]
        let readFD = fds[0]
        let source = DispatchSource.makeReadSource(fileDescriptor: readFD, queue: .global())
        source.setEventHandler { [unowned self] in
            var byte: UInt8 = 0
            while Glibc.read(readFD, &byte, 1) == 1 { deliver(Int32(byte)) }
        }
        source.resume()
        self.source = source
    }

    /// Calls `action` (on a global queue) each time `signal` arrives; returns a token for `unsubscribe`.
    func subscribe(_ signal: Int32, _ action: @escaping @Sendable () -> Void) -> Int {
        lock.withLock {
            nextToken += 1
            subscribers[signal, default: [:]][nextToken] = action
            if installed.insert(signal).inserted {
                var handler = sigaction()
                handler.__sigaction_handler.sa_handler = { number in
                    var byte = UInt8(truncatingIfNeeded: number)
                    _ = Glibc.write(SignalRelay.writeFD, &byte, 1)
                }
                sigemptyset(&handler.sa_mask)
                handler.sa_flags = Int32(SA_RESTART)
                sigaction(signal, &handler, nil)
            }
            return nextToken
        }
    }

    func unsubscribe(_ token: Int) {
        lock.withLock {
            for signal in subscribers.keys { subscribers[signal]?[token] = nil }
        }
    }

    private func deliver(_ signal: Int32) {
        let actions = lock.withLock { subscribers[signal].map { Array($0.values) } ?? [] }
        for action in actions { DispatchQueue.global().async(execute: action) }
    }
}
