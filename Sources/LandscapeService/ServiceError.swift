import HTTPServer

/// What the API refuses, with the HTTP status it maps to. Messages name the
/// field and what was expected; `detail` carries the underlying error.
public enum ServiceError: Error, CustomStringConvertible, HTTPErrorRepresentable {
    case badRequest(String, detail: String? = nil)
    case notFound(String)
    case queueFull(limit: Int)
    case conflict(String)

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .notFound: return 404
        case .queueFull: return 429
        case .conflict: return 409
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let message, _): return message
        case .notFound(let what): return "\(what) not found"
        case .queueFull(let limit): return "the surface job queue is full (\(limit) jobs waiting or running); retry later"
        case .conflict(let message): return message
        }
    }

    public var detail: String? {
        if case .badRequest(_, let detail) = self { return detail }
        return nil
    }

    public var description: String { detail.map { "\(message): \($0)" } ?? message }
}
