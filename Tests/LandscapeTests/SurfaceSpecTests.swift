import XCTest
import Landscape

final class SurfaceSpecTests: XCTestCase {
    func spec(_ json: String) throws -> SurfaceSpec { try SurfaceSpec.decode(json: Data(json.utf8)) }

    func testDefaultsComeFromTheSpec() throws {
        let spec = try spec(#"{"models": ["a"], "x": "-1:1:3"}"#)
        let validated = try spec.validated(limits: SurfaceLimits())
        XCTAssertEqual(validated.samples, 1000)
        XCTAssertTrue(validated.samplesAtMost, "a default count may use a smaller split whole")
        XCTAssertEqual(spec.directions, DirectionSpec(seed: 0, normalization: .filter, ignore: .biasbn, mode: .weights))
        XCTAssertEqual(spec.bnMode, .eval)
        XCTAssertNil(validated.bnRecompute)
        XCTAssertNil(spec.split, "the dataset decides: the test split of a directory, or what a single file holds")
        let recompute = try self.spec(#"{"models": ["a"], "x": "-1:1:3", "bn_mode": "recompute"}"#).validated(limits: SurfaceLimits())
        XCTAssertEqual(recompute.bnRecompute?.batches, 8)
        XCTAssertEqual(recompute.bnRecompute?.batchSize, 128)
    }

    func testEveryRefusalNamesItsField() {
        let cases: [(String, String)] = [
            (#"{"x": "-1:1:3"}"#, "models"),
            (#"{"models": ["a"]}"#, "x"),
            (#"{"models": "a", "x": "-1:1:3"}"#, "models"),
            (#"{"models": ["a"], "x": "-1:1:3", "samples": 2.5}"#, "samples"),
            (#"{"models": ["a"], "x": "-1:1:3", "samples": true}"#, "samples"),
            (#"{"models": ["a"], "x": "-1:1:3", "samples": "5"}"#, "samples"),
            (#"{"models": ["a"], "x": "-1:1:3", "seed": -1}"#, "seed"),
            (#"{"models": ["a"], "x": "-1:1:3", "norm": "sideways"}"#, "norm"),
            (#"{"models": ["a"], "x": "-1:1:3", "bn_mode": "later"}"#, "bn_mode"),
            (#"{"models": ["a"], "x": "-1:1:3", "colour": "red"}"#, "colour"),
            (#"{"models": ["a"], "x": "-1:1:3", "y": "1:2"}"#, "y"),
            (#"["models"]"#, "body"),
            (#"{"models"#, "body"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try spec(json), json) { error in
                XCTAssertEqual((error as? SpecError)?.field, field, "\(json): \(error)")
            }
        }
    }

    func testValidationChecksCapsWithoutOverflow() throws {
        var limits = SurfaceLimits()
        limits.maximumPoints = 41 * 41
        let cases: [(String, String)] = [
            (#"{"models": ["a"], "x": "-1:1:42", "y": "-1:1:41"}"#, "x, y"),
            (#"{"models": ["a"], "x": "-1:1:4611686018427387904", "y": "-1:1:4"}"#, "x, y"),
            (#"{"models": ["a"], "x": "-1:1:3", "samples": 0}"#, "samples"),
            (#"{"models": ["a"], "x": "-1:1:3", "samples": 10001}"#, "samples"),
            (#"{"models": ["a", "a"], "x": "-1:1:3"}"#, "models"),
            (#"{"models": ["a"], "x": "-1:1:3", "bn_batches": 2}"#, "bn_batches, bn_batch_size"),
            (#"{"models": ["a"], "x": "-1:1:3", "bn_mode": "recompute", "bn_batches": 9223372036854775807, "bn_batch_size": 4}"#,
             "bn_batches, bn_batch_size"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try spec(json).validated(limits: limits), json) { error in
                XCTAssertEqual((error as? SpecError)?.field, field, "\(json): \(error)")
            }
        }
    }

    func testFieldDescriptionsMatchTheDecoder() throws {
        let fields = SurfaceSpec.fields(limits: SurfaceLimits())
        XCTAssertEqual(fields.filter(\.required).map(\.name), ["models"])
        // x: required unless a trajectory is named, as the decoder takes it (and no default: left out, it is refused).
        let x = try XCTUnwrap(fields.first { $0.name == "x" })
        XCTAssertEqual(x.requiredUnless, "trajectory")
        XCTAssertNil(x.defaultValue)
        XCTAssertThrowsError(try spec(#"{"models": ["a"]}"#)) { XCTAssertEqual(($0 as? SpecError)?.field, "x") }
        XCTAssertNoThrow(try spec(#"{"models": ["a"], "trajectory": "t"}"#))
        // Every described field is accepted by the decoder (a wrong type is refused, an unknown name would be "unknown field").
        for field in fields {
            let value = field.type == "integer" ? "1" : field.type == "array" ? #"["a"]"# : "\"\(field.allowed?.first ?? "-1:1:3")\""
            let json = field.name == "models" || field.name == "x"
                ? #"{"models": ["a"], "x": "-1:1:3"}"# : #"{"models": ["a"], "x": "-1:1:3", "\#(field.name)": \#(value)}"#
            XCTAssertNoThrow(try spec(json), field.name)
        }
        XCTAssertEqual(fields.first { $0.name == "samples" }?.defaultValue, "1000")
        XCTAssertEqual(fields.first { $0.name == "norm" }?.allowed, ["filter", "layer", "weight", "none"])
    }
}
