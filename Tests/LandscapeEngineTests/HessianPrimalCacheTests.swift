import Foundation
import LandscapeEngine
import XCTest
import LandscapeCore

/// Products from a `HessianPrimalCache` against the uncached path (itself
/// checked against float64 second differences in `HessianVectorProductTests`
/// and PyTorch's double backward in `HessianReferenceTests`).
final class HessianPrimalCacheTests: XCTestCase {
    /// On GEMMs the cached path fuses them along their inner dimension ([V | W] × [col(in); col(R(in))],
    /// [W' | V'] × col([R(dz); dz])), which changes only the float32 summation order; on the kernels the
    /// products' convolutions and weight gradients are Winograd F(4×4) (transforms scale by up to 40) and
    /// the stride-2 kernels, each checked here against the uncached product on GEMMs. The GEMM path itself
    /// is ≈ 2e-6 from float64 (README), so 1e-5 relative L2 leaves room for rounding and would catch any
    /// missing or doubled term (those are O(1) relative).
    static let tolerance = 1e-5
    /// Products on the kernels against the uncached product on GEMMs: F(4×4)'s float32 rounding is a few
    /// times a GEMM's (the forward engine's float64 check allows 1e-4); on these random depth-8 networks
    /// the two differed by at most 1.8e-5 (Mish, GELU; ReLU 5.2e-6, the losses by 1.5e-6 relative), and a
    /// missing or doubled term is still O(1).
    static let kernelTolerance = 5e-5

    func testCachedProductsMatchUncachedForEveryActivation() throws {
        for (index, kind) in [ActivationKind.relu, .leakyRelu, .swish, .mish, .gelu].enumerated() {
            try checkAgainstUncached(Activation(kind), seed: 80 + UInt64(10 * index), kernels: true)
        }
    }

    /// The same without the convolution kernels (im2col + GEMM only), as on a CPU without AVX2.
    func testCachedProductsOnGEMMsMatchUncached() throws {
        for (index, kind) in [ActivationKind.relu, .mish].enumerated() {
            try checkAgainstUncached(Activation(kind), seed: 180 + UInt64(10 * index), kernels: false)
        }
    }

