import Foundation
import XCTest
import LandscapeEngine

/// Textbook float64 definitions, written plainly and independently of the
/// engine's stable forms. Accurate on [−20, 20], where nothing overflows.
enum TextbookActivation {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func softplus(_ x: Double) -> Double { log(1 + exp(x)) }
    static func phi(_ x: Double) -> Double { exp(-x * x / 2) / sqrt(2 * Double.pi) }
    static func bigPhi(_ x: Double) -> Double { 0.5 * (1 + erf(x / sqrt(2))) }

    /// (f, f', f'') at x.
    static func evaluate(_ activation: Activation, _ x: Double) -> (Double, Double, Double) {
        switch activation.kind {
        case .relu:
            return (x > 0 ? x : 0, x > 0 ? 1 : 0, 0)
        case .leakyRelu:
            return (x > 0 ? x : 0.01 * x, x > 0 ? 1 : 0.01, 0)
        case .swish:
            let s = sigmoid(x)
            return (x * s, s + x * s * (1 - s), 2 * s * (1 - s) + x * s * (1 - s) * (1 - 2 * s))
        case .mish:
            // f = x·T(sp(x)); T' = S·Q with S = σ, Q = sech²(sp); Q' = −2·Q·T·S.
            let sp = softplus(x), t = tanh(sp), s = sigmoid(x), q = 1 / (cosh(sp) * cosh(sp))
            return (x * t, t + x * s * q, 2 * s * q + x * (s * (1 - s) * q - 2 * q * t * s * s))
        case .gelu:
            return (x * bigPhi(x), bigPhi(x) + x * phi(x), 2 * phi(x) - x * x * phi(x))
        case .elu:
            return (x > 0 ? x : exp(x) - 1, x > 0 ? 1 : exp(x), x > 0 ? 0 : exp(x))
        case .softplus:
            if x > 20 { return (x, 1, 0) }  // PyTorch's threshold
            return (softplus(x), exp(x) / (1 + exp(x)), exp(x) / ((1 + exp(x)) * (1 + exp(x))))
        case .tanh:
            let t = (exp(x) - exp(-x)) / (exp(x) + exp(-x))
            return (t, 1 - t * t, -2 * t * (1 - t * t))
        case .nish:
            if x >= 0 { return (x, 1, 0) }
            let t = activation.parameter
            let e1 = exp(x / t), e2 = exp(2 * x / t), e3 = exp(3 * x / t)
            return (-2.5 * t * e1 + 4 * t * e2 - 1.5 * t * e3,
                    -2.5 * e1 + 8 * e2 - 4.5 * e3,
                    (-2.5 * e1 + 16 * e2 - 13.5 * e3) / t)
        }
    }
}

/// Every kind with its default parameter, plus Nish at t = 0.5 and t = 2.
let activationsUnderTest: [Activation] = Activation.allDefaults + [Activation(.nish, parameter: 0.5),
                                                                  Activation(.nish, parameter: 2)]

/// x = −20, −19.99, …, 20 (each correctly rounded from i/100).
let referenceGrid: [Double] = (-2000...2000).map { Double($0) / 100 }

/// Asserts |actual − expected| ≤ relative·|expected| + absolute at every x,
/// and reports the worst point, llm.c style.
func assertMatches(_ label: String, _ xs: [Double], actual: (Double) -> Double, expected: (Double) -> Double,
                   relative: Double, absolute: Double, file: StaticString = #filePath, line: UInt = #line) {
    var worst = (x: Double.nan, excess: -Double.infinity, actual: 0.0, expected: 0.0)
    for x in xs {
        let a = actual(x), e = expected(x)
        let difference = abs(a - e)
        let excess = difference.isNaN ? .infinity : difference - (relative * abs(e) + absolute)
        if excess > worst.excess { worst = (x, excess, a, e) }
    }
    XCTAssertLessThanOrEqual(worst.excess, 0,
                             "\(label): worst at x = \(worst.x): got \(worst.actual), expected \(worst.expected)",
                             file: file, line: line)
}

