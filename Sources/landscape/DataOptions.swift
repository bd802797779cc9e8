import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO

/// Dataset options shared by eval, surface and interpolate.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Dataset: a CIFAR-10 .bin file or directory, or an MNIST/Fashion-MNIST IDX directory (gzip or raw).")
    var path: String = DataOptions.defaultPath

    @Option(help: "Split to read from a dataset directory: test (default) or train. A single file is used as it is.")
    var split: DatasetSplit?
    @Option(name: .customLong("subset"), help: "Which samples: first (file order), random (seeded), balanced (equal per class).")
    var subset: SubsetRule = .first
    @Option(name: .customLong("subset-seed"), help: "Seed of the random and balanced subsets.") var subsetSeed: UInt64 = 0
    @Option(help: "Per-channel mean, comma-separated (default: the model card's, else the dataset's).") var mean: String?
    @Option(help: "Per-channel std, comma-separated (default: the model card's, else the dataset's).") var std: String?

    /// Fashion-MNIST as installed by `apt-get install dataset-fashion-mnist`.
    static let defaultPath = "/usr/share/datasets/fashion-mnist"

    /// The images a spec evaluates, as these options say (`samples`: the command's --samples).
    func fill<Spec: EvaluationImagesSpec>(_ spec: inout Spec, samples: Int?) {
        spec.split = split
        spec.samples = samples
        spec.subset = subset
        spec.subsetSeed = subsetSeed
    }

    /// `samplesAtMost`: the count was a default, so a smaller split is used whole instead of refused.
    func request(samples: Int?, samplesAtMost: Bool = false) throws -> EvaluationSetRequest {
        var normalization: Normalization?
        switch (mean, std) {
        case (nil, nil): normalization = nil
        case let (m?, s?): normalization = Normalization(mean: try Self.floats(m, "--mean"), std: try Self.floats(s, "--std"))
        default: throw ValidationError("--mean and --std go together")
        }
        return EvaluationSetRequest(path: path, split: split, samples: samples, samplesAtMost: samplesAtMost, subset: subset,
                                    subsetSeed: subsetSeed, normalization: normalization)
    }

    static func floats(_ text: String, _ flag: String) throws -> [Float] {
        try text.split(separator: ",").map {
            guard let v = Float($0.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw ValidationError("\(flag): expected comma-separated numbers, got '\(text)'")
            }
            return v
        }
    }
}

extension DatasetSplit: ExpressibleByArgument {}
extension SubsetRule: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
