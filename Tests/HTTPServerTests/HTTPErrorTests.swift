import Foundation
import XCTest
@testable import HTTPServer

/// Errors that carry their status and headers, rendered in-process and over a real connection.
final class HTTPErrorTests: XCTestCase {
    private struct BusyError: HTTPErrorRepresentable {
        var status: Int { 429 }
        var message: String { "queue full" }
        var detail: String? { nil }
        var headers: HTTPHeaders { ["Retry-After": "9"] }
    }

    private func router(middleware: Bool) -> HTTPRouter {
        let router = HTTPRouter()
        if middleware { router.use(ErrorJSONMiddleware()) }
        router.add("GET /busy") { _ in
            throw HTTPError(429, message: "the surface job queue is full", detail: "4 jobs waiting or running",
                            headers: ["Retry-After": "7"])
        }
        router.add("GET /representable") { _ in throw BusyError() }
        router.add("GET /teapot") { _ in throw TeapotError() }
        return router
    }

    private func json(_ data: Data?) throws -> [String: String] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(data)) as? [String: String])
    }

    func testMiddlewareRendersHTTPErrorWithItsStatusAndHeaders() throws {
        let response = try router(middleware: true).handle(HTTPRequest(method: "GET", target: "/busy"))
        XCTAssertEqual(response.status.code, 429)
        XCTAssertEqual(response.headers["Retry-After"], "7")
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
        XCTAssertEqual(try json(response.bodyData), ["error": "the surface job queue is full", "detail": "4 jobs waiting or running"])
    }

    func testHTTPErrorDefaultsToTheReasonPhraseAndOmitsANilDetail() throws {
        let error = HTTPError.serviceUnavailable(retryAfter: 3)
        XCTAssertEqual(try json(error.response.bodyData), ["error": "Service Unavailable"])
        XCTAssertEqual(error.response.headers["Retry-After"], "3")
        XCTAssertEqual(error.description, "HTTP 503 Service Unavailable: Service Unavailable")
    }

    func testRepresentableErrorsKeepTheirBehaviourAndMayAddHeaders() throws {
        let router = router(middleware: true)
        let teapot = try router.handle(HTTPRequest(method: "GET", target: "/teapot"))
        XCTAssertEqual(teapot.status.code, 418)
        XCTAssertNil(teapot.headers["Retry-After"])
        XCTAssertEqual(try json(teapot.bodyData), ["error": "short and stout", "detail": "tip me over"])
        let busy = try router.handle(HTTPRequest(method: "GET", target: "/representable"))
        XCTAssertEqual(busy.status.code, 429)
        XCTAssertEqual(busy.headers["Retry-After"], "9")
    }

    func testConnectionRendersHTTPErrorWithoutMiddleware() throws {
        let server = try startServer(router(middleware: false))
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)
        try client.send("GET /busy HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 429)
        XCTAssertEqual(response.headers["retry-after"], "7")
        XCTAssertEqual(try json(response.body)["error"], "the surface job queue is full")
        try client.send("GET /teapot HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 500, "other errors without middleware stay 500, as before")
    }
}
