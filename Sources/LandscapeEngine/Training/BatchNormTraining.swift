import CDirectConvolution

/// Per-channel batch statistics of one BatchNorm in training mode, in float64.
struct ChannelStatistics: Sendable, Equatable {
    var mean: [Double]
    /// Biased (÷ M) variance: the one PyTorch normalizes with.
    var variance: [Double]
    var invStd: [Double]
    /// M = N·H·W values per channel.
    var sampleCount: Int
}

/// BatchNorm2d in training mode (Ioffe & Szegedy 2015, PyTorch's semantics),
/// split so a batch can be processed in shards by several threads while the
/// statistics stay over the whole batch:
///
///  1. each shard writes per-image partial sums (float64) for its images;
///  2. one thread reduces them in image order — so the result does not depend
///     on how images were split between threads — into statistics;
///  3. each shard normalizes (forward) or forms the input gradient (backward).
///
/// Tensors are CNHW over the batch: channel c, image b at `(c·batch + b)·plane`.
/// Partial sums are laid out `[(b·channels + c)·2 + k]`, k = 0, 1.
enum BatchNormTraining {
    /// PyTorch's BatchNorm2d default: running = (1 − m)·running + m·batch.
    static let momentum = 0.1
    static let epsilon = Double(ResNetArchitecture.batchNormEpsilon)
    /// Whether the AVX2 forms of the passes run here (CDirectConvolution's TrainingPasses.c): the same
    /// bits as the Swift loops below, which stay as the portable path.
    static let vectorPasses = landscape_training_passes_available() != 0

    // MARK: Forward

    /// partials[b][c] = (Σ x, Σ x²) over image b's plane of channel c.
    static func accumulateMoments(_ x: UnsafePointer<Float>, channels: Int, batch: Int, plane: Int,
                                  images: Range<Int>, into partials: UnsafeMutablePointer<Double>) {
        if vectorPasses {
            // The shard's planes of a channel are contiguous.
            for c in 0..<channels {
                landscape_plane_sums_and_squares(x + (c * batch + images.lowerBound) * plane, plane, images.count,
                                                 partials + (images.lowerBound * channels + c) * 2, channels * 2)
            }
            return
        }
        for c in 0..<channels {
            for b in images {
                let index = (b * channels + c) * 2
                (partials[index], partials[index + 1]) = sumAndSquares(x + (c * batch + b) * plane, count: plane)
            }
        }
    }

    /// Mean, biased variance and 1/√(var + ε) over all `batch` images.
    static func statistics(partials: UnsafePointer<Double>, channels: Int, batch: Int, plane: Int) -> ChannelStatistics {
        let m = batch * plane
        var stats = ChannelStatistics(mean: [], variance: [], invStd: [], sampleCount: m)
        for c in 0..<channels {
            var sum = 0.0, squares = 0.0
            for b in 0..<batch {
                sum += partials[(b * channels + c) * 2]
                squares += partials[(b * channels + c) * 2 + 1]
            }
            let mean = sum / Double(m)
            let variance = max(0, squares / Double(m) - mean * mean)
            stats.mean.append(mean)
            stats.variance.append(variance)
            stats.invStd.append(1 / (variance + epsilon).squareRoot())
        }
        return stats
    }

