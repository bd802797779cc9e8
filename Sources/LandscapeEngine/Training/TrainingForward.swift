import CDirectConvolution

/// The forward pass in training mode, one phase per layer: in phase k every
/// shard finishes layer k − 1 (BatchNorm with the just-reduced statistics,
/// shortcut, activation) and runs convolution k with its partial sums; then
/// one thread reduces the statistics of layer k.
extension TrainingNetwork {
    /// How a training-mode forward pass folds its batch statistics into the running ones.
    enum RunningStatisticsUpdate {
        /// PyTorch's training default: exponential average with momentum 0.1.
        case momentum
        /// Plain average over the batches of a re-estimation; this is batch n (0-based).
        case cumulative(batchIndex: Int)
    }

    func forward(_ p: StepPointers, batch: Int, update: RunningStatisticsUpdate = .momentum) {
        let layers = plan.layers
        statistics.removeAll(keepingCapacity: true)
        if let kernels {
            timed(.weightPacking) { forEachLayerShare { kernels.packForward(self.plan, values: p.values, layers: $0) } }
        }
        for k in 0...layers.count {
            let reduced = statistics
            let phase = { (slot: Int, group: Range<Int>) in
                if k > 0 {
                    self.timed(.forwardBatchNormActivation, shard: slot) {
                        self.finishLayer(k - 1, stats: reduced[k - 1], p, batch: batch, images: group)
                    }
                }
                if k < layers.count {
                    self.convolve(k, p, batch: batch, images: group, shard: slot)
                } else {
                    let last = layers[k - 1]
                    self.timed(.shortcutAndPool, shard: slot) {
                        ClassifierHead.averagePool(self.buffers.activations[k - 1], channels: last.channels,
                                                   batch: batch, plane: last.plane, images: group,
                                                   into: self.buffers.pooled)
                    }
                }
            }
            // On the kernels group by group, so that the activation just written is still in L2 when the
            // convolution reads it, and the convolution's output when its moments are taken.
            if let groupSize = forwardGroupSize(k) {
                forEachImageGroup(batch: batch, groupSize: groupSize, phase)
            } else {
                forEachShard(batch: batch, phase)
            }
            let reductionStart = TrainingProfile.now()
            defer { profile?.add(.reductions, since: reductionStart) }
            if k < layers.count {
                let layer = layers[k]
                let stats = BatchNormTraining.statistics(partials: buffers.partials, channels: layer.channels,
                                                         batch: batch, plane: layer.plane)
                switch update {
                case .momentum:
                    BatchNormTraining.updateRunningStatistics(stats, runningMean: p.values + layer.runningMean,
                                                              runningVariance: p.values + layer.runningVariance)
                case .cumulative(let n):
                    BatchNormTraining.averageRunningStatistics(stats, batchIndex: n, runningMean: p.values + layer.runningMean,
                                                               runningVariance: p.values + layer.runningVariance)
                }
                statistics.append(stats)
            }
        }
    }

    /// Images per group in forward phase `k` (layer k − 1's BN + activation, then convolution k and its
    /// moments; `forEachImageGroup`): about `groupFloats` of the two tensors a group writes and reads back.
    /// Every pass of the phase works image by image with the same operations whatever the image count (the
    /// register kernels' contract), so the groups give the same bits; nil where the im2col GEMMs run, which
    /// might not, and take the shards whole.
    func forwardGroupSize(_ k: Int) -> Int? {
        let layers = plan.layers
        guard let kernels, k == layers.count || kernels.forwardOffsets[k] != nil else { return nil }
        let written = (k > 0 ? layers[k - 1].channels * layers[k - 1].plane : 0)
            + (k < layers.count ? layers[k].channels * layers[k].plane : 0)
        return Self.imagesPerGroup(floatsPerImage: written)
    }

