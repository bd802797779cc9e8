import LandscapeCore
/// Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`
/// (dampening 0), for one flat parameter buffer:
///
///     d   = g + weightDecay·θ                 (only where decay applies)
///     buf = momentum·buf + d                  (buf starts at 0, so step 1 gives buf = d)
///     d   = nesterov ? d + momentum·buf : buf (when momentum ≠ 0)
///     θ   = θ − learningRate·d
///
/// Arithmetic is float32 element by element, like PyTorch's foreach-free path.
/// The momentum buffer is aligned with the parameters and can be saved and
/// restored for checkpoints (`momentumBuffer`, `init(..., momentumBuffer:)`).
public struct SGD: Sendable, Equatable, Codable {
    /// A contiguous run of parameters and whether weight decay applies to it.
    public struct ParameterGroup: Sendable, Equatable, Codable {
        public var range: Range<Int>
        public var decays: Bool
        public init(range: Range<Int>, decays: Bool) {
            self.range = range
            self.decays = decays
        }
    }

    /// Set before each step from a `LearningRateSchedule`.
    public var learningRate: Double
    public let momentum: Double
    public let nesterov: Bool
    public let weightDecay: Double
    /// Whether weight decay also applies to 1-D tensors (BatchNorm scales and
    /// biases, the linear bias). PyTorch's plain SGD decays every parameter.
    public let decaysOneDimensionalTensors: Bool
    /// Velocity per parameter, aligned with the parameter buffer; empty until
    /// the first step (or when momentum is 0).
    public private(set) var momentumBuffer: [Float]
    /// Updates applied so far.
    public private(set) var stepCount: Int

    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0,
                decaysOneDimensionalTensors: Bool = true, momentumBuffer: [Float] = [], stepCount: Int = 0) throws {
        guard learningRate.isFinite && learningRate >= 0 else {
            throw TrainingError.invalidHyperparameter("learningRate \(learningRate): expected a finite number >= 0")
        }
        guard momentum.isFinite && momentum >= 0 && momentum < 1 else {
            throw TrainingError.invalidHyperparameter("momentum \(momentum): expected 0 <= momentum < 1")
        }
        guard !nesterov || momentum > 0 else {
            throw TrainingError.invalidHyperparameter("nesterov: expected a momentum > 0 (PyTorch's rule)")
        }
        guard weightDecay.isFinite && weightDecay >= 0 else {
            throw TrainingError.invalidHyperparameter("weightDecay \(weightDecay): expected a finite number >= 0")
        }
        guard stepCount >= 0 else {
            throw TrainingError.invalidHyperparameter("stepCount \(stepCount): expected >= 0")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decaysOneDimensionalTensors = decaysOneDimensionalTensors
        self.momentumBuffer = momentumBuffer
        self.stepCount = stepCount
    }

    /// The trainable tensors of a layout (never BatchNorm running statistics),
    /// with decay on every one unless 1-D tensors are excluded.
    public func parameterGroups(_ layout: ParameterLayout) -> [ParameterGroup] {
        layout.entries.filter { $0.role.isTrainable }.map {
            ParameterGroup(range: $0.range, decays: decaysOneDimensionalTensors || $0.shape.count > 1)
        }
    }

    /// One update of a model's trainable tensors with a gradient aligned with `model.values`.
    public mutating func step(model: inout ResNetModel, gradients: UnsafeBufferPointer<Float>) throws {
        let groups = parameterGroups(model.layout)
        try model.values.withUnsafeMutableBufferPointer { try step(values: $0, gradients: gradients, groups: groups) }
    }

    public mutating func step(model: inout ResNetModel, gradients: [Float]) throws {
        try gradients.withUnsafeBufferPointer { try step(model: &model, gradients: $0) }
    }

    /// One update of `values[group.range]` for every group; other values are untouched.
    public mutating func step(values: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                              groups: [ParameterGroup]) throws {
        guard gradients.count == values.count else {
            throw TrainingError.mismatch("gradient has \(gradients.count) values, parameters \(values.count)")
        }
        if let group = groups.first(where: { $0.range.lowerBound < 0 || $0.range.upperBound > values.count }) {
            throw TrainingError.mismatch("parameter group \(group.range) outside the \(values.count) parameters")
        }
        if momentum != 0 {
            if momentumBuffer.isEmpty { momentumBuffer = [Float](repeating: 0, count: values.count) }
            guard momentumBuffer.count == values.count else {
                throw TrainingError.mismatch("momentum buffer has \(momentumBuffer.count) values, parameters \(values.count)")
            }
        }
        let rate = Float(learningRate), mu = Float(momentum)
        momentumBuffer.withUnsafeMutableBufferPointer { velocity in
            for group in groups {
                let decay = group.decays ? Float(weightDecay) : 0
                for i in group.range {
                    var d = gradients[i]
                    if decay != 0 { d += decay * values[i] }
                    if mu != 0 {
                        velocity[i] = mu * velocity[i] + d
                        d = nesterov ? d + mu * velocity[i] : velocity[i]
                    }
                    values[i] -= rate * d
                }
            }
        }
        stepCount += 1
    }
}
