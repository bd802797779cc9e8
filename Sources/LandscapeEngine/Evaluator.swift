import Foundation

/// Normalized images (NCHW float32) and their labels: what evaluation reads.
/// Built once per dataset subset and shared read-only by every worker and
/// every grid point, so memory stays bounded.
public struct EvaluationData: Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let pixels: [Float]
    public let labels: [Int32]

    public init(channels: Int, height: Int, width: Int, pixels: [Float], labels: [Int32]) throws {
        guard channels > 0, height >= 8, width >= 8 else {
            throw EngineError.invalidInput("images of \(channels)x\(height)x\(width): expected at least 1 channel and 8x8 pixels")
        }
        guard pixels.count == labels.count * channels * height * width else {
            throw EngineError.invalidInput("\(pixels.count) pixels for \(labels.count) images of \(channels)x\(height)x\(width)")
        }
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }
}

/// Per-image results of one evaluation, in image order.
public struct EvaluationResult: Sendable {
    public let losses: [Double]      // softmax cross-entropy per image
    public let correct: [Bool]       // argmax == label per image
    public let logits: [Float]?      // [count][classes] when asked for
    /// Where the call's time went (clock readings only: the values do not depend on it).
    public internal(set) var timing = EvaluationTiming()

    public var count: Int { losses.count }
    public var correctCount: Int { correct.lazy.filter { $0 }.count }
    public var accuracy: Double { count == 0 ? 0 : Double(correctCount) / Double(count) }
    /// Summed in image order in float64, so the mean is the same for any thread count.
    public var meanLoss: Double { count == 0 ? 0 : losses.reduce(0, +) / Double(count) }
    /// Standard error of the mean loss over the images (sample standard deviation / √n).
    public var lossStandardError: Double {
        guard count > 1 else { return 0 }
        let mean = meanLoss
        let variance = losses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
        return (variance / Double(count)).squareRoot()
    }
}

/// Runs the forward pass over a dataset on a fixed set of worker threads.
/// Images go through in fixed micro-batches (independent of the thread
/// count), each image's arithmetic is the same whichever worker takes it,
/// and per-image results are reduced in image order: results do not depend
/// on the number of threads at all.
public final class Evaluator: @unchecked Sendable {
    public let threadCount: Int
    public let microBatch: Int
    public let algorithm: ConvolutionAlgorithm
    /// Whether `algorithm` came from `auto`: then a network oneDNN cannot compute (Nish-t) runs on
    /// `preferred` instead of failing (`algorithm(for:)`).
    public let automatic: Bool
    /// Which kernel computes each class of convolutions: `auto`'s per-layer plan for this CPU
    /// (`ConvolutionChoice.automaticPlan`), else `algorithm` throughout.
    public let plan: ConvolutionPlan
    /// The `--convolution` value that makes another process (a launched run, an MPI rank) compute alike:
    /// "auto" where `auto` chose a per-layer plan that mixes kernels (that process reads the same per-CPU
    /// cache), else the algorithm that runs (also for `auto` when its plan is one algorithm throughout).
    public var convolutionArgument: String {
        automatic && !plan.isUniform ? ConvolutionAlgorithm.auto.rawValue : algorithm.effective.rawValue
    }

    /// What computes the convolutions, for comparing processes: the algorithm, or `auto`'s mixed plan.
    public var convolutionSummary: String { automatic && !plan.isUniform ? "auto: \(plan)" : algorithm.effective.rawValue }

    /// Set by a per-layer measurement: each convolution's summed wall seconds over the workers, by index.
    var recordLayerSeconds = false
    private(set) var layerSeconds: [Double] = []
    private let lock = NSLock()
    private var workspaces: [ForwardWorkspace] = []   // guarded by lock

    /// Images per micro-batch when none is given: 32 for im2col (long GEMM rows without outgrowing the
    /// cache), 8 for the register kernels, which gain nothing from long rows and run 5–10 % faster when a
    /// worker's activations stay in its own L2 (`landscape bench --batches 4,8,32`).
    public static func defaultMicroBatch(for algorithm: ConvolutionAlgorithm) -> Int {
        algorithm.effective == .im2col ? 32 : 8
    }

