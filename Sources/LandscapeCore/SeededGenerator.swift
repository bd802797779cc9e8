import Foundation

/// A small, portable, seeded random generator: SplitMix64 (Steele, Lea &
/// Flood 2014), the generator Java's `SplittableRandom` uses. Every draw is
/// plain 64-bit integer arithmetic, so the same `(seed, stream)` gives the same
/// numbers on every machine, compiler and thread count — directions, subsets
/// and initializations are reproducible from the seed written in the output.
///
/// `stream` selects an independent sequence for the same seed (the x and y
/// directions of a surface are streams 0 and 1).
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        // Mix the stream in through one SplitMix64 step so nearby streams do not
        // produce shifted copies of each other.
        state = Self.mix(seed &+ Self.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// Restores a generator saved with `state` (training checkpoints).
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<bound without modulo bias (Lemire's method).
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "uniform(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Standard normal by the Box–Muller transform; one Gaussian per two draws
    /// (no cached second value, so the sequence never depends on call history
    /// beyond the state).
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextDouble()          // (0, 1]: log never sees 0
        let u2 = nextDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Fisher–Yates shuffle driven by this generator.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, uniform(below: i + 1))
        }
    }
}
