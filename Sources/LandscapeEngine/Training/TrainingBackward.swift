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
        let poolGroup = Self.imagesPerGroup(floatsPerImage: layers[last].channels * layers[last].plane)
        forEachImageGroup(batch: batch, groupSize: poolGroup) { slot, images in
            self.timed(.shortcutAndPool, shard: slot) {
                ClassifierHead.averagePoolBackward(self.buffers.gradPooled, channels: layers[last].channels, batch: batch,
                                                   plane: layers[last].plane, images: images, into: gradOuter)
            }
            self.activationBackward(last, gradient: gradOuter, batch: batch, images: images, shard: slot)
        }
        var batchNormGradients = reduceBatchNormGradients(last, batch: batch, into: gradients)

        for block in stride(from: plan.blockCount - 1, through: 0, by: -1) {
            let second = 2 * block + 2, first = second - 1, blockInput = second - 2
            let (gradOuter, gradInner, gradNext) = (outer, inner, next)
            let secondGradients = batchNormGradients
            layerBackward(second, secondGradients, p, gradient: gradOuter, shortcutInto: gradNext, gradInput: gradInner,
                          overwriting: first, activation: first, batch: batch)
            let firstGradients = reduceBatchNormGradients(first, batch: batch, into: gradients)
            layerBackward(first, firstGradients, p, gradient: gradInner, gradInput: gradNext, activation: blockInput,
                          batch: batch)
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
        if let pass = activationPass {
            // f' from a (ReLU / LeakyReLU, see above) or y (Swish / Mish): the same bits on vectors.
            for c in 0..<channels {
                for first in stride(from: images.lowerBound, to: images.upperBound, by: piece) {
                    let count = min(piece, images.upperBound - first)
                    let start = (c * batch + first) * plane
                    let partials = buffers.partials + (first * channels + c) * 2
                    switch pass {
                    case .rectify(let slope):
                        landscape_rectify_backward_moments(gradient + start, y + start, z + start, plane, count, slope,
                                                           partials, channels * 2)
                    case .smooth(let kind):
                        landscape_smooth_backward_moments(gradient + start, y + start, z + start, plane, count, kind,
                                                          partials, channels * 2)
                    }
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

    /// Images per group in `layerBackward` (dZ written over dY, then the input gradient written or added onto):
    /// about `groupFloats` of the two; nil where the GEMMs take both gradients of the shard at once.
    func backwardGroupSize(_ index: Int) -> Int? {
        guard let kernels, kernels.stridedOffsets[index] != nil || kernels.backwardOffsets[index] != nil else { return nil }
        let g = plan.layers[index].geometry
        return Self.imagesPerGroup(floatsPerImage: g.outChannels * g.outPlane + g.inChannels * g.inPlane)
    }

    /// Layer `index`'s backward phase with its neighbours: the shortcut's share of the gradient at the block
    /// input (into `shortcutInto`, read from dY before it is overwritten), dY to dZ through its BatchNorm (in place
    /// in `gradient`), the input gradient (added onto `gradInput`, or written over it where `overwriting` names
    /// the layer it is shaped like), layer `activation`'s activation backward on it, and the weight gradient.
    /// On the kernels (`backwardGroupSize`) each shard's shortcut, BatchNorm and weight gradient (its sums chunked
    /// over the shard's images in order) stay whole, and the input gradient and activation backward, which work
    /// image by image, run by groups on whichever thread comes free (`forEachShardThenImageGroup`), dZ of a group
    /// still in L2 when the input gradient reads it and the input gradient when the activation backward does: the
    /// bits of the static split by shards.
    private func layerBackward(_ index: Int, _ parameterGradients: (gamma: [Double], beta: [Double]), _ p: StepPointers,
                               gradient: UnsafeMutablePointer<Float>, shortcutInto: UnsafeMutablePointer<Float>? = nil,
                               gradInput: UnsafeMutablePointer<Float>, overwriting: Int? = nil, activation: Int,
                               batch: Int) {
        let shortcutAndBatchNorm = { (slot: Int, images: Range<Int>) in
            if let shortcutInto {
                self.timed(.shortcutAndPool, shard: slot) {
                    self.shortcutBackward(index, gradient: gradient, into: shortcutInto, batch: batch, images: images)
                }
            }
            self.timed(.batchNormBackward, shard: slot) {
                self.batchNormBackward(index, parameterGradients, p, gradient: gradient, batch: batch, images: images)
            }
        }
        guard let groupSize = backwardGroupSize(index) else {
            forEachShard(batch: batch) { shard, images in
                shortcutAndBatchNorm(shard, images)
                self.convolutionBackward(index, p, gradOutput: gradient, gradInput: gradInput, overwriting: overwriting,
                                         batch: batch, images: images, shard: shard)
                self.activationBackward(activation, gradient: gradInput, batch: batch, images: images, shard: shard)
            }
            return
        }
        forEachShardThenImageGroup(batch: batch, groupSize: groupSize, shardWork: { slot, shard, images, ready in
            shortcutAndBatchNorm(slot, images)
            ready()
            self.weightGradient(index, p, gradOutput: gradient, batch: batch, images: images, shard: shard, slot: slot)
        }, groupWork: { slot, images in
            self.inputGradient(index, gradOutput: gradient, gradInput: gradInput, overwriting: overwriting, batch: batch,
                               images: images, slot: slot)
            self.activationBackward(activation, gradient: gradInput, batch: batch, images: images, shard: slot)
        })
    }

    /// Both gradients on the GEMMs (`ConvolutionTraining.backward`: the input gradient added onto `gradInput`,
    /// zeroed first where `overwriting` names the layer it is shaped like), or the weight gradient alone
    /// where there is no input gradient (the stem).
    private func convolutionBackward(_ index: Int, _ p: StepPointers, gradOutput: UnsafePointer<Float>,
                                     gradInput: UnsafeMutablePointer<Float>?, overwriting: Int? = nil, batch: Int,
                                     images: Range<Int>, shard: Int) {
        if let overwriting, let gradInput {
            timed(.shortcutAndPool, shard: shard) { zero(overwriting, gradInput, batch: batch, images: images) }
        }
        weightGradient(index, p, gradOutput: gradOutput, gemmGradInput: gradInput, batch: batch, images: images,
                       shard: shard, slot: shard)
    }

    /// Weight gradient of the shard's images into the shard's buffer, on the scratch and profile slot of thread
    /// `slot`; on the GEMM path the input gradient too, added onto `gemmGradInput` when given.
    private func weightGradient(_ index: Int, _ p: StepPointers, gradOutput: UnsafePointer<Float>,
                                gemmGradInput: UnsafeMutablePointer<Float>? = nil, batch: Int, images: Range<Int>,
                                shard: Int, slot: Int) {
        let layer = plan.layers[index]
        let (input, inputLayout) = convolutionInput(layer, p, batch: batch)
        let gradWeight = buffers.shardGradients[shard] + layer.weight
        if let kernels, kernels.stridedOffsets[index] != nil {
            timed(.backwardWeights, shard: slot) {
                kernels.stridedWeightGradient(layer.geometry, input: input, inputLayout: inputLayout, gradOutput: gradOutput,
                                              gradWeight: gradWeight, batch: batch, images: images, shard: slot)
            }
        } else if let kernels, kernels.weightGradients[index] {
            timed(.backwardWeights, shard: slot) {
                kernels.weightGradient(layer.geometry, input: input, inputLayout: inputLayout, gradOutput: gradOutput,
                                       gradWeight: gradWeight, batch: batch, images: images, shard: slot)
            }
        } else if let kernels, kernels.winogradWeightGradients[index] {
            kernels.winogradWeightGradient(layer.geometry, input: input, inputLayout: inputLayout,
                                           gradOutput: gradOutput, gradWeight: gradWeight, batch: batch,
                                           images: images, shard: slot, profile: profile)
        } else {
            ConvolutionTraining.backward(layer.geometry, weight: p.values + layer.weight, input: input,
                                         inputLayout: inputLayout, gradOutput: gradOutput, batch: batch, images: images,
                                         gradWeight: gradWeight, gradInput: gemmGradInput,
                                         columns: buffers.columns[slot], gradColumns: buffers.gradColumns[slot],
                                         columnCapacity: buffers.columnCapacity,
                                         flippedWeight: buffers.flippedWeights + layer.weight, profile: profile, shard: slot)
        }
    }

    /// The input gradient of `images` on the register kernels (`backwardGroupSize(index)` not nil), on thread
    /// `slot`'s scratch: added onto `gradInput`, or written over its slices where `overwriting` names the layer
    /// it is shaped like.
    private func inputGradient(_ index: Int, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
                               overwriting: Int?, batch: Int, images: Range<Int>, slot: Int) {
        guard let kernels else { return }
        let layer = plan.layers[index]
        if kernels.stridedOffsets[index] != nil {
            // The stride-2 kernel adds onto the input gradient: zeroed first.
            if let overwriting {
                timed(.shortcutAndPool, shard: slot) { zero(overwriting, gradInput, batch: batch, images: images) }
            }
            timed(.backwardData, shard: slot) {
                kernels.stridedInputGradient(index, layer.geometry, gradOutput: gradOutput, gradInput: gradInput,
                                             batch: batch, images: images, shard: slot)
            }
            return
        }
        // The stride-1 kernels write the input gradient through the zero-bias epilogue (the same bits) rather than
        // adding onto it zeroed. Not zeroing, nor reading the zeros back, took the profile's "shortcut, pool,
        // zeroing" row from 16.9 to 10.7 thread-ms per step (ResNet-20 training, 2 threads, AMD EPYC family 25
        // model 1 (Zen 3), load 9-12, medians of 8 alternated runs; docs/performance-log.md, 2026-12-07 trainz3).
        timed(.backwardData, shard: slot) {
            kernels.inputGradient(index, layer.geometry, gradOutput: gradOutput, gradInput: gradInput,
                                  batch: batch, images: images, shard: slot, overwrite: overwriting != nil)
        }
    }
}
