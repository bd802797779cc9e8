import Foundation
import XCTest
import LandscapeEngine

final class ActivationMinimumTests: XCTestCase {
    /// The root of g in [a, b] (g(a), g(b) of opposite signs), by plain bisection.
    func bisect(_ a: Double, _ b: Double, _ g: (Double) -> Double) -> Double {
        var (a, b) = (a, b)
        let signA = g(a) < 0
        for _ in 0..<200 {
            let mid = (a + b) / 2
            if (g(mid) < 0) == signA { a = mid } else { b = mid }
        }
        return (a + b) / 2
    }

    func testMishMinimumIsTheKnownOne() {
        let found = minimum(of: Activation(.mish), in: -5...5)
        XCTAssertEqual(found.x, -1.1924, accuracy: 1e-4)
        XCTAssertEqual(found.value, -0.30884, accuracy: 1e-4)
    }

    /// Against the root of the textbook f' (tanh(sp) + x·σ·sech²(sp) = 0).
    func testMishMinimumMatchesTheRootOfTheTextbookDerivative() {
        let mish = Activation(.mish)
        let root = bisect(-2, -0.5) { TextbookActivation.evaluate(mish, $0).1 }
        let found = minimum(of: mish, in: -20...20)
        XCTAssertEqual(found.x, root, accuracy: 1e-9)
        XCTAssertEqual(found.value, TextbookActivation.evaluate(mish, root).0, accuracy: 1e-14)
    }

    /// Swish' = 0 ⇔ 1 + x(1 − σ) = 0 ⇔ eˣ = −x − 1, and there f = x + 1.
    func testSwishMinimumSolvesExpXEqualsMinusXMinusOne() {
        let root = bisect(-2, -1) { exp($0) + $0 + 1 }
        let found = minimum(of: Activation(.swish), in: -10...10)
        XCTAssertEqual(found.x, root, accuracy: 1e-9)
        XCTAssertEqual(found.value, root + 1, accuracy: 1e-14)
        XCTAssertEqual(found.value, -0.2784645427610738, accuracy: 1e-14)   // −W(1/e)
    }

    func testGELUMinimumMatchesTheRootOfTheTextbookDerivative() {
        let gelu = Activation(.gelu)
        let root = bisect(-2, 0) { TextbookActivation.evaluate(gelu, $0).1 }
        let found = minimum(of: gelu, in: -4...4)
        XCTAssertEqual(found.x, root, accuracy: 1e-9)
        XCTAssertEqual(found.value, TextbookActivation.evaluate(gelu, root).0, accuracy: 1e-14)
    }

    /// Nish' = e(−2.5 + 8e − 4.5e²) with e = e^(x/t) vanishes at e* = (8 − √19)/9,
    /// so x* = t·ln e* and f(x*) = t(−2.5e* + 4e*² − 1.5e*³).
    func testNishMinimumIsAnalytic() {
        let e = (8 - 19.0.squareRoot()) / 9
        for t in [0.5, 1, 3] {
            let found = minimum(of: Activation(.nish, parameter: t), in: -10...10)
            XCTAssertEqual(found.x, t * log(e), accuracy: 1e-9, "t = \(t)")
            XCTAssertEqual(found.value, t * (-2.5 * e + 4 * e * e - 1.5 * e * e * e), accuracy: 1e-14, "t = \(t)")
        }
    }

    func testMonotoneActivationsHaveTheMinimumAtTheLowerBound() {
        for kind in [ActivationKind.elu, .tanh, .softplus, .leakyRelu] {
            let activation = Activation(kind)
            let found = minimum(of: activation, in: -3...2)
            XCTAssertEqual(found.x, -3, "\(kind)")
            XCTAssertEqual(found.value, TextbookActivation.evaluate(activation, -3).0, accuracy: 1e-14, "\(kind)")
        }
    }

    func testReLUMinimumIsZeroOnItsFlatPart() {
        let found = minimum(of: Activation(.relu), in: -2...3)
        XCTAssertEqual(found.value, 0)
        XCTAssertLessThanOrEqual(found.x, 0)
    }

    func testMinimumOutsideTheRangeGivesTheNearestEnd() {
        let found = minimum(of: Activation(.mish), in: 0...5)
        XCTAssertEqual(found.x, 0)
        XCTAssertEqual(found.value, 0)
        let left = minimum(of: Activation(.mish), in: -0.5...5)
        XCTAssertEqual(left.x, -0.5)
    }

    func testSinglePointRange() {
        let found = minimum(of: Activation(.mish), in: 1...1)
        XCTAssertEqual(found.x, 1)
        XCTAssertEqual(found.value, Activation(.mish).value(1.0))
    }

    func testInfiniteBoundsAreClampedToFiniteOnes() {
        let found = minimum(of: Activation(.elu), in: -Double.infinity...0)
        XCTAssertTrue(found.x.isFinite)
        XCTAssertEqual(found.value, -1)
    }
}
