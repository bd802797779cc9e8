/// How finely `minimum(of:in:)` samples the range before refining: fine
/// enough that every activation here is unimodal between neighbouring samples.
private let minimumSearchSamples = 1_000
/// Bounds beyond this are clamped, so sampling stays finite.
private let minimumSearchLimit = 1e300

/// The lowest point of the activation on `range`, found numerically: a scan of
/// `minimumSearchSamples` + 1 evenly spaced points, golden-section search in
/// the two cells around the lowest sample, then Newton steps on f'(x) = 0
/// (using f'') to full precision, kept only while they stay in the bracket and
/// shrink |f'|. Returns an endpoint when f is monotone on the range, and
/// some point of the flat part when the minimum is not unique (ReLU).
/// Bounds are clamped to ±`minimumSearchLimit`. The scan resolves features
/// wider than (upper − lower)/1000, so give plot-sized ranges (e.g. −5…5), not
/// huge ones.
public func minimum(of activation: Activation, in range: ClosedRange<Double>) -> (x: Double, value: Double) {
    let clamp = { (x: Double) in min(max(x, -minimumSearchLimit), minimumSearchLimit) }
    let lower = clamp(range.lowerBound), upper = clamp(range.upperBound)
    guard upper > lower else { return (lower, activation.value(lower)) }

    let samples = minimumSearchSamples
    let sample = { (i: Int) -> Double in
        i == samples ? upper : lower + (upper - lower) * (Double(i) / Double(samples))
    }
    var best = (x: lower, value: Double.infinity)
    var bestIndex = 0
    for i in 0...samples {
        let x = sample(i)
        let v = activation.value(x)
        if v < best.value { best = (x, v); bestIndex = i }
    }
    guard best.value.isFinite else { return (lower, activation.value(lower)) }

    let a = sample(max(bestIndex - 1, 0)), b = sample(min(bestIndex + 1, samples))
    let golden = goldenSectionMinimum(activation, a, b)
    if golden.value < best.value { best = golden }

    // Golden section pins x only to ~√ε, where f is flat to rounding; Newton on
    // f' = 0 finishes, judged by |f'| because f itself no longer tells.
    var slope = activation.derivative(best.x)
    for _ in 0..<8 {
        let curvature = activation.secondDerivative(best.x)
        guard curvature > 0, slope != 0 else { break }
        let next = best.x - slope / curvature
        guard next >= a, next <= b else { break }
        let nextSlope = activation.derivative(next)
        guard abs(nextSlope) < abs(slope) else { break }
        best = (next, activation.value(next))
        slope = nextSlope
    }
    return best
}

extension Activation {
    /// The lowest point on `range`; see the free function `minimum(of:in:)`.
    public func minimum(in range: ClosedRange<Double>) -> (x: Double, value: Double) {
        LandscapeEngine.minimum(of: self, in: range)
    }
}

/// Golden-section search for a minimum of f on [a, b], assumed unimodal there.
private func goldenSectionMinimum(_ activation: Activation, _ a: Double, _ b: Double) -> (x: Double, value: Double) {
    let inverseGolden = 0.618_033_988_749_894_8   // (√5 − 1)/2
    var (a, b) = (a, b)
    var c = b - inverseGolden * (b - a), d = a + inverseGolden * (b - a)
    var fc = activation.value(c), fd = activation.value(d)
    // 100 shrinks by 0.618 take a bracket from the sampled cells below a few ulp.
    var shrinks = 0
    while shrinks < 100, b - a > 2 * Double.ulpOfOne * max(abs(a), abs(b)) {
        shrinks += 1
        if fc <= fd {
            (b, d, fd) = (d, c, fc)
            c = b - inverseGolden * (b - a)
            fc = activation.value(c)
        } else {
            (a, c, fc) = (c, d, fd)
            d = a + inverseGolden * (b - a)
            fd = activation.value(d)
        }
    }
    return fc <= fd ? (c, fc) : (d, fd)
}
