import XCTest
@testable import Landscape

/// Student's t and the per-model estimates against tabulated quantiles and hand-worked arithmetic.
final class SeedStudyStatisticsTests: XCTestCase {
    /// Two-sided 95 % quantiles t(0.975, ν) from standard tables (R: qt(0.975, df)).
    func testQuantilesMatchTabulatedValues() {
        let table: [(Double, Double)] = [(1, 12.706204736), (2, 4.302652730), (4, 2.776445105), (9, 2.262157163),
                                         (19, 2.093024054), (30, 2.042272456), (1000, 1.962339081)]
        for (degrees, expected) in table {
            XCTAssertEqual(StudentT.quantile(0.975, degrees: degrees), expected, accuracy: 1e-8, "ν = \(degrees)")
        }
        XCTAssertEqual(StudentT.quantile(0.025, degrees: 4), -2.776445105, accuracy: 1e-8)
        XCTAssertEqual(StudentT.quantile(0.995, degrees: 19), 2.860934606, accuracy: 1e-8)
    }

    /// With one degree of freedom t is Cauchy: P(T ≤ t) = 1/2 + atan(t)/π.
    func testOneDegreeCDFIsCauchy() {
        for t in [-30.0, -2, -0.5, 0, 0.3, 1, 7] {
            XCTAssertEqual(StudentT.cdf(t, degrees: 1), 0.5 + atan(t) / .pi, accuracy: 1e-12, "t = \(t)")
        }
    }

    func testEstimateOfFiveValues() throws {
        let e = try XCTUnwrap(Estimate([1, 2, 3, 4, 5]))
        XCTAssertEqual(e.n, 5)
        XCTAssertEqual(e.mean, 3, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(e.sd), 2.5.squareRoot(), accuracy: 1e-14)
        let half = 2.776445105 * 2.5.squareRoot() / 5.0.squareRoot()
        XCTAssertEqual(try XCTUnwrap(e.ciLow), 3 - half, accuracy: 1e-8)
        XCTAssertEqual(try XCTUnwrap(e.ciHigh), 3 + half, accuracy: 1e-8)
        XCTAssertEqual(e.confidence, 0.95)
    }

    func testOneValueHasNoSpreadOrInterval() throws {
        let e = try XCTUnwrap(Estimate([0.7]))
        XCTAssertEqual(e.mean, 0.7)
        XCTAssertNil(e.sd)
        XCTAssertNil(e.ciLow)
        XCTAssertNil(e.ciHigh)
        XCTAssertNil(Estimate([]))
    }
}
