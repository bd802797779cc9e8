// Tests for the HTTP server: a real client over loopback.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HTTPServer

/// A response as a raw-socket client sees it.
struct RawResponse {
    let status: Int
    let headers: [String: String] // lowercased names
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct RawClientError: Error, CustomStringConvertible {
    let description: String
}

/// A deliberately dumb HTTP/1.1 client on a blocking socket, so tests control every byte on the wire.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// `source`: a loopback address to connect from (all of 127/8 is local on Linux), so tests can be
    /// two different clients; nil lets the kernel choose (127.0.0.1).
    init(port: UInt16, receiveTimeout: TimeInterval = 5, source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError(description: "socket: errno \(errno)") }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let code = errno
                Glibc.close(fd)
                throw RawClientError(description: "bind to source \(source): errno \(code)")
            }
        }
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RawClientError(description: "connect to port \(port): errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw RawClientError(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads more bytes into the buffer; false on EOF, error or receive timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Reads until `marker` is buffered; returns the bytes up to and including it.
    func read(until marker: String) throws -> String {
        let needle = Array(marker.utf8)
        while true {
            if let range = buffer.firstRange(of: needle) {
                let text = String(decoding: buffer[..<range.upperBound], as: UTF8.self)
                buffer.removeFirst(range.upperBound)
                return text
            }
            guard fill() else {
                throw RawClientError(description: "connection ended before '\(marker)'; got: \(String(decoding: buffer, as: UTF8.self))")
            }
        }
    }

    /// One response; `bodyless` for answers to HEAD. Without Content-Length, reads until close.
    func readResponse(bodyless: Bool = false) throws -> RawResponse {
        let head = try read(until: "\r\n\r\n")
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
            throw RawClientError(description: "bad status line '\(lines[0])'")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            let pair = line.split(separator: ":", maxSplits: 1)
            headers[pair[0].lowercased()] = pair.count > 1 ? pair[1].trimmingCharacters(in: .whitespaces) : ""
        }
        if bodyless || status == 304 || status == 204 || status < 200 {
            return RawResponse(status: status, headers: headers, body: Data())
        }
        if let lengthText = headers["content-length"], let length = Int(lengthText) {
            while buffer.count < length {
                guard fill() else { throw RawClientError(description: "body ended after \(buffer.count) of \(length) bytes") }
            }
            let body = Data(buffer[..<length])
            buffer.removeFirst(length)
            return RawResponse(status: status, headers: headers, body: body)
        }
        return RawResponse(status: status, headers: headers, body: Data(readUntilClose()))
    }

    /// Everything until the server closes (or the receive timeout passes).
    func readUntilClose() -> [UInt8] {
        while fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True if the server closed the connection (EOF), false if data arrived or the timeout passed.
    func serverClosed() -> Bool {
        guard buffer.isEmpty else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

/// Collects access-log entries from the server's threads.
final class AccessLogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [AccessLogEntry] = []
    var entries: [AccessLogEntry] { lock.withLock { stored } }
    func record(_ entry: AccessLogEntry) { lock.withLock { stored.append(entry) } }
}

/// Test-sized limits: short timeouts keep the whole suite fast.
func testLimits(readTimeout: TimeInterval = 2, idleTimeout: TimeInterval = 2, maxConnections: Int = 64,
                headerTimeout: TimeInterval = 2, maxConnectionsPerClient: Int = 64) -> HTTPLimits {
    HTTPLimits(maxRequestLineBytes: 1024, maxHeaderBytes: 2048, maxHeaderCount: 10, maxBodyBytes: 4096,
               readTimeout: readTimeout, idleTimeout: idleTimeout, writeTimeout: 2, maxConnections: maxConnections,
               headerTimeout: headerTimeout, maxConnectionsPerClient: maxConnectionsPerClient)
}

/// Starts a server on an ephemeral loopback port; the caller stops it.
func startServer(_ handler: HTTPHandler, limits: HTTPLimits = testLimits(),
                 log: AccessLogRecorder? = nil) throws -> HTTPServer {
    var accessLog: (@Sendable (AccessLogEntry) -> Void)?
    if let log { accessLog = { entry in log.record(entry) } }
    let server = HTTPServer(configuration: .init(limits: limits, accessLog: accessLog), handler: handler)
    try server.start()
    return server
}

extension String {
    /// Lets tests write requests with "\n" and send the CRLFs HTTP requires.
    var crlf: String { replacingOccurrences(of: "\n", with: "\r\n") }
}
