#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HTTPServer

/// Reproducers from the security review, over loopback: each failed before its fix.
final class HTTPServerHostileClientTests: XCTestCase {
    private func echoRouter() -> HTTPRouter {
        let router = HTTPRouter()
        router.add("GET /hello") { _ in .text("hello") }
        router.add("POST /upload") { req in .text("got \(req.body.count) bytes") }
        return router
    }

    func testBareLFInTheHeaderBlockIsAnswered400AtOnce() throws {
        let server = try startServer(echoRouter(), limits: testLimits(readTimeout: 5, idleTimeout: 5))
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        let started = Date()
        try client.send("GET /hello HTTP/1.1\r\nHost: t\nX: y\n\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 400)
        XCTAssertTrue(response.text.contains("bare LF"), response.text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "not held until the 5 s read timeout")
        XCTAssertTrue(client.serverClosed())
    }

    func testContentLengthWithLeadingZerosIsServed() throws {
        let server = try startServer(echoRouter())
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 0000000000000005\r\n\r\nhello")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200, "a small length with leading zeros is not 413")
        XCTAssertEqual(response.text, "got 5 bytes")
    }
}
