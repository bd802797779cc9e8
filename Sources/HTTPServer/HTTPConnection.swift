#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Serves one client connection: reads, decodes, calls the handler and writes responses in order
/// (so pipelined requests are answered in the order they arrived) until close, error, timeout or stop.
final class HTTPConnection {
    private let socket: Socket
    private let server: HTTPServer
    private let limits: HTTPLimits
    private let decoder: HTTPRequestDecoder
    private let remoteAddress: String
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    /// How often a waiting connection checks whether the server is stopping.
    private static let pollSliceSeconds = 0.1

    init(socket: Socket, server: HTTPServer, remoteAddress: String, acceptedAt: Date) {
        self.socket = socket
        self.server = server
        self.limits = server.configuration.limits
        self.decoder = HTTPRequestDecoder(limits: server.configuration.limits)
        self.remoteAddress = remoteAddress
        self.acceptedAt = acceptedAt
    }

    private let acceptedAt: Date

    /// Runs until the connection should close. Returns true when unread input may remain,
    /// in which case the caller drains before closing (see Socket.drainBeforeClose).
    func run() -> Bool {
        socket.setSendTimeout(limits.writeTimeout)
        var servedAny = false
        var idleSince = acceptedAt      // when the buffer last became empty after a response
        var firstByteAt = acceptedAt    // first byte of the request being read (meaningful when buffered)
        var headComplete = false
        var sentContinue = false
        while true {
            switch decoder.decode(buffer) {
            case let .request(request, consumed):
                buffer.removeFirst(consumed)
                var request = request
                request.remoteAddress = remoteAddress
                guard respond(to: request) else { return !buffer.isEmpty }
                servedAny = true
                sentContinue = false
                headComplete = false
                idleSince = Date()
                firstByteAt = idleSince // a pipelined request already buffered starts now
                continue
            case let .failure(failure):
                refuse(failure.status, failure.message)
                return true
            case let .incomplete(expectsContinue, complete):
                headComplete = complete
                if expectsContinue && !sentContinue {
                    guard (try? socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))) != nil else { return false }
                    sentContinue = true
                }
            }
            if buffer.isEmpty && server.isStopping { return false }
            let (deadline, refusal) = deadline(servedAny: servedAny, idleSince: idleSince, firstByteAt: firstByteAt,
                                               headComplete: headComplete)
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                // Nothing buffered: close silently (there is no request to answer). Otherwise 408.
                if !buffer.isEmpty { refuse(408, refusal) }
                return !buffer.isEmpty
            }
            let slice = Int32(max(1, min(remaining, Self.pollSliceSeconds) * 1000))
            guard let events = try? socket.poll(Int16(POLLIN), milliseconds: slice) else { return false }
            if events == 0 { continue }
            guard let count = try? socket.read(into: &scratch), count > 0 else { return false }
            if buffer.isEmpty { firstByteAt = Date() }
            buffer.append(contentsOf: scratch[0..<count])
        }
    }

    /// When waiting ends, and the 408 detail if a partial request is buffered by then:
    /// - nothing buffered: a fresh connection has the header timeout (capped by the idle timeout) from
    ///   accept, a kept-alive one the idle timeout from its last response (the header timeout while the
    ///   server is busy, see HTTPServer.isBusy);
    /// - head incomplete: the header timeout (from accept on a fresh connection, from the first byte
    ///   otherwise), capped by the read timeout from the first byte;
    /// - only body bytes missing: the read timeout from the first byte.
    private func deadline(servedAny: Bool, idleSince: Date, firstByteAt: Date,
                          headComplete: Bool) -> (Date, String) {
        let readDeadline = firstByteAt.addingTimeInterval(limits.readTimeout)
        let readRefusal = "request not received within \(limits.readTimeout) s"
        if buffer.isEmpty {
            let idle = servedAny && !server.isBusy ? limits.idleTimeout : min(limits.headerTimeout, limits.idleTimeout)
            return (idleSince.addingTimeInterval(idle), "")
        }
        if headComplete { return (readDeadline, readRefusal) }
        let headDeadline = (servedAny ? firstByteAt : acceptedAt).addingTimeInterval(limits.headerTimeout)
        return headDeadline < readDeadline
            ? (headDeadline, "request head (request line and headers) not received within \(limits.headerTimeout) s")
            : (readDeadline, readRefusal)
    }

    /// Calls the handler and writes its response; returns whether to keep the connection.
    private func respond(to request: HTTPRequest) -> Bool {
        let started = Date()
        var response: HTTPResponse
        do {
            response = try server.handler.handle(request)
        } catch let error as HTTPError {
            response = error.response
        } catch {
            // Handlers are expected to use ErrorJSONMiddleware; this is the last line of defence.
            response = .error(status: .internalServerError, error: "internal server error", detail: "\(error)")
        }
        var keepAlive = request.keepAlive && !server.isStopping
        if case .stream = response.body { keepAlive = false }
        let head = HTTPResponseEncoder.head(response, keepAlive: keepAlive)
        let sendsBody = HTTPResponseEncoder.sendsBody(response, method: request.method)
        var bytes = 0
        do {
            switch response.body {
            case let .bytes(data):
                var out = head
                if sendsBody { out.append(contentsOf: data); bytes = data.count }
                try socket.write(out)
            case let .stream(producer):
                try socket.write(head)
                if sendsBody {
                    let stream = HTTPBodyStream(socket: socket) { [server] in server.isStopping }
                    // A producer that throws has already sent what it could; the close ends the body.
                    try? producer(stream)
                    bytes = stream.bytesWritten
                }
            }
        } catch {
            keepAlive = false
        }
        log(request.method.rawValue, request.path, response.status.code, bytes, since: started)
        return keepAlive
    }

    /// Answers a request the decoder refused; the connection closes afterwards.
    private func refuse(_ status: HTTPStatus, _ message: String) {
        let started = Date()
        let response = HTTPError(status, detail: message).response
        let bytes = response.bodyData ?? Data()
        try? socket.write(HTTPResponseEncoder.head(response, keepAlive: false) + Array(bytes))
        log("-", "-", status.code, bytes.count, since: started)
    }

    private func log(_ method: String, _ path: String, _ status: Int, _ bytes: Int, since started: Date) {
        guard let accessLog = server.configuration.accessLog else { return }
        accessLog(AccessLogEntry(date: started, remoteAddress: remoteAddress, method: method, path: path,
                                 status: status, bytes: bytes, milliseconds: -started.timeIntervalSinceNow * 1000))
    }
}
