import Foundation

/// Per-channel preprocessing `(pixel / 255 - mean) / std`.
public struct Normalization: Sendable, Hashable, Codable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) { self.mean = mean; self.std = std }

    public var channels: Int { mean.count }

    /// ImageNet's statistics, which the reference CIFAR-10 ResNet-20
    /// (akamaster/pytorch_resnet_cifar10) was trained with; see
    /// ../shared/reference/README.md. Not CIFAR-10's own (0.491, 0.482, 0.447).
    public static let cifar10 = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// Computed from all 47,040,000 pixels of the Fashion-MNIST train split
    /// (pixels/255, population std, float64): 0.2860405969887955 and
    /// 0.3530242445149226. Checked by
    /// DatasetFashionMNISTTests.testTrainSplitMeanAndStdMatchTheDefaults.
    public static let fashionMNIST = Normalization(mean: [0.2860406], std: [0.3530242])

    /// The usual MNIST train-split statistics (as in PyTorch's MNIST example).
    public static let mnist = Normalization(mean: [0.1307], std: [0.3081])

    /// The statistics for a dataset the loader names; for any other name,
    /// mean 0 and std 1 (pixels / 255 only).
    public static func `default`(for dataset: ImageDataset) -> Normalization {
        switch dataset.name {
        case "cifar10": return .cifar10
        case "fashion-mnist": return .fashionMNIST
        case "mnist": return .mnist
        default: return Normalization(mean: Array(repeating: 0, count: dataset.channels),
                                      std: Array(repeating: 1, count: dataset.channels))
        }
    }

    /// Throws unless there is one finite mean and one positive finite std per channel.
    public func validate(channels expected: Int) throws {
        guard mean.count == expected else {
            throw DatasetError.badNormalization(field: "mean", expected: "\(expected) values (one per channel)",
                                                found: "\(mean.count) values")
        }
        guard std.count == expected else {
            throw DatasetError.badNormalization(field: "std", expected: "\(expected) values (one per channel)",
                                                found: "\(std.count) values")
        }
        if let bad = mean.first(where: { !$0.isFinite }) {
            throw DatasetError.badNormalization(field: "mean", expected: "finite values", found: "\(bad)")
        }
        if let bad = std.first(where: { !($0.isFinite && $0 > 0) }) {
            throw DatasetError.badNormalization(field: "std", expected: "positive finite values", found: "\(bad)")
        }
    }
}
