import CDirectConvolution
import Foundation

/// The fp32 FMA rate one core of this machine delivers now, at the widest ISA it runs (AVX-512 where the CPU
/// and the OS have it, else AVX2 + FMA): the denominator of issue 20's "convolution arithmetic at ≥ 60 % of the
/// machine's FMA peak". Measured beside the runs it divides (`landscape bench` measures it after every timed
/// run), because the clocks of the shared VMs here drift by a fifth within an hour.
public enum FMAPeak {
    /// A measurement: GFLOP/s (2 per FMA lane) and the ISA it ran.
    public struct Rate: Sendable, Equatable {
        public let gflops: Double
        public let isa: KernelISA
    }

    /// The ISA whose peak is the machine's: nil where the CPU has neither AVX2 + FMA nor AVX-512 (no peak
    /// to compare with; the portable path's BLAS is not measured against one).
    public static var isa: KernelISA? { KernelISA.best == .portable ? nil : KernelISA.best }

    /// The best of `runs` runs of `steps` steps each (12 FMAs a step: 2 M steps take 5–10 ms on the CPUs met
    /// so far), on the calling thread. nil without a peak ISA.
    public static func measure(runs: Int = 3, steps: Int = 2_000_000) -> Rate? {
        guard let isa else { return nil }
        let lanes: Int32 = isa == .avx512 ? 16 : 8
        let best = (0..<max(runs, 1)).map { _ in landscape_fma_gflops(lanes, steps) }.max() ?? 0
        return best > 0 ? Rate(gflops: best, isa: isa) : nil
    }
}
