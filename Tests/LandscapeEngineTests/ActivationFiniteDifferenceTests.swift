import XCTest
import LandscapeEngine

/// The analytic derivatives agree with central finite differences of the
/// function one order below: f' with (f(x+h) − f(x−h))/2h and f'' with the
/// same difference of f'.
final class ActivationFiniteDifferenceTests: XCTestCase {
    /// Step: truncation error h²/6·|f'''| ≈ 2e−11·|f'''| and rounding error
    /// ε·|f|/h ≈ 2.2e−16·20/1e−5 ≈ 4e−10 stay well below the tolerance (the
    /// worst case seen, Nish t = 0.5 at x = −0.01 beside the f''' jump, uses ~1/4).
    let step = 1e-5
    let tolerance = 2e-8   // absolute + relative to |f'|

    /// Within this distance of a kink the difference straddles a jump in the
    /// next derivative and is no test of the formula.
    let kinkMargin = 1e-3

    func kinks(of activation: Activation) -> [Double] {
        switch activation.kind {
        case .relu, .leakyRelu, .elu, .nish: return [0]   // nish: f''' jumps at 0
        case .softplus: return [20]                       // PyTorch's threshold switch
        case .swish, .mish, .gelu, .tanh: return []
        }
    }

    func smoothGrid(for activation: Activation) -> [Double] {
        let kinks = kinks(of: activation)
        return referenceGrid.filter { x in kinks.allSatisfy { abs(x - $0) > kinkMargin } }
    }

    func centralDifference(_ f: (Double) -> Double, at x: Double) -> Double {
        (f(x + step) - f(x - step)) / (2 * step)
    }

    func testFirstDerivativeMatchesCentralDifferencesOfTheValue() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) f' vs Δf", smoothGrid(for: activation), actual: activation.derivative,
                          expected: { self.centralDifference(activation.value, at: $0) },
                          relative: tolerance, absolute: tolerance)
        }
    }

    func testSecondDerivativeMatchesCentralDifferencesOfTheFirst() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) f'' vs Δf'", smoothGrid(for: activation),
                          actual: activation.secondDerivative,
                          expected: { self.centralDifference(activation.derivative, at: $0) },
                          relative: tolerance, absolute: tolerance)
        }
    }

    /// The margins exclude only the kinks: a grid point 1e−3 from each is kept.
    func testKinkMarginsExcludeOnlyTheKinks() {
        let relu = smoothGrid(for: Activation(.relu))
        XCTAssertEqual(relu.count, referenceGrid.count - 1)
        XCTAssertFalse(relu.contains(0))
        XCTAssertTrue(relu.contains(0.01) && relu.contains(-0.01))
        XCTAssertEqual(smoothGrid(for: Activation(.mish)).count, referenceGrid.count)
    }
}
