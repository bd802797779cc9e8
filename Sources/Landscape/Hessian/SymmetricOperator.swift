import Foundation
import LandscapeEngine
import LandscapeCore

/// A symmetric linear map on float64 vectors: the loss Hessian of a model on
/// a data set, or a test matrix with a known spectrum. Lanczos, Hutchinson
/// and stochastic Lanczos quadrature see only this.
public protocol SymmetricOperator: AnyObject {
    var dimension: Int { get }
    /// A·v; throws `EngineError.cancelled` when the computation was cancelled.
    func apply(_ vector: [Double]) throws -> [Double]
}

/// The Hessian of the mean cross-entropy of `model` on `data` (eval-mode
/// BatchNorm) with respect to every trainable tensor, on compact vectors:
/// the trainable tensors' values back to back in the model's tensor order
/// (BatchNorm running statistics left out).
public final class HessianOperator: SymmetricOperator, @unchecked Sendable {
    public let model: ResNetModel
    public let data: EvaluationData
    /// The trainable tensors, in order, as the compact vectors hold them.
    public let entries: [ParameterLayout.Entry]
    public let dimension: Int
    private let engine: HessianVectorProduct
    private let cancel: CancellationFlag
    /// The primal values kept across products (`HessianPrimalCache`), nil when they would exceed the limit.
    private let cache: HessianPrimalCache?
    /// Bytes of the primal cache (nil: products are computed without one).
    public var primalCacheBytes: Int? { cache?.bytes }
    /// What the products run on (`HessianVectorProduct.kernelName`): "avx2", "avx512" or "portable".
    public var kernel: String { engine.kernelName }
    /// Products computed so far, and the loss and gradient norm the last one measured.
    public private(set) var productCount = 0
    public private(set) var loss: Double?
    public private(set) var gradientNorm: Double?

    /// `primalCacheLimit`: the most bytes the primal cache may take; a cache that would be larger is not made
    /// and every product recomputes the primal passes (same result up to float32 rounding, about 1.5x the time).
    public init(model: ResNetModel, data: EvaluationData, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                cancel: CancellationFlag = CancellationFlag(),
                primalCacheLimit: Int = HessianPrimalCache.defaultLimitBytes) throws {
        self.model = model
        self.data = data
        self.cancel = cancel
        entries = model.layout.entries.filter { $0.role.isTrainable }
        dimension = entries.reduce(0) { $0 + $1.count }
        engine = try HessianVectorProduct(architecture: model.architecture, height: data.height, width: data.width,
                                          threads: threads)
        cache = engine.primalCacheBytes(images: data.count) <= primalCacheLimit ? engine.makePrimalCache(images: data.count) : nil
    }

    public func apply(_ vector: [Double]) throws -> [Double] {
        precondition(vector.count == dimension, "Hessian operator: vector of \(vector.count), dimension \(dimension)")
        if cancel.isCancelled { throw EngineError.cancelled }
        let flag = cancel
        let result = try cache.map {
            try engine.product(model: model, vector: expand(vector), data: data, cache: $0, isCancelled: { flag.isCancelled })
        } ?? engine.product(model: model, vector: expand(vector), data: data, isCancelled: { flag.isCancelled })
        productCount += 1
        loss = result.loss
        gradientNorm = compact(result.gradient).reduce(0) { $0 + $1 * $1 }.squareRoot()
        return compact(result.product)
    }

    /// A compact vector laid out like `model.values` (zeros at running statistics), in float32.
    public func expand(_ vector: [Double]) -> [Float] {
        var full = [Float](repeating: 0, count: model.values.count)
        var offset = 0
        for entry in entries {
            for i in 0..<entry.count { full[entry.offset + i] = Float(vector[offset + i]) }
            offset += entry.count
        }
        return full
    }

    /// The trainable entries of a vector laid out like `model.values`.
    public func compact(_ full: [Double]) -> [Double] {
        var vector: [Double] = []
        vector.reserveCapacity(dimension)
        for entry in entries { vector.append(contentsOf: full[entry.range]) }
        return vector
    }

    /// A compact vector as tensors named like the model's (for files).
    public func tensors(_ vector: [Double]) -> [(name: String, tensor: Tensor)] {
        var offset = 0
        return entries.map { entry in
            defer { offset += entry.count }
            return (entry.name, Tensor(shape: entry.shape, scalars: vector[offset..<(offset + entry.count)].map(Float.init)))
        }
    }
}

/// Dense float64 vector helpers for the spectral methods (plain loops, fixed order).
enum VectorMath {
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    /// y ← y + alpha·x
    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        for i in y.indices { y[i] += alpha * x[i] }
    }

    static func scaled(_ a: [Double], _ factor: Double) -> [Double] { a.map { $0 * factor } }

    /// ±1 with equal probability.
    static func rademacher(_ count: Int, _ generator: inout SeededGenerator) -> [Double] {
        var vector = [Double](repeating: 0, count: count)
        var bits: UInt64 = 0
        for i in 0..<count {
            if i % 64 == 0 { bits = generator.next() }
            vector[i] = (bits >> UInt64(i % 64)) & 1 == 1 ? 1 : -1
        }
        return vector
    }
}
