import Foundation
import LandscapeEngine

/// The CIFAR ResNet written the slow, obvious way in float64: direct
/// convolution loops, BatchNorm in eval mode unfolded, option-A shortcut by
/// index arithmetic. Only for checking the fast path.
struct ReferenceResNet {
    let model: ResNetModel
    typealias Volume = (c: Int, h: Int, w: Int, v: [Double])

    func tensor(_ name: String) -> [Double] { model.tensor(name)!.scalars.map(Double.init) }

    func activation(_ x: Double) -> Double {
        switch model.architecture.activation.kind {
        case .relu: return max(x, 0)
        case .swish: return x / (1 + exp(-x))
        case .mish: return x * tanh(log1p(exp(x)))
        default: return model.architecture.activation.value(x)   // the float64 definitions (ActivationReferenceTests)
        }
    }

    func conv(_ x: Volume, _ name: String, stride: Int) -> Volume {
        let w = tensor("\(name).weight"), shape = model.tensor("\(name).weight")!.shape
        let out = shape[0], oh = (x.h - 1) / stride + 1, ow = (x.w - 1) / stride + 1
        var y = [Double](repeating: 0, count: out * oh * ow)
        for o in 0..<out { for oy in 0..<oh { for ox in 0..<ow {
            var s = 0.0
            for c in 0..<x.c { for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy * stride + ky - 1, ix = ox * stride + kx - 1
                if iy >= 0 && iy < x.h && ix >= 0 && ix < x.w {
                    s += w[((o * x.c + c) * 3 + ky) * 3 + kx] * x.v[(c * x.h + iy) * x.w + ix]
                }
            } } }
            y[(o * oh + oy) * ow + ox] = s
        } } }
        return (out, oh, ow, y)
    }

    func batchNorm(_ x: Volume, _ name: String) -> Volume {
        let g = tensor("\(name).weight"), b = tensor("\(name).bias")
        let m = tensor("\(name).running_mean"), v = tensor("\(name).running_var")
        var y = x
        for c in 0..<x.c { for i in 0..<(x.h * x.w) {
            y.v[c * x.h * x.w + i] = (x.v[c * x.h * x.w + i] - m[c]) / (v[c] + 1e-5).squareRoot() * g[c] + b[c]
        } }
        return y
    }

    func logits(_ data: EvaluationData, image: Int) -> [Double] {
        let size = data.imageSize
        var x: Volume = (data.channels, data.height, data.width,
                         data.pixels[(image * size)..<((image + 1) * size)].map(Double.init))
        x = batchNorm(conv(x, "conv1", stride: 1), "bn1")
        x.v = x.v.map(activation)
        for stage in 0..<3 {
            for block in 0..<model.architecture.blocksPerStage {
                let p = "layer\(stage + 1).\(block)", stride = stage > 0 && block == 0 ? 2 : 1
                var y = batchNorm(conv(x, "\(p).conv1", stride: stride), "\(p).bn1")
                y.v = y.v.map(activation)
                y = batchNorm(conv(y, "\(p).conv2", stride: 1), "\(p).bn2")
                for c in 0..<y.c { for yy in 0..<y.h { for xx in 0..<y.w {
                    var shortcut = 0.0
                    if stride == 1 { shortcut = x.v[(c * x.h + yy) * x.w + xx] } else {
                        let src = c - y.c / 4
                        if src >= 0 && src < x.c { shortcut = x.v[(src * x.h + 2 * yy) * x.w + 2 * xx] }
                    }
                    y.v[(c * y.h + yy) * y.w + xx] += shortcut
                } } }
                y.v = y.v.map(activation)
                x = y
            }
        }
        let pooled = (0..<x.c).map { c in x.v[(c * x.h * x.w)..<((c + 1) * x.h * x.w)].reduce(0, +) / Double(x.h * x.w) }
        let w = tensor("linear.weight"), b = tensor("linear.bias")
        return (0..<model.architecture.classCount).map { j in
            b[j] + (0..<x.c).reduce(0.0) { $0 + w[j * x.c + $1] * pooled[$1] }
        }
    }
}