    /// PyTorch's update: running_mean ← (1 − m)·running_mean + m·mean and
    /// running_var ← (1 − m)·running_var + m·var·M/(M − 1) (the unbiased variance).
    static func updateRunningStatistics(_ stats: ChannelStatistics, runningMean: UnsafeMutablePointer<Float>,
                                        runningVariance: UnsafeMutablePointer<Float>) {
        let m = Double(stats.sampleCount)
        let correction = m > 1 ? m / (m - 1) : 1
        for c in 0..<stats.mean.count {
            runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * stats.mean[c])
            runningVariance[c] = Float((1 - momentum) * Double(runningVariance[c])
                                       + momentum * stats.variance[c] * correction)
        }
    }

    /// The cumulative average PyTorch keeps with `momentum=None` (what
    /// `torch.optim.swa_utils.update_bn` uses to re-estimate statistics): after
    /// batch n (0-based), running = the plain mean over batches 0...n of the
    /// batch means and of the unbiased batch variances.
    static func averageRunningStatistics(_ stats: ChannelStatistics, batchIndex n: Int,
                                         runningMean: UnsafeMutablePointer<Float>,
                                         runningVariance: UnsafeMutablePointer<Float>) {
        let m = Double(stats.sampleCount)
        let correction = m > 1 ? m / (m - 1) : 1
        let factor = 1 / Double(n + 1)
        for c in 0..<stats.mean.count {
            runningMean[c] = Float((1 - factor) * Double(runningMean[c]) + factor * stats.mean[c])
            runningVariance[c] = Float((1 - factor) * Double(runningVariance[c])
                                       + factor * stats.variance[c] * correction)
        }
    }

    /// y = (z − μ)·γ/√(σ² + ε) + β (+ residual, same CNHW shape) for the shard's images.
    static func normalize(_ z: UnsafePointer<Float>, _ stats: ChannelStatistics,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          channels: Int, batch: Int, plane: Int, images: Range<Int>,
                          adding residual: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let length = images.count * plane
        for c in 0..<channels {
            let start = (c * batch + images.lowerBound) * plane
            normalize(z + start, count: length, Affine(stats, gamma: gamma, beta: beta, channel: c),
                      adding: residual.map { $0 + start }, into: y + start)
        }
    }

    /// One channel's normalization y = (z − μ)·scale + β: its constants in float32.
    struct Affine {
        let mean: Float, scale: Float, shift: Float

        init(_ stats: ChannelStatistics, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, channel c: Int) {
            mean = Float(stats.mean[c])
            scale = Float(Double(gamma[c]) * stats.invStd[c])
            shift = beta[c]
        }
    }

    /// `count` floats of one channel: y = (z − μ)·scale + β (+ residual). The one place the
    /// expression is written (`normalize` and the training network's fused BN + activation pass).
    @inline(__always)
    static func normalize(_ source: UnsafePointer<Float>, count: Int, _ affine: Affine,
                          adding residual: UnsafePointer<Float>?, into target: UnsafeMutablePointer<Float>) {
        let mean = affine.mean, scale = affine.scale, shift = affine.shift
        if let add = residual {
            for i in 0..<count { target[i] = (source[i] - mean) * scale + shift + add[i] }
        } else {
            for i in 0..<count { target[i] = (source[i] - mean) * scale + shift }
        }
    }

    /// Whole images of one channel per piece of a fused pass (BN + activation forward, activation
    /// backward + gradient moments): about 2,048 floats, so the piece a pass wrote is still in L1
    /// when the next pass reads it.
    static func imagesPerPiece(plane: Int) -> Int { max(1, 2048 / max(plane, 1)) }

    // MARK: Backward

    /// partials[b][c] = (Σ dy, Σ dy·z) over image b's plane of channel c.
    static func accumulateGradientMoments(_ gradOutput: UnsafePointer<Float>, _ z: UnsafePointer<Float>,
                                          channels: Int, batch: Int, plane: Int, images: Range<Int>,
                                          into partials: UnsafeMutablePointer<Double>) {
        for c in 0..<channels {
            for b in images {
                gradientMoments(gradOutput, z, channel: c, image: b, channels: channels, batch: batch, plane: plane,
                                into: partials)
            }
        }
    }

    /// partials[b][c] = (Σ dy, Σ dy·z) of one image's plane of one channel.
    @inline(__always)
    static func gradientMoments(_ gradOutput: UnsafePointer<Float>, _ z: UnsafePointer<Float>, channel c: Int, image b: Int,
                                channels: Int, batch: Int, plane: Int, into partials: UnsafeMutablePointer<Double>) {
        let offset = (c * batch + b) * plane
        let (sum, dot) = sumAndDot(gradOutput + offset, z + offset, count: plane)
        partials[(b * channels + c) * 2] = sum
        partials[(b * channels + c) * 2 + 1] = dot
    }

    /// dβ = Σ dy and dγ = Σ dy·x̂ over the batch, x̂ = (z − μ)/√(σ² + ε), reduced in image order.
    static func parameterGradients(partials: UnsafePointer<Double>, _ stats: ChannelStatistics,
                                   batch: Int) -> (gamma: [Double], beta: [Double]) {
        let channels = stats.mean.count
        var gradGamma: [Double] = [], gradBeta: [Double] = []
        for c in 0..<channels {
            var sum = 0.0, dot = 0.0
            for b in 0..<batch {
                sum += partials[(b * channels + c) * 2]
                dot += partials[(b * channels + c) * 2 + 1]
            }
            gradBeta.append(sum)
            gradGamma.append(stats.invStd[c] * (dot - stats.mean[c] * sum))
        }
        return (gradGamma, gradBeta)
    }

    /// dz = γ/√(σ² + ε) · (dy − dβ/M − x̂·dγ/M), the gradient through the batch
    /// statistics, written over `gradient` (dy in, dz out) for the shard's images.
    static func inputGradient(_ gradient: UnsafeMutablePointer<Float>, _ z: UnsafePointer<Float>,
                              _ stats: ChannelStatistics, gamma: UnsafePointer<Float>,
                              gradGamma: [Double], gradBeta: [Double],
                              batch: Int, plane: Int, images: Range<Int>) {
        let m = Double(stats.sampleCount)
        let length = images.count * plane
        for c in 0..<stats.mean.count {
            let k = Double(gamma[c]) * stats.invStd[c]
            // dz = k·dy + kz·(z − μ) + k0, with the per-channel constants in float64.
            let kz = Float(-k * stats.invStd[c] * gradGamma[c] / m)
            let k0 = Float(-k * gradBeta[c] / m)
            let kdy = Float(k), mean = Float(stats.mean[c])
            let start = (c * batch + images.lowerBound) * plane
            let g = gradient + start, source = z + start
            if vectorPasses {
                landscape_batch_norm_input_gradient(g, source, length, kdy, kz, mean, k0)
            } else {
                for i in 0..<length { g[i] = kdy * g[i] + kz * (source[i] - mean) + k0 }
            }
        }
    }

    // MARK: Sums in float64 with four lanes (independent chains, fixed order)

    @inline(__always)
    static func sumAndSquares(_ x: UnsafePointer<Float>, count: Int) -> (Double, Double) {
        var s = SIMD4<Double>(), q = SIMD4<Double>()
        var i = 0
        while i + 4 <= count {
            let v = SIMD4<Double>(Double(x[i]), Double(x[i + 1]), Double(x[i + 2]), Double(x[i + 3]))
            s += v
            q += v * v
            i += 4
        }
        var sum = s.sum(), squares = q.sum()
        while i < count {
            let v = Double(x[i])
            sum += v
            squares += v * v
            i += 1
        }
        return (sum, squares)
    }

    @inline(__always)
    static func sumAndDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> (Double, Double) {
        var s = SIMD4<Double>(), d = SIMD4<Double>()
        var i = 0
        while i + 4 <= count {
            let v = SIMD4<Double>(Double(x[i]), Double(x[i + 1]), Double(x[i + 2]), Double(x[i + 3]))
            let w = SIMD4<Double>(Double(y[i]), Double(y[i + 1]), Double(y[i + 2]), Double(y[i + 3]))
            s += v
            d += v * w
            i += 4
        }
        var sum = s.sum(), dot = d.sum()
        while i < count {
            sum += Double(x[i])
            dot += Double(x[i]) * Double(y[i])
            i += 1
        }
        return (sum, dot)
    }
}
