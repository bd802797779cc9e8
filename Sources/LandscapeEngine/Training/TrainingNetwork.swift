import Foundation
import LandscapeCore

/// What one training step measured on its batch, before the update.
public struct TrainingStepResult: Sendable, Equatable {
    /// Mean softmax cross-entropy over the batch (PyTorch's `reduction='mean'`).
    public let loss: Double
    /// Images whose first largest logit is their label.
    public let correct: Int
    public let batchSize: Int
    /// Global L2 norm of the loss gradient over all trainable tensors
    /// (what `torch.nn.utils.clip_grad_norm_` reports), before weight decay.
    public let gradientNorm: Double

    public var accuracy: Double { batchSize == 0 ? 0 : Double(correct) / Double(batchSize) }
}

/// Forward in training mode and backpropagation for a `ResNetModel`.
///
/// BatchNorm uses the batch's statistics (over N, H, W; biased variance) and
/// updates the running statistics in the model like PyTorch (momentum 0.1,
/// unbiased variance). The gradient of the mean cross-entropy lands in
/// `gradients`, aligned with `model.values` (zeros at running statistics).
///
/// Parallelism: each step's batch is split into `shardCount` contiguous
/// shards of images. Layer by layer, the threads run the shards' convolutions
/// and write per-image partial sums; one thread then reduces those in image
/// order into the BatchNorm statistics (or their gradients) before the shards
/// go on. Every shard does the same arithmetic whichever thread runs it, and
/// shard results are combined in shard order, so a step's result depends on
/// `shardCount` but never on the number of threads. On the register kernels
/// only the weight gradients' sums run shard by shard; the passes that work
/// image by image (the forward phases, the input gradients, BatchNorm and
/// activation backward) run in groups of images handed to whichever thread
/// comes free (`forEachImageGroup`, `forEachShardThenImageGroup`), with the
/// same bits.
///
/// A network owns large scratch buffers (activations of every layer at
/// `batchCapacity`); steps on one network run one at a time.
public final class TrainingNetwork: @unchecked Sendable {
    public let architecture: ResNetArchitecture
    public let batchCapacity: Int
    public let height: Int
    public let width: Int
    public let shardCount: Int
    public let threadCount: Int

    /// Two shards: one per core of the target machine, and a fixed default so
    /// results are reproducible across machines whatever their core count.
    public static let defaultShardCount = 2

    /// How the convolutions run (`ConvolutionAlgorithm.effective` of the one asked for): `im2col`
    /// (unfold + OpenBLAS GEMMs, forward and backward), or `direct` / `winograd` / `winograd4`, which move the
    /// forward convolutions and the stride-1 input gradients onto the register kernels
    /// (`TrainingKernels`; the Winograd ones their stride-1 weight gradients too). They round differently
    /// (about 1e-6 relative per convolution, 1e-5 for F(4×4)).
    public let convolution: ConvolutionAlgorithm

    /// The algorithms training has kernels for (forward, input and weight gradients).
    public static let trainingAlgorithms: [ConvolutionAlgorithm] = [.winograd, .winograd4, .direct, .im2col]

    /// What training runs unless told otherwise: `winograd4` (F(4×4) forward and stride-1 input gradients,
    /// F(2×2) weight gradients) where the CPU has AVX2 and FMA, else `im2col`. Measured side by side on Zen 4
    /// once the F(4×4) transforms read contiguous tiles and fuse the epilogue (2026-12-07, quiet, 3 rounds
    /// alternating, Fashion-MNIST batch 128, 2 threads): 909 img/s against `winograd`'s 766, 1.19× in every
    /// round (README, Performance). Before that change the two tied, and `winograd` was the default.
    public static var preferredAlgorithm: ConvolutionAlgorithm { DirectConvolution.isAvailable ? .winograd4 : .im2col }

    /// What training runs when `requested` is asked for: itself where training has kernels for it
    /// (`winograd4`: F(4×4) forward and stride-1 input gradients, F(2×2) weight gradients); `onednn` and
    /// `auto` → `preferredAlgorithm`, so a network built for an evaluation's settings (BatchNorm
    /// re-estimation) runs and names what it runs.
    public static func trainingAlgorithm(for requested: ConvolutionAlgorithm) -> ConvolutionAlgorithm {
        let effective = requested.effective
        switch effective {
        case .onednn, .auto: return preferredAlgorithm
        default: return effective
        }
    }
    /// Set to time every phase of the following steps (`TrainingProfile`); nil: no timing.
    public var profile: TrainingProfile?

