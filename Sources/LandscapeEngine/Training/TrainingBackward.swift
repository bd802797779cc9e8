import Dispatch
import CDirectConvolution

/// Backpropagation, block by block from the classifier down to the stem.
///
/// Three gradient tensors rotate: `outer` holds the gradient at the current
/// block's output (then, in place, at its pre-activation and conv2 output),
/// `inner` the same for the block's first layer, and `next` collects the
/// gradient at the block's input: the shortcut's share first, then the
/// first convolution's input gradient added onto it. After a block, `next`
/// becomes the previous block's `outer`.
///
/// Each phase ends with per-image partial sums for the next BatchNorm, which
/// one thread reduces in image order into dγ, dβ before the next phase.
extension TrainingNetwork {
    func backward(_ p: StepPointers, batch: Int) {
        precondition(purpose == .training, "backward on a network built without backward buffers")
        let layers = plan.layers
        let gradients = buffers.parameterGradients.baseAddress!
        // Zeroing, flipping and packing per layer, the layers in shares on the threads at once.
        timed(.weightPacking) {
            forEachLayerShare { share in
                for shard in 0..<self.shardCount {
                    for layer in layers[share] {
                        (self.buffers.shardGradients[shard] + layer.weight).update(repeating: 0, count: layer.geometry.weightCount)
                    }
                }
                for layer in layers[share] where layer.input != nil && layer.geometry.stride == 1 {
                    ConvolutionTraining.flipWeights(layer.geometry, weight: p.values + layer.weight,
                                                    into: self.buffers.flippedWeights + layer.weight)
                }
                self.kernels?.packBackward(self.plan, flipped: self.buffers.flippedWeights, values: p.values, layers: share)
            }
        }
        var outer = buffers.gradients[0], inner = buffers.gradients[1], next = buffers.gradients[2]
        let last = layers.count - 1

        // Pool backward, then through the last activation.
        let gradOuter = outer
        forEachShard(batch: batch) { shard, images in
            self.timed(.shortcutAndPool, shard: shard) {
                ClassifierHead.averagePoolBackward(self.buffers.gradPooled, channels: layers[last].channels, batch: batch,
                                                   plane: layers[last].plane, images: images, into: gradOuter)
            }
            self.activationBackward(last, gradient: gradOuter, batch: batch, images: images, shard: shard)
        }
        var batchNormGradients = reduceBatchNormGradients(last, batch: batch, into: gradients)

        for block in stride(from: plan.blockCount - 1, through: 0, by: -1) {
            let second = 2 * block + 2, first = second - 1, blockInput = second - 2
            let (gradOuter, gradInner, gradNext) = (outer, inner, next)
            let secondGradients = batchNormGradients
            forEachShard(batch: batch) { shard, images in
                self.timed(.shortcutAndPool, shard: shard) {
                    self.shortcutBackward(second, gradient: gradOuter, into: gradNext, batch: batch, images: images)
                }
                self.timed(.batchNormBackward, shard: shard) {
                    self.batchNormBackward(second, secondGradients, p, gradient: gradOuter, batch: batch, images: images)
                }
                self.convolutionBackward(second, p, gradOutput: gradOuter, gradInput: gradInner, overwriting: first,
                                         batch: batch, images: images, shard: shard)
                self.activationBackward(first, gradient: gradInner, batch: batch, images: images, shard: shard)
            }
            let firstGradients = reduceBatchNormGradients(first, batch: batch, into: gradients)
            forEachShard(batch: batch) { shard, images in
                self.timed(.batchNormBackward, shard: shard) {
                    self.batchNormBackward(first, firstGradients, p, gradient: gradInner, batch: batch, images: images)
                }
                self.convolutionBackward(first, p, gradOutput: gradInner, gradInput: gradNext, batch: batch,
                                         images: images, shard: shard)
                self.activationBackward(blockInput, gradient: gradNext, batch: batch, images: images, shard: shard)
            }
            batchNormGradients = reduceBatchNormGradients(blockInput, batch: batch, into: gradients)
            swap(&outer, &next)
        }

        // The stem: its input is the images, which need no gradient.
        let stemGradient = outer
        let stemGradients = batchNormGradients
        forEachShard(batch: batch) { shard, images in
            self.timed(.batchNormBackward, shard: shard) {
                self.batchNormBackward(0, stemGradients, p, gradient: stemGradient, batch: batch, images: images)
            }
            self.convolutionBackward(0, p, gradOutput: stemGradient, gradInput: nil, batch: batch,
                                     images: images, shard: shard)
        }

        // Weight gradients: the shards' sums added in shard order.
        let sumStart = TrainingProfile.now()
        defer { profile?.add(.shortcutAndPool, since: sumStart) }
        for layer in layers {
            let target = gradients + layer.weight
            target.update(from: buffers.shardGradients[0] + layer.weight, count: layer.geometry.weightCount)
            for shard in 1..<max(shardCount, 1) {
                let source = buffers.shardGradients[shard] + layer.weight
                for i in 0..<layer.geometry.weightCount { target[i] += source[i] }
            }
        }
    }

