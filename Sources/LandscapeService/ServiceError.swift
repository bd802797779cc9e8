import HTTPServer

/// What the API refuses, with the HTTP status it maps to. Messages name the
/// field and what was expected; `detail` carries the underlying error.
public enum ServiceError: Error, CustomStringConvertible, HTTPErrorRepresentable {
    case badRequest(String, detail: String? = nil)
    /// Well formed, but over one of this server's caps (422; the message names the cap).
    case tooLarge(String)
    case notFound(String)
    case queueFull(limit: Int, retryAfter: Int)
    case conflict(String)
    /// The disk is full (507 Insufficient Storage) or the store read-only (503): not the client's fault.
    case storageUnavailable(String, detail: String, full: Bool)
    /// Busy right now (e.g. every picture-render slot taken): 503, retry after that many seconds.
    case busy(String, retryAfter: Int)

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .tooLarge: return 422
        case .notFound: return 404
        case .queueFull: return 429
        case .conflict: return 409
        case .storageUnavailable(_, _, let full): return full ? 507 : 503
        case .busy: return 503
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let message, _): return message
        case .tooLarge(let message): return message
        case .notFound(let what): return "\(what) not found"
        case .queueFull(let limit, _): return "the job queue is full (\(limit) jobs waiting or running); retry later"
        case .conflict(let message): return message
        case .storageUnavailable(let message, _, _): return message
        case .busy(let message, _): return message
        }
    }

    public var detail: String? {
        switch self {
        case .badRequest(_, let detail): return detail
        case .storageUnavailable(_, let detail, _): return detail
        default: return nil
        }
    }

    /// Retry-After where the refusal is about load, not about the request: the error carries it,
    /// so no route has to patch it in.
    public var headers: HTTPHeaders {
        switch self {
        case .queueFull(_, let seconds), .busy(_, let seconds): return ["Retry-After": String(seconds)]
        default: return [:]
        }
    }

    public var description: String { detail.map { "\(message): \($0)" } ?? message }
}
