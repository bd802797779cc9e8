import Foundation

/// The end of the network in training: global average pool, linear layer,
/// softmax cross-entropy averaged over the batch (PyTorch's
/// `F.cross_entropy(reduction='mean')`). Pooled features are [C][batch]
/// (CNHW with 1x1 planes), logits [batch][classes].
enum ClassifierHead {
    /// pooled[c][b] = mean of image b's plane of channel c, for the shard's images.
    static func averagePool(_ x: UnsafePointer<Float>, channels: Int, batch: Int, plane: Int,
                            images: Range<Int>, into pooled: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for b in images {
                let (sum, _) = BatchNormTraining.sumAndSquares(x + (c * batch + b) * plane, count: plane)
                pooled[c * batch + b] = Float(sum / Double(plane))
            }
        }
    }

    /// dx[c][b][i] = dpooled[c][b] / plane, written over `gradInput` for the shard's images.
    static func averagePoolBackward(_ gradPooled: UnsafePointer<Float>, channels: Int, batch: Int, plane: Int,
                                    images: Range<Int>, into gradInput: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(plane)
        for c in 0..<channels {
            for b in images {
                (gradInput + (c * batch + b) * plane).update(repeating: gradPooled[c * batch + b] * scale, count: plane)
            }
        }
    }

    /// logits[b][j] = bias[j] + Σ_c weight[j][c]·pooled[c][b], accumulated in float64.
    static func linear(_ pooled: UnsafePointer<Float>, channels: Int, batch: Int,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, classes: Int,
                       into logits: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for j in 0..<classes {
                var sum = Double(bias[j])
                for c in 0..<channels { sum += Double(weight[j * channels + c]) * Double(pooled[c * batch + b]) }
                logits[b * classes + j] = Float(sum)
            }
        }
    }

    /// dW[j][c] = Σ_b dz[b][j]·pooled[c][b], db[j] = Σ_b dz[b][j] (both overwritten),
    /// dpooled[c][b] = Σ_j W[j][c]·dz[b][j].
    static func linearBackward(_ gradLogits: UnsafePointer<Float>, pooled: UnsafePointer<Float>,
                               channels: Int, batch: Int, weight: UnsafePointer<Float>, classes: Int,
                               gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>,
                               gradPooled: UnsafeMutablePointer<Float>) {
        for j in 0..<classes {
            var biasSum = 0.0
            for b in 0..<batch { biasSum += Double(gradLogits[b * classes + j]) }
            gradBias[j] = Float(biasSum)
            for c in 0..<channels {
                var sum = 0.0
                for b in 0..<batch { sum += Double(gradLogits[b * classes + j]) * Double(pooled[c * batch + b]) }
                gradWeight[j * channels + c] = Float(sum)
            }
        }
        for c in 0..<channels {
            for b in 0..<batch {
                var sum = 0.0
                for j in 0..<classes { sum += Double(weight[j * channels + c]) * Double(gradLogits[b * classes + j]) }
                gradPooled[c * batch + b] = Float(sum)
            }
        }
    }

    /// Mean over the batch of −log softmax(z_b)[label_b] (log-sum-exp in float64),
    /// the number of images whose first largest logit is the label, and
    /// dz[b][j] = (softmax(z_b)[j] − [j = label_b]) / batch.
    static func softmaxCrossEntropy(_ logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                    classes: Int, gradLogits: UnsafeMutablePointer<Float>) -> (loss: Double, correct: Int) {
        var total = 0.0
        var correct = 0
        for b in 0..<batch {
            let z = logits + b * classes
            let label = Int(labels[b])
            var maximum = Double(z[0])
            var best = 0
            for j in 1..<classes {
                maximum = max(maximum, Double(z[j]))
                if z[j] > z[best] { best = j }
            }
            var sum = 0.0
            for j in 0..<classes { sum += exp(Double(z[j]) - maximum) }
            let logSumExp = maximum + log(sum)
            total += logSumExp - Double(z[label])
            if best == label { correct += 1 }
            for j in 0..<classes {
                let probability = exp(Double(z[j]) - logSumExp)
                gradLogits[b * classes + j] = Float((probability - (j == label ? 1 : 0)) / Double(batch))
            }
        }
        return (total / Double(batch), correct)
    }
}
