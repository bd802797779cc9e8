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

    /// Polls until `condition` holds or `seconds` pass; returns whether it held.
    private func eventually(_ seconds: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    private func get(_ client: RawClient) throws -> RawResponse {
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        return try client.readResponse()
    }

    func testIdleConnectionsHoldingEverySlotAreClosedAtTheHeaderDeadline() throws {
        // Review: 256 connections that send nothing locked everyone out (503) for the 60 s idle timeout.
        let limits = testLimits(readTimeout: 5, idleTimeout: 5, maxConnections: 4, headerTimeout: 0.5,
                                maxConnectionsPerClient: 4)
        let server = try startServer(echoRouter(), limits: limits)
        defer { server.stop(timeout: 1) }
        let started = Date()
        let idle = try (0..<4).map { _ in try RawClient(port: server.port) }
        XCTAssertTrue(eventually(1) { server.connectionCount == 4 }, "all four admitted")
        XCTAssertEqual(try get(RawClient(port: server.port)).status, 503, "every slot is taken")
        XCTAssertTrue(eventually(2) { server.connectionCount == 0 }, "idle connections were closed")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.45)
        XCTAssertLessThan(elapsed, 1.5, "at the 0.5 s header deadline, not the 5 s idle timeout")
        for client in idle { XCTAssertEqual(client.readUntilClose(), [], "closed silently: no request, no answer") }
        XCTAssertEqual(try get(RawClient(port: server.port)).text, "hello")
    }

    func testPartialHeadOnAFreshConnectionIs408AtTheHeaderDeadline() throws {
        let server = try startServer(echoRouter(), limits: testLimits(readTimeout: 5, idleTimeout: 5, headerTimeout: 0.5))
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        let started = Date()
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n") // the empty line never comes
        let response = try client.readResponse()
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(response.status, 408)
        XCTAssertTrue(response.text.contains("head"), response.text)
        XCTAssertGreaterThan(elapsed, 0.45)
        XCTAssertLessThan(elapsed, 1.5, "at the header deadline, not the 5 s read timeout")
        XCTAssertTrue(client.serverClosed())
    }

    func testHeaderDeadlineSparesKeptAliveConnectionsAndBodies() throws {
        let server = try startServer(echoRouter(), limits: testLimits(readTimeout: 5, idleTimeout: 5, headerTimeout: 0.3))
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        XCTAssertEqual(try get(client).text, "hello")
        Thread.sleep(forTimeInterval: 0.6) // idle between requests: the idle timeout applies
        XCTAssertEqual(try get(client).text, "hello", "a kept-alive connection may idle past the header deadline")
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhe")
        Thread.sleep(forTimeInterval: 0.6) // the head is complete: the body has the read timeout
        try client.send("llo")
        XCTAssertEqual(try client.readResponse().text, "got 5 bytes")
    }

    func testOneClientAddressCannotTakeEverySlot() throws {
        let server = try startServer(echoRouter(), limits: testLimits(maxConnections: 8, maxConnectionsPerClient: 2))
        defer { server.stop(timeout: 1) }
        var held = try (0..<2).map { _ in try RawClient(port: server.port, source: "127.0.0.1") }
        for client in held { XCTAssertEqual(try get(client).status, 200) }
        let refused = try get(RawClient(port: server.port, source: "127.0.0.1"))
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(refused.headers["retry-after"], "1")
        XCTAssertTrue(refused.text.contains("client 127.0.0.1 is at its limit of 2 connections"), refused.text)
        XCTAssertEqual(server.connectionCount, 2)
        XCTAssertEqual(try get(RawClient(port: server.port, source: "127.0.0.2")).text, "hello",
                       "another address still gets a slot")
        held.removeLast() // closes it; its share is given back
        XCTAssertTrue(eventually(2) { server.connectionCount == 1 })
        XCTAssertEqual(try get(RawClient(port: server.port, source: "127.0.0.1")).text, "hello")
        withExtendedLifetime(held) {}
    }

    func testEncodedNewlinesAndEscapesCannotForgeAccessLogLines() throws {
        let log = AccessLogRecorder()
        let server = try startServer(echoRouter(), log: log)
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        try client.send("GET /x%0a127.0.0.1:1%20%22GET%20/admin%22%20200%200B%200.0ms%1b[2J HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 404)
        XCTAssertTrue(eventually(2) { !log.entries.isEmpty })
        let entry = try XCTUnwrap(log.entries.first)
        XCTAssertTrue(entry.path.contains("\n"), "the entry keeps the decoded path for programs")
        XCTAssertTrue(entry.line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, entry.line)
        XCTAssertTrue(entry.line.contains(#""GET /x\x0a127.0.0.1:1 \x22GET /admin\x22 200 0B 0.0ms\x1b[2J" 404 "#), entry.line)
    }

    func testKeptAliveIdleConnectionsAreReapedAtTheHeaderDeadlineWhenTheServerIsBusy() throws {
        // One request each, then silence, from two addresses each under its share: without reaping
        // they would hold every slot for the whole idle timeout.
        let limits = testLimits(readTimeout: 5, idleTimeout: 5, maxConnections: 4, headerTimeout: 0.5,
                                maxConnectionsPerClient: 2)
        let server = try startServer(echoRouter(), limits: limits)
        defer { server.stop(timeout: 1) }
        let held = try ["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2"].map { try RawClient(port: server.port, source: $0) }
        for client in held { XCTAssertEqual(try get(client).status, 200) }
        let started = Date()
        XCTAssertEqual(try get(RawClient(port: server.port, source: "127.0.0.3")).status, 503, "every slot is taken")
        // Reaping goes on only while 3 of the 4 slots (HTTPServer.busyFraction) are in use.
        XCTAssertTrue(eventually(2) { server.connectionCount < 3 }, "busy: idle kept-alive connections were closed")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "at the header deadline, not the 5 s idle timeout")
        XCTAssertEqual(try get(RawClient(port: server.port, source: "127.0.0.3")).text, "hello")
        withExtendedLifetime(held) {}
    }

    func testKeptAliveConnectionsKeepTheIdleTimeoutWhenTheServerIsNotBusy() throws {
        let limits = testLimits(readTimeout: 5, idleTimeout: 5, maxConnections: 8, headerTimeout: 0.3)
        let server = try startServer(echoRouter(), limits: limits)
        defer { server.stop(timeout: 1) }
        let held = try (0..<5).map { _ in try RawClient(port: server.port) } // 5 of 8: under three quarters
        for client in held { XCTAssertEqual(try get(client).status, 200) }
        Thread.sleep(forTimeInterval: 0.8)
        XCTAssertEqual(server.connectionCount, 5)
        for client in held { XCTAssertEqual(try get(client).text, "hello") }
    }
}
