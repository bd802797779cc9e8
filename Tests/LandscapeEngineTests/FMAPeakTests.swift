import CDirectConvolution
import XCTest
@testable import LandscapeEngine

/// The FMA peak `landscape bench` divides by: measured at the widest ISA this CPU and its OS run, and only
/// there (no timing is asserted: the machines are shared).
final class FMAPeakTests: XCTestCase {
    func testThePeakRunsAtTheWidestISAThisMachineHas() throws {
        let features = CPUFeatures.current
        XCTAssertEqual(FMAPeak.isa, features.usableAVX512 ? .avx512 : features.usableAVX2FMA ? .avx2 : nil)
        guard let isa = FMAPeak.isa else {
            XCTAssertNil(FMAPeak.measure(runs: 1, steps: 1000))
            throw XCTSkip("no AVX2 + FMA: no FMA peak to measure")
        }
        let rate = try XCTUnwrap(FMAPeak.measure(runs: 2, steps: 200_000))
        XCTAssertEqual(rate.isa, isa)
        XCTAssertTrue(rate.gflops.isFinite && rate.gflops > 0, "\(rate.gflops)")
    }

    func testTheKernelRefusesWidthsTheMachineDoesNotRun() {
        XCTAssertEqual(landscape_fma_gflops(4, 1000), 0, "only 8 or 16 lanes")
        XCTAssertEqual(landscape_fma_gflops(32, 1000), 0)
        XCTAssertEqual(landscape_fma_gflops(16, 100_000) > 0, CPUFeatures.current.usableAVX512)   // ~0.1 ms: a measurable CPU time
        XCTAssertEqual(landscape_fma_gflops(8, 100_000) > 0, CPUFeatures.current.usableAVX2FMA)
    }
}
