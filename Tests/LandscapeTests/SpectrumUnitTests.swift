import XCTest
@testable import Landscape
import LandscapeCore

/// The units a spectrum is split into (for MPI ranks) give the sequential methods' numbers exactly,
/// in whatever order they are computed.
final class SpectrumUnitTests: XCTestCase {
    private let matrix = DenseSymmetric(spectrum: [7, 4, 2] + (0..<37).map { Double($0) / 37 - 0.3 }, seed: 5)
    private let options = SpectrumOptions(top: 2, negative: true, lanczosSteps: 25, traceProbes: 6, density: true, densityRuns: 4,
                                          densitySteps: 6, densityBins: 200, seed: 77)

    func testProbesAndRunsInAnyOrderEqualOneSequentialGeneratorBitForBit() throws {
        // The sequential estimators draw every vector from one generator, in order: the independent reference.
        var traceGenerator = SeededGenerator(seed: options.seed, stream: SpectrumOptions.traceStream)
        let trace = try HutchinsonTrace.estimate(matrix, probes: options.traceProbes, generator: &traceGenerator)
        var densityGenerator = SeededGenerator(seed: options.seed, stream: SpectrumOptions.densityStream)
        let density = try SpectralDensity.estimate(matrix, runs: options.densityRuns, steps: options.densitySteps,
                                                   generator: &densityGenerator, bins: options.densityBins)
        var results: [SpectrumUnit: SpectrumUnitResult] = [:]
        var shuffler = SeededGenerator(seed: 3)
        for unit in SpectrumComputation.units(options).shuffled(using: &shuffler) {
            let result = try SpectrumComputation.evaluate(unit, matrix, options)
            // What another rank sends back decodes to the same numbers.
            if let flat = result.flattened {
                let back = try SpectrumUnitResult(unit: unit, flattened: flat, options: options)
                XCTAssertEqual(back.flattened, flat)
                results[unit] = back
            } else {
                results[unit] = result
            }
        }
        let assembled = try SpectrumComputation.assemble(results, options)
        XCTAssertEqual(assembled.trace, trace)
        XCTAssertEqual(assembled.trace?.samples.map(\.bitPattern), trace.samples.map(\.bitPattern))
        XCTAssertEqual(assembled.density, density)
        let sequential = try SpectrumComputation.run(matrix, options)
        XCTAssertEqual(assembled.top.map(\.value), sequential.top.map(\.value))
        XCTAssertEqual(assembled.top.map(\.vector), sequential.top.map(\.vector))
        XCTAssertEqual(assembled.smallest?.value, sequential.smallest?.value)
        XCTAssertEqual(assembled.top.map(\.value), [7, 4], accuracy: 1e-4)
    }

    func testAMissingUnitOrAMisshapenResultIsAnErrorNotAWrongSpectrum() throws {
        var results: [SpectrumUnit: SpectrumUnitResult] = [:]
        for unit in SpectrumComputation.units(options) where unit != .probe(3) {
            results[unit] = try SpectrumComputation.evaluate(unit, matrix, options)
        }
        XCTAssertThrowsError(try SpectrumComputation.assemble(results, options)) { error in
            XCTAssertTrue("\(error)".contains("trace probe 3"), "\(error)")
        }
        XCTAssertThrowsError(try SpectrumUnitResult(unit: .probe(0), flattened: [1, 2], options: options))
        XCTAssertThrowsError(try SpectrumUnitResult(unit: .densityRun(0), flattened: [1, 2, 3], options: options))
        XCTAssertThrowsError(try SpectrumUnitResult(unit: .densityRun(0), flattened: Array(repeating: 0, count: 14), options: options))
        XCTAssertThrowsError(try SpectrumUnitResult(unit: .eigenvalues, flattened: [], options: options))
    }

    /// The labels of a run's progress: one unit at a time (one process) names the unit and its step; units at once
    /// (MPI ranks) name the Lanczos step and the probes and density runs done.
    func testProgressLabelsNameThePhaseWithItsCounts() throws {
        var labels: [String] = []
        _ = try SpectrumComputation.run(matrix, options) { _, _, what in labels.append(what) }
        XCTAssertEqual(labels.first, "Lanczos step 1 of 25")
        XCTAssertTrue(labels.contains { $0.hasPrefix("Lanczos done after ") }, "\(labels)")
        XCTAssertTrue(labels.contains("trace probe 6 of 6"), "\(labels)")
        XCTAssertEqual(labels.last, "density run 4 of 4, step 6 of 6")
        XCTAssertEqual(SpectrumComputation.progress(lanczosStep: 3, finished: [SpectrumUnit.probe(0), .probe(4), .densityRun(1)], options),
                       "Lanczos step 3 of 25, trace probes 2 of 6, density runs 1 of 4")
        XCTAssertEqual(SpectrumComputation.progress(lanczosStep: nil, finished: SpectrumComputation.units(options), options),
                       "Lanczos done, trace probes 6 of 6, density runs 4 of 4")
        let traceOnly = SpectrumOptions(top: 0, lanczosSteps: 25, traceProbes: 2, density: false, densityRuns: 1,
                                        densitySteps: 6, densityBins: 200, seed: 1)
        XCTAssertEqual(SpectrumComputation.progress(lanczosStep: 1, finished: [SpectrumUnit](), traceOnly), "trace probes 0 of 2")
    }
}
