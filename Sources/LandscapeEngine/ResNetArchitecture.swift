import LandscapeCore
/// The CIFAR ResNet family of He et al. (2016, §4.2) as implemented by the
/// reference checkpoint (akamaster/pytorch_resnet_cifar10): depth 6n+2, three
/// stages of n BasicBlocks with widths 16/32/64, option-A shortcuts
/// (`x[:, :, ::2, ::2]` zero-padded on channels), global average pool, linear.
public struct ResNetArchitecture: Sendable, Hashable, Codable, CustomStringConvertible {
    public var depth: Int
    public var inputChannels: Int
    public var classCount: Int
    public var activation: Activation

    /// Stage widths of the CIFAR ResNets (He et al. 2016, §4.2).
    public static let stageWidths = [16, 32, 64]
    /// PyTorch's BatchNorm2d default epsilon.
    public static let batchNormEpsilon: Float = 1e-5

    public init(depth: Int = 20, inputChannels: Int = 3, classCount: Int = 10,
                activation: Activation = Activation(.relu)) throws {
        guard depth >= 8, (depth - 2) % 6 == 0 else {
            throw EngineError.invalidArchitecture("depth \(depth): expected 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, ...)")
        }
        guard inputChannels == 1 || inputChannels == 3 else {
            throw EngineError.invalidArchitecture("input channels \(inputChannels): expected 1 or 3")
        }
        guard classCount >= 2 else {
            throw EngineError.invalidArchitecture("class count \(classCount): expected at least 2")
        }
        self.depth = depth
        self.inputChannels = inputChannels
        self.classCount = classCount
        self.activation = activation
    }

    public var blocksPerStage: Int { (depth - 2) / 6 }
    public var name: String { "resnet\(depth)" }
    public var description: String { "\(name) (\(inputChannels)-channel input, \(classCount) classes, \(activation.name))" }

    /// Every tensor of the model in PyTorch `state_dict()` order.
    public var tensorSpecs: [TensorSpec] {
        var specs: [TensorSpec] = []
        func conv(_ name: String, _ out: Int, _ inp: Int) {
            specs.append(TensorSpec(name: "\(name).weight", shape: [out, inp, 3, 3], role: .weight))
        }
        func batchNorm(_ name: String, _ channels: Int) {
            specs.append(TensorSpec(name: "\(name).weight", shape: [channels], role: .batchNormScale))
            specs.append(TensorSpec(name: "\(name).bias", shape: [channels], role: .bias))
            specs.append(TensorSpec(name: "\(name).running_mean", shape: [channels], role: .runningMean))
            specs.append(TensorSpec(name: "\(name).running_var", shape: [channels], role: .runningVariance))
        }
        let widths = Self.stageWidths
        conv("conv1", widths[0], inputChannels)
        batchNorm("bn1", widths[0])
        var channels = widths[0]
        for (stage, width) in widths.enumerated() {
            for block in 0..<blocksPerStage {
                let prefix = "layer\(stage + 1).\(block)"
                conv("\(prefix).conv1", width, channels)
                batchNorm("\(prefix).bn1", width)
                conv("\(prefix).conv2", width, width)
                batchNorm("\(prefix).bn2", width)
                channels = width
            }
        }
        specs.append(TensorSpec(name: "linear.weight", shape: [classCount, channels], role: .weight))
        specs.append(TensorSpec(name: "linear.bias", shape: [classCount], role: .bias))
        return specs
    }

    /// Multiply-adds ×2 of one forward pass on an image of the given size.
    public func forwardFLOPs(height: Int, width: Int) -> Int {
        convolutionFLOPs(height: height, width: width).reduce(0, +) + 2 * Self.stageWidths.last! * classCount
    }

    /// Multiply-adds ×2 of each 3x3 convolution computed directly, per image of the given size, in
    /// `InferenceNetwork`'s order: the stem, then conv1 and conv2 of each block.
    public func convolutionFLOPs(height: Int, width: Int) -> [Int] {
        var h = height, w = width, channels = inputChannels
        var flops = [2 * Self.stageWidths[0] * channels * 9 * h * w]
        channels = Self.stageWidths[0]
        for (stage, width) in Self.stageWidths.enumerated() {
            for block in 0..<blocksPerStage {
                if stage > 0 && block == 0 { h = (h + 1) / 2; w = (w + 1) / 2 }
                flops += [2 * width * channels * 9 * h * w, 2 * width * width * 9 * h * w]
                channels = width
            }
        }
        return flops
    }
}
