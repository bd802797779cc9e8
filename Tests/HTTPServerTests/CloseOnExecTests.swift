#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HTTPServer

/// The server's sockets are close-on-exec: a process it spawns (`serve --launcher` runs mpirun)
/// must not hold a client's connection or the listener open for as long as it runs.
final class CloseOnExecTests: XCTestCase {
    func testListeningAndAcceptedSocketsAreCloseOnExec() throws {
        let listener = try Socket.listening(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        XCTAssertTrue(listener.isCloseOnExec, "the listening socket")
        let client = try RawClient(port: try listener.localPort())
        var accepted: Socket?
        let deadline = Date().addingTimeInterval(5)
        while accepted == nil, Date() < deadline {
            _ = try listener.poll(Int16(POLLIN), milliseconds: 100)
            accepted = try listener.accept()
        }
        let connection = try XCTUnwrap(accepted, "no connection accepted in 5 s")
        defer { connection.close() }
        XCTAssertTrue(connection.isCloseOnExec, "the accepted socket")
        withExtendedLifetime(client) {}
    }

    /// A child spawned (posix_spawn, which closes nothing by itself) while a client's connection is open
    /// has none of the server's sockets; a socket made without close-on-exec (the test client's) shows
    /// that the child's descriptor list would reveal one.
    func testAChildSpawnedWhileAConnectionIsOpenInheritsNoServerSocket() throws {
        let server = try startServer(HTTPRouter())
        defer { server.stop(timeout: 1) }
        let client = try RawClient(port: server.port)   // plain socket(): inherited by a child
        try client.send("GET /missing HTTP/1.1\nHost: x\n\n".crlf)
        _ = try client.readResponse()   // kept alive: the server holds the accepted socket now
        let serverSockets = Self.socketInodes { $0 == server.port }
        XCTAssertEqual(serverSockets.count, 2, "the listener and the accepted connection: \(serverSockets)")
        let clientSocket = try XCTUnwrap(Self.inode(of: client.fd))

        let inherited = try Self.descriptorsOfAChild()
        XCTAssertTrue(inherited.contains(clientSocket), "the control: the client's socket is inherited (\(inherited))")
        for socket in serverSockets {
            XCTAssertFalse(inherited.contains(socket), "the child holds the server's \(socket): \(inherited)")
        }
    }

    // MARK: - Helpers

    /// "socket:[inode]" of a descriptor of this process.
    static func inode(of fd: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }

    /// The "socket:[inode]" names of this process's sockets whose local port passes `port`.
    static func socketInodes(localPort port: (UInt16) -> Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { name -> String? in
            guard let fd = Int32(name), let target = inode(of: fd), target.hasPrefix("socket:") else { return nil }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let ok = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            } == 0
            guard ok, storage.ss_family == sa_family_t(AF_INET) else { return nil }
            let local = withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
            return port(local) ? target : nil
        }
    }

    /// What /proc/<pid>/fd of a `/bin/sh` spawned now links to, one target per descriptor.
    static func descriptorsOfAChild() throws -> Set<String> {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { throw RawClientError(description: "pipe: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        let argv = ["/bin/sh", "-c", "for f in /proc/$$/fd/*; do readlink \"$f\"; done"]
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var child: pid_t = 0
        let code = posix_spawn(&child, "/bin/sh", &actions, nil, &cArguments, environ)
        Glibc.close(pipeFDs[1])
        defer { Glibc.close(pipeFDs[0]) }
        guard code == 0 else { throw RawClientError(description: "posix_spawn /bin/sh: \(String(cString: strerror(code)))") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(pipeFDs[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += buffer[..<count]
        }
        var status: Int32 = 0
        _ = waitpid(child, &status, 0)   // ECHILD when a SIGCHLD handler of this process reaped it first
        return Set(String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init))
    }
}