    let plan: TrainingPlan
    let layout: ParameterLayout
    let buffers: TrainingBuffers
    /// The register kernels' packed filters and scratch; nil for `im2col`.
    let kernels: TrainingKernels?
    /// Per layer, the batch statistics of the current step's forward pass.
    var statistics: [ChannelStatistics] = []
    let lock = NSLock()

    /// What a network is built for: `training` keeps every layer's activations for backward;
    /// `batchNormReestimation` runs only training-mode forward passes
    /// (`reestimateBatchNormStatistics`) and allocates a fraction of the memory.
    public enum Purpose: Sendable {
        case training
        case batchNormReestimation
    }
    public let purpose: Purpose

    public init(architecture: ResNetArchitecture, batchCapacity: Int, height: Int, width: Int,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                shards: Int = TrainingNetwork.defaultShardCount, purpose: Purpose = .training,
                convolution: ConvolutionAlgorithm = .preferred,
                winogradWeightGradientTiles: WinogradWeightGradientTiles = .configured) throws {
        guard batchCapacity >= 1 else {
            throw TrainingError.invalidBatch("batch capacity \(batchCapacity): expected at least 1")
        }
        guard height >= 1, width >= 1 else {
            throw TrainingError.invalidBatch("image size \(height)x\(width): expected at least 1x1")
        }
        guard shards >= 1 else { throw TrainingError.invalidBatch("shards \(shards): expected at least 1") }
        self.architecture = architecture
        self.batchCapacity = batchCapacity
        self.height = height
        self.width = width
        shardCount = shards
        threadCount = min(max(1, threads), shards)
        layout = ParameterLayout(architecture.tensorSpecs)
        plan = try TrainingPlan(architecture: architecture, layout: layout, height: height, width: width)
        self.purpose = purpose
        buffers = TrainingBuffers(plan: plan, parameterCount: layout.totalCount, classes: architecture.classCount,
                                  batchCapacity: batchCapacity, shards: shards, purpose: purpose)
        let effective = Self.trainingAlgorithm(for: convolution)
        self.convolution = effective
        kernels = effective == .im2col ? nil
            : TrainingKernels(plan: plan, architecture: architecture, algorithm: effective, height: height,
                              width: width, shards: shards, backward: purpose == .training,
                              winogradWeightGradientTiles: winogradWeightGradientTiles)
        ConvolutionKernels.useSingleThreadedBLAS()
    }

    /// The last step's loss gradient, aligned with `ResNetModel.values` (a copy); empty for a
    /// network built for BatchNorm re-estimation.
    public var gradients: [Float] {
        lock.lock()
        defer { lock.unlock() }
        return purpose == .training ? Array(buffers.parameterGradients) : []
    }

    /// Forward (training mode) and backward on one batch of NCHW normalized
    /// images: fills `gradients`, updates the BatchNorm running statistics in
    /// `model.values`, leaves the trainable parameters unchanged.
    public func computeGradients(model: inout ResNetModel, images: UnsafeBufferPointer<Float>,
                                 labels: [Int32]) throws -> TrainingStepResult {
        lock.lock()
        defer { lock.unlock() }
        return try step(model: &model, images: images, labels: labels)
    }

    public func computeGradients(model: inout ResNetModel, images: [Float], labels: [Int32]) throws -> TrainingStepResult {
        try images.withUnsafeBufferPointer { try computeGradients(model: &model, images: $0, labels: labels) }
    }

    /// `computeGradients`, then one optimizer update of `model` with them.
    public func trainStep(model: inout ResNetModel, optimizer: inout SGD, images: UnsafeBufferPointer<Float>,
                          labels: [Int32]) throws -> TrainingStepResult {
        lock.lock()
        defer { lock.unlock() }
        let start = TrainingProfile.now()
        let result = try step(model: &model, images: images, labels: labels)
        let optimizerStart = TrainingProfile.now()
        try optimizer.step(model: &model, gradients: UnsafeBufferPointer(buffers.parameterGradients))
        if let profile {
            profile.add(.optimizer, since: optimizerStart)
            profile.addStep(wallSeconds: Double(TrainingProfile.now() - start) * 1e-9)
        }
        return result
    }

    public func trainStep(model: inout ResNetModel, optimizer: inout SGD, images: [Float],
                          labels: [Int32]) throws -> TrainingStepResult {
        try images.withUnsafeBufferPointer { try trainStep(model: &model, optimizer: &optimizer, images: $0, labels: labels) }
    }

    // MARK: - The step