    /// Where a layer's convolution reads: the NCHW images or a CNHW activation.
    func convolutionInput(_ layer: TrainingLayer, _ p: StepPointers,
                          batch: Int) -> (UnsafePointer<Float>, ConvolutionKernels.PlaneLayout) {
        let g = layer.geometry
        guard let source = layer.input else {
            return (p.images, .init(channelStride: g.inPlane, imageStride: g.inChannels * g.inPlane))
        }
        return (UnsafePointer(buffers.activations[source]), .init(channelStride: batch * g.inPlane, imageStride: g.inPlane))
    }

    private func convolve(_ index: Int, _ p: StepPointers, batch: Int, images: Range<Int>, shard: Int) {
        let layer = plan.layers[index]
        let (input, inputLayout) = convolutionInput(layer, p, batch: batch)
        let z = buffers.convolutionOutputs[index]
        timed(.forwardConvolution, shard: shard) {
            if let kernels, kernels.forwardOffsets[index] != nil {
                kernels.forward(index, layer.geometry, input: input, inputLayout: inputLayout, output: z,
                                batch: batch, images: images, shard: shard)
            } else {
                ConvolutionTraining.forward(layer.geometry, weight: p.values + layer.weight, input: input,
                                            inputLayout: inputLayout, output: z, batch: batch, images: images,
                                            columns: buffers.columns[shard], columnCapacity: buffers.columnCapacity)
            }
        }
        timed(.forwardBatchNormActivation, shard: shard) {
            BatchNormTraining.accumulateMoments(z, channels: layer.channels, batch: batch, plane: layer.plane,
                                                images: images, into: buffers.partials)
        }
    }

    /// Whether backward can take f'(y) from a = f(y), so y need not be stored: ReLU and LeakyReLU,
    /// where f'(y) depends only on whether y > 0 and a > 0 exactly when y > 0 (y = ±0 gives a = ±0,
    /// y < 0 gives 0 or 0.01·y ≤ 0, NaN gives NaN), so `backward(input: a)` gives the same bits as
    /// `backward(input: y)`. Saves writing one tensor per layer in the forward pass.
    var backwardReadsActivationOutput: Bool { rectifierSlope != nil }

    /// Which of TrainingPasses.c's vector passes compute this network's BN + activation (forward) and activation
    /// derivative + BN moments (backward): nil where the Swift loops run (no AVX2, or another activation).
    enum ActivationPass {
        case rectify(slope: Float)   // ReLU, LeakyReLU: f' from a = f(y)
        case smooth(kind: Int32)     // Swish, Mish: f' from y
    }

    var activationPass: ActivationPass? {
        guard BatchNormTraining.vectorPasses else { return nil }
        if let slope = rectifierSlope { return .rectify(slope: slope) }
        return architecture.activation.smoothPassKind.map { .smooth(kind: $0) }
    }

    /// f(x) = x < 0 ? slope·x : x: 0 for ReLU, the leaky slope for LeakyReLU, nil for the other kinds
    /// (the slope TrainingPasses.c's vector passes take).
    var rectifierSlope: Float? {
        switch architecture.activation.kind {
        case .relu: return 0
        case .leakyRelu: return FloatKernels.leakySlope
        default: return nil
        }
    }