    /// Runs `body` on up to `threadCount` contiguous shares of the layers, about equal in weights (what packing
    /// and zeroing cost), one share a thread, and returns when all are done. Each share touches only its
    /// layers' weights, gradients and packed filters.
    func forEachLayerShare(_ body: (Range<Int>) -> Void) {
        let layers = plan.layers
        let shares = min(threadCount, layers.count)
        guard shares > 1 else { return body(layers.indices) }
        let total = max(1, layers.reduce(0) { $0 + $1.geometry.weightCount })
        // Each layer goes to the share its first weight falls in (non-decreasing); share s starts after
        // the layers of the shares before it.
        var shareOf: [Int] = [], before = 0
        for layer in layers {
            shareOf.append(min(shares - 1, before * shares / total))
            before += layer.geometry.weightCount
        }
        let bounds = (0...shares).map { s in shareOf.filter { $0 < s }.count }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: shares) { share in
                let range = bounds[share]..<bounds[share + 1]
                if !range.isEmpty { work.value(range) }
            }
        }
    }

    /// dy = f'(y)·da in place, then the partial sums of layer `index`'s BatchNorm backward.
    private func activationBackward(_ index: Int, gradient: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>,
                                    shard: Int) {
        let start = TrainingProfile.now()
        defer { profile?.add(.activationBackward, shard: shard, since: start) }
        let layer = plan.layers[index]
        // f'(y) from y, or from a = f(y) where that gives the same bits (`backwardReadsActivationOutput`).
        let y = backwardReadsActivationOutput ? buffers.activations[index] : buffers.preActivations[index]
        let z = UnsafePointer(buffers.convolutionOutputs[index])
        let plane = layer.plane, channels = layer.channels
        let piece = BatchNormTraining.imagesPerPiece(plane: plane)
        // One pass: each piece of a channel through f' in place, then its images' moments (the same
        // per-image sums as `BatchNormTraining.accumulateGradientMoments`) while the piece is in L1.
        if BatchNormTraining.vectorPasses, let slope = rectifierSlope {
            // ReLU / LeakyReLU from a (see above), the same bits on vectors.
            for c in 0..<channels {
                for first in stride(from: images.lowerBound, to: images.upperBound, by: piece) {
                    let count = min(piece, images.upperBound - first)
                    let start = (c * batch + first) * plane
                    landscape_rectify_backward_moments(gradient + start, y + start, z + start, plane, count, slope,
                                                       buffers.partials + (first * channels + c) * 2, channels * 2)
                }
            }
            return
        }
        for c in 0..<channels {
            for first in stride(from: images.lowerBound, to: images.upperBound, by: piece) {
                let count = min(piece, images.upperBound - first)
                let start = (c * batch + first) * plane
                architecture.activation.backward(input: UnsafeBufferPointer(start: y + start, count: count * plane),
                                                 gradOutput: UnsafeBufferPointer(start: gradient + start, count: count * plane),
                                                 gradInput: UnsafeMutableBufferPointer(start: gradient + start, count: count * plane))
                for b in first..<(first + count) {
                    BatchNormTraining.gradientMoments(gradient, z, channel: c, image: b, channels: channels, batch: batch,
                                                      plane: plane, into: buffers.partials)
                }
            }
        }
    }

    /// Reduces the partial sums into dγ, dβ of layer `index` and stores them as parameter gradients.
    private func reduceBatchNormGradients(_ index: Int, batch: Int,
                                          into gradients: UnsafeMutablePointer<Float>) -> (gamma: [Double], beta: [Double]) {
        let start = TrainingProfile.now()
        defer { profile?.add(.reductions, since: start) }
        let layer = plan.layers[index]
        let result = BatchNormTraining.parameterGradients(partials: buffers.partials, statistics[index], batch: batch)
        for c in 0..<layer.channels {
            gradients[layer.gamma + c] = Float(result.gamma[c])
            gradients[layer.beta + c] = Float(result.beta[c])
        }
        return result
    }

    /// dz from dy in place (gradient through the batch statistics).
    private func batchNormBackward(_ index: Int, _ parameterGradients: (gamma: [Double], beta: [Double]),
                                   _ p: StepPointers, gradient: UnsafeMutablePointer<Float>,
                                   batch: Int, images: Range<Int>) {
        let layer = plan.layers[index]
        BatchNormTraining.inputGradient(gradient, buffers.convolutionOutputs[index], statistics[index],
                                        gamma: p.values + layer.gamma, gradGamma: parameterGradients.gamma,
                                        gradBeta: parameterGradients.beta, batch: batch, plane: layer.plane,
                                        images: images)
    }

    /// The shortcut's share of the gradient at the block input, written over `gradInput`.
    private func shortcutBackward(_ index: Int, gradient: UnsafePointer<Float>, into gradInput: UnsafeMutablePointer<Float>,
                                  batch: Int, images: Range<Int>) {
        let layer = plan.layers[index]
        switch layer.shortcut {
        case .none:
            break
        case .identity:
            let length = images.count * layer.plane
            for c in 0..<layer.channels {
                let start = (c * batch + images.lowerBound) * layer.plane
                (gradInput + start).update(from: gradient + start, count: length)
            }
        case .optionA(let source):
            let input = plan.layers[source].geometry
            OptionAShortcut.backward(gradient, outChannels: layer.channels, into: gradInput,
                                     inChannels: input.outChannels, inHeight: input.outHeight,
                                     inWidth: input.outWidth, batch: batch, images: images)
        }
    }

    /// Zeroes the shard's slices of a tensor shaped like layer `index`'s output.
    private func zero(_ index: Int, _ tensor: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>) {
        let layer = plan.layers[index]
        for c in 0..<layer.channels {
            (tensor + (c * batch + images.lowerBound) * layer.plane).update(repeating: 0, count: images.count * layer.plane)
        }
    }

    /// Weight gradient into the shard's buffer; input gradient added onto `gradInput` when given, or written
    /// over the shard's slices of it when `overwriting` names the layer it is shaped like.
    private func convolutionBackward(_ index: Int, _ p: StepPointers, gradOutput: UnsafePointer<Float>,
                                     gradInput: UnsafeMutablePointer<Float>?, overwriting: Int? = nil, batch: Int,
                                     images: Range<Int>, shard: Int) {
        let layer = plan.layers[index]
        let (input, inputLayout) = convolutionInput(layer, p, batch: batch)
        // The register kernels take the weight and input gradients (stride 1 and 2); the GEMMs keep the rest.
        let onKernels = gradInput != nil && kernels?.backwardOffsets[index] != nil
        // The stride-1 kernels write the input gradient through the zero-bias epilogue (the same bits); the
        // other paths add onto it, zeroed first. Not zeroing, nor reading the zeros back, took the profile's
        // "shortcut, pool, zeroing" row from 16.9 to 10.7 thread-ms per step (ResNet-20 training, 2 threads,
        // AMD EPYC family 25 model 1 (Zen 3), load 9-12, medians of 8 alternated runs; docs/performance-log.md,
        // 2026-12-07 trainz3).
        let writesInputGradient = onKernels && kernels?.stridedOffsets[index] == nil
        if let overwriting, let gradInput, !writesInputGradient {
            timed(.shortcutAndPool, shard: shard) { zero(overwriting, gradInput, batch: batch, images: images) }
        }
        let gradWeight = buffers.shardGradients[shard] + layer.weight
        if let kernels, kernels.stridedOffsets[index] != nil {
            timed(.backwardWeights, shard: shard) {
                kernels.stridedWeightGradient(layer.geometry, input: input, inputLayout: inputLayout, gradOutput: gradOutput,
                                              gradWeight: gradWeight, batch: batch, images: images, shard: shard)
            }
            if let gradInput {
                timed(.backwardData, shard: shard) {
                    kernels.stridedInputGradient(index, layer.geometry, gradOutput: gradOutput, gradInput: gradInput,
                                                 batch: batch, images: images, shard: shard)
                }
            }
            return
        }
        if let kernels, kernels.weightGradients[index] {
            // The input gradient, when there is one, is on the kernels too (`TrainingKernels.init`).
            timed(.backwardWeights, shard: shard) {
                kernels.weightGradient(layer.geometry, input: input, inputLayout: inputLayout, gradOutput: gradOutput,
                                       gradWeight: gradWeight, batch: batch, images: images, shard: shard)
            }
        } else if let kernels, kernels.winogradWeightGradients[index] {
            kernels.winogradWeightGradient(layer.geometry, input: input, inputLayout: inputLayout,
                                           gradOutput: gradOutput, gradWeight: gradWeight, batch: batch,
                                           images: images, shard: shard, profile: profile)
        } else {
            ConvolutionTraining.backward(layer.geometry, weight: p.values + layer.weight, input: input,
                                         inputLayout: inputLayout, gradOutput: gradOutput, batch: batch, images: images,
                                         gradWeight: gradWeight,
                                         gradInput: onKernels ? nil : gradInput,
                                         columns: buffers.columns[shard], gradColumns: buffers.gradColumns[shard],
                                         columnCapacity: buffers.columnCapacity,
                                         flippedWeight: buffers.flippedWeights + layer.weight, profile: profile, shard: shard)
        }
        if onKernels, let kernels, let gradInput {
            timed(.backwardData, shard: shard) {
                kernels.inputGradient(index, layer.geometry, gradOutput: gradOutput, gradInput: gradInput,
                                      batch: batch, images: images, shard: shard, overwrite: overwriting != nil)
            }
        }
    }
}
