/// Everything the engine can refuse, with messages that name the tensor or
/// field and what was expected.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case invalidArchitecture(String)
    case stateDictMismatch(missing: [String], unexpected: [String], misshaped: [String])
    case invalidInput(String)
    case cancelled

    public var description: String {
        switch self {
        case .invalidArchitecture(let detail):
            return "invalid architecture: \(detail)"
        case let .stateDictMismatch(missing, unexpected, misshaped):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.count): \(Self.list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.count): \(Self.list(unexpected))") }
            if !misshaped.isEmpty { parts.append("wrong shape \(misshaped.count): \(Self.list(misshaped))") }
            return "checkpoint does not match the architecture: " + parts.joined(separator: "; ")
        case .invalidInput(let detail):
            return "invalid input: \(detail)"
        case .cancelled:
            return "cancelled"
        }
    }

    private static func list(_ names: [String]) -> String {
        names.count <= 12 ? names.joined(separator: ", ")
            : names.prefix(12).joined(separator: ", ") + ", … (\(names.count - 12) more)"
    }
}
