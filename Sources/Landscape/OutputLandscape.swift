import LandscapeEngine
import LandscapeCore

/// The "output landscape" of the Mish paper (Misra 2019, Fig. 1): the scalar
/// output of a randomly initialized fully connected network 2 → 64 → 32 →
/// 16 → 1 (one activation after every hidden layer) over a 2D grid of inputs.
/// Weights and biases are drawn like PyTorch's `nn.Linear` default,
/// U(−1/√fan_in, 1/√fan_in), from the seeded generator — so the same seed
/// gives the same network for every activation, and only the activation differs.
public struct OutputLandscape: Sendable {
    public static let layerWidths = [2, 64, 32, 16, 1]
    /// Largest grid side the service and CLI accept (a 1024² image is 1M forward passes of a tiny MLP).
    public static let maximumSize = 1024
    /// Sides a picture is offered at (the page's choices): 128 is quick, 256 shows the fine structure.
    public static let pictureSizes = [128, 192, 256]
    public static let defaultPictureSize = 256
    /// The JSON grid's default side: 128² values are ≈ 300 kB of JSON, enough for the page's hover readout.
    public static let defaultDataSize = 128

    public let activation: Activation
    public let seed: UInt64
    private let weights: [[Double]]   // per layer, [out][in] row-major
    private let biases: [[Double]]

    public init(activation: Activation, seed: UInt64) {
        self.activation = activation
        self.seed = seed
        var generator = SeededGenerator(seed: seed, stream: 7)
        var weights: [[Double]] = [], biases: [[Double]] = []
        for (fanIn, fanOut) in zip(Self.layerWidths, Self.layerWidths.dropFirst()) {
            let bound = 1 / Double(fanIn).squareRoot()
            weights.append((0..<(fanIn * fanOut)).map { _ in (generator.nextDouble() * 2 - 1) * bound })
            biases.append((0..<fanOut).map { _ in (generator.nextDouble() * 2 - 1) * bound })
        }
        self.weights = weights
        self.biases = biases
    }

    public func output(_ x: Double, _ y: Double) -> Double {
        var values = [x, y]
        for layer in weights.indices {
            let fanIn = values.count, fanOut = biases[layer].count
            var next = biases[layer]
            for o in 0..<fanOut {
                for i in 0..<fanIn { next[o] += weights[layer][o * fanIn + i] * values[i] }
                if layer < weights.count - 1 { next[o] = activation.value(next[o]) }
            }
            values = next
        }
        return values[0]
    }

    /// Outputs on a size × size grid over [range]², rows along y. Evaluated a
    /// row at a time, layer by layer over flat buffers (no allocation per point).
    public func grid(size: Int, range: ClosedRange<Double>) throws -> (coordinates: [Double], values: [[Double]]) {
        guard size >= 2 && size <= Self.maximumSize else {
            throw LandscapeError.invalidRequest("output landscape size \(size): expected 2...\(Self.maximumSize)")
        }
        guard range.lowerBound < range.upperBound, range.lowerBound.isFinite, range.upperBound.isFinite else {
            throw LandscapeError.invalidRequest("output landscape range \(range): expected a finite, non-empty range")
        }
        let coordinates = (0..<size).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(size - 1) }
        let widest = Self.layerWidths.max()!
        var input = [Double](repeating: 0, count: size * widest)
        var output = [Double](repeating: 0, count: size * widest)
        var rows: [[Double]] = []
        rows.reserveCapacity(size)
        for y in coordinates {
            for (i, x) in coordinates.enumerated() { input[i * 2] = x; input[i * 2 + 1] = y }
            for layer in weights.indices {
                let fanIn = Self.layerWidths[layer], fanOut = Self.layerWidths[layer + 1]
                let isHidden = layer < weights.count - 1
                weights[layer].withUnsafeBufferPointer { w in
                    biases[layer].withUnsafeBufferPointer { b in
                        for point in 0..<size {
                            for o in 0..<fanOut {
                                var sum = b[o]
                                for i in 0..<fanIn { sum += w[o * fanIn + i] * input[point * fanIn + i] }
                                output[point * fanOut + o] = isHidden ? activation.value(sum) : sum
                            }
                        }
                    }
                }
                swap(&input, &output)
            }
            rows.append(Array(input[0..<size]))
        }
        return (coordinates, rows)
    }
}
