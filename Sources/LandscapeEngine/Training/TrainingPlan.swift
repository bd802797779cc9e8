import LandscapeCore
/// One convolution → BatchNorm (→ + shortcut) → activation of the ResNet,
/// with the offsets of its tensors in the flat parameter buffer.
struct TrainingLayer: Sendable {
    /// What is added to the BatchNorm output before the activation.
    enum Shortcut: Sendable, Equatable {
        case none
        /// The activation output of layer `from` (same shape).
        case identity(from: Int)
        /// The activation output of layer `from`, subsampled and zero-padded (option A).
        case optionA(from: Int)
    }

    let geometry: ConvolutionGeometry
    /// Offsets into `ResNetModel.values`.
    let weight: Int
    let gamma: Int
    let beta: Int
    let runningMean: Int
    let runningVariance: Int
    /// The layer whose activation output the convolution reads; nil: the input images.
    let input: Int?
    let shortcut: Shortcut

    var channels: Int { geometry.outChannels }
    var plane: Int { geometry.outPlane }
}

/// The ResNet as a list of layers in forward order: the stem (layer 0), then
/// for block k its conv1 (layer 2k + 1) and conv2 (layer 2k + 2); block k
/// reads the output of layer 2k. Pool and linear follow the last layer.
struct TrainingPlan: Sendable {
    let layers: [TrainingLayer]
    let linearWeight: Int
    let linearBias: Int
    let features: Int   // channels into the linear layer
    var blockCount: Int { (layers.count - 1) / 2 }

    init(architecture: ResNetArchitecture, layout: ParameterLayout, height: Int, width: Int) throws {
        func offset(_ name: String) throws -> Int {
            guard let entry = layout.entry(named: name) else {
                throw TrainingError.mismatch("parameter layout has no tensor '\(name)'")
            }
            return entry.offset
        }
        var layers: [TrainingLayer] = []
        func add(_ conv: String, _ bn: String, _ geometry: ConvolutionGeometry, input: Int?,
                 shortcut: TrainingLayer.Shortcut) throws {
            layers.append(TrainingLayer(geometry: geometry, weight: try offset("\(conv).weight"),
                                        gamma: try offset("\(bn).weight"), beta: try offset("\(bn).bias"),
                                        runningMean: try offset("\(bn).running_mean"),
                                        runningVariance: try offset("\(bn).running_var"),
                                        input: input, shortcut: shortcut))
        }
        let widths = ResNetArchitecture.stageWidths
        var h = height, w = width, channels = widths[0]
        try add("conv1", "bn1", ConvolutionGeometry(inChannels: architecture.inputChannels, outChannels: channels,
                                                    stride: 1, inHeight: h, inWidth: w),
                input: nil, shortcut: .none)
        for (stage, width) in widths.enumerated() {
            for block in 0..<architecture.blocksPerStage {
                let prefix = "layer\(stage + 1).\(block)"
                let stride = stage > 0 && block == 0 ? 2 : 1
                let blockInput = layers.count - 1
                let first = ConvolutionGeometry(inChannels: channels, outChannels: width, stride: stride,
                                                inHeight: h, inWidth: w)
                try add("\(prefix).conv1", "\(prefix).bn1", first, input: blockInput, shortcut: .none)
                let second = ConvolutionGeometry(inChannels: width, outChannels: width, stride: 1,
                                                 inHeight: first.outHeight, inWidth: first.outWidth)
                try add("\(prefix).conv2", "\(prefix).bn2", second, input: blockInput + 1,
                        shortcut: stride == 2 ? .optionA(from: blockInput) : .identity(from: blockInput))
                h = first.outHeight
                w = first.outWidth
                channels = width
            }
        }
        self.layers = layers
        linearWeight = try offset("linear.weight")
        linearBias = try offset("linear.bias")
        features = channels
    }
}
