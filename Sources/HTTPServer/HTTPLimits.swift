import Foundation

/// What a client may send before being refused. Defaults follow common server practice
/// (nginx/Apache use 8 KiB request lines and ~16 KiB of headers); the body cap suits JSON APIs.
public struct HTTPLimits: Sendable {
    /// Longest request line (method, target, version) → 414 URI Too Long.
    public var maxRequestLineBytes: Int
    /// Longest header block → 431 Request Header Fields Too Large.
    public var maxHeaderBytes: Int
    /// Most header fields → 431.
    public var maxHeaderCount: Int
    /// Largest Content-Length accepted → 413 Content Too Large.
    public var maxBodyBytes: Int
    /// Seconds a started request may take to arrive completely → 408, then close.
    public var readTimeout: TimeInterval
    /// Seconds for a request's head (request line and headers) to arrive: on a fresh connection counted
    /// from accept, so one that sends nothing is closed silently, one that sent part of a head gets 408;
    /// on a kept-alive connection counted from the request's first byte. Much shorter than the read
    /// timeout because a head is a few hundred bytes: idle or slowloris sockets must not hold the
    /// connection slots for the whole read/idle timeout (nginx's client_header_timeout, 60 s there).
    public var headerTimeout: TimeInterval
    /// Seconds a connection may sit between requests before it is closed silently.
    public var idleTimeout: TimeInterval
    /// Seconds a client may refuse to read our response before we give up on it.
    public var writeTimeout: TimeInterval
    /// Most connections served at once; one more is answered 503 and closed.
    public var maxConnections: Int
    /// Most connections one client address (an IPv4 address, an IPv6 /64) may hold at once; one more is
    /// answered 503 with Retry-After and closed, so a single host cannot take every slot. The default
    /// 128 is half of `maxConnections`' default: twice what `wrk -c64` (Benchmarks/load.sh) opens from
    /// one address, far above a browser's 6 per host, and still leaves half the slots to everyone else.
    public var maxConnectionsPerClient: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1 << 20, readTimeout: TimeInterval = 30, idleTimeout: TimeInterval = 60,
                writeTimeout: TimeInterval = 30, maxConnections: Int = 256,
                headerTimeout: TimeInterval = HTTPLimits.defaultHeaderTimeout,
                maxConnectionsPerClient: Int = HTTPLimits.defaultMaxConnectionsPerClient) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }

    /// 10 s: ample for a head over a slow link (a few hundred bytes), a sixth of the idle timeout.
    public static let defaultHeaderTimeout: TimeInterval = 10
    /// See `maxConnectionsPerClient`.
    public static let defaultMaxConnectionsPerClient = 128
}
