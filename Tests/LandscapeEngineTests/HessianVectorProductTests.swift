import Foundation
import LandscapeEngine
import XCTest
import LandscapeCore

/// The exact Hessian-vector product of a small ResNet (depth 8, three 3x8x8
/// images, eval-mode BatchNorm) against second differences of the loss of a
/// float64 ResNet written here from the definitions (NCHW, direct loops): an
/// independent path through every layer, shortcut and the loss.
final class HessianVectorProductTests: XCTestCase {
    /// float32 R-operator against float64 second differences (steps 1e-4 along eᵢ, 1e-5 along v,
    /// which has norm ≈ 280: a 1e-4 step along v measured third derivatives at the 5e-3 level):
    /// 2e-3 relative above the floor leaves room for float32 rounding and catches any missing term.
    static let tolerance = 2e-3
    static let magnitudeFloor = 1e-2

    func testSwishProductMatchesSecondDifferences() throws {
        try checkAgainstSecondDifferences(Activation(.swish), seed: 51)
    }

    func testMishProductMatchesSecondDifferences() throws {
        try checkAgainstSecondDifferences(Activation(.mish), seed: 52)
    }

    func testReLUProductMatchesSecondDifferences() throws {
        // ReLU: f'' = 0 away from the kinks; the small step keeps kinks out of reach.
        try checkAgainstSecondDifferences(Activation(.relu), seed: 53, entryStep: 1e-5)
    }

    func testGELUProductMatchesSecondDifferences() throws {
        try checkAgainstSecondDifferences(Activation(.gelu), seed: 54)
    }

