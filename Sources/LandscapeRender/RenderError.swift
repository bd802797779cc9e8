/// Why a plot could not be drawn; messages name the input and what was expected.
public enum RenderError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Data of the wrong shape (field, what was expected, what came).
    case invalidData(field: String, detail: String)
    /// An option out of range (option name, what was expected).
    case invalidOption(name: String, detail: String)
    /// cairo refused (the call and cairo's status string).
    case cairo(call: String, status: String)
    /// Writing the PNG failed.
    case writeFailed(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidData(let field, let detail): return "render: data '\(field)': \(detail)"
        case .invalidOption(let name, let detail): return "render: option '\(name)': \(detail)"
        case .cairo(let call, let status): return "render: cairo \(call) failed: \(status)"
        case .writeFailed(let path, let detail): return "render: cannot write \(path): \(detail)"
        }
    }
}
