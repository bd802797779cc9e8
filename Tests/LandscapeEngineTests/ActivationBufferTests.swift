import XCTest
import LandscapeEngine

/// The buffer loops (vectorized) give exactly the element-wise Float results.
final class ActivationBufferTests: XCTestCase {
    /// 1 003 elements (not a multiple of any vector width, so the scalar tail
    /// runs too): a sweep over [−25, 25], extremes, zeros and a NaN.
    let inputs: [Float] = {
        var xs = (0..<990).map { Float($0) / 19.8 - 25 }
        xs += [0, -0.0, 1e-30, -1e-30, 1e4, -1e4, 3e38, -3e38, -87.4, -100, 20.5, .nan, 88]
        return xs
    }()

    /// Gradients of mixed sign and size, never 0.
    var gradients: [Float] { inputs.indices.map { Float($0 % 7) - 3.5 } }

    func assertSameFloats(_ actual: [Float], _ expected: [Float], _ label: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where !(a == e || (a.isNaN && e.isNaN)) {
            XCTFail("\(label)[\(i)] (x = \(inputs[i])): got \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    func testInPlaceApplyEqualsElementwiseValue() {
        for activation in activationsUnderTest {
            var buffer = inputs
            buffer.withUnsafeMutableBufferPointer { activation.apply($0) }
            assertSameFloats(buffer, inputs.map(activation.value), "\(activation) apply")
        }
    }

    func testApplyToOutputEqualsElementwiseValueAndKeepsTheInput() {
        for activation in activationsUnderTest {
            var output = [Float](repeating: 7, count: inputs.count)
            let input = inputs
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { activation.apply(source, to: $0) }
            }
            assertSameFloats(output, inputs.map(activation.value), "\(activation) apply(to:)")
            assertSameFloats(input, inputs, "\(activation) input after apply(to:)")
        }
    }

    func testBackwardOverwritesGradInputWithGradOutputTimesDerivative() {
        let upstream = gradients
        for activation in activationsUnderTest {
            var downstream = [Float](repeating: 1234, count: inputs.count)   // must be replaced, not added to
            inputs.withUnsafeBufferPointer { x in
                upstream.withUnsafeBufferPointer { g in
                    downstream.withUnsafeMutableBufferPointer {
                        activation.backward(input: x, gradOutput: g, gradInput: $0)
                    }
                }
            }
            let expected = zip(upstream, inputs).map { g, x in g * activation.derivative(x) }
            assertSameFloats(downstream, expected, "\(activation) backward")
        }
    }

    func testBackwardMayWriteOverGradOutput() {
        let activation = Activation(.mish)
        var gradient = gradients
        inputs.withUnsafeBufferPointer { x in
            gradient.withUnsafeMutableBufferPointer { g in
                activation.backward(input: x, gradOutput: UnsafeBufferPointer(g), gradInput: g)
            }
        }
        assertSameFloats(gradient, zip(gradients, inputs).map { $0 * activation.derivative($1) }, "in-place backward")
    }

    func testMismatchedLengthsTouchOnlyTheCommonPrefix() {
        let activation = Activation(.swish)
        var output = [Float](repeating: 7, count: 10)
        let input: [Float] = [-2, -1, 0, 1, 2, 3]
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { activation.apply(source, to: $0) }
        }
        XCTAssertEqual(Array(output[..<6]), input.map(activation.value))
        XCTAssertEqual(Array(output[6...]), [7, 7, 7, 7])

        var gradient = [Float](repeating: 7, count: 10)
        input.withUnsafeBufferPointer { x in
            [Float](repeating: 2, count: 4).withUnsafeBufferPointer { g in
                gradient.withUnsafeMutableBufferPointer { activation.backward(input: x, gradOutput: g, gradInput: $0) }
            }
        }
        XCTAssertEqual(Array(gradient[..<4]), input[..<4].map { 2 * activation.derivative($0) })
        XCTAssertEqual(Array(gradient[4...]), [7, 7, 7, 7, 7, 7])
    }

    func testEmptyBuffersAreFine() {
        var empty: [Float] = []
        empty.withUnsafeMutableBufferPointer { Activation(.mish).apply($0) }
        XCTAssertEqual(empty, [])
    }
}
