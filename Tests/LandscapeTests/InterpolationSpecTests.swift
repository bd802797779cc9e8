import XCTest
import Landscape

/// `landscape interpolate`'s request, checked before any model is loaded.
final class InterpolationSpecTests: XCTestCase {
    func testDefaultsPutPointsOnBothModels() throws {
        let spec = InterpolationSpec(start: "a.safetensors", end: "b.safetensors")
        let validated = try spec.validated(limits: SurfaceLimits())
        XCTAssertEqual(validated.grid.x.description, InterpolationSpec.defaultAxis)
        XCTAssertTrue(validated.grid.x.contains(0) && validated.grid.x.contains(1))
        XCTAssertEqual(validated.samples, EvaluationSetRequest.defaultSurfaceSamples)
        XCTAssertTrue(validated.samplesAtMost)
    }

    /// The case: -0.5:1.5:11 never evaluated x = 0 or x = 1; the refusal says which counts do.
    func testAGridThatMissesAModelIsRefusedWithCountsThatWork() throws {
        let spec = InterpolationSpec(start: "a", end: "b", x: try GridAxis(parsing: "-0.5:1.5:11"))
        XCTAssertThrowsError(try spec.validated(limits: SurfaceLimits())) { error in
            XCTAssertEqual("\(error)", "x: -0.5:1.5:11 spans 0 (a model itself) but has no point there: use a count that puts points on "
                + "0 and 1, e.g. -0.5:1.5:5 or -0.5:1.5:9 or -0.5:1.5:13")
        }
        // Only the model in range needs a point; a range between the models needs none.
        XCTAssertNoThrow(try InterpolationSpec(start: "a", end: "b", x: try GridAxis(parsing: "0.5:1.5:3")).validated(limits: SurfaceLimits()))
        XCTAssertNoThrow(try InterpolationSpec(start: "a", end: "b", x: try GridAxis(parsing: "0.2:0.8:4")).validated(limits: SurfaceLimits()))
        XCTAssertThrowsError(try InterpolationSpec(start: "a", end: "b", x: try GridAxis(parsing: "0.5:1.5:4"))
            .validated(limits: SurfaceLimits())) { XCTAssertTrue("\($0)".hasPrefix("x: 0.5:1.5:4 spans 1 "), "\($0)") }
    }

    func testTheSameModelTwiceAndAbsurdSizesAreRefused() throws {
        XCTAssertThrowsError(try InterpolationSpec(start: "m", end: "m").validated(limits: SurfaceLimits())) {
            XCTAssertEqual("\($0)", "a, b: the same model twice (m): a line needs two different weights")
        }
        var spec = InterpolationSpec(start: "a", end: "b")
        spec.samples = 0
        XCTAssertThrowsError(try spec.validated(limits: SurfaceLimits())) { XCTAssertTrue("\($0)".hasPrefix("samples: expected 1..."), "\($0)") }
        var limits = SurfaceLimits()
        limits.maximumPoints = 21
        XCTAssertThrowsError(try InterpolationSpec(start: "a", end: "b").validated(limits: limits)) {
            XCTAssertTrue("\($0)".hasPrefix("x: ") && "\($0)".contains("exceeds the cap of 21"), "\($0)")
        }
    }
}
