import Foundation
@testable import LandscapeEngine
import XCTest
import LandscapeCore

/// The primal pass that fills a `HessianPrimalCache` (forward values, loss, ordinary gradient; no
/// R-quantities) against the full uncached pass recording the same cache, which is how caches were
/// filled before it: every cached float the same bits, so every product from the cache is too.
final class HessianPrimalPassTests: XCTestCase {
    func testPrimalPassRecordsTheFullPassValuesBitForBitForEveryActivation() throws {
        for (index, kind) in [ActivationKind.relu, .leakyRelu, .swish, .mish, .gelu].enumerated() {
            let activation = Activation(kind)
            let arch = try ResNetArchitecture(depth: 8, activation: activation)
            let seed = 300 + UInt64(10 * index)
            let model = ForwardPassTests.randomModel(arch, seed: seed)
            // 5 images in chunks of 2: a short last chunk too.
            let data = try ForwardPassTests.randomImages(count: 5, channels: 3, height: 8, width: 8, seed: seed + 1)
            let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
            let (filling, other) = (HessianVectorProductTests.direction(model, seed: seed + 2),
                                    HessianVectorProductTests.direction(model, seed: seed + 3))
            // As before the primal pass: the uncached product's pass, recording the cache.
            let full = hvp.makePrimalCache(images: data.count)
            try hvp.fillPrimalCache(full, model: model, vector: filling, data: data, by: .fullPass)
            let primal = hvp.makePrimalCache(images: data.count)
            let first = try hvp.product(model: model, vector: filling, data: data, cache: primal)
            XCTAssertTrue(primal.isFilled)

            XCTAssertEqual(primal.loss.bitPattern, full.loss.bitPattern, "\(activation)")
            XCTAssertEqual(primal.correct, full.correct)
            XCTAssertEqual(primal.gradient.map(\.bitPattern), full.gradient.map(\.bitPattern), "\(activation): ∇L")
            XCTAssertEqual(primal.curved, kind != .relu && kind != .leakyRelu)
            for (c, (a, b)) in zip(primal.chunks, full.chunks).enumerated() {
                for (k, layer) in hvp.plan.layers.enumerated() {
                    let length = layer.channels * a.count * layer.plane
                    func same(_ x: [UnsafeMutablePointer<Float>], _ y: [UnsafeMutablePointer<Float>], _ what: String) {
                        guard !x.isEmpty || !y.isEmpty else { return }
                        XCTAssertEqual(Self.bits(x[k], length), Self.bits(y[k], length), "\(activation) chunk \(c) layer \(k): \(what)")
                    }
                    same(a.z, b.z, "z")
                    same(a.a, b.a, "a")
                    same(a.dy, b.dy, "dy")
                    same(a.d1, b.d1, "f'(y)")
                    same(a.q, b.q, "f''(y)·da")
                }
                let head = a.count * hvp.architecture.classCount
                XCTAssertEqual(Self.bits(a.pooled, a.count * hvp.plan.features), Self.bits(b.pooled, b.count * hvp.plan.features))
                XCTAssertEqual(Self.bits(a.dLogits, head), Self.bits(b.dLogits, head))
                XCTAssertEqual((0..<head).map { a.probabilities[$0].bitPattern }, (0..<head).map { b.probabilities[$0].bitPattern })
            }

            // The first product (it filled the cache) is the cached product of its vector, from either cache.
            let again = try hvp.product(model: model, vector: filling, data: data, cache: primal)
            XCTAssertEqual(first.product.map(\.bitPattern), again.product.map(\.bitPattern), "\(activation)")
            XCTAssertEqual(first.product, try hvp.product(model: model, vector: filling, data: data, cache: full).product)
            XCTAssertEqual(try hvp.product(model: model, vector: other, data: data, cache: primal).product,
                           try hvp.product(model: model, vector: other, data: data, cache: full).product, "\(activation)")
            let plain = try hvp.product(model: model, vector: filling, data: data)
            XCTAssertLessThanOrEqual(HessianVectorProductTests.relativeError(first.product, plain.product),
                                     HessianPrimalCacheTests.tolerance, "\(activation)")
            XCTAssertEqual(first.gradient, plain.gradient)
            XCTAssertEqual(first.loss, plain.loss)
        }
    }

    static func bits(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> [UInt32] {
        (0..<count).map { pointer[$0].bitPattern }
    }
}
