import Foundation
import XCTest
import LandscapeEngine

/// Float32 paths (inference and backprop) against the float64 paths, which
/// the reference and finite-difference tests pin down.
final class ActivationFloatTests: XCTestCase {
    /// ~8 Float ulp; the Swish/Mish kernels use a 2-ulp exp and a few more roundings.
    let relative = 1e-6
    /// Values: Swish and Mish return 0 where eˣ is below FLT_MIN (x < −87.34),
    /// where the exact values are below 1e−36 in magnitude.
    let valueAbsolute = 1e-35
    /// Derivatives: f' crosses 0 by cancellation of O(1) terms (Swish, Mish,
    /// GELU, Nish), so the error there is a few Float ulp of 1.
    let derivativeAbsolute = 2e-7

    /// ±[0, 30] in steps of 1/64 (exact in Float), ±10^k for k = −6…4 in 1/8
    /// decades, and the underflow edge −80…−110.
    let floatInputs: [Float] = {
        var xs: [Float] = (-1920...1920).map { Float($0) / 64 }
        for step in 0...80 {
            let magnitude = Float(pow(10, -6 + Double(step) / 8))
            xs += [magnitude, -magnitude]
        }
        xs += stride(from: Float(-80), through: -110, by: -0.25)
        return xs
    }()

    func testFloatValuesMatchDoubleValues() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) Float f", floatInputs.map(Double.init),
                          actual: { Double(activation.value(Float($0))) }, expected: activation.value,
                          relative: relative, absolute: valueAbsolute)
        }
    }

    func testFloatDerivativesMatchDoubleDerivatives() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) Float f'", floatInputs.map(Double.init),
                          actual: { Double(activation.derivative(Float($0))) }, expected: activation.derivative,
                          relative: relative, absolute: derivativeAbsolute)
        }
    }

    func testDoublePathsAreFiniteForHugeInputs() {
        let huge: [Double] = [1e4, 1e30, 1e300, .greatestFiniteMagnitude]
        for activation in activationsUnderTest {
            for x in huge + huge.map(-) {
                XCTAssertTrue(activation.value(x).isFinite, "\(activation) f(\(x))")
                XCTAssertTrue(activation.derivative(x).isFinite, "\(activation) f'(\(x))")
                XCTAssertTrue(activation.secondDerivative(x).isFinite, "\(activation) f''(\(x))")
            }
        }
    }

    func testFloatPathsAreFiniteForHugeInputs() {
        let huge: [Float] = [1e4, 1e30, 3e38, .greatestFiniteMagnitude]
        for activation in activationsUnderTest {
            for x in huge + huge.map(-) {
                XCTAssertTrue(activation.value(x).isFinite, "\(activation) f(\(x))")
                XCTAssertTrue(activation.derivative(x).isFinite, "\(activation) f'(\(x))")
            }
        }
    }

    /// Far right every activation but tanh is the identity, far left each
    /// tends to its asymptote (0, 0.01·x, −1 or −1.5t·… → 0).
    func testHugeInputsReachTheAsymptotes() {
        for activation in activationsUnderTest where activation.kind != .tanh {
            XCTAssertEqual(activation.value(1e30), 1e30, "\(activation)")
            XCTAssertEqual(activation.derivative(1e30), 1, "\(activation)")
            XCTAssertEqual(activation.value(Float(3e38)), 3e38, "\(activation)")
            XCTAssertEqual(activation.derivative(Float(3e38)), 1, "\(activation)")
        }
        let leftLimits: [ActivationKind: Double] = [.leakyRelu: -1e28, .elu: -1, .tanh: -1]
        for activation in activationsUnderTest {
            let expected = leftLimits[activation.kind] ?? 0
            XCTAssertEqual(activation.value(-1e30), expected, accuracy: 1e-300, "\(activation)")
            XCTAssertEqual(Double(activation.value(Float(-1e30))), expected, accuracy: 1e-300 + 1e-7 * abs(expected),
                           "\(activation)")
        }
        XCTAssertEqual(Activation(.tanh).value(1e30), 1)
        XCTAssertEqual(Activation(.tanh).derivative(1e30), 0)
    }

    func testNaNInputsGiveNaNValues() {
        for activation in activationsUnderTest {
            XCTAssertTrue(activation.value(Double.nan).isNaN, "\(activation)")
            XCTAssertTrue(activation.value(Float.nan).isNaN, "\(activation)")
        }
    }
}
