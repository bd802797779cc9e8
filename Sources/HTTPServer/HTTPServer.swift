#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An HTTP/1.1 server on POSIX sockets: one accept thread, one thread per connection (capped by
/// `limits.maxConnections` in all and `limits.maxConnectionsPerClient` per client address; beyond
/// either cap clients get 503). Handlers run synchronously on their connection's thread.
public final class HTTPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var limits: HTTPLimits
        public var accessLog: (@Sendable (AccessLogEntry) -> Void)?

        public init(host: String = "127.0.0.1", port: UInt16 = 0, limits: HTTPLimits = .init(),
                    accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil) {
            self.host = host
            self.port = port
            self.limits = limits
            self.accessLog = accessLog
        }
    }

    enum State { case idle, running, stopping, stopped }

    public let configuration: Configuration
    let handler: HTTPHandler

    // Everything below is guarded by `lock`; it is also the condition stop/wait sleep on.
    private let lock = NSCondition()
    private var state = State.idle
    private var boundPort: UInt16 = 0
    private var acceptLoopRunning = false
    private var connections: [Int: Socket] = [:]
    /// Open connections per client key (see Socket.peer), for `limits.maxConnectionsPerClient`.
    private var connectionsPerClient: [String: Int] = [:]
    private var nextConnectionID = 0
    private var pendingRejections = 0
    private var signalTokens: [Int] = []
    private var signalStopRequested = false
    private let rejectionQueue = DispatchQueue(label: "HTTPServer.reject")

    /// How many refused clients may wait for their 503 at once; beyond it they are closed unanswered.
    private static let maxPendingRejections = 64
    /// How long stop waits for threads after shutting down their sockets at the deadline.
    private static let forcedStopGrace: TimeInterval = 1

    public init(configuration: Configuration, handler: HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// The bound port (the kernel's choice when configured with 0); 0 before `start()`.
    public var port: UInt16 { lock.withLock { boundPort } }

    /// Open connections being served right now.
    public var connectionCount: Int { lock.withLock { connections.count } }

    var isStopping: Bool { lock.withLock { state != .running } }

    /// True when at least `busyFraction` of `maxConnections` are in use: then kept-alive connections
    /// may idle only `headerTimeout`, so clients that send one request and then sit on their sockets
    /// (from several addresses, each under its share) cannot hold the server full for the idle timeout.
    var isBusy: Bool {
        lock.withLock { Double(connections.count) >= Self.busyFraction * Double(configuration.limits.maxConnections) }
    }

    /// Three quarters: well above what a browser, wrk -c64 or the tests use of the default 256 slots,
    /// and leaves a quarter free when reaping starts.
    static let busyFraction = 0.75

    /// Binds, listens and starts accepting on a background thread; returns once the port is bound.
    public func start() throws {
        try lock.withLock {
            guard state == .idle else { throw HTTPServerError.alreadyStarted }
            let listener = try Socket.listening(host: configuration.host, port: configuration.port)
            do { boundPort = try listener.localPort() } catch { listener.close(); throw error }
            state = .running
            acceptLoopRunning = true
            let thread = Thread { [self] in acceptLoop(listener) }
            thread.name = "HTTPServer.accept"
            thread.start()
        }
    }

    /// Stops accepting, lets requests in flight finish for up to `timeout` seconds, then cuts the
    /// remaining connections. Returns when the server is stopped; safe to call more than once.
    public func stop(timeout: TimeInterval) {
        lock.lock()
        defer { lock.unlock() }
        switch state {
        case .idle: state = .stopped; lock.broadcast(); return
        case .stopped: return
        case .stopping:
            while state != .stopped { lock.wait() }
            return
        case .running: state = .stopping
        }
        let deadline = Date().addingTimeInterval(timeout)
        while acceptLoopRunning || !connections.isEmpty {
            if !lock.wait(until: deadline) { break }
        }
        if !connections.isEmpty {
            // Wakes blocked reads and makes SSE producers' writes fail, so their threads return.
            for socket in connections.values { socket.shutdown() }
            let grace = Date().addingTimeInterval(Self.forcedStopGrace)
            while !connections.isEmpty && lock.wait(until: grace) {}
        }
        for token in signalTokens { SignalRelay.shared.unsubscribe(token) }
        signalTokens = []
        state = .stopped
        lock.broadcast()
    }

    /// Blocks until `stop` has finished (returns at once if the server never started).
    public func waitUntilStopped() {
        lock.withLock {
            while state == .running || state == .stopping { lock.wait() }
        }
    }

    /// On any of `signals`, stops gracefully (up to `timeout` seconds) and then calls `onStop` once.
    /// The signals' default actions are replaced so the process is not killed before draining
    /// (see SignalRelay for why this is a sigaction + pipe + DispatchSource, not a signal source).
    public func stopOnSignals(_ signals: [Int32] = [SIGINT, SIGTERM], timeout: TimeInterval = 5,
                              onStop: @escaping @Sendable () -> Void) {
        let tokens = signals.map { number in
            SignalRelay.shared.subscribe(number) { [weak self] in
                guard let self else { return }
                let first = self.lock.withLock {
                    defer { self.signalStopRequested = true }
                    return !self.signalStopRequested
                }
                guard first else { return }
                self.stop(timeout: timeout)
                onStop()
            }
        }
        lock.withLock { signalTokens += tokens }
    }

    private func acceptLoop(_ listener: Socket) {
        while !isStopping {
            // Poll with a short timeout so stop() is noticed without a wake-up pipe.
            guard let events = try? listener.poll(Int16(POLLIN), milliseconds: 50), events != 0 else { continue }
            do {
                guard let client = try listener.accept() else { continue }
                admit(client)
            } catch {
                // EMFILE and friends: back off instead of spinning; clients wait in the backlog.
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        listener.close()
        lock.withLock {
            acceptLoopRunning = false
            lock.broadcast()
        }
    }

    private func admit(_ client: Socket) {
        let acceptedAt = Date()
        let peer = client.peer()
        let limits = configuration.limits
        lock.lock()
        guard state == .running, connections.count < limits.maxConnections else {
            lock.unlock()
            reject(client, address: peer.address, detail: "server is at its limit of \(limits.maxConnections) connections")
            return
        }
        guard connectionsPerClient[peer.clientKey, default: 0] < limits.maxConnectionsPerClient else {
            lock.unlock()
            reject(client, address: peer.address,
                   detail: "client \(peer.clientKey) is at its limit of \(limits.maxConnectionsPerClient) connections")
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        connections[id] = client
        connectionsPerClient[peer.clientKey, default: 0] += 1
        lock.unlock()
        let thread = Thread { [self] in
            let connection = HTTPConnection(socket: client, server: self, remoteAddress: peer.address, acceptedAt: acceptedAt)
            let mayHaveUnreadInput = connection.run()
            if mayHaveUnreadInput { client.drainBeforeClose() }
            // Close under the lock: stop() only shuts down sockets still in the table, never a reused fd.
            lock.withLock {
                connections[id] = nil
                let left = connectionsPerClient[peer.clientKey, default: 1] - 1
                connectionsPerClient[peer.clientKey] = left > 0 ? left : nil
                client.close()
                lock.broadcast()
            }
        }
        thread.name = "HTTPServer.connection"
        thread.start()
    }

    /// Over a connection cap: answer 503 on a single helper queue so the accept loop never blocks.
    private func reject(_ client: Socket, address: String, detail: String) {
        let admitted = lock.withLock {
            guard pendingRejections < Self.maxPendingRejections else { return false }
            pendingRejections += 1
            return true
        }
        guard admitted else { client.close(); return }
        let accessLog = configuration.accessLog
        rejectionQueue.async { [self] in
            let response = HTTPError.serviceUnavailable(retryAfter: Self.retryAfterSeconds, detail: detail).response
            let body = response.bodyData ?? Data()
            client.setSendTimeout(1)
            try? client.write(HTTPResponseEncoder.head(response, keepAlive: false) + Array(body))
            client.drainBeforeClose(milliseconds: 100)
            client.close()
            accessLog?(AccessLogEntry(date: Date(), remoteAddress: address, method: "-", path: "-",
                                      status: 503, bytes: body.count, milliseconds: 0))
            lock.withLock { pendingRejections -= 1 }
        }
    }

    /// Retry-After on a 503 for a full server: connections are short; a second is enough to try again.
    static let retryAfterSeconds = 1
}
