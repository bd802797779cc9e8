import Foundation

/// The primal quantities of a Hessian-vector product at fixed weights θ and
/// fixed images, kept across products: they are the same for every v, and
/// only the R-quantities change (Lanczos, Hutchinson and SLQ apply one
/// Hessian to many vectors).
///
/// Per chunk of images and per layer it holds what the R-passes read:
///   z (convolution output), a = f(y) (the next convolutions' input),
///   dy = f'(y)·da (the gradient at the BatchNorm output),
/// and, for activations with f'' ≠ 0 (Swish, Mish, ...),
///   f'(y) and q = f''(y)·da;
/// for ReLU and LeakyReLU f'(y) is read off a (a > 0 exactly when y > 0)
/// and f'' = 0. The head keeps the pooled features, the softmax
/// probabilities and dℓ. Loss, correct count and ∇L are stored whole.
///
/// With the cache a product needs 6 convolution-sized GEMMs per layer instead
/// of 9 (no primal forward, no primal backward) and fewer unfolds. Its size
/// is `bytes(...)`: for a ResNet-20 about 3 (ReLU) or 5 (smooth) floats per
/// activation value, e.g. 1.7 GB (ReLU) or 2.9 GB (Mish) for 1,000 28x28
/// Fashion-MNIST images, 2.3 GB / 3.8 GB for 1,000 32x32 CIFAR-10 images.
///
/// The cache is filled on the first product computed with it, by the primal
/// pass alone (the ordinary path without its R-quantities, recording the
/// primal values as it goes; the product itself then comes from the cache, so
/// every product comes from one path), and may then only be used with the
/// same weights and images.
public final class HessianPrimalCache: @unchecked Sendable {
    /// Default ceiling for `HessianOperator`'s cache: above it products are
    /// computed without one (a 2-core machine with 16+ GB holds this beside the rest).
    public static let defaultLimitBytes = 4 << 30

    /// One chunk's primal values (same CNHW layout over the chunk as the worker's tensors).
    final class Chunk {
        let count: Int
        let z: [UnsafeMutablePointer<Float>], a: [UnsafeMutablePointer<Float>], dy: [UnsafeMutablePointer<Float>]
        /// f'(y) and q = f''(y)·da; empty for piecewise-linear activations.
        let d1: [UnsafeMutablePointer<Float>], q: [UnsafeMutablePointer<Float>]
        /// [features][n], [n][classes], [n][classes]
        let pooled: UnsafeMutablePointer<Float>
        let dLogits: UnsafeMutablePointer<Float>
        let probabilities: UnsafeMutablePointer<Double>
        private let arena: UnsafeMutablePointer<Float>
        private let doubles: UnsafeMutablePointer<Double>

        init(plan: TrainingPlan, classes: Int, count n: Int, curved: Bool) {
            count = n
            let sizes = plan.layers.map { $0.channels * n * $0.plane }
            let kinds = curved ? 5 : 3
            let total = kinds * sizes.reduce(0, +) + plan.features * n + n * classes
            let base = UnsafeMutablePointer<Float>.allocate(capacity: total)
            arena = base
            doubles = .allocate(capacity: n * classes)
            var offset = 0
            func take(_ size: Int) -> UnsafeMutablePointer<Float> {
                defer { offset += size }
                return base + offset
            }
            var views: [[UnsafeMutablePointer<Float>]] = Array(repeating: [], count: kinds)
            for size in sizes {
                for kind in 0..<kinds { views[kind].append(take(size)) }
            }
            z = views[0]; a = views[1]; dy = views[2]
            d1 = curved ? views[3] : []
            q = curved ? views[4] : []
            pooled = take(plan.features * n)
            dLogits = take(n * classes)
            probabilities = doubles
        }

        deinit {
            arena.deallocate()
            doubles.deallocate()
        }
    }

    let chunks: [Chunk]
    /// Whether f'' ≠ 0 somewhere (f'(y) and q are stored).
    let curved: Bool
    /// Bytes held (all chunks).
    public let bytes: Int
    /// Set by the first product: the weights and images the values belong to, and their by-products.
    private(set) var values: [Float]?
    private(set) var pixels: [Float]?
    private(set) var labels: [Int32]?
    private(set) var loss = 0.0
    private(set) var correct = 0
    private(set) var gradient: [Double] = []
    public var isFilled: Bool { values != nil }

    init(plan: TrainingPlan, activation: Activation, classes: Int, images: Int, chunkSize: Int) {
        curved = Self.isCurved(activation)
        var chunks: [Chunk] = []
        var start = 0
        while start < images {
            let n = min(chunkSize, images - start)
            chunks.append(Chunk(plan: plan, classes: classes, count: n, curved: curved))
            start += n
        }
        self.chunks = chunks
        bytes = Self.bytes(plan: plan, activation: activation, classes: classes, images: images)
    }

    /// f'' vanishes almost everywhere for ReLU and LeakyReLU.
    static func isCurved(_ activation: Activation) -> Bool {
        activation.kind != .relu && activation.kind != .leakyRelu
    }

    static func bytes(plan: TrainingPlan, activation: Activation, classes: Int, images: Int) -> Int {
        let perImage = plan.layers.reduce(0) { $0 + $1.channels * $1.plane }
        let floats = (isCurved(activation) ? 5 : 3) * perImage + plan.features + classes
        return images * (floats * MemoryLayout<Float>.size + classes * MemoryLayout<Double>.size)
    }

    /// Records the weights, images and by-products after the filling product.
    func fill(values: [Float], data: EvaluationData, loss: Double, correct: Int, gradient: [Double]) {
        self.values = values
        pixels = data.pixels
        labels = data.labels
        self.loss = loss
        self.correct = correct
        self.gradient = gradient
    }

    /// Refuses weights or images other than those the cache was filled with.
    func check(values: [Float], data: EvaluationData) throws {
        guard values == self.values else {
            throw EngineError.invalidInput("primal cache: filled for other weights; a cache serves one model's weights only")
        }
        guard data.pixels == pixels, data.labels == labels else {
            throw EngineError.invalidInput("primal cache: filled for other images (\(labels?.count ?? 0) images); "
                                           + "a cache serves one set of images only")
        }
    }
}

extension Activation {
    /// (f'(x), f''(x)) in float32, as `secondOrderBackward` uses them.
    @inline(__always)
    func firstAndSecondDerivative(_ x: Float) -> (Float, Float) {
        switch kind {
        case .relu: return (FloatKernels.reluDerivative(x), 0)
        case .leakyRelu: return (FloatKernels.leakyReluDerivative(x), 0)
        case .swish: return FloatKernels.swishDerivatives(x)
        case .mish: return FloatKernels.mishDerivatives(x)
        default: return (derivative(x), Float(secondDerivative(Double(x))))
        }
    }
}
