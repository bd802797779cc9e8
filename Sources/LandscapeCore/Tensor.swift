/// A dense float32 tensor on the host: a shape and its scalars in row-major
/// (C) order, the order PyTorch's `contiguous()` tensors and safetensors use.
/// Convolution weights keep PyTorch's OIHW layout, so reshaped to
/// (O, I·kH·kW) a weight is the GEMM matrix and each output filter is one
/// contiguous row.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) holds \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { scalars.count }
}

/// Named tensors in file order, as a checkpoint stores them (PyTorch's
/// `state_dict()` names: `conv1.weight`, `layer2.0.bn1.running_mean`, ...),
/// plus free-form string metadata (safetensors `__metadata__`).
public struct StateDict: Sendable, Equatable {
    public private(set) var names: [String] = []
    public private(set) var tensors: [String: Tensor] = [:]
    public var metadata: [String: String] = [:]

    public init() {}

    public init(_ pairs: [(String, Tensor)], metadata: [String: String] = [:]) {
        for (name, tensor) in pairs { self[name] = tensor }
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? {
        get { tensors[name] }
        set {
            if let newValue {
                if tensors.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if tensors.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    public var count: Int { names.count }

    /// Ordered (name, tensor) pairs.
    public var items: [(name: String, tensor: Tensor)] { names.map { ($0, tensors[$0]!) } }
}
