import Foundation
import LandscapeEngine
import LandscapeCore

/// One independent piece of a spectrum computation: the Lanczos run of the top (and
/// smallest) eigenvalues, one Hutchinson probe, or one stochastic-Lanczos-quadrature run.
/// Probe i and density run j draw their Rademacher vectors from the seed's stream as
/// the i-th (j-th) vector of that stream, whoever computes them and in whatever order,
/// so a computation split over MPI ranks gives the single-process numbers bit for bit.
public enum SpectrumUnit: Sendable, Hashable, CustomStringConvertible {
    case eigenvalues
    case probe(Int)
    case densityRun(Int)

    public var phase: String {
        switch self {
        case .eigenvalues: return "eigenvalues"
        case .probe: return "trace"
        case .densityRun: return "density"
        }
    }

    /// What the unit is doing after `step` of its products, as progress labels name it:
    /// "Lanczos step 3 of 20", "trace probe 2 of 10", "density run 1 of 2, step 4 of 30".
    public func progress(step: Int, _ options: SpectrumOptions) -> String {
        switch self {
        case .eigenvalues: return "Lanczos step \(step) of \(options.lanczosSteps)"
        case .probe(let i): return "trace probe \(i + 1) of \(options.traceProbes)"
        case .densityRun(let j): return "density run \(j + 1) of \(options.densityRuns), step \(step) of \(options.densitySteps)"
        }
    }

    public var description: String {
        switch self {
        case .eigenvalues: return "the Lanczos run of the top eigenvalues"
        case .probe(let i): return "trace probe \(i)"
        case .densityRun(let j): return "density run \(j)"
        }
    }
}

/// What one unit computed.
public enum SpectrumUnitResult: Sendable {
    case eigenvalues(top: [Lanczos.RitzPair], steps: Int, smallest: Lanczos.RitzPair?)
    /// zᵀ H z of the probe.
    case probe(Double)
    case densityRun(SpectralDensity.Quadrature)

    /// The numbers of a probe or density run (nodes, then weights), for sending to another rank;
    /// nil for the eigenvalues, which stay where they were computed (their vectors are the model's size).
    public var flattened: [Double]? {
        switch self {
        case .eigenvalues: return nil
        case .probe(let sample): return [sample]
        case .densityRun(let quadrature): return quadrature.nodes + quadrature.weights
        }
    }

    /// The inverse of `flattened` for `unit`; throws when the count does not fit it.
    public init(unit: SpectrumUnit, flattened values: [Double], options: SpectrumOptions) throws {
        switch unit {
        case .eigenvalues:
            throw LandscapeError.invalidRequest("the eigenvalue run's result is not sent between ranks")
        case .probe:
            guard values.count == 1 else { throw LandscapeError.invalidRequest("\(unit): expected 1 value, got \(values.count)") }
            self = .probe(values[0])
        case .densityRun:
            guard values.count % 2 == 0, values.count / 2 <= options.densitySteps else {
                throw LandscapeError.invalidRequest("\(unit): expected nodes and weights (2 × at most \(options.densitySteps)), got \(values.count) values")
            }
            let half = values.count / 2
            self = .densityRun(SpectralDensity.Quadrature(nodes: Array(values[..<half]), weights: Array(values[half...])))
        }
    }
}

extension SpectrumComputation {
    /// The units of a computation in the single-process order: eigenvalues, probes, density runs.
    public static func units(_ options: SpectrumOptions) -> [SpectrumUnit] {
        (options.top > 0 || options.negative ? [.eigenvalues] : [])
            + (0..<options.traceProbes).map { .probe($0) }
            + (options.density ? (0..<options.densityRuns).map { .densityRun($0) } : [])
    }

    /// What a computation whose units run at once (over MPI ranks) is doing: the Lanczos run's step while it runs
    /// (`lanczosStep`, nil once done or not started), then the probes and density runs finished so far, e.g.
    /// "Lanczos step 4 of 20, trace probes 3 of 10, density runs 0 of 2".
    public static func progress(lanczosStep: Int?, finished: some Collection<SpectrumUnit>, _ options: SpectrumOptions) -> String {
        var parts: [String] = []
        if options.top > 0 || options.negative {
            if let lanczosStep {
                parts.append(SpectrumUnit.eigenvalues.progress(step: lanczosStep, options))
            } else {
                parts.append(finished.contains(.eigenvalues) ? "Lanczos done" : "Lanczos waiting")
            }
        }
        if options.traceProbes > 0 {
            let probes = finished.filter { if case .probe = $0 { return true } else { return false } }.count
            parts.append("trace probes \(probes) of \(options.traceProbes)")
        }
        if options.density {
            let runs = finished.filter { if case .densityRun = $0 { return true } else { return false } }.count
            parts.append("density runs \(runs) of \(options.densityRuns)")
        }
        return parts.joined(separator: ", ")
    }

