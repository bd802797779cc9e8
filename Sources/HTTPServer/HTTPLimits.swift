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
    /// Seconds a connection may sit between requests before it is closed silently.
    public var idleTimeout: TimeInterval
    /// Seconds a client may refuse to read our response before we give up on it.
    public var writeTimeout: TimeInterval
    /// Most connections served at once; one more is answered 503 and closed.
    public var maxConnections: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1 << 20, readTimeout: TimeInterval = 30, idleTimeout: TimeInterval = 60,
                writeTimeout: TimeInterval = 30, maxConnections: Int = 256) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
    }
}
