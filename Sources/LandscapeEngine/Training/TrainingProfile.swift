import Foundation

/// Where a training step's time goes, phase by phase (issue 20, item 4c: measure before moving
/// phases onto faster kernels). Off unless a `TrainingProfile` is handed to
/// `TrainingNetwork.profile`; then every phase is timed with the monotonic clock on the thread
/// that runs it. Shard phases are summed over shards (thread-seconds: with two threads on two
/// cores, about twice their wall time); the serial phases (statistic reductions, classifier,
/// SGD) run on one thread while the others wait, and weight packing (split by layers over the
/// threads, `forEachLayerShare`) is timed as its wall time on the calling thread. The threads'
/// idle time inside the shard phases (from the phase's start to its last shard's end, less each
/// thread's work: uneven shards, a thread late to start or preempted) is a phase of its own, so
/// the thread-seconds of the shard phases and their joins add up to threads × their wall time.
public final class TrainingProfile: @unchecked Sendable {
    public enum Phase: Int, CaseIterable, Sendable {
        case forwardConvolution
        case forwardBatchNormActivation
        case unfold
        case backwardData
        case backwardWeights
        case winogradWeightTransforms
        case winogradWeightProducts
        case batchNormBackward
        case activationBackward
        case shortcutAndPool
        case shardJoins
        case reductions
        case classifier
        case weightPacking
        case optimizer

        public var name: String {
            switch self {
            case .forwardConvolution: return "forward convolutions"
            case .forwardBatchNormActivation: return "forward BN + shortcut + activation"
            case .unfold: return "im2col copies (GEMM backward)"
            case .backwardData: return "backward-data convolutions"
            case .backwardWeights: return "weight-gradient GEMMs / direct kernel"
            case .winogradWeightTransforms: return "Winograd weight-gradient transforms"
            case .winogradWeightProducts: return "Winograd weight-gradient products"
            case .batchNormBackward: return "BN backward"
            case .activationBackward: return "activation backward + BN moments"
            case .shortcutAndPool: return "shortcut, pool, zeroing, shard sums"
            case .shardJoins: return "waiting at shard joins"
            case .reductions: return "BN statistic reductions (serial)"
            case .classifier: return "classifier + loss (serial)"
            case .weightPacking: return "weight packing/flipping (wall)"
            case .optimizer: return "SGD update (serial)"
            }
        }
    }

    /// Nanoseconds per [phase][slot]; slot = shard, the serial phases use slot 0. Raw memory: the
    /// shards' threads write their own slots at the same time.
    private let nanoseconds: UnsafeMutablePointer<UInt64>
    private let slots: Int
    /// Steps measured and their summed wall time.
    public private(set) var steps = 0
    public private(set) var wallSeconds = 0.0

    public init(shards: Int = TrainingNetwork.defaultShardCount) {
        slots = max(shards, 1)
        nanoseconds = .allocate(capacity: Phase.allCases.count * slots)
        nanoseconds.initialize(repeating: 0, count: Phase.allCases.count * slots)
    }

    deinit { nanoseconds.deallocate() }

    /// The monotonic clock in nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Adds `elapsed` nanoseconds to `phase` of `shard` (each shard's slot is written by one thread at a time).
    @inline(__always)
    func add(_ phase: Phase, shard: Int = 0, nanoseconds elapsed: UInt64) {
        nanoseconds[phase.rawValue * slots + min(shard, slots - 1)] &+= elapsed
    }

    /// Adds the time since `start` to `phase` of `shard` (each shard's slot is written by one thread at a time).
    @inline(__always)
    func add(_ phase: Phase, shard: Int = 0, since start: UInt64) {
        add(phase, shard: shard, nanoseconds: Self.now() &- start)
    }

    func addStep(wallSeconds seconds: Double) {
        steps += 1
        wallSeconds += seconds
    }

    /// Seconds spent in `phase`, summed over shards.
    public func seconds(_ phase: Phase) -> Double {
        (0..<slots).reduce(0.0) { $0 + Double(nanoseconds[phase.rawValue * slots + $1]) } * 1e-9
    }

    /// One line per phase: seconds, share of the measured total and per step.
    public var table: String {
        let total = Phase.allCases.reduce(0.0) { $0 + seconds($1) }
        var lines = [String(format: "training profile: %d steps, %.2f s wall (%.1f ms/step); phases in thread-seconds:",
                            steps, wallSeconds, steps > 0 ? 1000 * wallSeconds / Double(steps) : 0)]
        for phase in Phase.allCases {
            let s = seconds(phase)
            lines.append("  " + Self.padded(phase.name) + String(format: " %8.3f s  %5.1f %%  %7.2f ms/step", s,
                                total > 0 ? 100 * s / total : 0, steps > 0 ? 1000 * s / Double(steps) : 0))
        }
        lines.append("  " + Self.padded("sum of phases") + String(format: " %8.3f s", total))
        return lines.joined(separator: "\n")
    }

    private static func padded(_ text: String) -> String {
        text.count >= 40 ? text : text + String(repeating: " ", count: 40 - text.count)
    }
}

extension TrainingNetwork {
    /// Runs `body`, timing it as `phase` of `shard` when profiling.
    @inline(__always)
    func timed<T>(_ phase: TrainingProfile.Phase, shard: Int = 0, _ body: () -> T) -> T {
        guard let profile else { return body() }
        let start = TrainingProfile.now()
        let result = body()
        profile.add(phase, shard: shard, since: start)
        return result
    }
}
