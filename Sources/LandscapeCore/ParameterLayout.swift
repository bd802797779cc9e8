import Foundation

/// What a tensor is for: decides how directions treat it (Li et al. leave
/// 1-D tensors and BN statistics out by default) and what training updates.
public enum TensorRole: String, Sendable, Codable, Hashable {
    case weight            // conv / linear weight (>= 2-D): "filters" along axis 0
    case batchNormScale    // BN gamma
    case bias              // BN beta and linear bias
    case runningMean       // BN buffer, not a parameter
    case runningVariance   // BN buffer, not a parameter

    public var isTrainable: Bool { self == .weight || self == .batchNormScale || self == .bias }
}

public struct TensorSpec: Sendable, Hashable, Codable {
    public let name: String
    public let shape: [Int]
    public let role: TensorRole
    public var count: Int { shape.reduce(1, *) }

    public init(name: String, shape: [Int], role: TensorRole) {
        self.name = name; self.shape = shape; self.role = role
    }
}

/// Name → (offset, shape, role) for every tensor in a flat buffer.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let role: TensorRole
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
        /// Rows along axis 0: the output filters of a conv or linear weight.
        public var filterCount: Int { shape.first ?? 1 }
        public var filterSize: Int { shape.count > 1 ? count / filterCount : count }
    }

    public let entries: [Entry]
    public let totalCount: Int
    private let index: [String: Int]

    public init(_ specs: [TensorSpec]) {
        var offset = 0
        var entries: [Entry] = []
        for spec in specs {
            entries.append(Entry(name: spec.name, shape: spec.shape, role: spec.role, offset: offset))
            offset += spec.count
        }
        self.entries = entries
        self.totalCount = offset
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    public func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }
}