    /// Hessian-vector products a unit takes at most (the progress bar's share).
    public static func maximumProducts(of unit: SpectrumUnit, _ options: SpectrumOptions) -> Int {
        switch unit {
        case .eigenvalues: return options.lanczosSteps
        case .probe: return 1
        case .densityRun: return options.densitySteps
        }
    }

    /// The index-th Rademacher vector of a stream: the generator advanced past the vectors before it
    /// (one 64-bit draw per 64 entries, as `VectorMath.rademacher` draws them).
    static func rademacher(dimension: Int, seed: UInt64, stream: UInt64, index: Int) -> [Double] {
        var generator = SeededGenerator(seed: seed, stream: stream)
        let draws = (dimension + 63) / 64
        for _ in 0..<(index * draws) { _ = generator.next() }
        return VectorMath.rademacher(dimension, &generator)
    }

    /// Computes one unit; `onStep(products)` after each product of it.
    public static func evaluate(_ unit: SpectrumUnit, _ operator_: SymmetricOperator, _ options: SpectrumOptions,
                                onStep: (Int) -> Void = { _ in }) throws -> SpectrumUnitResult {
        switch unit {
        case .eigenvalues:
            var generator = SeededGenerator(seed: options.seed, stream: SpectrumOptions.eigenStream)
            let start = (0..<operator_.dimension).map { _ in generator.nextGaussian() }
            let run = try Lanczos.run(operator_, start: start, steps: options.lanczosSteps,
                                      converged: Lanczos.residualsBelow(options.tolerance, top: options.top,
                                                                        bottom: options.negative ? 1 : 0),
                                      onStep: onStep)
            return .eigenvalues(top: try run.ritzPairs(largest: min(options.top, run.steps)), steps: run.steps,
                                smallest: try run.ritzPairs(largest: 1, fromTop: false).first)
        case .probe(let index):
            let z = rademacher(dimension: operator_.dimension, seed: options.seed, stream: SpectrumOptions.traceStream, index: index)
            let sample = VectorMath.dot(z, try operator_.apply(z))
            onStep(1)
            return .probe(sample)
        case .densityRun(let index):
            let start = rademacher(dimension: operator_.dimension, seed: options.seed, stream: SpectrumOptions.densityStream, index: index)
            let run = try Lanczos.run(operator_, start: start, steps: options.densitySteps, onStep: onStep)
            let decomposition = try run.tridiagonal()
            return .densityRun(SpectralDensity.Quadrature(nodes: decomposition.values,
                                                          weights: decomposition.vectors.map { $0[0] * $0[0] }))
        }
    }

    /// The result of every unit put together: probes and runs in index order, whatever order they finished in.
    public static func assemble(_ results: [SpectrumUnit: SpectrumUnitResult], _ options: SpectrumOptions) throws -> Result {
        var result = Result(top: [], lanczosSteps: 0)
        for unit in units(options) where results[unit] == nil {
            throw LandscapeError.invalidRequest("spectrum: \(unit) has no result")
        }
        if case let .eigenvalues(top, steps, smallest)? = results[.eigenvalues] {
            result.top = top
            result.lanczosSteps = steps
            result.smallest = smallest
        }
        if options.traceProbes > 0 {
            let samples = (0..<options.traceProbes).compactMap { index -> Double? in
                if case .probe(let sample)? = results[.probe(index)] { return sample }
                return nil
            }
            result.trace = TraceEstimate(samples: samples)
        }
        if options.density {
            let runs = (0..<options.densityRuns).compactMap { index -> SpectralDensity.Quadrature? in
                if case .densityRun(let quadrature)? = results[.densityRun(index)] { return quadrature }
                return nil
            }
            result.density = SpectralDensity(runs: runs, bins: options.densityBins)
        }
        return result
    }
}
