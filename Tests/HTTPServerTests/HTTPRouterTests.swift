import Foundation
import XCTest
@testable import HTTPServer

struct TeapotError: HTTPErrorRepresentable {
    var status: Int { 418 }
    var message: String { "short and stout" }
    var detail: String? { "tip me over" }
}

struct PlainError: Error {}

final class HTTPRouterTests: XCTestCase {
    private func json(_ response: HTTPResponse) throws -> [String: String] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(response.bodyData)) as? [String: String])
    }

    private func makeRouter() -> HTTPRouter {
        let router = HTTPRouter()
        router.add("GET /api/jobs/:id") { req in .text("job \(req.pathParameters["id"] ?? "?")") }
        router.add("DELETE /api/jobs/:id") { _ in HTTPResponse(status: .noContent) }
        router.add("GET /api/jobs") { _ in .text("list") }
        router.add("GET /files/*") { req in .text("rest=\(req.pathParameters["*"] ?? "")") }
        router.add("GET /teapot") { _ in throw TeapotError() }
        router.add("GET /boom") { _ in throw PlainError() }
        return router
    }

    func testParametersAndOrderedMatching() throws {
        let router = makeRouter()
        XCTAssertEqual(try router.handle(HTTPRequest(method: "GET", target: "/api/jobs/42")).bodyData, Data("job 42".utf8))
        XCTAssertEqual(try router.handle(HTTPRequest(method: "GET", target: "/api/jobs/a%20b")).bodyData, Data("job a b".utf8))
        XCTAssertEqual(try router.handle(HTTPRequest(method: "GET", target: "/api/jobs")).bodyData, Data("list".utf8))
        XCTAssertEqual(try router.handle(HTTPRequest(method: "GET", target: "/files/a/b.txt")).bodyData, Data("rest=a/b.txt".utf8))
        XCTAssertEqual(try router.handle(HTTPRequest(method: "DELETE", target: "/api/jobs/1")).status.code, 204)
    }

    func testWrongMethodIs405WithAllowAndUnknownPathIs404JSON() throws {
        let router = makeRouter()
        let wrong = try router.handle(HTTPRequest(method: "POST", target: "/api/jobs/1"))
        XCTAssertEqual(wrong.status.code, 405)
        XCTAssertEqual(wrong.headers["Allow"], "DELETE, GET, HEAD")
        let missing = try router.handle(HTTPRequest(method: "GET", target: "/nope"))
        XCTAssertEqual(missing.status.code, 404)
        XCTAssertEqual(try json(missing)["error"], "not found")
    }

    func testHeadIsServedByGet() throws {
        let response = try makeRouter().handle(HTTPRequest(method: "HEAD", target: "/api/jobs/7"))
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(response.bodyData, Data("job 7".utf8), "the router keeps the body; the server drops it for HEAD")
    }

    func testFallbackRunsOnlyWhenNoPathMatches() throws {
        let router = makeRouter()
        router.fallback = ClosureHandler { _ in .text("fallback") }
        XCTAssertEqual(try router.handle(HTTPRequest(method: "GET", target: "/other")).bodyData, Data("fallback".utf8))
        XCTAssertEqual(try router.handle(HTTPRequest(method: "PUT", target: "/api/jobs")).status.code, 405)
    }

    func testErrorJSONMiddlewareUsesTheErrorsStatusOr500() throws {
        let router = makeRouter()
        router.use(ErrorJSONMiddleware())
        let teapot = try router.handle(HTTPRequest(method: "GET", target: "/teapot"))
        XCTAssertEqual(teapot.status.code, 418)
        XCTAssertEqual(try json(teapot), ["error": "short and stout", "detail": "tip me over"])
        let boom = try router.handle(HTTPRequest(method: "GET", target: "/boom"))
        XCTAssertEqual(boom.status.code, 500)
        XCTAssertEqual(try json(boom)["error"], "internal server error")
        XCTAssertThrowsError(try makeRouter().handle(HTTPRequest(method: "GET", target: "/boom")), "without middleware errors propagate")
    }

    func testConditionalGETAddsAStableETagAndAnswers304() throws {
        let router = makeRouter()
        router.use(ConditionalGETMiddleware())
        let first = try router.handle(HTTPRequest(method: "GET", target: "/api/jobs/1"))
        let etag = try XCTUnwrap(first.headers["ETag"])
        XCTAssertEqual(etag, ConditionalGETMiddleware.etag(for: Data("job 1".utf8)))
        XCTAssertNotEqual(etag, ConditionalGETMiddleware.etag(for: Data("job 2".utf8)))
        // FNV-1a 64 of the empty input is its offset basis (published constant).
        XCTAssertEqual(ConditionalGETMiddleware.etag(for: Data()), "\"cbf29ce484222325-0\"")
        let again = try router.handle(HTTPRequest(method: "GET", target: "/api/jobs/1", headers: ["If-None-Match": "\"x\", \(etag)"]))
        XCTAssertEqual(again.status.code, 304)
        XCTAssertEqual(again.headers["ETag"], etag)
        XCTAssertEqual(again.bodyData, Data())
        let other = try router.handle(HTTPRequest(method: "GET", target: "/api/jobs/2", headers: ["If-None-Match": etag]))
        XCTAssertEqual(other.status.code, 200)
    }
}
