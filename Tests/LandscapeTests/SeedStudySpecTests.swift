import XCTest
import Landscape

/// `--seeds 0:19` / `--seeds 0,3,7` (the CLI parses with `SeedList(parsing:)`) and the spec's refusals,
/// every one before any work and naming its field.
final class SeedStudySpecTests: XCTestCase {
    func testARangeIsInclusive() throws {
        XCTAssertEqual(try SeedList(parsing: "0:19").seeds, Array(0...19))
        XCTAssertEqual(try SeedList(parsing: "5:5").seeds, [5])
    }

    func testAListKeepsItsOrder() throws {
        XCTAssertEqual(try SeedList(parsing: "0,3,7").seeds, [0, 3, 7])
        XCTAssertEqual(try SeedList(parsing: "7, 3 ,0").seeds, [7, 3, 0])
        XCTAssertEqual(try SeedList(parsing: "0:2,9").seeds, [0, 1, 2, 9])
    }

    func testSeedListsPrintAsTheyAreWritten() throws {
        XCTAssertEqual(try SeedList(parsing: "0:19").description, "0:19")
        XCTAssertEqual(try SeedList(parsing: "0,3,7").description, "0,3,7")
        XCTAssertEqual(SeedList([4, 5]).description, "4,5")
    }

    func testMalformedSeedListsAreRefusedWithTheText() {
        for text in ["", " ", "a", "1,,2", "5:3", "-1", "1:2:3", "0:", "1.5", "0:18446744073709551615"] {
            XCTAssertThrowsError(try SeedList(parsing: text), text) {
                XCTAssertTrue("\($0)".contains("'\(text)'") && "\($0)".contains("0:19"), "\($0)")
            }
        }
    }

    static func spec(_ seeds: [UInt64]) throws -> SeedStudySpec {
        SeedStudySpec(surface: SurfaceSpec(models: ["relu", "mish"], x: try GridAxis(parsing: "-1:1:21")), seeds: seeds)
    }

    func testAValidStudyKeepsItsSeedsAndThreshold() throws {
        let validated = try Self.spec(Array(0...19)).validated(limits: SeedStudyLimits())
        XCTAssertEqual(validated.seeds, Array(0...19))
        XCTAssertEqual(validated.widthThreshold, SeedStudy.defaultWidthThreshold)
        XCTAssertEqual(validated.surface.grid.pointCount, 21)
    }

    func testRefusals() throws {
        func refused(_ spec: SeedStudySpec, _ field: String, _ words: String, line: UInt = #line) {
            XCTAssertThrowsError(try spec.validated(limits: SeedStudyLimits()), line: line) {
                let error = $0 as? SpecError
                XCTAssertEqual(error?.field, field, "\($0)", line: line)
                XCTAssertTrue(error?.problem.contains(words) ?? false, "\($0)", line: line)
            }
        }
        var both = try Self.spec([0, 1]); both.seed = 3
        refused(both, "seed", "not both")
        var pca = try Self.spec([0, 1]); pca.directionsKind = "pca"
        refused(pca, "directions", "random")
        refused(try Self.spec([0, 3, 0]), "seeds", "seed 0 is listed twice")
        refused(try Self.spec(Array(0...UInt64(SeedStudyLimits.defaultMaximumSeeds))), "seeds", "at most 100 seeds")
        refused(try Self.spec([4]), "seeds", "at least 2")
        var threshold = try Self.spec([0, 1]); threshold.widthThreshold = 0.5
        refused(threshold, "width_threshold", "0.1, 1.0")
        var grid = try Self.spec([0, 1]); grid.surface.models = []
        refused(grid, "models", "at least one model")
    }

    func testTheServiceMayLowerTheSeedLimit() throws {
        var limits = SeedStudyLimits()
        limits.maximumSeeds = 5
        XCTAssertThrowsError(try Self.spec(Array(0...5)).validated(limits: limits)) {
            XCTAssertEqual(($0 as? SpecError)?.field, "seeds")
        }
        let seeds = SeedStudySpec.fields(limits: limits).first { $0.name == "seeds" }
        XCTAssertEqual(seeds?.maximum, 5)
        XCTAssertEqual(seeds?.required, true)
        XCTAssertFalse(SeedStudySpec.fields(limits: limits).contains { $0.name == "seed" }, "seeds replaces seed")
        XCTAssertTrue(SeedStudySpec.fields(limits: limits).contains { $0.name == "x" })
    }

    func testDecodesTheAPIsJSON() throws {
        let range = try SeedStudySpec.decode(json: Data(#"{"models": ["relu", "mish"], "x": "-1:1:11", "seeds": "0:19", "width_threshold": 1.0}"#.utf8))
        XCTAssertEqual(range.seeds, Array(0...19))
        XCTAssertEqual(range.widthThreshold, 1.0)
        XCTAssertEqual(range.surface.models, ["relu", "mish"])
        XCTAssertEqual(range.surface.x.count, 11)
        XCTAssertNil(range.seed)
        let list = try SeedStudySpec.decode(json: Data(#"{"models": ["relu"], "x": "-1:1:11", "seeds": [0, 3, 7], "norm": "layer"}"#.utf8))
        XCTAssertEqual(list.seeds, [0, 3, 7])
        XCTAssertEqual(list.surface.directions.normalization, .layer)
        let both = try SeedStudySpec.decode(json: Data(#"{"models": ["relu"], "x": "-1:1:11", "seeds": [0, 3], "seed": 2}"#.utf8))
        XCTAssertThrowsError(try both.validated(limits: SeedStudyLimits())) { XCTAssertEqual(($0 as? SpecError)?.field, "seed") }
    }

    func testMalformedJSONNamesTheField() {
        let cases: [(String, String)] = [
            (#"{"models": ["relu"], "x": "-1:1:11"}"#, "seeds"),
            (#"{"models": ["relu"], "x": "-1:1:11", "seeds": "3:1"}"#, "seeds"),
            (#"{"models": ["relu"], "x": "-1:1:11", "seeds": [1, -2]}"#, "seeds"),
            (#"{"models": ["relu"], "x": "-1:1:11", "seeds": [1, 2.5]}"#, "seeds"),
            (#"{"models": ["relu"], "x": "-1:1:11", "seeds": [true, 2]}"#, "seeds"),
            (#"{"models": ["relu"], "x": "-1:1:11", "seeds": "0:3", "width_threshold": "big"}"#, "width_threshold"),
            (#"{"models": ["relu"], "x": "-1:1:11", "seeds": "0:3", "colour": 1}"#, "colour"),
            (#"{"models": ["relu"], "seeds": "0:3"}"#, "x"),
            (#"[1]"#, "body"),
        ]
        for (body, field) in cases {
            XCTAssertThrowsError(try SeedStudySpec.decode(json: Data(body.utf8)), body) {
                XCTAssertEqual(($0 as? SpecError)?.field, field, "\(body): \($0)")
            }
        }
    }
}