    private func step(model: inout ResNetModel, images: UnsafeBufferPointer<Float>,
                      labels: [Int32]) throws -> TrainingStepResult {
        guard purpose == .training else {
            throw TrainingError.mismatch("this network was built for BatchNorm re-estimation (purpose "
                                         + "batchNormReestimation): it keeps no activations for backward; build one for training")
        }
        try validate(model: model, imageCount: images.count, labels: labels)
        let batch = labels.count
        return model.values.withUnsafeMutableBufferPointer { values in
            labels.withUnsafeBufferPointer { labelBuffer in
                let pointers = StepPointers(values: values.baseAddress!, images: images.baseAddress!,
                                            labels: labelBuffer.baseAddress!)
                buffers.parameterGradients.update(repeating: 0)
                forward(pointers, batch: batch)
                let (loss, correct) = timed(.classifier) { classifierForwardAndBackward(pointers, batch: batch) }
                backward(pointers, batch: batch)
                return TrainingStepResult(loss: loss, correct: correct, batchSize: batch,
                                          gradientNorm: Self.norm(buffers.parameterGradients))
            }
        }
    }

    func validate(model: ResNetModel, imageCount: Int, labels: [Int32]) throws {
        guard model.architecture == architecture else {
            throw TrainingError.mismatch("model is \(model.architecture), the network was built for \(architecture)")
        }
        let batch = labels.count
        guard batch >= 1 && batch <= batchCapacity else {
            throw TrainingError.invalidBatch("\(batch) labels: expected 1...\(batchCapacity) (the batch capacity)")
        }
        let imageSize = architecture.inputChannels * height * width
        guard imageCount == batch * imageSize else {
            throw TrainingError.invalidBatch("\(imageCount) pixels for \(batch) images of "
                                             + "\(architecture.inputChannels)x\(height)x\(width): expected \(batch * imageSize)")
        }
        if let index = labels.firstIndex(where: { $0 < 0 || Int($0) >= architecture.classCount }) {
            throw TrainingError.invalidBatch("label \(labels[index]) of image \(index): expected 0..<\(architecture.classCount)")
        }
        // PyTorch refuses too: a BatchNorm needs more than one value per channel in training.
        let smallestPlane = plan.layers.map(\.plane).min() ?? 1
        guard batch * smallestPlane > 1 else {
            throw TrainingError.invalidBatch("\(batch) image(s) leave the last BatchNorm 1 value per channel: expected more than 1")
        }
    }

    /// Images of `shard`: contiguous and as equal as possible.
    func images(ofShard shard: Int, batch: Int) -> Range<Int> {
        (shard * batch / shardCount)..<((shard + 1) * batch / shardCount)
    }

    /// Floats a group of images writes and reads back within one phase (`forwardGroupSize`,
    /// `backwardGroupSize`): 256 KiB, half the L2 of a Zen 3 core (512 KiB), the rest for the kernels'
    /// filters and scratch; 2 images on the 16-channel 28×28 layers, 5 to 10 on the deeper ones. On the loaded
    /// Zen 3 of 2026-12-07 (AMD EPYC family 25 model 1, load 6-8) the groups within static shards gave no
    /// measurable change (`landscape train`, 1 thread, 8 alternated rounds); handing them to the free thread cut
    /// the profile's join waits from 34 to 20 % of the thread time (medians of 5 alternated rounds; train15).
    /// 16, 64 and 256 Ki floats, quiet, same weights: no size measurably better (two sets of 4 and 6 alternated
    /// rounds pointing opposite ways; docs/performance-log.md, 2026-12-07 13:17).
    static let groupFloats = 65_536

    static func imagesPerGroup(floatsPerImage: Int) -> Int { max(1, groupFloats / max(1, floatsPerImage)) }

    /// Runs `body` for every non-empty shard, spread over `threadCount` threads.
    func forEachShard(batch: Int, _ body: (Int, Range<Int>) -> Void) {
        onThreads { thread in
            for shard in stride(from: thread, to: self.shardCount, by: self.threadCount) {
                let images = self.images(ofShard: shard, batch: batch)
                if !images.isEmpty { body(shard, images) }
            }
        }
    }

    /// Runs `body(thread, images)` for every group of `groupSize` images of the batch, the groups handed out in
    /// order to whichever of the `threadCount` threads comes free (`thread` names its scratch and profile slot),
    /// and returns when all are done. Only for passes that work image by image with the same operations whatever
    /// the images or thread (the register kernels' contract): then which thread runs an image changes no bits,
    /// and a thread slowed down (preempted, or its images slower) leaves its groups to the other instead of
    /// making it wait at the join as a static split by shards does.
    func forEachImageGroup(batch: Int, groupSize: Int, _ body: (Int, Range<Int>) -> Void) {
        let groups = (batch + groupSize - 1) / groupSize
        let next = Counter()
        onThreads { thread in
            while let group = next.take(below: groups) {
                body(thread, (group * groupSize)..<min(batch, (group + 1) * groupSize))
            }
        }
    }

