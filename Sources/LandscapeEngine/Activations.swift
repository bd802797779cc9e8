/// The element-wise non-linearities the engine knows. Raw values are the
/// canonical names used in checkpoints' metadata, the CLI and the API.
public enum ActivationKind: String, CaseIterable, Codable, Sendable {
    case relu, swish, mish, gelu, elu, leakyRelu = "leaky_relu", softplus, tanh, nish

    /// Whether the kind reads `Activation.parameter` (only Nish-t does).
    public var takesParameter: Bool { self == .nish }
}

/// An activation function with its first and second derivatives, in Double
/// (plots, the explorer, references) and Float (inference and backprop).
///
/// Definitions (PyTorch's defaults where PyTorch has the function):
/// - relu: max(x, 0); f'(0) = 0 and f''(x) = 0 everywhere (the subgradient
///   PyTorch's backward uses).
/// - swish (SiLU): x·σ(x).
/// - mish: x·tanh(softplus(x)).
/// - gelu: x·Φ(x) with the exact erf form of Φ (PyTorch's `approximate='none'`).
/// - elu: x for x > 0, eˣ − 1 otherwise (alpha 1); f''(0) uses the left side (1).
/// - leaky_relu: x for x > 0, 0.01·x otherwise; f'(0) = 0.01, f'' = 0.
/// - softplus: log(1 + eˣ), and exactly x for x > 20 (PyTorch's beta 1,
///   threshold 20); there f' = 1 and f'' = 0 like PyTorch's backward.
/// - tanh.
/// - nish (Nish-t, t > 0): x for x ≥ 0, else −2.5t·e^(x/t) + 4t·e^(2x/t) − 1.5t·e^(3x/t).
///   It is C² at 0 (f(0) = 0, f'(0) = 1, f''(0) = 0).
///
/// Every function is finite for every finite input (no exp overflow).
/// NaN inputs give NaN values.
public struct Activation: Sendable, Hashable, Codable, CustomStringConvertible {
    public let kind: ActivationKind
    /// t for nish; unused (and normalised to 1, so equality ignores it) otherwise.
    public let parameter: Double

    /// The default parameter of kinds that take one (Nish's t = 1).
    public static let defaultParameter: Double = 1

    /// For nish, `parameter` must be finite and > 0; untrusted input should go
    /// through `init(validating:parameter:)` or `init(parsing:)` instead.
    public init(_ kind: ActivationKind, parameter: Double = Activation.defaultParameter) {
        self.kind = kind
        self.parameter = kind.takesParameter ? parameter : Activation.defaultParameter
    }

    /// Like `init(_:parameter:)`, but throws when a nish parameter is not a
    /// finite number > 0.
    public init(validating kind: ActivationKind, parameter: Double = Activation.defaultParameter) throws {
        if kind.takesParameter, !(parameter.isFinite && parameter > 0) {
            throw ActivationError.invalidParameter(name: "\(kind.rawValue):\(parameter)", kind: kind,
                                                   text: "\(parameter)")
        }
        self.init(kind, parameter: parameter)
    }

    /// Every kind with its default parameter, in `ActivationKind.allCases` order.
    public static let allDefaults: [Activation] = ActivationKind.allCases.map { Activation($0) }

    // MARK: Names

    /// Accepted spellings (case-insensitive) for each kind; the first is canonical.
    static let spellings: [(spelling: String, kind: ActivationKind)] = [
        ("relu", .relu), ("swish", .swish), ("silu", .swish), ("mish", .mish), ("gelu", .gelu),
        ("elu", .elu), ("leaky_relu", .leakyRelu), ("leakyrelu", .leakyRelu), ("softplus", .softplus),
        ("tanh", .tanh), ("nish", .nish),
    ]

    /// Parses "relu", "swish", "silu", "mish", "gelu", "elu", "leaky_relu",
    /// "leakyrelu", "softplus", "tanh", "nish" or "nish:<t>" (e.g. "nish:0.5"),
    /// ignoring case and surrounding whitespace.
    public init(parsing name: String) throws {
        let trimmed = name.trimmingWhitespace().lowercased()
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let base = String(parts[0])
        guard let kind = Activation.spellings.first(where: { $0.spelling == base })?.kind else {
            throw ActivationError.unknownName(name)
        }
        guard parts.count == 2 else {
            self.init(kind)
            return
        }
        guard kind.takesParameter else { throw ActivationError.unexpectedParameter(name: name, kind: kind) }
        let text = String(parts[1])
        guard let t = Double(text), t.isFinite, t > 0 else {
            throw ActivationError.invalidParameter(name: name, kind: kind, text: text)
        }
        self.init(kind, parameter: t)
    }

    /// Canonical name; `Activation(parsing: a.name) == a`. Nish with a
    /// non-default t is written "nish:<t>" with Swift's shortest round-trip
    /// spelling of t.
    public var name: String {
        if kind.takesParameter, parameter != Activation.defaultParameter {
            return "\(kind.rawValue):\(parameter)"
        }
        return kind.rawValue
    }

    public var description: String { name }

    /// A label for plots and pages, e.g. "LeakyReLU" or "Nish (t = 0.5)".
    public var displayName: String {
        switch kind {
        case .relu: return "ReLU"
        case .swish: return "Swish"
        case .mish: return "Mish"
        case .gelu: return "GELU"
        case .elu: return "ELU"
        case .leakyRelu: return "LeakyReLU"
        case .softplus: return "Softplus"
        case .tanh: return "Tanh"
        case .nish: return "Nish (t = \(parameter))"
        }
    }

    // MARK: Codable — a single string, the canonical name ("mish", "nish:0.5").

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch let error as ActivationError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// Why an activation name or parameter was rejected.
public enum ActivationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The name matches no activation.
    case unknownName(String)
    /// A parameter was given ("relu:2") to a kind that takes none.
    case unexpectedParameter(name: String, kind: ActivationKind)
    /// The parameter is not a finite number > 0 ("nish:0", "nish:abc").
    case invalidParameter(name: String, kind: ActivationKind, text: String)

    /// Every accepted spelling, for error messages and help texts.
    public static let validNames: [String] = Activation.spellings.map(\.spelling) + ["nish:<t>"]

    public var description: String {
        switch self {
        case .unknownName(let name):
            return "activation: unknown name '\(name)'; expected one of "
                + ActivationError.validNames.joined(separator: ", ") + " (case-insensitive)"
        case .unexpectedParameter(let name, let kind):
            return "activation '\(name)': \(kind.rawValue) takes no parameter; expected '\(kind.rawValue)'"
        case .invalidParameter(let name, let kind, let text):
            return "activation '\(name)': parameter t of \(kind.rawValue) is '\(text)'; "
                + "expected a finite number > 0, as in '\(kind.rawValue):0.5'"
        }
    }
}

extension String {
    /// Drops leading and trailing spaces, tabs and newlines (no Foundation needed).
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