    func testProductIsTheSameForEveryThreadCount() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        let model = ForwardPassTests.randomModel(arch, seed: 61)
        let data = try ForwardPassTests.randomImages(count: 7, channels: 3, height: 8, width: 8, seed: 62)
        let vector = Self.direction(model, seed: 63)
        let one = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 1, chunkSize: 2)
            .product(model: model, vector: vector, data: data)
        let three = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 3, chunkSize: 2)
            .product(model: model, vector: vector, data: data)
        XCTAssertEqual(one.product, three.product)
        XCTAssertEqual(one.gradient, three.gradient)
        XCTAssertEqual(one.loss, three.loss)
    }

    func testChunkSizeChangesOnlyRounding() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
        let model = ForwardPassTests.randomModel(arch, seed: 64)
        let data = try ForwardPassTests.randomImages(count: 5, channels: 3, height: 8, width: 8, seed: 65)
        let vector = Self.direction(model, seed: 66)
        let whole = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 5)
            .product(model: model, vector: vector, data: data)
        let split = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
            .product(model: model, vector: vector, data: data)
        XCTAssertLessThan(Self.relativeError(split.product, whole.product), 1e-5)
    }

    func testProductIsSymmetric() throws {
        // u·(Hv) = v·(Hu): a missing or doubled cross term breaks the symmetry.
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
        let model = ForwardPassTests.randomModel(arch, seed: 67)
        let data = try ForwardPassTests.randomImages(count: 3, channels: 3, height: 8, width: 8, seed: 68)
        let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
        let u = Self.direction(model, seed: 69), v = Self.direction(model, seed: 70)
        let hu = try hvp.product(model: model, vector: u, data: data).product
        let hv = try hvp.product(model: model, vector: v, data: data).product
        let uHv = zip(u, hv).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        let vHu = zip(v, hu).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        XCTAssertEqual(uHv, vHu, accuracy: 1e-4 * max(abs(uHv), 1))
    }

    func testRefusesAVectorOfTheWrongLength() throws {
        let arch = try ResNetArchitecture(depth: 8)
        let model = ForwardPassTests.randomModel(arch, seed: 71)
        let data = try ForwardPassTests.randomImages(count: 1, channels: 3, height: 8, width: 8, seed: 72)
        let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 1)
        XCTAssertThrowsError(try hvp.product(model: model, vector: [1, 2, 3], data: data)) { error in
            XCTAssertTrue("\(error)".contains("vector of 3 values"), "\(error)")
        }
        var vector = Self.direction(model, seed: 73)
        vector[model.layout.entry(named: "linear.bias")!.offset] = .nan
        XCTAssertThrowsError(try hvp.product(model: model, vector: vector, data: data)) { error in
            XCTAssertTrue("\(error)".contains("linear.bias"), "\(error)")
        }
    }

    // MARK: - The check

    private func checkAgainstSecondDifferences(_ activation: Activation, seed: UInt64, entryStep: Double = 1e-4,
                                               vectorStep: Double = 1e-5) throws {
        let arch = try ResNetArchitecture(depth: 8, activation: activation)
        let model = ForwardPassTests.randomModel(arch, seed: seed)
        let data = try ForwardPassTests.randomImages(count: 3, channels: 3, height: 8, width: 8, seed: seed + 100)
        let vector = Self.direction(model, seed: seed + 200)
        let result = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
            .product(model: model, vector: vector, data: data)
        let reference = TrainingReference(architecture: arch, layout: model.layout, height: 8, width: 8, runningStatistics: true)
        let images = data.pixels.map(Double.init), labels = data.labels.map(Int.init)
        let theta = model.values.map(Double.init), v = vector.map(Double.init)
        let loss = { (values: [Double]) in reference.loss(values, images: images, labels: labels) }
        XCTAssertEqual(result.loss, loss(theta), accuracy: 1e-5)

        // Per trainable tensor: its largest |Hv| entry and two random ones.
        var rng = TestRNG(seed)
        var indices: [Int] = []
        for entry in model.layout.entries where entry.role.isTrainable {
            let largest = entry.range.max { abs(result.product[$0]) < abs(result.product[$1]) }!
            indices += Set([largest] + (0..<2).map { _ in entry.offset + Int(rng.next() % UInt64(entry.count)) }).sorted()
        }
        // (Hv)ᵢ = ∂²L/∂θᵢ∂v ≈ [L(+a·eᵢ,+b·v) − L(+a·eᵢ,−b·v) − L(−a·eᵢ,+b·v) + L(−a·eᵢ,−b·v)] / 4ab.
        func shifted(_ i: Int, _ a: Double, _ b: Double) -> [Double] {
            var x = theta
            for j in x.indices { x[j] += b * v[j] }
            x[i] += a
            return x
        }
        let (h, k) = (entryStep, vectorStep)
        var worst = 0.0, worstIndex = 0
        for i in indices {
            let numeric = (loss(shifted(i, h, k)) - loss(shifted(i, h, -k)) - loss(shifted(i, -h, k))
                           + loss(shifted(i, -h, -k))) / (4 * h * k)
            let error = abs(result.product[i] - numeric) / max(abs(numeric), Self.magnitudeFloor)
            if error > worst { worst = error; worstIndex = i }
            // The gradient by-product against central differences.
            var plus = theta, minus = theta
            plus[i] += 1e-6; minus[i] -= 1e-6
            let slope = (loss(plus) - loss(minus)) / 2e-6
            XCTAssertEqual(result.gradient[i], slope, accuracy: 1e-3 * max(abs(slope), Self.magnitudeFloor), "gradient \(i)")
        }
        print("Hessian check \(activation): \(indices.count) entries, worst relative error \(worst) at \(worstIndex)")
        XCTAssertLessThanOrEqual(worst, Self.tolerance, "\(activation) entry \(worstIndex)")
        // Running statistics are not parameters: nothing there.
        for entry in model.layout.entries where !entry.role.isTrainable {
            XCTAssertTrue(entry.range.allSatisfy { result.product[$0] == 0 && result.gradient[$0] == 0 }, entry.name)
        }
    }

    /// N(0, 1) entries on trainable tensors, zeros at running statistics.
    static func direction(_ model: ResNetModel, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var vector = [Float](repeating: 0, count: model.values.count)
        for entry in model.layout.entries where entry.role.isTrainable {
            for i in entry.range { vector[i] = Float(rng.nextGaussian()) }
        }
        return vector
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += (x - y) * (x - y)
            norm += y * y
        }
        return (difference / norm).squareRoot()
    }
}
