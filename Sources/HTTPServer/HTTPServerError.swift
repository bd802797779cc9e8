#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Every failure this module throws. Socket failures keep errno so logs say *why* a call failed.
public enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    /// A POSIX call failed; `call` names it ("bind 127.0.0.1:8080"), `code` is errno.
    case socket(call: String, code: Int32)
    /// `host` in the configuration is not an address getaddrinfo understands.
    case invalidAddress(host: String, reason: String)
    /// The peer did not take our bytes within the write timeout.
    case writeTimedOut
    /// The peer closed the connection (EPIPE, ECONNRESET, EOF).
    case connectionClosed
    /// `start()` was called twice, or after `stop`.
    case alreadyStarted
    /// A request target handed to `HTTPRequest.init` is not origin-form or not valid percent-encoding.
    case invalidTarget(String)
    /// StaticFileHandler's root is missing or not a directory.
    case invalidStaticRoot(path: String, reason: String)

    public var description: String {
        switch self {
        case let .socket(call, code):
            return "\(call) failed: errno \(code) (\(String(cString: strerror(code))))"
        case let .invalidAddress(host, reason):
            return "configuration host '\(host)': expected a numeric IPv4/IPv6 address or resolvable name (\(reason))"
        case .writeTimedOut:
            return "socket write: peer did not read within the write timeout"
        case .connectionClosed:
            return "socket: connection closed by peer"
        case .alreadyStarted:
            return "HTTPServer.start(): server was already started"
        case let .invalidTarget(target):
            return "request target '\(target)': expected an origin-form path ('/a/b?c=d') with valid percent-encoding"
        case let .invalidStaticRoot(path, reason):
            return "StaticFileHandler root '\(path)': \(reason)"
        }
    }
}
