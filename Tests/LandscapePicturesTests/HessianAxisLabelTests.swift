import Landscape
import LandscapePictures
import XCTest

/// A surface on Hessian axes names its axes by eigenvector and eigenvalue, and its title by the kind.
final class HessianAxisLabelTests: XCTestCase {
    private func hessianSurface(eigenvalues: [Double]?, twoDimensional: Bool = true) throws -> Surface {
        let axis = try GridAxis(parsing: "-0.1:0.1:3")
        let xs = axis.coordinates, ys = twoDimensional ? xs : [0]
        let loss: [[Double?]] = ys.map { y in xs.map { x in 0.2 + 50 * x * x + 20 * y * y } }
        var directions = Surface.DirectionsInfo(kind: "hessian", seed: 0, normalization: .none, ignore: .none, mode: .weights,
                                                sharedWith: [], file: nil, note: "")
        directions.eigenvalues = eigenvalues
        return Surface(id: "h", model: .init(name: "resnet20-mish", path: nil, sha256: "", architecture: "resnet20", activation: "mish"),
                       dataset: .init(name: "cifar10", path: "", split: "test", samples: 8, subset: "first", subsetSeed: 0,
                                      mean: [0], std: [1], contentSha256: ""),
                       directions: directions, bnMode: .eval, grid: try GridSpec(x: axis, y: twoDimensional ? axis : nil), x: xs,
                       y: twoDimensional ? ys : nil, loss: loss, accuracy: loss, lossStderr: loss, summary: nil,
                       progress: .init(computed: xs.count * ys.count, total: xs.count * ys.count, order: "coarse-to-fine"),
                       timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""), producer: "test")
    }

    func testTheAxesNameEachEigenvectorWithItsEigenvalue() throws {
        let labels = try hessianSurface(eigenvalues: [135.43, 12.345]).axisLabels
        XCTAssertEqual(labels.x, "Hessian eigenvector 1 (λ = 135.4)")
        XCTAssertEqual(labels.y, "Hessian eigenvector 2 (λ = 12.35)")
        XCTAssertNil(try hessianSurface(eigenvalues: [135.43, 12.345], twoDimensional: false).axisLabels.y)
    }

    func testEigenvaluesAreWrittenWithFourSignificantDigitsAndAnExponentOnlyWhenExtreme() {
        XCTAssertEqual(Surface.hessianAxisLabel(0, eigenvalue: 1073.0897), "Hessian eigenvector 1 (λ = 1073)")
        XCTAssertEqual(Surface.hessianAxisLabel(1, eigenvalue: 2.71828), "Hessian eigenvector 2 (λ = 2.718)")
        XCTAssertEqual(Surface.hessianAxisLabel(0, eigenvalue: 0.001234), "Hessian eigenvector 1 (λ = 0.00123)")
        XCTAssertEqual(Surface.hessianAxisLabel(0, eigenvalue: 2.5e6), "Hessian eigenvector 1 (λ = 2.5e+06)")
    }

    func testTheTitleNamesTheKindAndNoSeed() throws {
        let surface = try hessianSurface(eigenvalues: [135.43, 12.345])
        XCTAssertEqual(surface.directionsPhrase, "top-2 Hessian eigenvectors")
        XCTAssertNil(surface.seedPhrase)
        let titles = SurfaceTitles([surface], metric: .loss)
        XCTAssertTrue(titles.figure.contains("top-2 Hessian eigenvectors"), titles.figure)
        XCTAssertFalse(titles.figure.contains("seed"), titles.figure)
    }

    func testASurfaceWithoutEigenvaluesFallsBackToTheKind() throws {
        XCTAssertEqual(try hessianSurface(eigenvalues: nil).axisLabels.x, "α (hessian direction 1)")
    }
}
