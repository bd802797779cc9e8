import Foundation
import XCTest
import LandscapeCore
import LandscapeEngine
@testable import Landscape

/// The PCA of a training path against answers known in closed form: points
/// in a known plane, a cloud with known variances, and the two independent
/// float64 computations (SVD of the data, eigenvectors of its Gram matrix).
final class TrajectoryPCATests: XCTestCase {
    /// `count` orthonormal vectors of length `length` (Gram–Schmidt on seeded Gaussians).
    static func orthonormal(_ count: Int, length: Int, seed: UInt64) -> [[Double]] {
        var generator = SeededGenerator(seed: seed, stream: 7)
        var basis: [[Double]] = []
        while basis.count < count {
            var v = (0..<length).map { _ in generator.nextGaussian() }
            for b in basis {
                let dot = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
                for i in v.indices { v[i] -= dot * b[i] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            basis.append(v.map { $0 / norm })
        }
        return basis
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    func testPointsInAKnownPlaneGiveThatPlaneAllTheVarianceAndExactCoordinates() throws {
        let basis = Self.orthonormal(2, length: 60, seed: 1)
        // A curved path ending at the origin (the final model), as training paths do.
        let ab: [(Double, Double)] = (0..<12).map { i in let t = Double(11 - i); return (2.5 * t, 0.3 * t * t - 1.1 * t) }
        let rows = ab.map { a, b in (0..<60).map { a * basis[0][$0] + b * basis[1][$0] } }
        let matrix = Matrix64(rows: rows)
        let pca = try PrincipalComponents.compute(matrix)
        XCTAssertEqual(pca.explainedVarianceRatio.reduce(0, +), 1, accuracy: 1e-6)
        for pc in pca.components {
            XCTAssertEqual(Self.dot(pc, pc), 1, accuracy: 1e-12)
            // In the plane: its projection onto the basis has the whole length.
            XCTAssertEqual(pow(Self.dot(pc, basis[0]), 2) + pow(Self.dot(pc, basis[1]), 2), 1, accuracy: 1e-12)
        }
        XCTAssertEqual(Self.dot(pca.components[0], pca.components[1]), 0, accuracy: 1e-12)
        // Coordinates: the plane's own up to a rotation, so lengths and the reconstruction are exact.
        let coordinates = pca.project(matrix)
        for (i, xy) in coordinates.enumerated() {
            XCTAssertEqual(xy[0] * xy[0] + xy[1] * xy[1], ab[i].0 * ab[i].0 + ab[i].1 * ab[i].1, accuracy: 1e-9)
            for j in 0..<60 {
                XCTAssertEqual(xy[0] * pca.components[0][j] + xy[1] * pca.components[1][j], rows[i][j], accuracy: 1e-12)
            }
        }
        XCTAssertEqual(coordinates.last!, [0, 0], "the final model is the origin")
    }

    func testAKnownThreeDimensionalCloudGivesTheKnownRatios() throws {
        // ±3 e1, ±2 e2, ±1 e3 (mean 0): sums of squares 18, 8, 2 of 28 in all.
        let basis = Self.orthonormal(3, length: 40, seed: 2)
        let points: [(Int, Double)] = [(0, 3), (0, -3), (1, 2), (1, -2), (2, 1), (2, -1)]
        let offset = (0..<40).map { Double($0) * 0.01 }   // centring must remove it
        let matrix = Matrix64(rows: points.map { axis, scale in (0..<40).map { offset[$0] + scale * basis[axis][$0] } })
        for method in PrincipalComponents.Method.allCases {
            let pca = try PrincipalComponents.compute(matrix, method: method)
            XCTAssertEqual(pca.explainedVarianceRatio[0], 18.0 / 28.0, accuracy: 1e-12, method.rawValue)
            XCTAssertEqual(pca.explainedVarianceRatio[1], 8.0 / 28.0, accuracy: 1e-12, method.rawValue)
            XCTAssertEqual(pca.explainedVariance[0], 18.0 / 5.0, accuracy: 1e-12, "sklearn's explained_variance_: σ²/(n − 1)")
            XCTAssertEqual(pca.singularValues[1], 8.0.squareRoot(), accuracy: 1e-12)
            XCTAssertEqual(abs(Self.dot(pca.components[0], basis[0])), 1, accuracy: 1e-12)
            XCTAssertEqual(abs(Self.dot(pca.components[1], basis[1])), 1, accuracy: 1e-12)
        }
    }

    func testTheSVDOfTheDataAndTheEigenvectorsOfItsGramMatrixAgree() throws {
        // A noisy random walk of 30 points in 500 dimensions: no closed form, two computations.
        var generator = SeededGenerator(seed: 11, stream: 3)
        var position = [Double](repeating: 0, count: 500)
        var rows: [[Double]] = []
        for step in 0..<30 {
            for j in position.indices { position[j] += generator.nextGaussian() * (j < 3 ? 5 : 0.1) + (j == 0 ? Double(step) : 0) }
            rows.append(position)
        }
        let matrix = Matrix64(rows: rows)
        let gram = try PrincipalComponents.compute(matrix, method: .gramEigen)
        let svd = try PrincipalComponents.compute(matrix, method: .svd)
        for k in 0..<2 {
            XCTAssertEqual(gram.explainedVarianceRatio[k], svd.explainedVarianceRatio[k], accuracy: 1e-8)
            XCTAssertEqual(gram.singularValues[k], svd.singularValues[k], accuracy: 1e-8 * svd.singularValues[k])
            let difference = zip(gram.components[k], svd.components[k]).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(difference, 1e-8, "PC\(k + 1): same vector, same sign")
        }
        let a = gram.project(matrix), b = svd.project(matrix)
        for (p, q) in zip(a, b) {
            XCTAssertEqual(p[0], q[0], accuracy: 1e-8)
            XCTAssertEqual(p[1], q[1], accuracy: 1e-8)
        }
    }

    func testPointsOnOneLineOrTooFewPointsAreRefused() {
        let line = Matrix64(rows: (0..<5).map { t in [Double(t), 2 * Double(t), -Double(t)] })
        XCTAssertThrowsError(try PrincipalComponents.compute(line)) { error in
            XCTAssertTrue("\(error)".contains("do not all lie on one line"), "\(error)")
        }
        XCTAssertThrowsError(try PrincipalComponents.compute(Matrix64(rows: [[1, 2], [3, 4]]))) { error in
            XCTAssertTrue("\(error)".contains("expected at least 3"), "\(error)")
        }
    }
}
