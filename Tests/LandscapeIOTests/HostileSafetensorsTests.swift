import Foundation
import XCTest
@testable import LandscapeIO

/// safetensors headers are bounded in bytes, entries and nesting before any
/// JSON is parsed, and every problem is a CheckpointError naming the file and
/// the field, never Foundation's "The operation could not be completed".
final class HostileSafetensorsTests: XCTestCase {
    /// A header of `count` empty tensors: `{"t0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},...}`.
    func emptyTensorsHeader(_ count: Int) -> String {
        "{" + (0..<count).map { #""t\#($0)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"# }.joined(separator: ",") + "}"
    }

    func testTheLimitsLeaveRoomForOurModels() throws {
        let bytes = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        let headerLength = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertLessThan(headerLength * 100, Safetensors.maxHeaderBytes)          // 8 KB of 4 MiB
        XCTAssertLessThan(try Safetensors.read(data: bytes, source: "reference").count * 100, Safetensors.maxTensorCount)
        // A header of exactly maxTensorCount empty tensors is accepted.
        let full = emptyTensorsHeader(Safetensors.maxTensorCount)
        XCTAssertLessThan(full.utf8.count, Safetensors.maxHeaderBytes)
        XCTAssertEqual(try Safetensors.read(data: safetensorsFile(header: full, data: []), source: "full").count,
                       Safetensors.maxTensorCount)
    }

    // Reproducer 6: 1.2 M empty tensors in a 71 MB header took 4.9 GB and 13 s.
    func testHeaderOverTheByteLimitIsRefusedBeforeParsing() {
        let header = emptyTensorsHeader(100_000)  // 5.5 MB
        XCTAssertGreaterThan(header.utf8.count, Safetensors.maxHeaderBytes)
        assertCheckpointError(try Safetensors.read(data: safetensorsFile(header: header, data: []), source: "big.safetensors"),
                              mentions: ["big.safetensors", "exceeds the \(Safetensors.maxHeaderBytes)-byte limit"])
        let declared = safetensorsFile(header: "{}", data: [], declaredLength: 71_000_000)
        assertCheckpointError(try Safetensors.read(data: declared, source: "claims.safetensors"),
                              mentions: ["claims.safetensors", "header length 71000000 bytes exceeds"])
    }

    func testMoreEntriesThanTheLimitAreRefusedBeforeParsing() {
        let header = emptyTensorsHeader(Safetensors.maxTensorCount + 2)
        XCTAssertLessThan(header.utf8.count, Safetensors.maxHeaderBytes)
        let start = Date()
        assertCheckpointError(try Safetensors.read(data: safetensorsFile(header: header, data: []), source: "many.safetensors"),
                              mentions: ["many.safetensors", "more than \(Safetensors.maxTensorCount) tensors"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "a byte scan, not a parse")
    }

    func testLongArraysAreRefusedBeforeParsing() {
        let count = Safetensors.maxHeaderValues + 10
        let header = #"{"w":{"dtype":"F32","shape":["# + Array(repeating: "1", count: count).joined(separator: ",")
            + #"],"data_offsets":[0,4]}}"#
        XCTAssertLessThan(header.utf8.count, Safetensors.maxHeaderBytes)
        assertCheckpointError(try Safetensors.read(data: safetensorsFile(header: header, data: floatBytes([1])), source: "wide.st"),
                              mentions: ["wide.st", "more than \(Safetensors.maxHeaderValues) JSON values"])
    }

    func testColonsInsideNamesAndStringsAreNotCountedAsEntries() throws {
        let header = #"{"a:b\":{":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k:":"v:,{["}}"#
        let dict = try Safetensors.read(data: safetensorsFile(header: header, data: floatBytes([7])), source: "colons")
        XCTAssertEqual(dict[#"a:b":{"#]?.scalars, [7])
        XCTAssertEqual(dict.metadata, ["k:": "v:,{["])
    }

    func testDeeplyNestedJSONIsRefusedBeforeParsing() {
        let deep = #"{"w":{"dtype":"F32","shape":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            + #","data_offsets":[0,0]}}"#
        assertCheckpointError(try Safetensors.read(data: safetensorsFile(header: deep, data: []), source: "deep.safetensors"),
                              mentions: ["deep.safetensors", "nests deeper than \(Safetensors.maxHeaderNesting) levels"])
    }

    // Reproducer 8: fuzzed files ended in "The operation could not be completed".
    func testInvalidJSONSaysWhatIsWrongNotFoundationsGenericText() {
        let cases = [#"{"w": {"dtype": "F32", "#, #"{"w" 1}"#, #"{"w":"\x"}"#, "{\"w\":\u{1}}", "{,}", "nul", #"{"a":1}}"#]
        for header in cases {
            assertCheckpointError(try Safetensors.read(data: safetensorsFile(header: header, data: []), source: "json.safetensors"),
                                  mentions: ["json.safetensors", "invalid safetensors file: header"])
        }
    }

    func testHeaderThatIsNotUTF8IsRefused() {
        let latin1 = Data(le(13, 8) + [0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x7b, 0x7d, 0x7d] + Array(" ".utf8) + [0x20, 0x20, 0x20, 0x20])
        assertCheckpointError(try Safetensors.read(data: latin1, source: "latin1.safetensors"),
                              mentions: ["latin1.safetensors", "not UTF-8"])
        // UTF-16 with a byte-order mark: JSONSerialization would guess the encoding; the format says UTF-8.
        let utf16 = Array("{}".utf16).flatMap { le(Int($0), 2) }
        assertCheckpointError(try Safetensors.read(data: Data(le(6, 8) + [0xff, 0xfe] + utf16), source: "utf16.safetensors"),
                              mentions: ["utf16.safetensors", "header"])
    }

    func testIntegersBeyond2To53AndHugeShapesAreRefused() {
        let data = floatBytes([1, 2])
        let cases: [(String, String, [String])] = [
            ("offset", #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,9007199254740993]}}"#, ["'w'", "data_offsets"]),
            ("shape", #"{"w":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}}"#, ["'w'", "shape"]),
            ("empty", #"{"w":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#, ["'w'", "shape"]),
            ("overflow", #"{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#, ["'w'", "shape"]),
            ("negative", #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, ["'w'", "shape"]),
            ("exponent", #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,1e300]}}"#, ["'w'", "data_offsets"]),
            ("string", #"{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}"#, ["'w'", "shape"]),
            ("three offsets", #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}"#, ["'w'", "data_offsets"]),
            ("dtype number", #"{"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}"#, ["'w'", "dtype"]),
            ("entry not object", #"{"w":[1,2]}"#, ["'w'", "not a JSON object"]),
        ]
        for (label, header, phrases) in cases {
            assertCheckpointError(try Safetensors.read(data: safetensorsFile(header: header, data: data), source: "\(label).st"),
                                  mentions: ["\(label).st"] + phrases)
        }
    }

    /// Random byte flips in the reference header: every outcome is a tensor
    /// dict or a CheckpointError of ours (the helper rejects Foundation's texts).
    func testFlippedHeaderBytesGiveOurErrorsOnly() throws {
        let original = [UInt8](try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.safetensors")))
        let headerLength = original.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        var failures = 0
        for round in 0..<400 {
            var bytes = original
            for _ in 0..<(1 + next(3)) {
                let position = 8 + next(headerLength)
                bytes[position] = [0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x5c, 0x30, 0x39, 0xff, 0x00][next(12)]
            }
            do { _ = try Safetensors.read(data: Data(bytes), source: "flip-\(round)") } catch let error as CheckpointError {
                failures += 1
                let text = error.description
                XCTAssertTrue(text.hasPrefix("flip-\(round): "), text)
                XCTAssertFalse(text.contains("could not be completed") || text.contains("NSCocoaErrorDomain"), text)
            } catch {
                XCTFail("round \(round): not a CheckpointError: \(error)")
            }
        }
        XCTAssertGreaterThan(failures, 100)  // most flips break something
    }
}
