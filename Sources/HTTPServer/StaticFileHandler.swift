#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Serves regular files under `root` and nothing else. The request's raw path is split on '/'
/// before decoding, each segment is checked, and the final real path must still lie under the
/// root's real path, so neither "..", "%2e%2e", "%2f", NUL, dotfiles nor symlinks lead out.
public struct StaticFileHandler: HTTPHandler {
    public let root: URL
    private let realRoot: String
    /// Sent with every file: revalidate each time (ETag makes that a cheap 304).
    public var cacheControl = "no-cache"

    public init(root: URL) throws {
        guard let real = Self.realPath(root.path) else {
            throw HTTPServerError.invalidStaticRoot(path: root.path, reason: "does not exist")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HTTPServerError.invalidStaticRoot(path: root.path, reason: "expected a directory")
        }
        self.root = root
        self.realRoot = real
    }

    public func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.method == .get || request.method == .head else {
            var response = HTTPResponse.error(status: .methodNotAllowed, error: "method not allowed", detail: request.method.rawValue)
            response.headers["Allow"] = "GET, HEAD"
            return response
        }
        let segments: [String]
        switch Self.safeSegments(request.rawPath) {
        case let .safe(value): segments = value
        case let .refuse(status): return .error(status: status, error: status.reason, detail: request.rawPath)
        }
        var candidate = ([realRoot] + segments).joined(separator: "/")
        if request.rawPath.hasSuffix("/") || segments.isEmpty { candidate += "/index.html" }
        guard var real = Self.realPath(candidate), real.hasPrefix(realRoot + "/") else { return notFound(request) }
        var info = stat()
        guard stat(real, &info) == 0 else { return notFound(request) }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard let index = Self.realPath(real + "/index.html"), index.hasPrefix(realRoot + "/"),
                  stat(index, &info) == 0 else { return notFound(request) }
            real = index
        }
        guard info.st_mode & S_IFMT == S_IFREG, let data = FileManager.default.contents(atPath: real) else {
            return notFound(request)
        }
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
        var response = HTTPResponse(status: .ok, headers: [
            "Content-Type": MIMEType.forPath(real),
            "Last-Modified": HTTPDate.string(from: modified),
            "Cache-Control": cacheControl,
        ], body: data)
        // Size and nanosecond mtime: changes whenever the file is rewritten, without hashing it.
        response = response.withETag("\(String(info.st_size, radix: 16))-\(String(info.st_mtim.tv_sec, radix: 16))"
                                     + String(info.st_mtim.tv_nsec, radix: 16))
        return ConditionalGET.evaluate(request, response)
    }

    private func notFound(_ request: HTTPRequest) -> HTTPResponse {
        .error(status: .notFound, error: "not found", detail: request.path)
    }

    /// Decoded path segments, or the status to refuse with: 400 for traversal and malformed input,
    /// 404 for hidden files (no need to confirm they exist).
    enum PathCheck: Equatable {
        case safe([String])
        case refuse(HTTPStatus)
    }

    static func safeSegments(_ rawPath: String) -> PathCheck {
        guard rawPath.hasPrefix("/") else { return .refuse(.badRequest) }
        var segments: [String] = []
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = PercentEncoding.decode(raw) else { return .refuse(.badRequest) }
            if segment == "." || segment == ".." || segment.contains("/") || segment.contains("\\")
                || segment.utf8.contains(0) {
                return .refuse(.badRequest)
            }
            if segment.hasPrefix(".") { return .refuse(.notFound) }
            segments.append(segment)
        }
        return .safe(segments)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Content types by file extension for what a web page ships.
public enum MIMEType {
    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "json": "application/json", "txt": "text/plain; charset=utf-8",
        "png": "image/png", "svg": "image/svg+xml", "ico": "image/x-icon", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "woff2": "font/woff2", "woff": "font/woff", "map": "application/json",
        "wasm": "application/wasm",
    ]

    public static func forPath(_ path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