    /// Runs `shardWork(thread, shard, images, ready)` for every non-empty shard, then `groupWork(thread, images)` for
    /// every group of up to `groupSize` images of each shard, all handed out in that order to whichever thread
    /// comes free (as `forEachImageGroup`); a shard's groups start once its `shardWork` has called `ready()` (or
    /// returned). For a phase whose per-shard work (sums over the shard's images in a fixed order) must stay
    /// whole but whose other passes work image by image: the bits of a static split by shards, without its
    /// waits at the join.
    func forEachShardThenImageGroup(batch: Int, groupSize: Int,
                                    shardWork: (Int, Int, Range<Int>, () -> Void) -> Void,
                                    groupWork: (Int, Range<Int>) -> Void) {
        var firstGroup = [0]
        for shard in 0..<shardCount {
            firstGroup.append(firstGroup[shard] + (images(ofShard: shard, batch: batch).count + groupSize - 1) / groupSize)
        }
        let items = shardCount + firstGroup[shardCount]
        let next = Counter(), readiness = ShardReadiness(shards: shardCount)
        onThreads { thread in
            while let item = next.take(below: items) {
                if item < self.shardCount {
                    let images = self.images(ofShard: item, batch: batch)
                    if !images.isEmpty { shardWork(thread, item, images) { readiness.markReady(item) } }
                    readiness.markReady(item)
                    continue
                }
                let group = item - self.shardCount
                var shard = 0
                while firstGroup[shard + 1] <= group { shard += 1 }
                readiness.waitUntilReady(shard)
                let images = self.images(ofShard: shard, batch: batch)
                let first = images.lowerBound + (group - firstGroup[shard]) * groupSize
                groupWork(thread, first..<min(first + groupSize, images.upperBound))
            }
        }
    }

    /// Runs `work(thread)` for thread = 0..<threadCount at once and returns when all are done; profiling, each
    /// thread's idle time until the last one ends.
    private func onThreads(_ work: (Int) -> Void) {
        withoutActuallyEscaping(work) { work in
            // The threads write disjoint memory; the call returns only when all are done.
            let work = UncheckedSendable(work)
            guard threadCount > 1 else { return work.value(0) }
            let threads = threadCount
            // Profiling: each thread's working time, so that its idle time in the phase is the rest.
            let busy = UncheckedSendable(profile == nil ? nil : UnsafeMutablePointer<UInt64>.allocate(capacity: threads))
            defer { busy.value?.deallocate() }
            let start = profile == nil ? 0 : TrainingProfile.now()
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let threadStart = busy.value == nil ? 0 : TrainingProfile.now()
                work.value(thread)
                busy.value?[thread] = TrainingProfile.now() &- threadStart
            }
            if let profile, let times = busy.value {
                let wall = TrainingProfile.now() &- start
                for thread in 0..<threads { profile.add(.shardJoins, shard: thread, nanoseconds: wall &- min(wall, times[thread])) }
            }
        }
    }

    static func norm(_ values: UnsafeMutableBufferPointer<Float>) -> Double {
        var sum = 0.0
        for value in values { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }
}

/// The step's buffers as raw pointers, shared read-mostly with the worker
/// threads; every shard writes only its own images' slices.
struct StepPointers: @unchecked Sendable {
    let values: UnsafeMutablePointer<Float>
    let images: UnsafePointer<Float>
    let labels: UnsafePointer<Int32>
}

/// Which shards of `TrainingNetwork.forEachShardThenImageGroup` are ready for their groups.
final class ShardReadiness: @unchecked Sendable {
    private var ready: [Bool]
    private let lock = NSLock()

    init(shards: Int) { ready = Array(repeating: false, count: shards) }

    func markReady(_ shard: Int) {
        lock.lock()
        ready[shard] = true
        lock.unlock()
    }

    /// Yields the core while the thread running the shard's work has not reached `ready()` (short: its
    /// shard work starts with it, and the groups are handed out only after every shard's work).
    func waitUntilReady(_ shard: Int) {
        while true {
            lock.lock()
            let done = ready[shard]
            lock.unlock()
            if done { return }
            sched_yield()
        }
    }
}

/// A closure handed to worker threads that only touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
