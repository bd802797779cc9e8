#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation
import XCTest
@testable import HTTPServer

/// HTTP/1.1 behaviour over loopback with real clients.
final class HTTPServerTests: XCTestCase {
    var server: HTTPServer!
    let log = AccessLogRecorder()

    override func setUpWithError() throws {
        let router = HTTPRouter()
        router.use(ErrorJSONMiddleware())
        router.use(ConditionalGETMiddleware())
        router.add("GET /hello") { _ in .text("hello") }
        router.add("GET /echo/:word") { req in .text(req.pathParameters["word"] ?? "") }
        router.add("POST /upload") { req in .text("got \(req.body.count) bytes: \(String(decoding: req.body, as: UTF8.self))") }
        router.add("GET /json") { req in try .json(["q": req.query["q"] ?? ""]) }
        server = try startServer(router, log: log)
    }

    override func tearDown() { server.stop(timeout: 1) }

    func testURLSessionGetsJSONWithCorrectHeaders() throws {
        let url = try XCTUnwrap(URL(string: "http://127.0.0.1:\(server.port)/json?q=a%20b"))
        let done = expectation(description: "response")
        nonisolated(unsafe) var result: (Data?, URLResponse?, Error?)
        URLSession.shared.dataTask(with: url) { data, response, error in
            result = (data, response, error)
            done.fulfill()
        }.resume()
        wait(for: [done], timeout: 5)
        XCTAssertNil(result.2)
        let http = try XCTUnwrap(result.1 as? HTTPURLResponse)
        XCTAssertEqual(http.statusCode, 200)
        XCTAssertEqual(http.value(forHTTPHeaderField: "Content-Type"), "application/json")
        XCTAssertEqual(result.0, Data(#"{"q":"a b"}"#.utf8))
        XCTAssertNotNil(http.value(forHTTPHeaderField: "Date"))
    }

    func testKeepAliveServesTwoRequestsOnOneConnection() throws {
        let client = try RawClient(port: server.port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let first = try client.readResponse()
        XCTAssertEqual(first.text, "hello")
        XCTAssertEqual(first.headers["connection"], "keep-alive")
        XCTAssertEqual(first.headers["content-length"], "5")
        try client.send("GET /echo/again HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "again")
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let client = try RawClient(port: server.port)
        try client.send("GET /echo/one HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/two HTTP/1.1\r\nHost: t\r\n\r\n"
                        + "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthree")
        XCTAssertEqual(try client.readResponse().text, "one")
        XCTAssertEqual(try client.readResponse().text, "two")
        let last = try client.readResponse()
        XCTAssertEqual(last.text, "got 5 bytes: three")
        XCTAssertEqual(last.headers["connection"], "close")
        XCTAssertTrue(client.serverClosed())
    }

    func testIfNoneMatchGives304() throws {
        let client = try RawClient(port: server.port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let etag = try XCTUnwrap(client.readResponse().headers["etag"])
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: \(etag)\r\n\r\n")
        let second = try client.readResponse()
        XCTAssertEqual(second.status, 304)
        XCTAssertNil(second.headers["content-length"])
        try client.send("GET /echo/after HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "after", "a 304 carries no body, so the connection stays in sync")
    }

    func testHeadSendsHeadersWithoutBody() throws {
        let client = try RawClient(port: server.port)
        try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/next HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(bodyless: true)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-length"], "5")
        XCTAssertEqual(try client.readResponse().text, "next", "no stray body bytes between the two responses")
    }

    func testHTTP10ClosesByDefault() throws {
        let client = try RawClient(port: server.port)
        try client.send("GET /hello HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "hello")
        XCTAssertEqual(response.headers["connection"], "close")
        XCTAssertTrue(client.serverClosed())
    }

    func testEachLimitAnswersItsStatusAndCloses() throws {
        // testLimits(): request line 1 KiB, headers 2 KiB, 10 fields, body 4 KiB.
        let cases: [(String, Int)] = [
            ("GET /" + String(repeating: "a", count: 1100) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "b", count: 2100) + "\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: t\r\n" + (0..<11).map { "H\($0): v\r\n" }.joined() + "\r\n", 431),
            ("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "c", count: 5000), 413),
            ("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411),
            ("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
            ("BLAH\r\n\r\n", 400),
        ]
        for (request, status) in cases {
            let client = try RawClient(port: server.port)
            try client.send(request)
            let response = try client.readResponse()
            XCTAssertEqual(response.status, status, String(request.prefix(40)))
            XCTAssertEqual(response.headers["connection"], "close")
            XCTAssertTrue(client.serverClosed(), "connection closes after \(status)")
        }
        XCTAssertTrue(log.entries.contains { $0.status == 414 && $0.method == "-" }, "refusals are logged too")
    }

    func testExpectContinueGets100ThenTheResponse() throws {
        let client = try RawClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try client.read(until: "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send("data")
        XCTAssertEqual(try client.readResponse().text, "got 4 bytes: data")
        let refused = try RawClient(port: server.port)
        try refused.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 999999\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try refused.readResponse().status, 413, "too large: refused before the body is sent")
    }

    func testAccessLogHasOneLinePerRequest() throws {
        let client = try RawClient(port: server.port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.readResponse()
        _ = try client.readResponse()
        // The line is written after the response's bytes: give the server a moment to log the second.
        let deadline = Date().addingTimeInterval(2)
        while log.entries.count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let entries = log.entries
        XCTAssertEqual(entries.map(\.path), ["/hello", "/missing"])
        XCTAssertEqual(entries.map(\.status), [200, 404])
        XCTAssertEqual(entries[0].bytes, 5)
        XCTAssertTrue(entries[0].line.hasPrefix("127.0.0.1:"), entries[0].line)
        XCTAssertTrue(entries[0].line.contains("\"GET /hello\" 200 5B"), entries[0].line)
    }

    func testStartTwiceThrowsAndPortIsBound() throws {
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertThrowsError(try server.start())
        let clash = HTTPServer(configuration: .init(port: server.port), handler: HTTPRouter())
        XCTAssertThrowsError(try clash.start()) { error in
            XCTAssertTrue("\(error)".contains("bind"), "\(error)")
        }
    }
}
