import Foundation

/// The learning rate as a function of training progress t ∈ [0, T]. t and T
/// are in one unit of the caller's choosing — steps, or (fractional) epochs —
/// and milestones are in that same unit.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    case constant(rate: Double)
    /// rate·gamma^k, k = number of milestones ≤ t (PyTorch's MultiStepLR).
    case multiStep(rate: Double, milestones: [Double], gamma: Double)
    /// floor + (rate − floor)·(1 + cos(π·t/T))/2 (PyTorch's CosineAnnealingLR,
    /// T_max = T, eta_min = floor; floor 0 anneals to zero).
    case cosine(rate: Double, floor: Double)
    /// Linear warm-up from `initialRate` to `peak` over the first
    /// warmupFraction·T, then cosine from `peak` down to `floor` at T.
    case oneCycle(peak: Double, warmupFraction: Double, initialRate: Double, floor: Double)

    /// The rate at progress t of T (t is clamped to [0, T]; T ≤ 0 counts as the start).
    public func rate(at t: Double, of total: Double) -> Double {
        let time = total > 0 ? min(max(t, 0), total) : 0
        let progress = total > 0 ? time / total : 0
        switch self {
        case .constant(let rate):
            return rate
        case let .multiStep(rate, milestones, gamma):
            return rate * pow(gamma, Double(milestones.filter { $0 <= time }.count))
        case let .cosine(rate, floor):
            return Self.cosine(from: rate, to: floor, progress: progress)
        case let .oneCycle(peak, warmupFraction, initialRate, floor):
            if progress < warmupFraction {
                return initialRate + (peak - initialRate) * progress / warmupFraction
            }
            let remaining = 1 - warmupFraction
            return Self.cosine(from: peak, to: floor, progress: remaining > 0 ? (progress - warmupFraction) / remaining : 1)
        }
    }

    /// The rate before step `step` (0-based) of `totalSteps`; milestones in steps.
    public func rate(atStep step: Int, totalSteps: Int) -> Double {
        rate(at: Double(step), of: Double(totalSteps))
    }

    /// Throws when a rate is negative or not finite, gamma ≤ 0, or the
    /// warm-up fraction is outside [0, 1].
    public func validate() throws {
        func check(_ name: String, _ value: Double) throws {
            guard value.isFinite && value >= 0 else {
                throw TrainingError.invalidHyperparameter("schedule \(name) \(value): expected a finite number >= 0")
            }
        }
        switch self {
        case .constant(let rate):
            try check("rate", rate)
        case let .multiStep(rate, milestones, gamma):
            try check("rate", rate)
            guard gamma.isFinite && gamma > 0 else {
                throw TrainingError.invalidHyperparameter("schedule gamma \(gamma): expected a finite number > 0")
            }
            for milestone in milestones { try check("milestone", milestone) }
        case let .cosine(rate, floor):
            try check("rate", rate)
            try check("floor", floor)
        case let .oneCycle(peak, warmupFraction, initialRate, floor):
            try check("peak", peak)
            try check("initialRate", initialRate)
            try check("floor", floor)
            guard warmupFraction >= 0 && warmupFraction <= 1 else {
                throw TrainingError.invalidHyperparameter("schedule warmupFraction \(warmupFraction): expected 0...1")
            }
        }
    }

    private static func cosine(from start: Double, to end: Double, progress: Double) -> Double {
        end + (start - end) * (1 + cos(Double.pi * progress)) / 2
    }
}
