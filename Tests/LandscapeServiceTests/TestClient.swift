import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 client over a loopback socket, independent of the
/// server's own code: it writes request bytes and parses what comes back.
struct TestClient {
    let port: UInt16

    struct Response {
        var status: Int
        var headers: [String: String]   // lower-cased names
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        }
    }

    enum ClientError: Error { case connect(Int32), malformed(String), timeout }

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:],
                 timeout: TimeInterval = 60) throws -> Response {
        let fd = try connect(timeout: timeout)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try send(fd, Data(head.utf8) + (body ?? Data()))
        return try Self.parse(try readAll(fd))
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> Response { try request("GET", path, headers: headers) }

    func post(_ path: String, json: [String: Any]) throws -> Response {
        try request("POST", path, body: try JSONSerialization.data(withJSONObject: json))
    }

    /// Reads a Server-Sent Events stream to its end: (event name, data) pairs.
    func events(_ path: String, timeout: TimeInterval = 120) throws -> (status: Int, events: [(String, String)]) {
        let response = try request("GET", path, timeout: timeout)
        var events: [(String, String)] = []
        for block in response.text.components(separatedBy: "\n\n") {
            var name = "message", data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data.append(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) }
            }
            if !data.isEmpty { events.append((name, data.joined(separator: "\n"))) }
        }
        return (response.status, events)
    }

    /// A signal (SIGCHLD of a launcher's child, once Foundation's Process has a handler for it in this
    /// test process) interrupts a blocking connect with EINTR: try again on a fresh socket.
    private func connect(timeout: TimeInterval) throws -> Int32 {
        for _ in 0..<4 {
            do { return try connectOnce(timeout: timeout) } catch ClientError.connect(EINTR) { continue }
        }
        return try connectOnce(timeout: timeout)
    }

    private func connectOnce(timeout: TimeInterval) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.connect(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw ClientError.connect(errno) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private func send(_ fd: Int32, _ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ClientError.connect(errno) }
                offset += n
            }
        }
    }

    private func readAll(_ fd: Int32) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return data }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timeout }; throw ClientError.connect(errno) }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    static func parse(_ data: Data) throws -> Response {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { throw ClientError.malformed("no header end") }
        let head = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ClientError.malformed(head[0]) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[split.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init), body.count > length { body = body.prefix(length) }
        return Response(status: status, headers: headers, body: body)
    }
}
