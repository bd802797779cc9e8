import Foundation
import XCTest
@testable import HTTPServer

/// The codec on byte strings, no sockets (FlyingFox's HTTPDecoderTests habit).
final class HTTPRequestDecoderTests: XCTestCase {
    let decoder = HTTPRequestDecoder(limits: HTTPLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128,
                                                        maxHeaderCount: 3, maxBodyBytes: 10))

    private func decode(_ text: String) -> HTTPDecodeResult { decoder.decode(Array(text.utf8)) }

    private func request(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> (HTTPRequest, Int)? {
        guard case let .request(request, consumed) = decode(text) else {
            XCTFail("expected a request from \(text.debugDescription), got \(decode(text))", file: file, line: line)
            return nil
        }
        return (request, consumed)
    }

    private func assertStatus(_ text: String, _ code: Int, file: StaticString = #filePath, line: UInt = #line) {
        guard case let .failure(failure) = decode(text) else {
            return XCTFail("expected \(code) for \(text.debugDescription), got \(decode(text))", file: file, line: line)
        }
        XCTAssertEqual(failure.status.code, code, failure.message, file: file, line: line)
    }

    func testSimpleGetWithQueryAndCaseInsensitiveHeaders() throws {
        let text = "GET /a%20b/c?x=1&y=two+words&x=3&flag HTTP/1.1\r\nHost: h\r\nX-Thing:  v a l \r\n\r\n"
        let (req, consumed) = try XCTUnwrap(request(text))
        XCTAssertEqual(consumed, text.utf8.count)
        XCTAssertEqual(req.method, "GET")
        XCTAssertEqual(req.rawPath, "/a%20b/c")
        XCTAssertEqual(req.path, "/a b/c")
        XCTAssertEqual(req.query, ["x": "1", "y": "two words", "flag": ""])
        XCTAssertEqual(req.queryItems.map(\.value), ["1", "two words", "3", ""])
        XCTAssertEqual(req.header("x-thing"), "v a l")
        XCTAssertEqual(req.headers["HOST"], "h")
        XCTAssertEqual(req.version, .http11)
        XCTAssertTrue(req.keepAlive)
        XCTAssertTrue(req.body.isEmpty)
    }

    func testBodyByContentLengthAndPipelinedRemainder() throws {
        let first = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        let second = "GET /q HTTP/1.1\r\nHost: h\r\n\r\n"
        let (req, consumed) = try XCTUnwrap(request(first + second))
        XCTAssertEqual(String(decoding: req.body, as: UTF8.self), "hello")
        XCTAssertEqual(consumed, first.utf8.count, "the second request's bytes are left for the next decode")
        let (next, _) = try XCTUnwrap(request(String(second)))
        XCTAssertEqual(next.path, "/q")
    }

    func testEveryTruncationIsIncompleteNotAnError() {
        let text = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        let bytes = Array(text.utf8)
        for end in 0..<bytes.count {
            guard case .incomplete = decoder.decode(Array(bytes[..<end])) else {
                return XCTFail("prefix of \(end) bytes should be incomplete, got \(decoder.decode(Array(bytes[..<end])))")
            }
        }
        guard case .request = decoder.decode(bytes) else { return XCTFail("full request should decode") }
    }

    func testHTTP10ClosesByDefaultAndKeepsAliveWhenAsked() throws {
        XCTAssertFalse(try XCTUnwrap(request("GET / HTTP/1.0\r\n\r\n")).0.keepAlive, "HTTP/1.0 needs no Host")
        XCTAssertTrue(try XCTUnwrap(request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).0.keepAlive)
        XCTAssertFalse(try XCTUnwrap(request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).0.keepAlive)
    }

    func testLeadingEmptyLinesAndAbsoluteFormAreAccepted() throws {
        XCTAssertEqual(try XCTUnwrap(request("\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n")).0.path, "/x")
        XCTAssertEqual(try XCTUnwrap(request("GET http://h:1/y?z=1 HTTP/1.1\r\nHost: h\r\n\r\n")).0.path, "/y")
    }

    func testMethodsAreCaseSensitiveTokensIncludingExtensions() throws {
        XCTAssertEqual(try XCTUnwrap(request("GET / HTTP/1.1\r\nHost: h\r\n\r\n")).0.method, .get)
        XCTAssertEqual(try XCTUnwrap(request("PROPFIND / HTTP/1.1\r\nHost: h\r\n\r\n")).0.method, HTTPMethod("PROPFIND"))
        XCTAssertNotEqual(try XCTUnwrap(request("get / HTTP/1.1\r\nHost: h\r\n\r\n")).0.method, .get, "RFC 9110 §9.1")
        XCTAssertEqual(try XCTUnwrap(request("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")).0.path, "/")
    }

    func testGarbageIsBadRequest() {
        for text in ["GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
                     "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
                     "GET nopath HTTP/1.1\r\nHost: h\r\n\r\n", "GET /\u{7f} HTTP/1.1\r\nHost: h\r\n\r\n",
                     "GET / HTTQ/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\nHost: h\n\n",
                     "GET / HTTP/1.1\rX\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n"] {
            assertStatus(text, 400)
        }
    }

    func testMalformedHeadersAreBadRequest() {
        assertStatus("GET / HTTP/1.1\r\n\r\n", 400) // HTTP/1.1 without Host
        assertStatus("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: a\nY: b\r\n\r\n", 400)
    }

    func testBadPercentEncodingAndNulInPathAreBadRequest() {
        assertStatus("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400)
        assertStatus("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", 400)
        assertStatus("GET /a%ff HTTP/1.1\r\nHost: h\r\n\r\n", 400) // not UTF-8
        assertStatus("GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n", 400)
    }

    func testOtherVersionsAre505() {
        assertStatus("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)
        assertStatus("GET / HTTP/0.9\r\n\r\n", 505)
        assertStatus("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505)
    }

    func testContentLengthRules() {
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400)
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400)
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400)
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413) // limit is 10
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413)
        XCTAssertNotNil(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok"), "identical repeats are one length")
    }

    func testBareLineEndingsInTheHeaderBlockFailAtOnce() {
        // Before: no CRLF CRLF ever arrives, so these were "incomplete" until the read timeout.
        assertStatus("GET / HTTP/1.1\r\nHost: h\n\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\n\n", 400)
        assertStatus("GET / HTTP/1.1\r\n\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\rX: 1\r\n", 400)
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\n\rX", 400)
        assertStatus("GET / HTTP/1.1\n", 400)
    }

    func testContentLengthWithLeadingZerosIsItsNumber() throws {
        let (req, _) = try XCTUnwrap(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0000000000000005\r\n\r\nhello"))
        XCTAssertEqual(String(decoding: req.body, as: UTF8.self), "hello", "RFC 9110: 1*DIGIT, so 16 digits of 5 is 5")
        let zeros = String(repeating: "0", count: 40)
        XCTAssertEqual(try XCTUnwrap(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(zeros)\r\n\r\n")).0.body.count, 0)
        XCTAssertEqual(try XCTUnwrap(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(zeros)10\r\n\r\n0123456789")).0.body.count, 10)
    }

    func testHugeContentLengthIs413WithoutOverflow() {
        for value in ["11", "9223372036854775807", "9223372036854775808", "18446744073709551616",
                      "000000000000000000000000000011", String(repeating: "9", count: 90)] {
            assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(value)\r\n\r\n", 413)
        }
        let roomy = HTTPRequestDecoder(limits: HTTPLimits(maxHeaderBytes: 16 * 1024, maxBodyBytes: 10))
        let digits = String(repeating: "9", count: 5000)
        guard case let .failure(failure) = roomy.decode(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(digits)\r\n\r\n".utf8)) else {
            return XCTFail("5000 digits should be refused")
        }
        XCTAssertEqual(failure.status.code, 413)
    }

    func testContentLengthThatIsNotOneDecimalNumberIs400() {
        for value in ["+5", "-0", "5 5", "0x5", "5.0", "1e3", "", "\u{0665}", "5, 6", ",5"] {
            assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(value)\r\n\r\n", 400)
        }
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\nhello", 400)
    }

    func testChunkedUploadsAre411OtherCodings501() {
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 411)
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501)
    }

    func testExpectContinueIsReportedAndOtherExpectationsAre417() {
        guard case .incomplete(expectsContinue: true, headComplete: true) =
                decode("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n") else {
            return XCTFail("head with Expect: 100-continue and no body yet should ask for Continue")
        }
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 40\r\n\r\n", 413)
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n", 417)
    }

    func testLimitsMapToTheirStatusEvenBeforeTheHeadIsComplete() {
        // 64-byte request line limit: 414 as soon as more than 64 bytes arrive without CRLF.
        assertStatus("GET /" + String(repeating: "a", count: 70), 414)
        assertStatus("GET /" + String(repeating: "a", count: 70) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414)
        // 128-byte header block.
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "b", count: 130), 431)
        // 3 header fields at most.
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431)
    }

    /// fuzz-http: a request line of exactly the limit, split by TCP right after its CR, was refused 414.
    func testALineAtTheLimitSplitAfterItsCRIsStillIncomplete() {
        let line = "GET /" + String(repeating: "a", count: 64 - 14) + " HTTP/1.1"   // 64 bytes
        XCTAssertEqual(line.utf8.count, 64)
        guard case .incomplete = decode(line + "\r") else { return XCTFail("a 64-byte line and its CR must wait for the LF") }
        guard case .request = decode(line + "\r\nHost: h\r\n\r\n") else { return XCTFail("the whole request decodes") }
        assertStatus(line + "a\r", 414)
    }

    func testRequestInitParsesTargetsLikeTheDecoder() throws {
        let req = try HTTPRequest(method: "GET", target: "/api/x%2Fy?a=%C3%A9")
        XCTAssertEqual(req.path, "/api/x/y")
        XCTAssertEqual(req.pathSegments, ["api", "x/y"], "an encoded slash stays inside its segment")
        XCTAssertEqual(req.query["a"], "é")
        XCTAssertThrowsError(try HTTPRequest(method: "GET", target: "relative"))
    }
}
