import Foundation
@testable import Landscape
import XCTest

/// The API's JSON form of a Hessian request: snake_case fields, typed, unknown ones refused.
final class HessianSpecJSONTests: XCTestCase {
    private func decode(_ json: String) throws -> HessianSpec { try HessianSpec.decode(json: Data(json.utf8)) }

    private func refusal(_ json: String) -> SpecError? {
        do { _ = try decode(json); return nil } catch { return error as? SpecError }
    }

    func testEveryFieldIsReadFromItsSnakeCaseName() throws {
        let spec = try decode("""
            {"models": ["a", "b"], "dataset": "cifar", "split": "train", "samples": 128, "subset": "balanced", "subset_seed": 4,
             "top": 3, "negative": true, "lanczos_steps": 40, "trace_probes": 7, "density": true, "density_runs": 2,
             "density_steps": 30, "seed": 9}
            """)
        var expected = HessianSpec(models: ["a", "b"])
        expected.dataset = "cifar"; expected.split = .train; expected.samples = 128; expected.subset = .balanced
        expected.subsetSeed = 4; expected.top = 3; expected.negative = true; expected.lanczosSteps = 40; expected.traceProbes = 7
        expected.density = true; expected.densityRuns = 2; expected.densitySteps = 30; expected.seed = 9
        XCTAssertEqual(spec, expected)
    }

    func testAbsentFieldsTakeTheSpecsDefaults() throws {
        XCTAssertEqual(try decode(#"{"models": ["a"]}"#), HessianSpec(models: ["a"]))
        XCTAssertEqual(try decode(#"{"models": ["a"], "samples": null}"#), HessianSpec(models: ["a"]))
    }

    func testEveryFieldTheDecoderReadsIsAFieldOfTheSpec() throws {
        // The decoder refuses what fields(limits:) does not list, so a field it reads but the schema lacks would be unreachable.
        let names = HessianSpec.fields(limits: HessianLimits()).map(\.name)
        var object: [String: Any] = ["models": ["a"]]
        for name in names where name != "models" {
            object[name] = ["negative": true, "density": true, "dataset": "d", "split": "test", "subset": "first"][name] ?? 1
        }
        XCTAssertNoThrow(try HessianSpec.decode(json: try JSONSerialization.data(withJSONObject: object)))
    }

    func testMalformedBodiesNameTheirField() {
        XCTAssertEqual(refusal("")?.field, "body")
        XCTAssertEqual(refusal("[1]")?.field, "body")
        XCTAssertEqual(refusal("{oops")?.field, "body")
        XCTAssertEqual(refusal(#"{"top": 2}"#)?.field, "models")
        XCTAssertEqual(refusal(#"{"models": ["a"], "topk": 2}"#)?.field, "topk")
        XCTAssertEqual(refusal(#"{"models": ["a"], "top": "2"}"#)?.field, "top")
        XCTAssertEqual(refusal(#"{"models": ["a"], "top": 2.5}"#)?.field, "top")
        XCTAssertEqual(refusal(#"{"models": ["a"], "top": true}"#)?.field, "top")
        XCTAssertEqual(refusal(#"{"models": ["a"], "density": 1}"#)?.field, "density")
        XCTAssertEqual(refusal(#"{"models": ["a"], "negative": "yes"}"#)?.field, "negative")
        XCTAssertEqual(refusal(#"{"models": ["a"], "seed": -1}"#)?.field, "seed")
        XCTAssertEqual(refusal(#"{"models": ["a"], "subset": "most"}"#)?.field, "subset")
        XCTAssertEqual(refusal(#"{"models": [1]}"#)?.field, "models")
    }

    func testUnboundedLimitsKeepTheSanityChecksAndNeverOverflow() throws {
        var spec = HessianSpec(models: ["a"])
        spec.traceProbes = Int(Int32.max); spec.density = true; spec.densityRuns = Int(Int32.max); spec.densitySteps = Int(Int32.max)
        spec.lanczosSteps = Int(Int32.max)
        XCTAssertNoThrow(try spec.validated(limits: .unbounded))
        spec.traceProbes = Int.max
        XCTAssertThrowsError(try spec.validated(limits: .unbounded))
        spec.traceProbes = 0; spec.top = 0; spec.density = false
        XCTAssertEqual((try? spec.validated(limits: .unbounded)) == nil, true, "nothing to compute is refused whatever the caps")
    }

    func testTheResultIDChangesWithEveryOptionThatChangesANumber() throws {
        let model = Surface.ModelInfo(name: "m", path: nil, sha256: "abc", architecture: "resnet20", activation: "relu")
        let data = Surface.DatasetInfo(name: "d", path: "/d", split: "test", samples: 16, subset: "first", subsetSeed: 0,
                                       mean: [0], std: [1], contentSha256: "def")
        let base = SpectrumOptions(top: 2, lanczosSteps: 6, traceProbes: 0, density: false, densityRuns: 0, densitySteps: 0, seed: 0)
        let id = HessianSpec.resultID(models: [model], dataset: data, options: base)
        XCTAssertTrue(HessianStore.isValidID(id), id)
        XCTAssertEqual(id, HessianSpec.resultID(models: [model], dataset: data, options: base))
        var other = base; other.seed = 1
        XCTAssertNotEqual(id, HessianSpec.resultID(models: [model], dataset: data, options: other))
        other = base; other.traceProbes = 3
        XCTAssertNotEqual(id, HessianSpec.resultID(models: [model], dataset: data, options: other))
        var otherData = data; otherData.contentSha256 = "xyz"
        XCTAssertNotEqual(id, HessianSpec.resultID(models: [model], dataset: otherData, options: base))
    }
}
