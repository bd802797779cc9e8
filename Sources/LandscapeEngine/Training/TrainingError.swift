/// Everything training can refuse, with messages that name the field and
/// what was expected.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A batch that does not fit the network: wrong size, pixel count, label.
    case invalidBatch(String)
    /// An optimizer or schedule setting outside its valid range.
    case invalidHyperparameter(String)
    /// A model, gradient or optimizer state whose size or architecture does not match.
    case mismatch(String)
    /// A saved training state that cannot be restored: missing or malformed tensor or metadata field.
    case invalidState(String)

    public var description: String {
        switch self {
        case .invalidBatch(let detail): return "training batch: \(detail)"
        case .invalidHyperparameter(let detail): return "training hyperparameter: \(detail)"
        case .mismatch(let detail): return "training state mismatch: \(detail)"
        case .invalidState(let detail): return "saved training state: \(detail)"
        }
    }
}
