import XCTest
@testable import Landscape

/// A spec written by the library for another process (`serve --launcher`) decodes to the same spec.
final class SurfaceSpecJSONTests: XCTestCase {
    func testEveryFieldSurvivesJSONAndBack() throws {
        var spec = SurfaceSpec(models: ["/models/a.safetensors", "b"], x: try GridAxis(parsing: "-0.1:0.30000000000000004:7"),
                               y: try GridAxis(parsing: "-1e-3:2.5:3"))
        spec.dataset = "/data/cifar"
        spec.split = .train
        spec.samples = 123
        spec.subset = .balanced
        spec.subsetSeed = UInt64.max
        spec.directions = DirectionSpec(seed: UInt64(Int64.max) + 5, normalization: .layer, ignore: .none, mode: .states)
        spec.bnMode = .recompute
        spec.bnBatches = 3
        spec.bnBatchSize = 17
        let back = try SurfaceSpec.decode(json: try spec.json())
        XCTAssertEqual(back, spec)
        XCTAssertEqual(back.x.start.bitPattern, spec.x.start.bitPattern)
        XCTAssertEqual(back.x.end.bitPattern, spec.x.end.bitPattern)
    }

    func testTheDefaultsAndA1DLineSurviveToo() throws {
        let spec = SurfaceSpec(models: ["m"], x: try GridAxis(parsing: SurfaceSpec.defaultAxis))
        let back = try SurfaceSpec.decode(json: try spec.json())
        XCTAssertEqual(back, spec)
        XCTAssertNil(back.y)
        XCTAssertNil(back.samples)
    }
}
