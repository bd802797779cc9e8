import Foundation
@testable import Landscape
import LandscapeEngine
import XCTest
import LandscapeCore

/// Lanczos, Hutchinson and stochastic Lanczos quadrature on matrices whose
/// spectra are known by construction: diagonal ones, and Q·D·Qᵀ with Q a
/// random orthogonal matrix (so no structure of the basis helps).
final class SpectralMethodsTests: XCTestCase {
    func testTridiagonalEigenvaluesOfTheSecondDifferenceMatrix() throws {
        // T = tridiag(−1, 2, −1) of size n has eigenvalues 2 − 2cos(kπ/(n + 1)).
        let n = 12
        let decomposition = try SymmetricTridiagonal.decompose(diagonal: Array(repeating: 2, count: n),
                                                                offDiagonal: Array(repeating: -1, count: n - 1))
        let expected = (1...n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }
        for (got, want) in zip(decomposition.values, expected) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        // T·y = λ·y for every pair.
        for (value, y) in zip(decomposition.values, decomposition.vectors) {
            for i in 0..<n {
                let ty = 2 * y[i] - (i > 0 ? y[i - 1] : 0) - (i < n - 1 ? y[i + 1] : 0)
                XCTAssertEqual(ty, value * y[i], accuracy: 1e-12)
            }
        }
    }

    func testLanczosFindsTheTopAndBottomOfADiagonalSpectrum() throws {
        var values = (0..<300).map { Double($0) / 300 }       // bulk in [0, 1)
        values[17] = 50; values[123] = 30; values[250] = 20; values[5] = -4
        let matrix = DenseSymmetric(diagonal: values)
        var generator = SeededGenerator(seed: 1)
        let start = (0..<matrix.dimension).map { _ in generator.nextGaussian() }
        let run = try Lanczos.run(matrix, start: start, steps: 60,
                                  converged: Lanczos.residualsBelow(1e-8, top: 3, bottom: 1))
        let top = try run.ritzPairs(largest: 3)
        XCTAssertEqual(top.map(\.value), [50, 30, 20].map(Double.init), accuracy: 1e-9)
        XCTAssertEqual(try run.ritzPairs(largest: 1, fromTop: false)[0].value, -4, accuracy: 1e-9)
        // The Ritz vector of 50 is ±e₁₇.
        XCTAssertEqual(abs(top[0].vector[17]), 1, accuracy: 1e-6)
        XCTAssertLessThan(run.steps, 60, "the residual test should stop the run early")
    }

    func testLanczosRecoversEigenpairsOfARotatedSpectrum() throws {
        let spectrum = [40.0, 25, 12] + (0..<77).map { Double($0) / 77 - 0.5 }
        let matrix = DenseSymmetric(spectrum: spectrum, seed: 7)
        var generator = SeededGenerator(seed: 2)
        let start = (0..<matrix.dimension).map { _ in generator.nextGaussian() }
        let run = try Lanczos.run(matrix, start: start, steps: 40, converged: Lanczos.residualsBelow(1e-9, top: 3))
        let top = try run.ritzPairs(largest: 3)
        XCTAssertEqual(top.map(\.value), [40, 25, 12], accuracy: 1e-8)
        for pair in top {
            let ax = try matrix.apply(pair.vector)
            let residual = VectorMath.norm(zip(ax, pair.vector).map { $0 - pair.value * $1 })
            XCTAssertLessThan(residual, 1e-6)
            XCTAssertEqual(residual, pair.residual, accuracy: 1e-6)
            XCTAssertEqual(VectorMath.norm(pair.vector), 1, accuracy: 1e-9)
        }
    }

    func testHutchinsonIsExactOnADiagonalMatrix() throws {
        // zᵀDz = Σ dᵢ zᵢ² = tr D for every Rademacher z.
        let matrix = DenseSymmetric(diagonal: (0..<50).map { Double($0) - 10 })
        var generator = SeededGenerator(seed: 3)
        let estimate = try HutchinsonTrace.estimate(matrix, probes: 5, generator: &generator)
        XCTAssertEqual(estimate.trace, 725, accuracy: 1e-9)
        XCTAssertEqual(estimate.standardError ?? -1, 0, accuracy: 1e-9)
    }

    func testHutchinsonIsWithinItsStandardErrorOnARotatedMatrix() throws {
        let spectrum = (0..<60).map { Double($0 % 7) - 1.5 }
        let matrix = DenseSymmetric(spectrum: spectrum, seed: 11)
        var generator = SeededGenerator(seed: 4)
        let estimate = try HutchinsonTrace.estimate(matrix, probes: 400, generator: &generator)
        let truth = spectrum.reduce(0, +)
        let error = try XCTUnwrap(estimate.standardError)
        XCTAssertGreaterThan(error, 0)
        XCTAssertLessThan(abs(estimate.trace - truth), 4 * error, "trace \(estimate.trace) ± \(error), truth \(truth)")
        // Var(zᵀAz) = 2(‖A‖²_F − Σ aᵢᵢ²) for Rademacher z: the reported error is of that size.
        let expected = (2 * (matrix.frobeniusSquared - matrix.diagonalSquared) / 400).squareRoot()
        XCTAssertEqual(error, expected, accuracy: 0.2 * expected)
    }

