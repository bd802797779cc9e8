import XCTest
@testable import LandscapeEngine

/// The Winograd filter transform (C, run at every landscape point) against U = G g Gᵀ computed
/// here as plain float64 matrix products (Lavin & Gray 2016, F(2×2, 3×3)), then reordered into the
/// kernel's [O/4][16][C][4]: the same bits, including signed zeros, tiny and huge weights.
final class WinogradFilterTests: XCTestCase {
    /// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
    static let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// U[ξ = 4i + j][o][c] = (G g Gᵀ)[i][j] for a [O][C][3][3] bank, in float64, rounded once.
    static func referenceTransform(_ weight: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        var u = [Float](repeating: 0, count: 16 * outChannels * inChannels)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let base = (o * inChannels + c) * 9
                var gw = [[Double]](repeating: [0, 0, 0], count: 4)
                for i in 0..<4 {
                    for j in 0..<3 {
                        var sum = 0.0
                        for t in 0..<3 { sum += g[i][t] * Double(weight[base + t * 3 + j]) }
                        gw[i][j] = sum
                    }
                }
                for i in 0..<4 {
                    for j in 0..<4 {
                        var value = 0.0
                        for t in 0..<3 { value += gw[i][t] * g[j][t] }
                        u[((i * 4 + j) * outChannels + o) * inChannels + c] = Float(value)
                    }
                }
            }
        }
        return u
    }

    func testPackedFiltersAreTheFloat64TransformBitForBit() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the Winograd kernel needs AVX2 and FMA")
        var rng = TestRNG(41)
        let (outChannels, inChannels) = (8, 5)
        var weight = (0..<(outChannels * inChannels * 9)).map { _ in Float(rng.symmetric()) }
        let specials: [Float] = [-0.0, 0, 1e-40, -3e38, 3e38, .leastNormalMagnitude, 1 + .ulpOfOne, -1]
        for (k, value) in specials.enumerated() { weight[k * 7] = value }
        let packed = DirectConvolution.packedWinogradFilters(weight, outChannels: outChannels, inChannels: inChannels)
        let u = Self.referenceTransform(weight, outChannels: outChannels, inChannels: inChannels)
        let group = DirectConvolution.channelGroup
        XCTAssertEqual(packed.count, u.count)
        var differing = 0
        for o in 0..<outChannels {
            for xi in 0..<16 {
                for c in 0..<inChannels {
                    let expected = u[(xi * outChannels + o) * inChannels + c]
                    let actual = packed[((o / group * 16 + xi) * inChannels + c) * group + o % group]
                    if expected.bitPattern != actual.bitPattern { differing += 1 }
                }
            }
        }
        XCTAssertEqual(differing, 0, "filter values differing in bits from the float64 reference")
    }
}