    /// The product that fills the cache is the cached product (not the ordinary pass's), so it does not matter
    /// which product fills it: MPI ranks that fill their own caches with other vectors agree bit for bit.
    func testFillingProductIsTheCachedProduct() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        let model = ForwardPassTests.randomModel(arch, seed: 141)
        let data = try ForwardPassTests.randomImages(count: 5, channels: 3, height: 8, width: 8, seed: 142)
        let vector = HessianVectorProductTests.direction(model, seed: 143)
        let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
        let cache = hvp.makePrimalCache(images: data.count)
        XCTAssertFalse(cache.isFilled)
        let filling = try hvp.product(model: model, vector: vector, data: data, cache: cache)
        XCTAssertTrue(cache.isFilled)
        let other = hvp.makePrimalCache(images: data.count)
        _ = try hvp.product(model: model, vector: HessianVectorProductTests.direction(model, seed: 144), data: data, cache: other)
        let later = try hvp.product(model: model, vector: vector, data: data, cache: other)
        XCTAssertEqual(filling.product, later.product)
        XCTAssertEqual(filling.gradient, later.gradient)
        XCTAssertEqual(filling.loss, later.loss)
        let plain = try hvp.product(model: model, vector: vector, data: data)
        XCTAssertLessThanOrEqual(HessianVectorProductTests.relativeError(filling.product, plain.product), Self.tolerance)
        XCTAssertEqual(filling.gradient, plain.gradient)
        XCTAssertEqual(filling.loss, plain.loss)
    }

    func testCachedProductIsTheSameForEveryThreadCount() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
        let model = ForwardPassTests.randomModel(arch, seed: 151)
        let data = try ForwardPassTests.randomImages(count: 7, channels: 3, height: 8, width: 8, seed: 152)
        let (first, second) = (HessianVectorProductTests.direction(model, seed: 153),
                               HessianVectorProductTests.direction(model, seed: 154))
        var products: [[Double]] = []
        for threads in [1, 3] {
            let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: threads, chunkSize: 2)
            let cache = hvp.makePrimalCache(images: data.count)
            _ = try hvp.product(model: model, vector: first, data: data, cache: cache)
            products.append(try hvp.product(model: model, vector: second, data: data, cache: cache).product)
        }
        XCTAssertEqual(products[0], products[1])
    }

    func testCacheRefusesOtherWeightsAndOtherImages() throws {
        let arch = try ResNetArchitecture(depth: 8)
        let model = ForwardPassTests.randomModel(arch, seed: 161)
        let data = try ForwardPassTests.randomImages(count: 3, channels: 3, height: 8, width: 8, seed: 162)
        let vector = HessianVectorProductTests.direction(model, seed: 163)
        let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 1, chunkSize: 2)
        let cache = hvp.makePrimalCache(images: data.count)
        _ = try hvp.product(model: model, vector: vector, data: data, cache: cache)
        var moved = model
        moved.values[model.layout.entry(named: "conv1.weight")!.offset] += 0.5
        XCTAssertThrowsError(try hvp.product(model: moved, vector: vector, data: data, cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("other weights"), "\(error)")
        }
        let others = try ForwardPassTests.randomImages(count: 3, channels: 3, height: 8, width: 8, seed: 164)
        XCTAssertThrowsError(try hvp.product(model: model, vector: vector, data: others, cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("other images"), "\(error)")
        }
        let fewer = try ForwardPassTests.randomImages(count: 2, channels: 3, height: 8, width: 8, seed: 165)
        XCTAssertThrowsError(try hvp.product(model: model, vector: vector, data: fewer, cache: cache)) { error in
            XCTAssertTrue("\(error)".contains("expected 2 images"), "\(error)")
        }
    }

    func testCacheSizeIsWhatItHolds() throws {
        // ReLU keeps z, a, dy; Mish also f'(y) and f''(y)·da: 3 and 5 floats per activation value.
        let relu = try HessianVectorProduct(architecture: try ResNetArchitecture(depth: 20), height: 28, width: 28)
        let mish = try HessianVectorProduct(architecture: try ResNetArchitecture(depth: 20, activation: Activation(.mish)),
                                            height: 28, width: 28)
        let perImage = 7 * 16 * 784 + 6 * 32 * 196 + 6 * 64 * 49   // activation values of a ResNet-20 on 28x28
        let head = 4 * (64 + 10) + 8 * 10
        XCTAssertEqual(relu.primalCacheBytes(images: 1000), 1000 * (12 * perImage + head))
        XCTAssertEqual(mish.primalCacheBytes(images: 1000), 1000 * (20 * perImage + head))
    }

    // MARK: - The check

    private func checkAgainstUncached(_ activation: Activation, seed: UInt64, kernels: Bool) throws {
        let arch = try ResNetArchitecture(depth: 8, activation: activation)
        let model = ForwardPassTests.randomModel(arch, seed: seed)
        let data = try ForwardPassTests.randomImages(count: 5, channels: 3, height: 8, width: 8, seed: seed + 1)
        let hvp = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
        hvp.productsUseKernels = kernels
        // The uncached product on im2col + GEMM: the independent reference for the kernels' products.
        let gemm = try HessianVectorProduct(architecture: arch, height: 8, width: 8, threads: 2, chunkSize: 2)
        gemm.productsUseKernels = false
        let cache = hvp.makePrimalCache(images: data.count)
        _ = try hvp.product(model: model, vector: HessianVectorProductTests.direction(model, seed: seed + 2), data: data,
                            cache: cache)
        for offset in UInt64(3)...4 {
            let vector = HessianVectorProductTests.direction(model, seed: seed + offset)
            let cached = try hvp.product(model: model, vector: vector, data: data, cache: cache)
            let plain = try hvp.product(model: model, vector: vector, data: data)
            let reference = try gemm.product(model: model, vector: vector, data: data)
            let error = HessianVectorProductTests.relativeError(cached.product, plain.product)
            let fromGEMM = (cached: HessianVectorProductTests.relativeError(cached.product, reference.product),
                            plain: HessianVectorProductTests.relativeError(plain.product, reference.product),
                            gradient: HessianVectorProductTests.relativeError(plain.gradient, reference.gradient))
            print("cached H·v \(activation) (kernels: \(kernels)): relative L2 \(error) from the uncached product; "
                  + "from the uncached product on GEMMs: cached \(fromGEMM.cached), uncached \(fromGEMM.plain), "
                  + "gradient \(fromGEMM.gradient)")
            XCTAssertLessThanOrEqual(error, Self.tolerance, "\(activation)")
            XCTAssertLessThanOrEqual(fromGEMM.cached, Self.kernelTolerance, "\(activation)")
            XCTAssertLessThanOrEqual(fromGEMM.plain, Self.kernelTolerance, "\(activation)")
            XCTAssertLessThanOrEqual(fromGEMM.gradient, Self.kernelTolerance, "\(activation)")
            XCTAssertEqual(plain.loss, reference.loss, accuracy: 1e-5 * abs(reference.loss))
            for entry in model.layout.entries {
                let tensorError = HessianVectorProductTests.relativeError(Array(cached.product[entry.range]),
                                                                          Array(plain.product[entry.range]))
                if entry.role.isTrainable {
                    XCTAssertLessThanOrEqual(tensorError, 1e-4, "\(activation) \(entry.name)")
                } else {
                    XCTAssertTrue(entry.range.allSatisfy { cached.product[$0] == 0 }, entry.name)
                }
            }
            XCTAssertEqual(cached.gradient, plain.gradient)
            XCTAssertEqual(cached.loss, plain.loss)
        }
    }
}
