import Foundation

extension ResNetModel {
    /// A freshly initialized model, as akamaster's `_weights_init` does it:
    /// conv and linear weights from Kaiming-normal (fan-in, gain √2, so
    /// std = √(2 / fan_in)), the linear bias from PyTorch's default
    /// U(−1/√fan_in, 1/√fan_in), BatchNorm γ = 1, β = 0, running mean 0,
    /// running variance 1. Tensors are drawn in `state_dict()` order, so a
    /// seeded generator gives the same model everywhere.
    public static func randomlyInitialized(_ architecture: ResNetArchitecture,
                                           using generator: inout some RandomNumberGenerator) -> ResNetModel {
        var model = ResNetModel(architecture: architecture)
        for entry in model.layout.entries {
            let fanIn = entry.shape.count > 1 ? entry.filterSize : (model.layout.entry(named: "linear.weight")?.filterSize ?? 1)
            switch entry.role {
            case .weight:
                let std = (2 / Double(fanIn)).squareRoot()
                for i in entry.range { model.values[i] = Float(std * standardNormal(&generator)) }
            case .bias where entry.name == "linear.bias":
                let bound = 1 / Double(fanIn).squareRoot()
                for i in entry.range { model.values[i] = Float(bound * (2 * unitInterval(&generator) - 1)) }
            case .bias, .batchNormScale, .runningMean, .runningVariance:
                break   // ResNetModel.init already holds PyTorch's BatchNorm defaults
            }
        }
        return model
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    private static func unitInterval(_ generator: inout some RandomNumberGenerator) -> Double {
        Double(generator.next() >> 11) / Double(UInt64(1) << 53)
    }

    /// Box–Muller (one of the pair; simple and reproducible).
    private static func standardNormal(_ generator: inout some RandomNumberGenerator) -> Double {
        let u1 = 1 - unitInterval(&generator)   // (0, 1]: log stays finite
        let u2 = unitInterval(&generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
