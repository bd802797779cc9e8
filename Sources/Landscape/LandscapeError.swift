/// Everything the landscape layer refuses before (or while) computing, with
/// messages that name the field and what was expected.
public enum LandscapeError: Error, CustomStringConvertible, Equatable {
    case invalidGrid(String)
    case invalidDirections(String)
    case incompatibleModels(String)
    case invalidRequest(String)
    case storeFailure(path: String, detail: String)
    /// The disk is full (`full`) or the directory read-only: not the request's fault, not a bug.
    case storeUnavailable(path: String, detail: String, full: Bool)

    public var description: String {
        switch self {
        case .invalidGrid(let detail): return "invalid grid: \(detail)"
        case .invalidDirections(let detail): return "invalid directions: \(detail)"
        case .incompatibleModels(let detail): return "models cannot share directions: \(detail)"
        // The detail names the file or field itself; a generic prefix only hid it (every CLI error began "invalid request:").
        case .invalidRequest(let detail): return detail
        case let .storeFailure(path, detail): return "surface store \(path): \(detail)"
        case let .storeUnavailable(path, detail, _): return "surface store \(path): \(detail)"
        }
    }
}
