import Landscape
import LandscapePictures
import LandscapeRender
import XCTest

/// Pictures of Hessian spectra: eigenvalues side by side, densities on one log axis, legends
/// that name each model (and its trace), titles that name images and seed.
final class SpectrumPictureTests: XCTestCase {
    private func spectrum(_ name: String, top: [Double], trace: Double?, density: Bool, seed: UInt64 = 0) -> HessianSpectrum {
        let grid = (0..<50).map { Double($0) - 5 }
        let values = grid.map { exp(-$0 * $0 / 8) }
        return HessianSpectrum(
            model: .init(name: name, path: nil, sha256: "", architecture: "resnet20", activation: "relu"),
            dataset: .init(name: "cifar10", path: "", split: "test", samples: 128, subset: "first", subsetSeed: 0,
                           mean: [0], std: [1], contentSha256: ""),
            samples: 128, seed: seed, parameterCount: 10, topEigenvalues: top, topResiduals: top.map { _ in 0 },
            lanczosSteps: 10, trace: trace, traceStderr: trace.map { _ in 12 }, traceProbes: trace == nil ? 0 : 20,
            density: density ? .init(grid: grid, density: values, variance: 1e-3, runs: [], steps: 10) : nil,
            timing: .init(seconds: 1, products: 10, secondsPerProduct: 0.1, threads: 2))
    }

    func testEigenvaluesOfTwoModelsShareOneFigure() throws {
        let plot = try Pictures.eigenvalues([spectrum("relu", top: [135, 98, 81], trace: 809, density: false),
                                             spectrum("mish", top: [60, 40, 30], trace: nil, density: false)])
        XCTAssertEqual(plot.pixelWidth, 800)
        XCTAssertEqual(plot.panels.count, 1)
        XCTAssertEqual(plot.panels[0].xRange.lowerBound, 1, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(plot.panels[0].yRange.upperBound, 135)
        XCTAssertLessThanOrEqual(plot.panels[0].yRange.lowerBound, 30)
        XCTAssertThrowsError(try Pictures.eigenvalues([spectrum("relu", top: [135], trace: nil, density: false)]))
        XCTAssertEqual(Pictures.legend(spectrum("relu", top: [1], trace: 809, density: false)), "relu, trace 809 ± 12")
    }

    func testDensitiesAreDrawnOnALogAxisAndMissingOnesRefused() throws {
        let plot = try Pictures.densities([spectrum("relu", top: [], trace: nil, density: true)])
        // The density floor (PyHessian's + 1e-7) keeps the log axis finite where the density is ~0.
        XCTAssertGreaterThan(plot.panels[0].yRange.lowerBound, 0)
        XCTAssertThrowsError(try Pictures.densities([spectrum("relu", top: [1], trace: nil, density: false)])) { error in
            XCTAssertTrue("\(error)".contains("--density"), "\(error)")
        }
    }
}
