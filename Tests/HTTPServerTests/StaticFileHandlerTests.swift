import Foundation
import XCTest
@testable import HTTPServer

/// A temporary tree: outside/Package.swift and outside/secret.txt beside root/, plus links in root.
final class StaticFileHandlerTests: XCTestCase {
    var base: URL!
    var root: URL!
    static let secret = "TOP-SECRET-OUTSIDE-ROOT"

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("static-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("<h1>index</h1>".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("body{}".utf8).write(to: root.appendingPathComponent("style.css"))
        try Data("sub index".utf8).write(to: root.appendingPathComponent("sub/index.html"))
        try Data("let x = 1".utf8).write(to: root.appendingPathComponent("sub/app.js"))
        try Data("hidden".utf8).write(to: root.appendingPathComponent(".env"))
        try Data(Self.secret.utf8).write(to: base.appendingPathComponent("Package.swift"))
        try Data(Self.secret.utf8).write(to: base.appendingPathComponent("secret.txt"))
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("escape.txt").path, withDestinationPath: "../secret.txt")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("escapedir").path, withDestinationPath: base.path)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("alias.css").path, withDestinationPath: "style.css")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: base) }

    func testServesFilesWithTypesIndexAndValidators() throws {
        let handler = try StaticFileHandler(root: root)
        let index = try handler.handle(HTTPRequest(method: "GET", target: "/"))
        XCTAssertEqual(index.bodyData, Data("<h1>index</h1>".utf8))
        XCTAssertEqual(index.headers["Content-Type"], "text/html; charset=utf-8")
        XCTAssertNotNil(index.headers["Last-Modified"])
        let etag = try XCTUnwrap(index.headers["ETag"])
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/", headers: ["If-None-Match": etag])).status.code, 304)
        let since = try XCTUnwrap(index.headers["Last-Modified"])
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/", headers: ["If-Modified-Since": since])).status.code, 304)
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/sub/")).bodyData, Data("sub index".utf8))
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/sub")).bodyData, Data("sub index".utf8))
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/sub/app.js")).headers["Content-Type"],
                       "text/javascript; charset=utf-8")
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/alias.css")).bodyData, Data("body{}".utf8),
                       "a symlink that stays inside the root is fine")
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "POST", target: "/")).status.code, 405)
        XCTAssertEqual(try handler.handle(HTTPRequest(method: "GET", target: "/missing.png")).status.code, 404)
    }

    func testMIMETypes() {
        let expected = ["a.html": "text/html; charset=utf-8", "a.js": "text/javascript; charset=utf-8",
                        "a.css": "text/css; charset=utf-8", "a.png": "image/png", "a.svg": "image/svg+xml",
                        "a.json": "application/json", "a.ico": "image/x-icon", "a.txt": "text/plain; charset=utf-8",
                        "a.woff2": "font/woff2", "A.PNG": "image/png", "noext": "application/octet-stream"]
        for (name, type) in expected { XCTAssertEqual(MIMEType.forPath("/x/\(name)"), type, name) }
    }

    func testRootMustBeADirectory() {
        XCTAssertThrowsError(try StaticFileHandler(root: base.appendingPathComponent("nope")))
        XCTAssertThrowsError(try StaticFileHandler(root: base.appendingPathComponent("secret.txt")))
    }

    /// Each attempt over a real socket: never 200, never the secret.
    func testTraversalAttemptsNeverLeaveTheRoot() throws {
        let server = try startServer(StaticFileHandler(root: root))
        defer { server.stop(timeout: 1) }
        let attempts = ["/../Package.swift", "/%2e%2e/Package.swift", "/%2E%2E%2FPackage.swift", "/..%2fPackage.swift",
                        "/..%2FPackage.swift", "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/./../secret.txt",
                        "/..\\secret.txt", "/%2e%2e%5csecret.txt", "/escape.txt", "/escapedir/secret.txt", "/.env",
                        "/%2eenv", "/sub/%00/x", "//etc/passwd", "/%2f%2fetc/passwd", "/..", "/%2e%2e"]
        for target in attempts {
            let client = try RawClient(port: server.port)
            try client.send("GET \(target) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            XCTAssertTrue([400, 404].contains(response.status), "\(target) → \(response.status)")
            XCTAssertFalse(response.text.contains(Self.secret), "\(target) leaked the file outside the root")
        }
    }
}
