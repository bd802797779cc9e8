import Foundation
import XCTest
@testable import HTTPServer

/// The access log line on plain values, no sockets.
final class AccessLogEntryTests: XCTestCase {
    private func entry(method: String = "GET", path: String) -> AccessLogEntry {
        AccessLogEntry(date: Date(), remoteAddress: "127.0.0.1:5", method: method, path: path,
                       status: 404, bytes: 7, milliseconds: 1.25)
    }

    func testOrdinaryLineIsUnchanged() {
        XCTAssertEqual(entry(path: "/api/jobs?x=1").line, #"127.0.0.1:5 "GET /api/jobs?x=1" 404 7B 1.3ms"#)
    }

    func testControlCharactersQuotesAndBackslashesAreEscaped() {
        let forged = "/a\n127.0.0.1:1 \"GET /admin\" 200 0B 0.0ms\u{1b}[2J\r\u{7f}\\x"
        let line = entry(path: forged).line
        XCTAssertEqual(line, #"127.0.0.1:5 "GET /a\x0a127.0.0.1:1 \x22GET /admin\x22 200 0B 0.0ms\x1b[2J\x0d\x7f\x5cx" 404 7B 1.3ms"#)
        XCTAssertTrue(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "printable ASCII only")
    }

    func testNonASCIIIsEscapedBytewise() {
        XCTAssertEqual(AccessLogEntry.escaped("/é\u{202E}"), #"/\xc3\xa9\xe2\x80\xae"#, "é and a right-to-left override")
        XCTAssertEqual(entry(method: "G\u{0}T", path: "/").line, #"127.0.0.1:5 "G\x00T /" 404 7B 1.3ms"#)
    }
}