final class ActivationReferenceTests: XCTestCase {
    /// Float64 paths agree with the textbook forms to ~50 ulp; the absolute
    /// part covers the textbook side's own cancellation (1 + erf, log(1 + eˣ)
    /// near 0, 1 − tanh² near 1), which is of order 1e−16·|x| ≤ 2e−15.
    let relative = 1e-12, absolute = 1e-14

    func testValuesMatchTextbookDefinitionsOnMinus20To20() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) f", referenceGrid, actual: activation.value,
                          expected: { TextbookActivation.evaluate(activation, $0).0 },
                          relative: relative, absolute: absolute)
        }
    }

    func testFirstDerivativesMatchTextbookDefinitionsOnMinus20To20() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) f'", referenceGrid, actual: activation.derivative,
                          expected: { TextbookActivation.evaluate(activation, $0).1 },
                          relative: relative, absolute: absolute)
        }
    }

    func testSecondDerivativesMatchTextbookDefinitionsOnMinus20To20() {
        for activation in activationsUnderTest {
            assertMatches("\(activation) f''", referenceGrid, actual: activation.secondDerivative,
                          expected: { TextbookActivation.evaluate(activation, $0).2 },
                          relative: relative, absolute: absolute)
        }
    }

    /// Values printed by Python's `math` module (a separate libm), e.g.
    /// `0.5 * (1 + math.erf(1 / math.sqrt(2)))` for GELU(1).
    func testKnownValuesFromPythonMath() {
        let cases: [(Activation, Double, Double)] = [
            (Activation(.gelu), 1, 0.8413447460685429),
            (Activation(.gelu), -1, -0.15865525393145707),
            (Activation(.swish), 1, 0.7310585786300049),
            (Activation(.mish), 1, 0.8650983882673103),
            (Activation(.softplus), 1, 1.3132616875182228),
            (Activation(.elu), -1, -0.6321205588285577),
            (Activation(.tanh), 0.5, 0.46211715726000974),
            (Activation(.nish), -1, -0.45303807253395095),
            (Activation(.leakyRelu), -1, -0.01),
            (Activation(.relu), -1, 0),
        ]
        for (activation, x, expected) in cases {
            XCTAssertEqual(activation.value(x), expected, accuracy: 4e-16, "\(activation)(\(x))")
        }
    }

    func testKinksUseTheLeftSideLikePyTorch() {
        XCTAssertEqual(Activation(.relu).derivative(0.0), 0)
        XCTAssertEqual(Activation(.relu).secondDerivative(0.0), 0)
        XCTAssertEqual(Activation(.leakyRelu).derivative(0.0), 0.01)
        XCTAssertEqual(Activation(.elu).derivative(0.0), 1)
        XCTAssertEqual(Activation(.elu).secondDerivative(0.0), 1)
        XCTAssertEqual(Activation(.relu).derivative(Float(0)), 0)
        XCTAssertEqual(Activation(.leakyRelu).derivative(Float(0)), 0.01)
    }

    /// PyTorch's Softplus (beta 1, threshold 20) returns x itself above 20.
    func testSoftplusIsTheIdentityAboveThreshold20() {
        let softplus = Activation(.softplus)
        XCTAssertEqual(softplus.value(20.5), 20.5)
        XCTAssertEqual(softplus.derivative(20.5), 1)
        XCTAssertEqual(softplus.secondDerivative(20.5), 0)
        XCTAssertEqual(softplus.value(20.0), log(1 + exp(20.0)), accuracy: 1e-14)
        XCTAssertEqual(softplus.value(Float(20.5)), 20.5)
    }

    /// Nish-t joins the identity with matching value, slope and curvature.
    func testNishIsTwiceContinuouslyDifferentiableAtZero() {
        for t in [0.5, 1, 2] {
            let nish = Activation(.nish, parameter: t)
            let left = -1e-9
            XCTAssertEqual(nish.value(left), left, accuracy: 1e-17, "t = \(t)")
            XCTAssertEqual(nish.derivative(left), 1, accuracy: 1e-8, "t = \(t)")
            XCTAssertEqual(nish.secondDerivative(left), 0, accuracy: 1e-7, "t = \(t)")
        }
    }
}
