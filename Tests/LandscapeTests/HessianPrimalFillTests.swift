import Foundation
@testable import Landscape
import LandscapeCore
@testable import LandscapeEngine
import XCTest

/// A Lanczos run on the reference ResNet-20 whose primal cache the primal pass fills (as `HessianOperator`
/// does now) against the same run on a cache filled by the full uncached pass (as before the primal pass):
/// the same bits, and within the cached path's tolerance of a run with no cache at all.
final class HessianPrimalFillTests: XCTestCase {
    static let samples = 32
    static let steps = 8

    /// H·v from a given cache, filled on the first product unless filled already.
    final class CacheOperator: SymmetricOperator {
        let layout: HessianOperator
        let engine: HessianVectorProduct
        let cache: HessianPrimalCache
        var dimension: Int { layout.dimension }

        init(_ layout: HessianOperator, _ engine: HessianVectorProduct, _ cache: HessianPrimalCache) {
            self.layout = layout; self.engine = engine; self.cache = cache
        }

        func apply(_ vector: [Double]) throws -> [Double] {
            layout.compact(try engine.product(model: layout.model, vector: layout.expand(vector), data: layout.data, cache: cache).product)
        }
    }

    func testLanczosFromAPrimalPassCacheEqualsTheFullPassCacheBitForBit() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        let set = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path,
                                                               samples: Self.samples))
        let hessian = try HessianOperator(model: model, data: set.data, threads: 2)
        XCTAssertNotNil(hessian.primalCacheBytes)
        let engine = try HessianVectorProduct(architecture: model.architecture, height: set.data.height, width: set.data.width,
                                              threads: 2)
        var generator = SeededGenerator(seed: 21)
        let start = (0..<hessian.dimension).map { _ in generator.nextGaussian() }
        // Before: the cache filled by the uncached pass for some other vector, then every product from it.
        var other = SeededGenerator(seed: 22)
        let otherVector = hessian.expand((0..<hessian.dimension).map { _ in other.nextGaussian() })
        let full = engine.makePrimalCache(images: set.data.count)
        try engine.fillPrimalCache(full, model: model, vector: otherVector, data: set.data, by: .fullPass)
        let before = try Lanczos.run(CacheOperator(hessian, engine, full), start: start, steps: Self.steps)
        // Now: the operator's own cache, filled by the primal pass on its first product.
        let now = try Lanczos.run(hessian, start: start, steps: Self.steps)
        let ritzBefore = try before.ritzPairs(largest: 3), ritzNow = try now.ritzPairs(largest: 3)
        XCTAssertEqual(ritzNow.map(\.value.bitPattern), ritzBefore.map(\.value.bitPattern))
        XCTAssertEqual(ritzNow.map(\.residual.bitPattern), ritzBefore.map(\.residual.bitPattern))
        XCTAssertEqual(ritzNow.first?.vector, ritzBefore.first?.vector)
        XCTAssertEqual(hessian.productCount, Self.steps)
        // No cache: the uncached path, equal up to float32 summation order.
        let uncached = try Lanczos.run(try HessianOperator(model: model, data: set.data, threads: 2, primalCacheLimit: 0),
                                       start: start, steps: Self.steps)
        for (a, b) in zip(ritzNow, try uncached.ritzPairs(largest: 3)) {
            print("Ritz value \(a.value) (primal-pass cache) against \(b.value) (no cache)")
            XCTAssertEqual(a.value, b.value, accuracy: 1e-4 * abs(b.value))
        }
    }
}
