import Foundation
import XCTest
@testable import HTTPServer

final class HTTPResponseEncoderTests: XCTestCase {
    // 784111777 s after the epoch is the RFC 9110 example date.
    let date = Date(timeIntervalSince1970: 784_111_777)

    func testHeadBytesForABytesBody() {
        var response = HTTPResponse.text("hello")
        response.headers["Content-Length"] = "999" // the encoder owns framing headers
        let head = String(decoding: HTTPResponseEncoder.head(response, keepAlive: true, date: date), as: UTF8.self)
        XCTAssertEqual(head, "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                       + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n")
    }

    func testNotModifiedHasNoLengthAndStreamsClose() {
        let head304 = String(decoding: HTTPResponseEncoder.head(HTTPResponse(status: .notModified), keepAlive: true, date: date), as: UTF8.self)
        XCTAssertFalse(head304.contains("Content-Length"))
        let stream = HTTPResponse.eventStream { _ in }
        let headSSE = String(decoding: HTTPResponseEncoder.head(stream, keepAlive: true, date: date), as: UTF8.self)
        XCTAssertTrue(headSSE.contains("Connection: close\r\n"))
        XCTAssertTrue(headSSE.contains("Content-Type: text/event-stream"))
        XCTAssertFalse(headSSE.contains("Content-Length"))
    }

    func testHeaderInjectionIsNeutralised() {
        var response = HTTPResponse(status: .ok)
        response.headers["X-Name"] = "a\r\nSet-Cookie: evil=1"
        let head = String(decoding: HTTPResponseEncoder.head(response, keepAlive: false, date: date), as: UTF8.self)
        XCTAssertTrue(head.contains("X-Name: aSet-Cookie: evil=1\r\n"))
        XCTAssertFalse(head.contains("\r\nSet-Cookie"))
    }

    func testErrorAndJSONBodies() throws {
        let error = HTTPResponse.error(status: 404, error: "not found", detail: "/x")
        XCTAssertEqual(error.status.reason, "Not Found")
        XCTAssertEqual(error.headers["content-type"], "application/json")
        let object = try JSONSerialization.jsonObject(with: XCTUnwrap(error.bodyData)) as? [String: String]
        XCTAssertEqual(object, ["error": "not found", "detail": "/x"])

        struct Point: Encodable { let x: Double; let y: Int }
        let json = try HTTPResponse.json(Point(x: 1.5, y: 2), status: 201)
        XCTAssertEqual(json.status.code, 201)
        XCTAssertEqual(String(decoding: try XCTUnwrap(json.bodyData), as: UTF8.self), #"{"x":1.5,"y":2}"#)
        XCTAssertThrowsError(try HTTPResponse.json(Point(x: .nan, y: 0)), "NaN is not JSON; the caller must decide")
    }

    func testETagAndCacheHelpers() {
        let response = HTTPResponse.png(Data([1, 2, 3])).withETag("abc").cacheable(maxAge: 60)
        XCTAssertEqual(response.headers["ETag"], "\"abc\"")
        XCTAssertEqual(response.headers["Cache-Control"], "public, max-age=60")
        XCTAssertEqual(response.headers["Content-Type"], "image/png")
    }

    func testHTTPDateRoundTrips() {
        XCTAssertEqual(HTTPDate.string(from: date), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), date)
        XCTAssertNil(HTTPDate.parse("yesterday"))
    }
}
