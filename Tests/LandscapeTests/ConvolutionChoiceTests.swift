import Foundation
import Landscape
import LandscapeEngine
import XCTest

/// `--convolution auto`: the per-layer decision (a pure function of measured times) and the per-layer
/// plan's cache file, which an old, corrupt or foreign file never breaks.
final class ConvolutionChoiceTests: XCTestCase {
    typealias Seconds = [LayerClass: [LayerKernel: Double]]
    /// oneDNN twice as fast on the stride-2 layers of stage 2 (the incumbent there is our direct kernel under Winograd).
    static let oneDNNWins: Seconds = [.downsample2: [.ours(stride2Incumbent): 10, .onednnReordered: 5],
                                      .stage1: [.ours(.preferred): 10, .onednnReordered: 10.1]]
    static let nothingWins: Seconds = [.downsample2: [.ours(stride2Incumbent): 10, .onednnReordered: 9.9]]
    static var stride2Incumbent: ConvolutionAlgorithm { ConvolutionAlgorithm.preferred == .winograd ? .direct : .preferred }
    static var hybrid: ConvolutionPlan {
        var plan = ConvolutionPlan.uniform(.preferred)
        plan.kernels[.downsample2] = .onednnReordered
        return plan
    }

    func testAMeasurementIsCachedAndReusedForTheSameKey() throws {
        let cache = ConvolutionChoiceCache(url: try Self.temporaryFile())
        var measured = 0, notes: [String] = []
        let first = cache.choose(key: "cpu A", threads: 2, measure: { measured += 1; return Self.oneDNNWins }, note: { notes.append($0) })
        XCTAssertEqual(first, Self.hybrid)
        XCTAssertEqual(measured, 1)
        XCTAssertTrue(notes.contains { $0.contains("onednn-reordered (stride2-stage2)") && $0.contains(cache.url.path) }, "\(notes)")
        let again = cache.choose(key: "cpu A", threads: 2, measure: { measured += 1; return [:] }, note: { notes.append($0) })
        XCTAssertEqual(again, Self.hybrid)
        XCTAssertEqual(measured, 1, "the cached entry is used")
        let other = cache.choose(key: "cpu B", threads: 2, measure: { measured += 1; return Self.nothingWins }, note: { _ in })
        XCTAssertEqual(other, .uniform(.preferred))
        XCTAssertEqual(measured, 2)
        XCTAssertEqual(Set(cache.load().entries.keys), ["cpu A", "cpu B"])
        XCTAssertNil(cache.load().problem)
        let entry = try XCTUnwrap(cache.load().entries["cpu A"])
        XCTAssertEqual(entry.plan["stride2-stage2"], "onednn-reordered")
        XCTAssertEqual(entry.microsecondsPerImage["stride2-stage2"]?["onednn-reordered"] ?? 0, 5e6, accuracy: 1e-6)
    }

    func testMPIRanksUseOnlyTheCacheAndNeverMeasure() throws {
        let cache = ConvolutionChoiceCache(url: try Self.temporaryFile())
        XCTAssertEqual(cache.choose(key: "k", threads: 1, mayMeasure: false, measure: { XCTFail("measured"); return [:] },
                                    note: { _ in }), .uniform(.preferred))
        _ = cache.choose(key: "k", threads: 1, measure: { Self.oneDNNWins }, note: { _ in })
        XCTAssertEqual(cache.choose(key: "k", threads: 1, mayMeasure: false, measure: { XCTFail("measured"); return [:] },
                                    note: { _ in }), Self.hybrid)
    }

    func testAnOldOrCorruptFileIsIgnoredWithAMessageAndReplaced() throws {
        let url = try Self.temporaryFile()
        let entry = #""threads": 2, "measured": "x", "microsecondsPerImage": {}"#
        let cases: [(bytes: String, mentions: String)] = [
            ("{ not json", "invalid JSON"),
            (#"{"version": 3}"#, "missing field 'entries'"),
            (#"{"version": 7, "entries": {}}"#, "field 'version' is 7"),
            // A version-1 file (one algorithm per CPU) from before per-layer plans.
            (#"{"version": 1, "entries": {"cpu A": {"algorithm": "winograd", "imagesPerSecond": {}, "threads": 2, "measured": "x"}}}"#,
             "field 'version' is 1, expected 3"),
            // A version-2 file: per-layer plans without the 1-channel stem's class.
            (#"{"version": 2, "entries": {"cpu A": {"plan": {"stem": "direct"}, "fallback": "winograd", "# + entry + "}}}",
             "field 'version' is 2, expected 3"),
            (#"{"version": 3, "entries": {"cpu A": {"plan": {"stem": "fastest"}, "fallback": "winograd", "# + entry + "}}}",
             "field 'plan.stem' is 'fastest'"),
            (#"{"version": 3, "entries": {"cpu A": {"plan": {"stage9": "direct"}, "fallback": "winograd", "# + entry + "}}}",
             "layer class 'stage9'"),
            (#"{"version": 3, "entries": {"cpu A": {"plan": {}, "fallback": "onednn", "# + entry + "}}}",
             "field 'fallback' is 'onednn'"),
            (#"{"version": 3, "entries": {"cpu A": {"plan": 3}}}"#, "cpu A"),
        ]
        for (bytes, mentions) in cases {
            try Data(bytes.utf8).write(to: url)
            let cache = ConvolutionChoiceCache(url: url)
            var notes: [String] = [], measured = 0
            let choice = cache.choose(key: "cpu A", threads: 1, measure: { measured += 1; return Self.oneDNNWins },
                                      note: { notes.append($0) })
            XCTAssertEqual(choice, Self.hybrid, bytes)
            XCTAssertEqual(measured, 1, bytes)
            let problem = try XCTUnwrap(notes.first, bytes)
            XCTAssertTrue(problem.contains(url.path) && problem.contains(mentions), "\(bytes): \(problem)")
            XCTAssertNil(cache.load().problem, "rewritten whole: \(bytes)")
        }
    }

    func testAnUnwritableLocationOrFailedMeasurementStillChooses() throws {
        let blocker = try Self.temporaryFile()
        try Data("a file, not a directory".utf8).write(to: blocker)
        let cache = ConvolutionChoiceCache(url: blocker.appendingPathComponent("convolution-choice.json"))
        var notes: [String] = []
        XCTAssertEqual(cache.choose(key: "k", threads: 1, measure: { Self.oneDNNWins }, note: { notes.append($0) }), Self.hybrid)
        XCTAssertTrue(notes.contains { $0.contains("could not save") }, "\(notes)")
        struct Broken: Error {}
        notes = []
        XCTAssertEqual(cache.choose(key: "k", threads: 1, measure: { throw Broken() }, note: { notes.append($0) }), .uniform(.preferred))
        XCTAssertTrue(notes.contains { $0.contains("measurement failed") }, "\(notes)")
    }

    func testTheDefaultLocationFollowsXDGThenHome() {
        XCTAssertEqual(ConvolutionChoiceCache.defaultURL(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"])?.path,
                       "/x/landscape/convolution-choice.json")
        XCTAssertEqual(ConvolutionChoiceCache.defaultURL(environment: ["HOME": "/h"])?.path, "/h/.cache/landscape/convolution-choice.json")
        XCTAssertNil(ConvolutionChoiceCache.defaultURL(environment: [:]))
    }

    static func temporaryFile() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convolution-choice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("choice.json")
    }
}
