import LandscapeCore
/// A ResNet's tensors in one contiguous buffer with a table of named views
/// (llm.c's habit): copying, perturbing (θ + αδ + βη) and exporting are
/// single passes over `values`, and directions and gradients reuse `layout`.
public struct ResNetModel: Sendable, Equatable {
    public let architecture: ResNetArchitecture
    public let layout: ParameterLayout
    public var values: [Float]

    /// Zero-filled parameters (running variances 1, BN scales 1, like PyTorch's init).
    public init(architecture: ResNetArchitecture) {
        self.architecture = architecture
        self.layout = ParameterLayout(architecture.tensorSpecs)
        self.values = [Float](repeating: 0, count: layout.totalCount)
        for entry in layout.entries where entry.role == .runningVariance || entry.role == .batchNormScale {
            for i in entry.range { values[i] = 1 }
        }
    }

    /// Copies a checkpoint's tensors into place, by name. Reports every
    /// missing, unexpected and mis-shaped tensor at once; tolerates PyTorch's
    /// `num_batches_tracked` counters, which evaluation does not use.
    public init(architecture: ResNetArchitecture, stateDict: StateDict) throws {
        self.init(architecture: architecture)
        var missing: [String] = [], misshaped: [String] = []
        for entry in layout.entries {
            guard let tensor = stateDict[entry.name] else { missing.append(entry.name); continue }
            guard tensor.shape == entry.shape else {
                misshaped.append("\(entry.name) \(tensor.shape) (expected \(entry.shape))")
                continue
            }
            values.replaceSubrange(entry.range, with: tensor.scalars)
        }
        let unexpected = stateDict.names.filter {
            layout.entry(named: $0) == nil && !$0.hasSuffix("num_batches_tracked")
        }
        if !(missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty) {
            throw EngineError.stateDictMismatch(missing: missing, unexpected: unexpected, misshaped: misshaped)
        }
    }

    /// The tensors under PyTorch's names, in `state_dict()` order.
    public func stateDict(metadata: [String: String] = [:]) -> StateDict {
        StateDict(layout.entries.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(values[$0.range]))) },
                  metadata: metadata)
    }

    public func tensor(_ name: String) -> Tensor? {
        layout.entry(named: name).map { Tensor(shape: $0.shape, scalars: Array(values[$0.range])) }
    }

    /// Trainable parameters (conv/linear weights, BN scales and biases), not BN statistics.
    public var parameterCount: Int {
        layout.entries.filter { $0.role.isTrainable }.reduce(0) { $0 + $1.count }
    }
}