    func testQuadratureIsExactForLowDegreePolynomials() throws {
        // Gauss quadrature with m nodes integrates qᵀAᵖq exactly for p < 2m.
        let spectrum = (0..<40).map { sin(Double($0)) * 3 }
        let matrix = DenseSymmetric(spectrum: spectrum, seed: 13)
        var generator = SeededGenerator(seed: 5)
        let q = VectorMath.scaled(VectorMath.rademacher(40, &generator), 1 / 40.0.squareRoot())
        let run = try Lanczos.run(matrix, start: q, steps: 6)
        let decomposition = try run.tridiagonal()
        let weights = decomposition.vectors.map { $0[0] * $0[0] }
        var power = q
        for p in 0..<12 {
            let exact = VectorMath.dot(q, power)
            let quadrature = zip(decomposition.values, weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(p)) }
            XCTAssertEqual(quadrature, exact, accuracy: 1e-9 * max(1, abs(exact)), "degree \(p)")
            power = try matrix.apply(power)
        }
    }

    func testDensityPutsTheMassWhereTheEigenvaluesAre() throws {
        // 150 eigenvalues near 1, 50 near 10: a quarter of the mass sits near 10.
        let spectrum: [Double] = (0..<200).map { (i: Int) -> Double in
            let base: Double = i < 150 ? 1 : 10
            return base + Double(i % 5) * 0.01
        }
        let matrix = DenseSymmetric(spectrum: spectrum, seed: 17)
        var generator = SeededGenerator(seed: 6)
        let density = try SpectralDensity.estimate(matrix, runs: 8, steps: 20, generator: &generator, bins: 2000)
        let spacing = density.grid[1] - density.grid[0]
        XCTAssertEqual(density.density.reduce(0, +) * spacing, 1, accuracy: 1e-9)
        var upper = 0.0, mean = 0.0
        for (x, p) in zip(density.grid, density.density) {
            if x > 5 { upper += p * spacing }
            mean += x * p * spacing
        }
        // One run's weight near 10 is qᵀPq (P the projector on those 50 eigenvectors): 0.25 ± 0.043
        // (Var = 2(‖P‖²_F − Σ pᵢᵢ²)/n²); over 8 runs ± 0.015.
        XCTAssertEqual(upper, 0.25, accuracy: 0.05)
        XCTAssertEqual(mean, spectrum.reduce(0.0, +) / 200, accuracy: 0.5)   // ± 0.14 over 8 runs
        XCTAssertEqual(density.grid.first!, 1 - SpectralDensity.gridOverhang, accuracy: 0.02)
        XCTAssertEqual(density.grid.last!, 10.04 + SpectralDensity.gridOverhang, accuracy: 0.02)
    }

    func testSpectrumComputationIsSeededAndReportsProgress() throws {
        let matrix = DenseSymmetric(spectrum: [9, 5, 3] + (0..<47).map { Double($0) / 47 }, seed: 19)
        let options = SpectrumOptions(top: 2, lanczosSteps: 30, traceProbes: 4, density: true, densityRuns: 2,
                                      densitySteps: 5, densityBins: 100, seed: 42)
        var reports: [Int] = []
        let first = try SpectrumComputation.run(matrix, options) { done, total, _ in
            XCTAssertEqual(total, 30 + 4 + 10)
            reports.append(done)
        }
        let second = try SpectrumComputation.run(matrix, options)
        XCTAssertEqual(first.top.map(\.value), second.top.map(\.value))
        XCTAssertEqual(first.trace, second.trace)
        XCTAssertEqual(first.density, second.density)
        // Default tolerance: residual ≤ 1e-3·9, so each value within residual²/gap ≈ 4e-5.
        XCTAssertEqual(first.top.map(\.value), [9, 5], accuracy: 1e-4)
        XCTAssertEqual(reports.last, 44)
        XCTAssertEqual(reports, reports.sorted())
        var other = options
        other.seed = 43
        XCTAssertNotEqual(try SpectrumComputation.run(matrix, other).trace, first.trace)
    }
}

/// A dense symmetric test matrix with a spectrum fixed by construction.
final class DenseSymmetric: SymmetricOperator {
    let dimension: Int
    let entries: [Double]   // row-major

    init(diagonal: [Double]) {
        dimension = diagonal.count
        var entries = [Double](repeating: 0, count: dimension * dimension)
        for i in 0..<dimension { entries[i * dimension + i] = diagonal[i] }
        self.entries = entries
    }

    /// Q·diag(spectrum)·Qᵀ with Q orthogonal: Gram–Schmidt of a seeded Gaussian matrix.
    init(spectrum: [Double], seed: UInt64) {
        let n = spectrum.count
        dimension = n
        var generator = SeededGenerator(seed: seed, stream: 99)
        var columns: [[Double]] = []
        while columns.count < n {
            var v = (0..<n).map { _ in generator.nextGaussian() }
            for _ in 0..<2 { for q in columns { VectorMath.axpy(-VectorMath.dot(q, v), q, &v) } }
            columns.append(VectorMath.scaled(v, 1 / VectorMath.norm(v)))
        }
        var entries = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            var sum = 0.0
            for k in 0..<n { sum += columns[k][i] * spectrum[k] * columns[k][j] }
            entries[i * n + j] = sum
        } }
        self.entries = entries
    }

    func apply(_ vector: [Double]) throws -> [Double] {
        (0..<dimension).map { i in
            var sum = 0.0
            for j in 0..<dimension { sum += entries[i * dimension + j] * vector[j] }
            return sum
        }
    }

    var frobeniusSquared: Double { entries.reduce(0) { $0 + $1 * $1 } }
    var diagonalSquared: Double { (0..<dimension).reduce(0) { $0 + pow(entries[$1 * dimension + $1], 2) } }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "counts", file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b)", file: file, line: line) }
}
