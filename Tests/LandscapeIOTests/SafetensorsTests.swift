import Foundation
import LandscapeIO
import XCTest
import LandscapeCore

final class SafetensorsTests: XCTestCase {
    func testWriteReadRoundTripKeepsOrderValuesAndMetadata() throws {
        let dict = StateDict([
            ("zeta.weight", Tensor(shape: [2, 3], scalars: [1, -2.5, 0, -0.0, .infinity, .leastNonzeroMagnitude])),
            ("alpha", Tensor(shape: [], scalars: [3.25])),
            ("empty", Tensor(shape: [0, 4], scalars: [])),
        ], metadata: ["note": "quote \" backslash \\ newline \n tab \t bell \u{7} é", "arch": "resnet20"])
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Safetensors.write(dict, to: url)
        let back = try Safetensors.read(url)
        XCTAssertEqual(back.names, dict.names)
        XCTAssertEqual(back, dict)
        XCTAssertEqual(back["zeta.weight"]?.scalars[3].sign, .minus)

        // The layout, read with JSONSerialization and raw bytes rather than our reader.
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0, "data section must start 8-byte aligned")
        let padding = bytes[8..<8 + headerLength].reversed().prefix { $0 == UInt8(ascii: " ") }.count
        XCTAssertLessThan(padding, 8, "padded with spaces only up to the next multiple of 8")
        XCTAssertEqual(bytes[8 + headerLength - 1 - padding], UInt8(ascii: "}"))
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<8 + headerLength])) as? [String: Any])
        XCTAssertEqual(header["__metadata__"] as? [String: String], dict.metadata)
        let zeta = try XCTUnwrap(header["zeta.weight"] as? [String: Any])
        XCTAssertEqual(zeta["dtype"] as? String, "F32")
        XCTAssertEqual(zeta["shape"] as? [Int], [2, 3])
        XCTAssertEqual(zeta["data_offsets"] as? [Int], [0, 24])
        XCTAssertEqual(Array(bytes[(8 + headerLength)...].prefix(8)), floatBytes([1, -2.5]))
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * 7)
    }

    func testReadsHalfBFloatAndDoubleAsFloat() throws {
        // binary16: 1, -2, 0.5, 65504 (largest), 2^-24 (smallest subnormal), -inf.
        let half: [UInt8] = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0xfc00].flatMap { le($0, 2) }
        // bfloat16 is the top half of a float32: 1, -2.5, 3.140625.
        let bfloat: [UInt8] = [0x3f80, 0xc020, 0x4049].flatMap { le($0, 2) }
        let double = doubleBytes([1.5, -0.1, 1e300])
        let header = """
        {"h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},\
        "b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]},\
        "d":{"dtype":"F64","shape":[3,1],"data_offsets":[18,42]}}
        """
        let dict = try Safetensors.read(data: safetensorsFile(header: header, data: half + bfloat + double), source: "mixed.safetensors")
        XCTAssertEqual(dict["h"], Tensor(shape: [2, 3], scalars: [1, -2, 0.5, 65504, 0x1p-24, -.infinity]))
        XCTAssertEqual(dict["b"], Tensor(shape: [3], scalars: [1, -2.5, 3.140625]))
        XCTAssertEqual(dict["d"], Tensor(shape: [3, 1], scalars: [1.5, Float(-0.1), .infinity]))
        XCTAssertEqual(dict.names, ["h", "b", "d"])
    }

    func testTensorOrderFollowsFileOffsetsNotHeaderOrder() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"__metadata__":{"k":"v"},"# +
            #""c":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let dict = try Safetensors.read(data: safetensorsFile(header: header, data: floatBytes([1, 2, 3])), source: "order")
        XCTAssertEqual(dict.names, ["c", "b", "a"])
        XCTAssertEqual(dict["a"]?.scalars, [3])
        XCTAssertEqual(dict.metadata, ["k": "v"])
    }

    func testRejectsMalformedFilesNamingTheFileAndTheProblem() {
        let good = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data = floatBytes([1, 2])
        let cases: [(String, Data, [String])] = [
            ("shorter than the length field", Data([1, 2, 3]), ["too short"]),
            ("length beyond file", safetensorsFile(header: good, data: data, declaredLength: 1000), ["header length 1000", "larger than"]),
            ("length over 100 MB", safetensorsFile(header: good, data: data, declaredLength: 200_000_000), ["exceeds", "limit"]),
            ("invalid JSON", safetensorsFile(header: #"{"w": {"dtype": "F32", "#, data: data), ["not valid JSON"]),
            ("not an object", safetensorsFile(header: "[1, 2]", data: data), ["not a JSON object"]),
            ("missing dtype", safetensorsFile(header: #"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, data: data), ["'w'", "dtype"]),
            ("missing shape", safetensorsFile(header: #"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#, data: data), ["'w'", "shape"]),
            ("fractional shape", safetensorsFile(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, data: data), ["'w'", "shape"]),
            ("missing offsets", safetensorsFile(header: #"{"w":{"dtype":"F32","shape":[2]}}"#, data: data), ["'w'", "data_offsets"]),
            ("unknown dtype", safetensorsFile(header: #"{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: data), ["'w'", "F8_E4M3"]),
            ("offsets past the end", safetensorsFile(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: data), ["out of bounds"]),
            ("reversed offsets", safetensorsFile(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: data), ["out of bounds"]),
            ("overlap", safetensorsFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data), ["'w'", "'v'", "overlap"]),
            ("size mismatch", safetensorsFile(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: data), ["'w'", "8 bytes", "needs 3"]),
            ("metadata not strings", safetensorsFile(header: #"{"__metadata__":{"epoch":3}}"#, data: []), ["__metadata__"]),
        ]
        for (label, bytes, phrases) in cases {
            assertCheckpointError(try Safetensors.read(data: bytes, source: "bad-\(label).safetensors"),
                                  mentions: ["bad-\(label).safetensors"] + phrases)
        }
    }

    func testTruncatedReferenceFileIsRejected() throws {
        let bytes = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        assertCheckpointError(try Safetensors.read(data: bytes.prefix(bytes.count - 4), source: "cut.safetensors"),
                              mentions: ["cut.safetensors", "out of bounds"])
        assertCheckpointError(try Safetensors.read(data: bytes.prefix(4000), source: "cut.safetensors"),
                              mentions: ["cut.safetensors", "header length"])
    }
}
