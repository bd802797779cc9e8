import Foundation
import XCTest
@testable import HTTPServer

/// Opt-in (HTTP_BENCH=1): keep-alive request rate over loopback, printed, not asserted beyond sanity.
final class HTTPServerBenchmarkTests: XCTestCase {
    func testKeepAliveThroughput() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["HTTP_BENCH"] == "1", "set HTTP_BENCH=1 to run")
        let router = HTTPRouter()
        router.add("GET /ping") { _ in .text("pong") }
        let server = try startServer(router)
        defer { server.stop(timeout: 1) }
        let clients = 8, perClient = 2000
        let ok = Counter()
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            guard let client = try? RawClient(port: server.port) else { return }
            for _ in 0..<perClient {
                guard (try? client.send("GET /ping HTTP/1.1\r\nHost: b\r\n\r\n")) != nil,
                      let response = try? client.readResponse() else { return }
                ok.add(response.status)
            }
        }
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(ok.snapshot[200], clients * perClient)
        print("keep-alive: \(clients * perClient) requests in \(String(format: "%.2f", seconds)) s = "
              + "\(Int(Double(clients * perClient) / seconds)) req/s (\(clients) connections)")
    }
}
