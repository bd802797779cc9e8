import Foundation
import Landscape
import LandscapeEngine
import XCTest

/// `--convolution auto`: the decision (a pure function of measured rates) and its cache file, which a
/// corrupt or foreign file never breaks.
final class ConvolutionChoiceTests: XCTestCase {
    func testAFasterCandidateReplacesTheIncumbentOnlyBeyondTheMargin() {
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 1000, .direct: 800, .onednn: 1200], incumbent: .winograd), .onednn)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 1000, .direct: 1040, .onednn: 1030], incumbent: .winograd), .winograd)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 1000, .direct: 1100, .onednn: 1060], incumbent: .winograd), .direct)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 1000, .onednn: 1049], incumbent: .winograd, margin: 0.05), .winograd)
    }

    func testTheIncumbentStandsWhenItWasNotMeasuredOrNothingWas() {
        XCTAssertEqual(ConvolutionChoice.decide(rates: [:], incumbent: .winograd), .winograd)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.onednn: 5000], incumbent: .winograd), .winograd)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 0, .onednn: 5000], incumbent: .winograd), .winograd)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 1000, .onednn: .infinity], incumbent: .winograd), .winograd)
        XCTAssertEqual(ConvolutionChoice.decide(rates: [.winograd: 1000, .onednn: .nan], incumbent: .winograd), .winograd)
    }

    func testAMeasurementIsCachedAndReusedForTheSameKey() throws {
        let cache = ConvolutionChoiceCache(url: try Self.temporaryFile())
        var measured = 0, notes: [String] = []
        let first = cache.choose(key: "cpu A", threads: 2, measure: { measured += 1; return [ConvolutionAlgorithm.preferred: 100, .onednn: 150] },
                                 note: { notes.append($0) })
        XCTAssertEqual(first, .onednn)
        XCTAssertEqual(measured, 1)
        XCTAssertTrue(notes.contains { $0.contains("onednn on this CPU") && $0.contains(cache.url.path) }, "\(notes)")
        let again = cache.choose(key: "cpu A", threads: 2, measure: { measured += 1; return [:] }, note: { notes.append($0) })
        XCTAssertEqual(again, .onednn)
        XCTAssertEqual(measured, 1, "the cached entry is used")
        let other = cache.choose(key: "cpu B", threads: 2, measure: { measured += 1; return [ConvolutionAlgorithm.preferred: 100, .onednn: 101] },
                                 note: { _ in })
        XCTAssertEqual(other, ConvolutionAlgorithm.preferred)
        XCTAssertEqual(measured, 2)
        XCTAssertEqual(Set(cache.load().entries.keys), ["cpu A", "cpu B"])
        XCTAssertNil(cache.load().problem)
    }

    func testMPIRanksUseOnlyTheCacheAndNeverMeasure() throws {
        let cache = ConvolutionChoiceCache(url: try Self.temporaryFile())
        XCTAssertEqual(cache.choose(key: "k", threads: 1, mayMeasure: false, measure: { XCTFail("measured"); return [:] },
                                    note: { _ in }), ConvolutionAlgorithm.preferred)
        _ = cache.choose(key: "k", threads: 1, measure: { [ConvolutionAlgorithm.preferred: 1, .onednn: 2] }, note: { _ in })
        XCTAssertEqual(cache.choose(key: "k", threads: 1, mayMeasure: false, measure: { XCTFail("measured"); return [:] },
                                    note: { _ in }), .onednn)
    }

    func testACorruptFileIsIgnoredWithAMessageAndReplaced() throws {
        let url = try Self.temporaryFile()
        let cases: [(bytes: String, mentions: String)] = [
            ("{ not json", "invalid JSON"),
            (#"{"version": 1}"#, "missing field 'entries'"),
            (#"{"version": 7, "entries": {}}"#, "field 'version' is 7"),
            (#"{"version": 1, "entries": {"cpu A": {"algorithm": "fastest", "imagesPerSecond": {}, "threads": 2, "measured": "x"}}}"#,
             "field 'algorithm' is 'fastest'"),
            (#"{"version": 1, "entries": {"cpu A": {"algorithm": 3}}}"#, "cpu A"),
        ]
        for (bytes, mentions) in cases {
            try Data(bytes.utf8).write(to: url)
            let cache = ConvolutionChoiceCache(url: url)
            var notes: [String] = [], measured = 0
            let choice = cache.choose(key: "cpu A", threads: 1, measure: { measured += 1; return [ConvolutionAlgorithm.preferred: 10, .onednn: 20] },
                                      note: { notes.append($0) })
            XCTAssertEqual(choice, .onednn, bytes)
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
        XCTAssertEqual(cache.choose(key: "k", threads: 1, measure: { [ConvolutionAlgorithm.preferred: 10, .onednn: 30] }, note: { notes.append($0) }), .onednn)
        XCTAssertTrue(notes.contains { $0.contains("could not save") }, "\(notes)")
        struct Broken: Error {}
        notes = []
        XCTAssertEqual(cache.choose(key: "k", threads: 1, measure: { throw Broken() }, note: { notes.append($0) }), .preferred)
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
