import Foundation

/// The connection side of a streamed body. `write` throws once the client is gone or the server stops.
public final class HTTPBodyStream {
    let socket: Socket
    let isStopping: () -> Bool
    public private(set) var bytesWritten = 0

    init(socket: Socket, isStopping: @escaping () -> Bool) {
        self.socket = socket
        self.isStopping = isStopping
    }

    /// False once the peer hung up or the server is shutting down.
    public var isClientConnected: Bool { !isStopping() && !socket.peerHasClosed }

    public func write(_ data: Data) throws {
        guard isClientConnected else { throw HTTPServerError.connectionClosed }
        try socket.write(data)
        bytesWritten += data.count
    }
}

/// Writes Server-Sent Events (WHATWG HTML §9.2). Every method returns false once the client is gone,
/// so a producer loop can simply stop.
public final class ServerSentEventWriter {
    let stream: HTTPBodyStream

    init(stream: HTTPBodyStream) { self.stream = stream }

    public var isConnected: Bool { stream.isClientConnected }

    /// One event; multi-line `data` becomes several `data:` lines. CR/LF in `event`/`id` are dropped
    /// because they would end the field early.
    @discardableResult
    public func send(event: String? = nil, data: String, id: String? = nil) -> Bool {
        var text = ""
        if let id { text += "id: \(Self.singleLine(id))\n" }
        if let event { text += "event: \(Self.singleLine(event))\n" }
        // CRLF, CR and LF all end a line in the SSE grammar; each line gets its own "data:" field.
        var line = ""
        var lastWasCR = false
        for scalar in data.unicodeScalars {
            if scalar == "\n" && lastWasCR { lastWasCR = false; continue }
            lastWasCR = scalar == "\r"
            if scalar == "\r" || scalar == "\n" {
                text += "data: \(line)\n"
                line = ""
            } else {
                line.unicodeScalars.append(scalar)
            }
        }
        text += "data: \(line)\n"
        text += "\n"
        return write(text)
    }

    /// A comment line (": ..."): ignored by EventSource, keeps proxies and idle timers from closing us.
    @discardableResult
    public func comment(_ text: String = "keep-alive") -> Bool { write(": \(Self.singleLine(text))\n\n") }

    /// Tells EventSource how long to wait before reconnecting.
    @discardableResult
    public func retry(milliseconds: Int) -> Bool { write("retry: \(milliseconds)\n\n") }

    private func write(_ text: String) -> Bool {
        do { try stream.write(Data(text.utf8)); return true } catch { return false }
    }

    private static func singleLine(_ text: String) -> String {
        var copy = text
        copy.unicodeScalars.removeAll { $0 == "\r" || $0 == "\n" }
        return copy
    }
}
