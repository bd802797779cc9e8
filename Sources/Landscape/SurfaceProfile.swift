import Foundation
import LandscapeEngine

/// Where a surface command's wall time goes, phase by phase (`landscape surface --profile`;
/// issue 20, item 5: a whole surface against `landscape bench`'s forward rate). Every phase
/// is wall time on the thread that drives the computation; the evaluator's worker phases
/// (forward, loss, tail idle) are their share of the wall time (summed over workers ÷ workers).
/// Clock readings only: a profiled run computes the same values as any other.
public final class SurfaceProfile: @unchecked Sendable {
    public enum Phase: String, CaseIterable, Sendable, Codable {
        // Once per command.
        case processStart = "process start"
        case loadModels = "load models"
        case loadData = "load data"
        case directions
        case saveDirections = "save directions"
        // Once per point.
        case perturb = "weights (θ + αx + βy)"
        case batchNormRecompute = "BN re-estimation"
        case fold = "fold BN + pack/transform filters"
        case workerStart = "worker start"
        case forward
        case loss
        case tailIdle = "tail idle (imbalance)"
        case evaluatorOther = "evaluator other"
        case record
        case encode = "store: encode JSON (writer thread)"
        case write = "store: write+fsync+rename (writer)"
        case writeWait = "store: waiting for the writer"
        case progress

        public var isPerPoint: Bool {
            switch self {
            case .processStart, .loadModels, .loadData, .directions, .saveDirections: return false
            default: return true
            }
        }

        /// Runs on the store's writer thread, beside the next point's work: not part of the wall time's split.
        public var isOverlapped: Bool { self == .encode || self == .write }

        /// The key in `json()`.
        public var key: String {
            String(describing: self).reduce(into: "") { key, character in
                key += character.isUppercase ? "_" + character.lowercased() : String(character)
            }
        }
    }

    private let lock = NSLock()
    private var seconds: [Phase: Double] = [:]
    private var points = 0
    private var images = 0

    public init() {}

    /// Adds `duration` seconds to `phase`.
    public func add(_ phase: Phase, _ duration: Double) {
        lock.lock(); seconds[phase, default: 0] += duration; lock.unlock()
    }

    /// Runs `body`, adding its wall time to `phase`.
    public func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { add(phase, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try body()
    }

    /// One evaluator call's split (its workers' phases as their share of its wall time).
    public func add(_ timing: EvaluationTiming, images count: Int) {
        let workers = Double(max(timing.workers, 1))
        lock.lock()
        seconds[.workerStart, default: 0] += timing.startup / workers
        seconds[.forward, default: 0] += timing.forward / workers
        seconds[.loss, default: 0] += timing.loss / workers
        seconds[.tailIdle, default: 0] += timing.tailIdle / workers
        seconds[.evaluatorOther, default: 0] += timing.other
        points += 1
        images += count
        lock.unlock()
    }

    /// Seconds spent in `phase` so far.
    public func total(_ phase: Phase) -> Double { lock.lock(); defer { lock.unlock() }; return seconds[phase] ?? 0 }

    /// Points evaluated so far.
    public var pointCount: Int { lock.lock(); defer { lock.unlock() }; return points }

    /// The phases as a table: total seconds, milliseconds per point, share of `wall` (the command's
    /// wall time so far), and the images/s of the forward passes alone against the whole command.
    public func table(wall: Double) -> String {
        lock.lock(); defer { lock.unlock() }
        var lines = ["phase                                 total s   ms/point   % of wall"]
        var accounted = 0.0
        for phase in Phase.allCases {
            guard let value = seconds[phase] else { continue }
            if !phase.isOverlapped { accounted += value }
            lines.append(Self.padded(phase.rawValue) + String(format: " %8.3f   %8.2f   %8.2f", value,
                                phase.isPerPoint && points > 0 ? 1000 * value / Double(points) : .nan, 100 * value / max(wall, 1e-9)))
        }
        lines.append(Self.padded("unaccounted") + String(format: " %8.3f   %8.2f   %8.2f", wall - accounted,
                            points > 0 ? 1000 * (wall - accounted) / Double(points) : .nan, 100 * (wall - accounted) / max(wall, 1e-9)))
        let forward = seconds[.forward] ?? 0
        lines.append(String(format: "wall %.3f s, %d points, %d images: %.1f img/s whole command, %.1f img/s in the forward passes (%.1f %%)",
                            wall, points, images, Double(images) / max(wall, 1e-9), Double(images) / max(forward, 1e-9),
                            100 * forward / max(wall, 1e-9)))
        return lines.joined(separator: "\n")
    }

    private static func padded(_ text: String) -> String {
        text.count >= 36 ? text : text + String(repeating: " ", count: 36 - text.count)
    }

    /// The phases' seconds under `key`, with `wall`, `points` and `images`, as one line of JSON.
    public func json(wall: Double) -> String {
        lock.lock(); defer { lock.unlock() }
        var fields = ["\"wall\": \(wall)", "\"points\": \(points)", "\"images\": \(images)"]
        for phase in Phase.allCases { if let value = seconds[phase] { fields.append("\"\(phase.key)\": \(value)") } }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
