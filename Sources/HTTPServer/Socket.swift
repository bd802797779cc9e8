#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Owner of one POSIX stream socket. Every call is checked; failures carry errno.
/// `shutdown()` may be called from another thread to wake a blocked reader (used by `stop`);
/// only the owning thread calls `close()`, so a descriptor is never reused under someone's feet.
/// Every socket is close-on-exec from its creation (SOCK_CLOEXEC, accept4): a child process
/// (a `serve --launcher` run, mpirun) inherits no client connection nor the listener, so a
/// client sees its connection close when the server closes it, however long the child runs.
final class Socket: @unchecked Sendable {
    let fd: Int32

    init(fd: Int32) { self.fd = fd }

    /// Binds and listens on `host:port` (port 0: the kernel picks one).
    static func listening(host: String, port: UInt16, backlog: Int32 = 512) throws(HTTPServerError) -> Socket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw .invalidAddress(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        let fd = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(call: "socket", code: errno) }
        let socket = Socket(fd: fd)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            socket.close()
            throw .socket(call: "bind \(host):\(port)", code: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            socket.close()
            throw .socket(call: "listen \(host):\(port)", code: code)
        }
        // Non-blocking so a connection reset between poll and accept cannot block the accept loop.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return socket
    }

    /// The port the kernel bound (meaningful after binding port 0).
    func localPort() throws(HTTPServerError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw .socket(call: "getsockname", code: errno) }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?,
                                                Int32) -> Int32
    /// glibc's accept4 (a GNU extension the Glibc module does not import), looked up once.
    private static let accept4: Accept4? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else { return nil }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    /// Accepts one pending connection, close-on-exec; nil on EAGAIN/EINTR/ECONNABORTED (nothing to take right now).
    func accept() throws(HTTPServerError) -> Socket? {
        let client: Int32
        if let accept4 = Self.accept4 {
            client = accept4(fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        } else {
            // Without accept4 a spawn between these two calls could still inherit it; the launcher closes
            // every descriptor above 2 in its children as well.
            client = Glibc.accept(fd, nil, nil)
            if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
        }
        if client < 0 {
            switch errno {
            case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED: return nil
            case let code: throw .socket(call: "accept", code: code)
            }
        }
        var yes: Int32 = 1
        // Head and body go out in one write, but SSE events are small: don't let Nagle hold them.
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        return Socket(fd: client)
    }

    /// Sets SO_SNDTIMEO so a client that stops reading cannot pin a thread forever.
    func setSendTimeout(_ seconds: TimeInterval) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Waits up to `milliseconds` for `events`; returns the revents (0 on timeout).
    func poll(_ events: Int16, milliseconds: Int32) throws(HTTPServerError) -> Int16 {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let result = Glibc.poll(&entry, 1, milliseconds)
        if result < 0 {
            if errno == EINTR { return 0 }
            throw .socket(call: "poll", code: errno)
        }
        return result == 0 ? 0 : entry.revents
    }

    /// Reads at most `buffer.count` bytes; 0 means the peer closed its side.
    func read(into buffer: inout [UInt8]) throws(HTTPServerError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case ECONNRESET, ENOTCONN: return 0
            case let code: throw .socket(call: "recv", code: code)
            }
        }
    }

    /// Writes every byte or throws; MSG_NOSIGNAL turns a vanished peer into EPIPE instead of SIGPIPE.
    func write(_ bytes: UnsafeRawBufferPointer) throws(HTTPServerError) {
        var offset = 0
        while offset < bytes.count {
            let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent >= 0 { offset += sent; continue }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw .writeTimedOut
            case EPIPE, ECONNRESET, ENOTCONN: throw .connectionClosed
            case let code: throw .socket(call: "send", code: code)
            }
        }
    }

    func write(_ data: Data) throws(HTTPServerError) {
        var failure: HTTPServerError?
        data.withUnsafeBytes { raw in
            do throws(HTTPServerError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    func write(_ bytes: [UInt8]) throws(HTTPServerError) {
        var failure: HTTPServerError?
        bytes.withUnsafeBytes { raw in
            do throws(HTTPServerError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// True once the peer has hung up or half-closed (POLLRDHUP is Linux's early signal for it).
    var peerHasClosed: Bool {
        let hangup = Int16(POLLHUP) | Int16(POLLERR) | Int16(0x2000) // 0x2000 = POLLRDHUP
        guard let events = try? poll(Int16(POLLIN) | Int16(0x2000), milliseconds: 0) else { return true }
        return events & hangup != 0
    }

    func shutdown(_ how: Int32 = Int32(SHUT_RDWR)) { _ = Glibc.shutdown(fd, how) }

    func close() { _ = Glibc.close(fd) }

    /// Whether the descriptor is closed on exec (it always is; tests check it).
    var isCloseOnExec: Bool { fcntl(fd, F_GETFD) & FD_CLOEXEC != 0 }

    /// Half-closes, then drains what the client still sends for a moment (without closing), so the
    /// kernel does not answer unread bytes with RST and destroy the error response we just wrote.
    func drainBeforeClose(milliseconds drainMilliseconds: Int32 = 200) {
        shutdown(Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        var drained = 0
        let deadline = Date().addingTimeInterval(Double(drainMilliseconds) / 1000)
        while drained < 1 << 20 {
            let left = Int32(deadline.timeIntervalSinceNow * 1000)
            guard left > 0, let events = try? poll(Int16(POLLIN), milliseconds: left), events != 0,
                  let count = try? read(into: &scratch), count > 0 else { break }
            drained += count
        }
    }

    /// Who is on the other end: "ip:port" for the access log, and the key per-client limits count
    /// under (the IPv4 address; an IPv6 address's /64, the block one host usually gets, so rotating
    /// through its addresses does not evade the limit). Both "-" if the peer is already gone.
    func peer() -> (address: String, clientKey: String) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        } == 0
        guard ok else { return ("-", "-") }
        let address = Self.numericAddress(&storage, length)
        guard storage.ss_family == sa_family_t(AF_INET6) else {
            return (address, String(address[..<(address.lastIndex(of: ":") ?? address.endIndex)]))
        }
        let bytes = withUnsafeBytes(of: &storage) { raw in
            raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_addr
        }
        let octets = withUnsafeBytes(of: bytes) { Array($0) }
        if octets[0..<10].allSatisfy({ $0 == 0 }), octets[10] == 0xff, octets[11] == 0xff { // IPv4-mapped
            return (address, octets[12...].map(String.init).joined(separator: "."))
        }
        let prefix = stride(from: 0, to: 8, by: 2).map { String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16) }
        return (address, prefix.joined(separator: ":") + "::/64")
    }

    private static func numericAddress(_ storage: inout sockaddr_storage, _ length: socklen_t) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                            NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "-" }
        func text(_ chars: [CChar]) -> String {
            String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return "\(text(host)):\(text(service))"
    }
}
