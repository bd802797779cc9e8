import Foundation
import Landscape
import LandscapeCore
import LandscapeEngine
import LandscapeIO
import XCTest

/// The Hessian operator's cached products (`HessianPrimalCache`: primal
/// passes computed once, only R-quantities per product) against PyTorch's
/// float64 double backward on the first 128 reference CIFAR-10 images, with
/// the acceptance tolerances of `HessianReferenceTests`.
final class HessianCacheReferenceTests: XCTestCase {
    func testCachedProductMatchesPyTorchDoubleBackward() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        let set = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path,
                                                               samples: HessianReferenceTests.samples))
        let v = try Checkpoint.load(Fixtures.referenceFile("hessian-v.safetensors"))
        let expected = try Checkpoint.load(Fixtures.referenceFile("hessian-hv.safetensors"))
        let hessian = try HessianOperator(model: model, data: set.data, threads: 2)
        let bytes = try XCTUnwrap(hessian.primalCacheBytes, "128 images fit the default cache limit")
        // The first product fills the cache (and is the uncached product); the second is computed from it.
        var generator = SeededGenerator(seed: 5)
        _ = try hessian.apply((0..<hessian.dimension).map { _ in generator.nextGaussian() })
        var vector: [Double] = []
        for entry in hessian.entries {
            let tensor = try XCTUnwrap(v[entry.name], entry.name)
            XCTAssertEqual(tensor.shape, entry.shape, entry.name)
            vector += tensor.scalars.map(Double.init)
        }
        let start = Date()
        let product = try hessian.apply(vector)
        print("cached H·v on \(HessianReferenceTests.samples) images: \(String(format: "%.2f", Date().timeIntervalSince(start))) s, "
              + "cache \(bytes / 1_000_000) MB")

        var difference = 0.0, norm = 0.0, offset = 0
        for entry in hessian.entries {
            let reference = try XCTUnwrap(expected[entry.name], entry.name).scalars.map(Double.init)
            var d = 0.0, r = 0.0
            for (i, y) in reference.enumerated() {
                let x = product[offset + i]
                d += (x - y) * (x - y)
                r += y * y
            }
            offset += entry.count
            difference += d
            norm += r
            XCTAssertLessThanOrEqual((d / r).squareRoot(), HessianReferenceTests.perTensorTolerance, entry.name)
        }
        let overall = (difference / norm).squareRoot()
        print("cached H·v against PyTorch float64: relative L2 \(overall)")
        XCTAssertLessThanOrEqual(overall, HessianReferenceTests.overallTolerance)
    }

    func testOperatorComputesWithoutACacheAboveItsLimit() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors")).model
        let set = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path,
                                                               samples: 4))
        let uncached = try HessianOperator(model: model, data: set.data, threads: 2, primalCacheLimit: 0)
        XCTAssertNil(uncached.primalCacheBytes)
        let cached = try HessianOperator(model: model, data: set.data, threads: 2)
        XCTAssertNotNil(cached.primalCacheBytes)
        var generator = SeededGenerator(seed: 6)
        let (first, second) = ((0..<cached.dimension).map { _ in generator.nextGaussian() },
                               (0..<cached.dimension).map { _ in generator.nextGaussian() })
        for vector in [first, second] {
            let (a, b) = (try cached.apply(vector), try uncached.apply(vector))
            var difference = 0.0, norm = 0.0
            for (x, y) in zip(a, b) {
                difference += (x - y) * (x - y)
                norm += y * y
            }
            XCTAssertLessThanOrEqual((difference / norm).squareRoot(), 1e-5)
        }
        XCTAssertEqual(cached.loss, uncached.loss)
        XCTAssertEqual(cached.gradientNorm, uncached.gradientNorm)
    }
}
