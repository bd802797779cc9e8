#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HTTPServer

/// Hostile and awkward clients, streaming and shutdown, over loopback.
final class HTTPServerRobustnessTests: XCTestCase {
    private func helloRouter() -> HTTPRouter {
        let router = HTTPRouter()
        router.add("GET /hello") { _ in .text("hello") }
        return router
    }

    func testSlowClientIsDroppedAfterReadTimeoutWhileOthersAreServed() throws {
        let server = try startServer(helloRouter(), limits: testLimits(readTimeout: 0.5, idleTimeout: 5))
        defer { server.stop(timeout: 1) }
        let slow = try RawClient(port: server.port)
        let started = Date()
        try slow.send("GET /hello HTTP/1.1\r\nHost: t\r\n") // half a request, never finished
        for _ in 0..<3 {
            let other = try RawClient(port: server.port)
            try other.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try other.readResponse().text, "hello")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.4, "others were served while the slow client waited")
        let response = try slow.readResponse()
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(response.status, 408)
        XCTAssertTrue(slow.serverClosed())
        XCTAssertGreaterThan(elapsed, 0.45)
        XCTAssertLessThan(elapsed, 1.5)
    }

    func testIdleConnectionIsClosedSilently() throws {
        let server = try startServer(helloRouter(), limits: testLimits(readTimeout: 5, idleTimeout: 0.3))
        defer { server.stop(timeout: 1) }
        let idle = try RawClient(port: server.port)
        try idle.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try idle.readResponse().text, "hello")
        let started = Date()
        XCTAssertEqual(idle.readUntilClose(), [], "closed without a response")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
    }

    func testConnectionsBeyondTheCapGet503() throws {
        let server = try startServer(helloRouter(), limits: testLimits(maxConnections: 2))
        defer { server.stop(timeout: 1) }
        let held = try (0..<2).map { _ in try RawClient(port: server.port) }
        for client in held { // a full round trip proves the server admitted both
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(try client.readResponse().status, 200)
        }
        let extra = try RawClient(port: server.port)
        try extra.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = try extra.readResponse()
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(refused.headers["retry-after"], "1")
        XCTAssertEqual(server.connectionCount, 2)
        withExtendedLifetime(held) {}
    }

    func testTenThousandMalformedRequestsThenAGoodOne() throws {
        let server = try startServer(helloRouter())
        defer { server.stop(timeout: 1) }
        let garbage = ["\u{0}\u{1}\u{2}\u{3}\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\nHost: t\r\n\r\n",
                       "GET / HTTP/1.1\r\nBad Header\r\n\r\n", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: zz\r\n\r\n",
                       "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", "\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\r\n", // TLS-ish hello
                       String(repeating: "A", count: 3000)]
        let total = 10_000
        let threads = 8
        let counts = Counter()
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for index in stride(from: worker, to: total, by: threads) {
                guard let client = try? RawClient(port: server.port) else { continue }
                guard (try? client.send(garbage[index % garbage.count])) != nil,
                      let response = try? client.readResponse() else { continue }
                counts.add(response.status)
            }
        }
        let statuses = counts.snapshot
        XCTAssertEqual(statuses.values.reduce(0, +), total, "every malformed request was answered: \(statuses)")
        XCTAssertEqual(Set(statuses.keys), [400, 414, 505], "\(statuses)")
        let client = try RawClient(port: server.port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello")
    }

    func testEventStreamDeliversEventsInOrder() throws {
        let router = HTTPRouter()
        router.add("GET /events") { _ in
            .eventStream { writer in
                writer.retry(milliseconds: 500)
                for index in 1...5 {
                    writer.comment()
                    writer.send(event: "step", data: "{\"i\":\(index)}\nline2", id: "\(index)")
                }
            }
        }
        let server = try startServer(router)
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse() // no Content-Length: reads until the server closes
        XCTAssertEqual(response.headers["content-type"], "text/event-stream; charset=utf-8")
        XCTAssertEqual(response.headers["connection"], "close")
        let expected = "retry: 500\n\n" + (1...5).map { i in
            ": keep-alive\n\nid: \(i)\nevent: step\ndata: {\"i\":\(i)}\ndata: line2\n\n"
        }.joined()
        XCTAssertEqual(response.text, expected)
    }

    func testEventStreamNoticesTheClientLeaving() throws {
        let ended = DispatchSemaphore(value: 0)
        let sent = Counter()
        let router = HTTPRouter()
        router.add("GET /forever") { _ in
            .eventStream { writer in
                var index = 0
                while writer.send(data: "tick \(index)") {
                    index += 1
                    sent.add(1)
                    Thread.sleep(forTimeInterval: 0.01)
                }
                ended.signal()
            }
        }
        let server = try startServer(router)
        defer { server.stop(timeout: 1) }
        var client: RawClient? = try RawClient(port: server.port)
        try client?.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client?.read(until: "data: tick 2\n\n")
        client = nil // closes the socket
        XCTAssertEqual(ended.wait(timeout: .now() + 2), .success, "producer loop ended after the client left")
        XCTAssertLessThan(sent.snapshot[1] ?? 0, 200, "it did not keep writing into the void")
    }

    func testGracefulStopFinishesAnInFlightRequest() throws {
        let entered = DispatchSemaphore(value: 0)
        let router = HTTPRouter()
        router.add("GET /slow") { _ in
            entered.signal()
            Thread.sleep(forTimeInterval: 0.3)
            return .text("finished")
        }
        let server = try startServer(router)
        let port = server.port
        let client = try RawClient(port: port)
        try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(entered.wait(timeout: .now() + 2), .success)
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop(timeout: 2)
            stopped.signal()
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "finished")
        XCTAssertEqual(response.headers["connection"], "close", "no keep-alive while stopping")
        XCTAssertEqual(stopped.wait(timeout: .now() + 3), .success)
        server.waitUntilStopped()
        XCTAssertThrowsError(try RawClient(port: port), "no longer accepting")
    }

    func testStopEndsEventStreamsPromptly() throws {
        let router = HTTPRouter()
        router.add("GET /forever") { _ in
            .eventStream { writer in
                while writer.comment() { Thread.sleep(forTimeInterval: 0.02) }
            }
        }
        let server = try startServer(router)
        let client = try RawClient(port: server.port)
        try client.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.read(until: ": keep-alive\n\n")
        let started = Date()
        server.stop(timeout: 0.2)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        _ = client.readUntilClose()
        XCTAssertEqual(server.connectionCount, 0)
    }

    func testStopCutsARequestThatOutlivesTheTimeout() throws {
        let router = HTTPRouter()
        router.add("GET /stuck") { _ in
            Thread.sleep(forTimeInterval: 0.6)
            return .text("too late")
        }
        let server = try startServer(router)
        let client = try RawClient(port: server.port)
        try client.send("GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.05)
        let started = Date()
        server.stop(timeout: 0.2)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.15, "waited for the in-flight request up to the timeout")
        XCTAssertLessThan(elapsed, 1.5, "then cut it instead of waiting forever")
        XCTAssertEqual(client.readUntilClose(), [], "the socket was shut down before the late response")
    }

    func testSignalStopsTheServer() throws {
        let server = try startServer(helloRouter())
        let done = DispatchSemaphore(value: 0)
        server.stopOnSignals([SIGUSR1], timeout: 1) { done.signal() }
        kill(getpid(), SIGUSR1) // lands on any thread; none of them blocks it
        guard done.wait(timeout: .now() + 3) == .success else {
            server.stop(timeout: 0)
            return XCTFail("SIGUSR1 did not stop the server")
        }
        server.waitUntilStopped()
        XCTAssertThrowsError(try RawClient(port: server.port))
    }
}

/// Thread-safe tally of integers (status codes, counts).
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Int] = [:]
    func add(_ key: Int) { lock.withLock { values[key, default: 0] += 1 } }
    var snapshot: [Int: Int] { lock.withLock { values } }
}