    /// `plan`, when given, replaces `algorithm` (its `fallback` becomes the algorithm): a per-layer plan chosen
    /// by the caller (tests, measurements).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, microBatch: Int? = nil,
                algorithm: ConvolutionAlgorithm = .auto, plan: ConvolutionPlan? = nil) {
        if let plan {
            self.algorithm = plan.fallback
            self.plan = plan
        } else {
            self.algorithm = algorithm == .auto ? algorithm.effective : algorithm
            self.plan = algorithm == .auto ? ConvolutionChoice.automaticPlan : .uniform(algorithm)
        }
        automatic = algorithm == .auto && plan == nil
        threadCount = max(1, threads)
        self.microBatch = max(1, microBatch ?? Self.defaultMicroBatch(for: self.algorithm))
        ConvolutionKernels.useSingleThreadedBLAS()
    }

    public func evaluate(_ network: InferenceNetwork, on data: EvaluationData, keepLogits: Bool = false,
                         isCancelled: @Sendable () -> Bool = { false }) throws -> EvaluationResult {
        guard data.channels == network.architecture.inputChannels else {
            throw EngineError.invalidInput("images have \(data.channels) channels, \(network.architecture.name) expects \(network.architecture.inputChannels)")
        }
        let algorithm = self.algorithm(for: network.architecture)
        let classes = network.architecture.classCount
        let count = data.count
        let outputs = SharedOutputs(count: count, logitCount: keepLogits ? count * classes : 0)
        defer { outputs.deallocate() }
        let batches = (count + microBatch - 1) / microBatch
        let next = Counter()
        let call = WorkerClock.now()
        let workers = min(threadCount, batches)
        let clocks = UnsafeMutableBufferPointer<WorkerClock>.allocate(capacity: max(workers, 1))
        clocks.initialize(repeating: WorkerClock())
        defer { clocks.deallocate() }
        let sharedClocks = SendableBuffer(clocks)
        // oneDNN: the primitives for this network shape and micro-batch (created once per process).
        let plan = try (algorithm == .onednn
            ? OneDNNPlan.plan(architecture: network.architecture, batch: microBatch, height: data.height, width: data.width)
            : nil)
        let failure = FirstError()
        data.pixels.withUnsafeBufferPointer { pixelBuffer in
            let pixels = SendablePointer(pixelBuffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let ws: ForwardWorkspace
                do { ws = try self.checkOutWorkspace(network.architecture, data, algorithm, plan) } catch {
                    failure.record(error)
                    return
                }
                if self.recordLayerSeconds { ws.layerSeconds = ws.layerKernels.map { _ in 0 } }
                defer {
                    if let seconds = ws.layerSeconds { self.addLayerSeconds(seconds) }
                    ws.layerSeconds = nil
                    self.checkIn(ws)
                }
                var clock = WorkerClock()
                clock.started = WorkerClock.now()
                defer { clock.ended = WorkerClock.now(); sharedClocks.buffer[worker] = clock }
                while failure.error == nil, let index = next.take(below: batches), !isCancelled() {
                    let first = index * self.microBatch
                    let size = min(self.microBatch, count - first)
                    let forwardStart = WorkerClock.now()
                    do { try network.forward(images: pixels.pointer + first * data.imageSize, batch: size, workspace: ws) } catch {
                        failure.record(error)
                        return
                    }
                    let lossStart = WorkerClock.now()
                    clock.forward += lossStart - forwardStart
                    defer { clock.loss += WorkerClock.now() - lossStart }
                    for b in 0..<size {
                        let row = ws.logits + b * classes
                        let label = Int(data.labels[first + b])
                        outputs.losses[first + b] = Self.crossEntropy(row, classes: classes, label: label)
                        outputs.correct[first + b] = Self.argmax(row, classes: classes) == label
                        if keepLogits {
                            (outputs.logits.baseAddress! + (first + b) * classes).update(from: row, count: classes)
                        }
                    }
                }
            }
        }
        if let error = failure.error { throw error }
        if isCancelled() { throw EngineError.cancelled }
        var result = EvaluationResult(losses: Array(outputs.losses), correct: Array(outputs.correct),
                                      logits: keepLogits ? Array(outputs.logits) : nil)
        result.timing = WorkerClock.timing(clocks, workers: workers, call: call)
        return result
    }
    /// −log softmax(z)[label], via log-sum-exp in float64.
    static func crossEntropy(_ z: UnsafePointer<Float>, classes: Int, label: Int) -> Double {
        var maximum = Double(z[0])
        for j in 1..<classes { maximum = max(maximum, Double(z[j])) }
        var sum = 0.0
        for j in 0..<classes { sum += Foundation.exp(Double(z[j]) - maximum) }
        return maximum + Foundation.log(sum) - Double(z[label])
    }

    /// First index of the largest logit (torch.argmax's tie rule).
    static func argmax(_ z: UnsafePointer<Float>, classes: Int) -> Int {
        var best = 0
        for j in 1..<classes where z[j] > z[best] { best = j }
        return best
    }

    /// The per-layer plan that computes `architecture`'s networks (`plan`, or `algorithm(for:)` throughout
    /// where that replaced the algorithm).
    public func plan(for architecture: ResNetArchitecture) -> ConvolutionPlan {
        let algorithm = self.algorithm(for: architecture)
        return algorithm == plan.fallback ? plan : .uniform(algorithm)
    }

    /// The algorithm that computes `architecture`'s networks: `algorithm`, unless `auto` chose oneDNN
    /// and oneDNN lacks the activation.
    public func algorithm(for architecture: ResNetArchitecture) -> ConvolutionAlgorithm {
        automatic && !algorithm.supports(architecture.activation) ? ConvolutionAlgorithm.preferred : algorithm
    }

    private func checkOutWorkspace(_ architecture: ResNetArchitecture, _ data: EvaluationData, _ algorithm: ConvolutionAlgorithm,
                                   _ oneDNNPlan: OneDNNPlan?) throws -> ForwardWorkspace {
        lock.lock()
        defer { lock.unlock() }
        let kernels = ForwardWorkspace.layerKernels(architecture, plan: plan(for: architecture))
        if let index = workspaces.firstIndex(where: {
            $0.fits(batch: microBatch, height: data.height, width: data.width, algorithm: algorithm, oneDNNPlan: oneDNNPlan,
                    layerKernels: kernels)
        }) {
            return workspaces.remove(at: index)
        }
        return try ForwardWorkspace(architecture: architecture, batch: microBatch, height: data.height, width: data.width,
                                    algorithm: algorithm, oneDNNPlan: oneDNNPlan, plan: plan(for: architecture))
    }

    private func addLayerSeconds(_ seconds: [Double]) {
        lock.lock()
        defer { lock.unlock() }
        if layerSeconds.count != seconds.count { layerSeconds = seconds.map { _ in 0 } }
        for (i, s) in seconds.enumerated() { layerSeconds[i] += s }
    }

    /// Clears the per-layer seconds a measurement collects.
    func resetLayerSeconds() {
        lock.lock()
        layerSeconds = []
        lock.unlock()
    }

    private func checkIn(_ workspace: ForwardWorkspace) {
        lock.lock()
        workspaces.append(workspace)
        lock.unlock()
    }
}

/// Output buffers written by several workers at disjoint image indices.
private struct SharedOutputs: @unchecked Sendable {
    let losses: UnsafeMutableBufferPointer<Double>
    let correct: UnsafeMutableBufferPointer<Bool>
    let logits: UnsafeMutableBufferPointer<Float>

    init(count: Int, logitCount: Int) {
        losses = .allocate(capacity: count)
        losses.initialize(repeating: 0)
        correct = .allocate(capacity: count)
        correct.initialize(repeating: false)
        logits = .allocate(capacity: max(logitCount, 1))
        logits.initialize(repeating: 0)
    }

    func deallocate() {
        losses.deallocate()
        correct.deallocate()
        logits.deallocate()
    }
}

/// A read-only pointer handed to worker threads while its owner outlives them.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}

/// Per-worker slots that several workers write at disjoint indices while their owner outlives them.
struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// The first error any worker met; the others stop at their next micro-batch.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?
    var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }
    func record(_ error: Error) {
        lock.lock()
        if first == nil { first = error }
        lock.unlock()
    }
}

/// A lock-protected ticket counter handing out indices below a limit: the evaluator's micro-batches,
/// training's image groups and phase items (`TrainingNetwork.forEachImageGroup`).
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