    /// y = BN(z) (+ shortcut), a = f(y) for the shard's images; y stays only in `a`'s slot (overwritten
    /// in place by f) when backward reads a instead (`backwardReadsActivationOutput`).
    private func finishLayer(_ index: Int, stats: ChannelStatistics, _ p: StepPointers, batch: Int, images: Range<Int>) {
        let layer = plan.layers[index]
        let inPlace = backwardReadsActivationOutput
        let y = inPlace ? buffers.activations[index] : buffers.preActivations[index]
        var identity: UnsafePointer<Float>? = nil
        if case .identity(let source) = layer.shortcut { identity = UnsafePointer(buffers.activations[source]) }
        let a = buffers.activations[index]
        var optionA = false
        if case .optionA = layer.shortcut { optionA = true }
        if !optionA {
            // One pass: each piece of a channel normalized (+ identity) into y, then f(y) into a while
            // the piece is in L1 (the same operations per element as the option-A path below, whose
            // shortcut adds onto y between the two).
            let z = UnsafePointer(buffers.convolutionOutputs[index])
            let piece = BatchNormTraining.imagesPerPiece(plane: layer.plane)
            if let pass = activationPass {
                // One vector pass (the same operations per element as the loop below): ReLU / LeakyReLU
                // a = f(BN(z) (+ identity)), y never stored; Swish / Mish y, which the backward pass reads, and a = f(y).
                let length = images.count * layer.plane
                for c in 0..<layer.channels {
                    let affine = BatchNormTraining.Affine(stats, gamma: p.values + layer.gamma, beta: p.values + layer.beta,
                                                          channel: c)
                    let start = (c * batch + images.lowerBound) * layer.plane
                    let residual = identity.map { $0 + start }
                    switch pass {
                    case .rectify(let slope):
                        landscape_normalize_rectify(z + start, length, affine.mean, affine.scale, affine.shift, residual,
                                                    slope, a + start)
                    case .smooth(let kind):
                        landscape_normalize_smooth(z + start, length, affine.mean, affine.scale, affine.shift, residual,
                                                   kind, y + start, a + start)
                    }
                }
                return
            }
            for c in 0..<layer.channels {
                let affine = BatchNormTraining.Affine(stats, gamma: p.values + layer.gamma, beta: p.values + layer.beta, channel: c)
                for first in stride(from: images.lowerBound, to: images.upperBound, by: piece) {
                    let start = (c * batch + first) * layer.plane
                    let length = min(piece, images.upperBound - first) * layer.plane
                    BatchNormTraining.normalize(z + start, count: length, affine, adding: identity.map { $0 + start },
                                                into: y + start)
                    if inPlace {
                        architecture.activation.apply(UnsafeMutableBufferPointer(start: a + start, count: length))
                    } else {
                        architecture.activation.apply(UnsafeBufferPointer(start: y + start, count: length),
                                                      to: UnsafeMutableBufferPointer(start: a + start, count: length))
                    }
                }
            }
            return
        }
        BatchNormTraining.normalize(buffers.convolutionOutputs[index], stats, gamma: p.values + layer.gamma,
                                    beta: p.values + layer.beta, channels: layer.channels, batch: batch,
                                    plane: layer.plane, images: images, adding: identity, into: y)
        if case .optionA(let source) = layer.shortcut {
            let input = plan.layers[source].geometry
            OptionAShortcut.forwardAdd(buffers.activations[source], inChannels: input.outChannels,
                                       inHeight: input.outHeight, inWidth: input.outWidth, into: y,
                                       outChannels: layer.channels, batch: batch, images: images)
        }
        let length = images.count * layer.plane
        for c in 0..<layer.channels {
            let start = (c * batch + images.lowerBound) * layer.plane
            if inPlace {
                architecture.activation.apply(UnsafeMutableBufferPointer(start: a + start, count: length))
            } else {
                architecture.activation.apply(UnsafeBufferPointer(start: y + start, count: length),
                                              to: UnsafeMutableBufferPointer(start: a + start, count: length))
            }
        }
    }

    /// Linear layer and loss on the pooled features (small: one thread), then
    /// their gradients: linear weight and bias into the parameter gradient,
    /// the pooled features' into `gradPooled`.
    func classifierForwardAndBackward(_ p: StepPointers, batch: Int) -> (loss: Double, correct: Int) {
        let classes = architecture.classCount
        let features = plan.features
        ClassifierHead.linear(buffers.pooled, channels: features, batch: batch, weight: p.values + plan.linearWeight,
                              bias: p.values + plan.linearBias, classes: classes, into: buffers.logits)
        let result = ClassifierHead.softmaxCrossEntropy(buffers.logits, labels: p.labels, batch: batch, classes: classes,
                                                        gradLogits: buffers.gradLogits)
        let gradients = buffers.parameterGradients.baseAddress!
        ClassifierHead.linearBackward(buffers.gradLogits, pooled: buffers.pooled, channels: features, batch: batch,
                                      weight: p.values + plan.linearWeight, classes: classes,
                                      gradWeight: gradients + plan.linearWeight, gradBias: gradients + plan.linearBias,
                                      gradPooled: buffers.gradPooled)
        return result
    }
}
