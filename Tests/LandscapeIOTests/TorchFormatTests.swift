import Foundation
import LandscapeIO
import XCTest
import LandscapeCore

/// Small checkpoints built here from the format specifications, with known
/// values, exercising what the reference file does not: other dtypes,
/// strides, storage offsets, legacy views, wrappers, deflate, protocol 4.
final class TorchFormatTests: XCTestCase {
    /// {"model_state_dict": {h: half[3], t: double (2,3) transposed view, o: float offset 2}, "epoch": 7}
    func zipCheckpoint(deflated: Bool = false, protocol4: Bool = false) -> Data {
        var p = PickleBytes()
        p.proto(protocol4 ? 4 : 2)
        if protocol4 { p.op(0x95, le(0, 8)) }  // FRAME (its length is only a hint)
        p.emptyDict(); p.mark()
        p.string("epoch"); p.int(7)
        p.string("model_state_dict")
        if protocol4 {  // OrderedDict via STACK_GLOBAL + MEMOIZE
            p.shortString("collections"); p.shortString("OrderedDict"); p.op(0x93); p.op(0x94)
            p.emptyTuple(); p.reduce()
        } else {
            p.emptyDict()
        }
        p.mark()
        p.string("module.h"); p.tensor(storageType: "HalfStorage", key: "0", count: 3, offset: 0, size: [3], stride: [1])
        p.string("t"); p.tensor(storageType: "DoubleStorage", key: "1", count: 6, offset: 0, size: [2, 3], stride: [1, 2])
        p.string("o"); p.tensor(storageType: "FloatStorage", key: "2", count: 5, offset: 2, size: [2], stride: [1])
        p.string("_metadata"); p.emptyDict()
        p.setItems(); p.setItems(); p.stop()
        let entries: [(String, [UInt8])] = [
            ("archive/data.pkl", p.bytes),
            ("archive/byteorder", Array("little".utf8)),
            ("archive/data/0", [0x3c00, 0xc000, 0x3800].flatMap { le($0, 2) }),
            ("archive/data/1", doubleBytes([0, 1, 2, 3, 4, 5])),
            ("archive/data/2", floatBytes([10, 11, 12, 13, 14])),
            ("archive/version", Array("3\n".utf8)),
        ]
        return Data(zipArchive(entries, deflated: deflated))
    }

    func assertExpectedTensors(_ dict: StateDict, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(dict.names, ["h", "t", "o"], file: file, line: line)
        XCTAssertEqual(dict["h"], Tensor(shape: [3], scalars: [1, -2, 0.5]), file: file, line: line)
        // Element (i, j) of a size (2,3) stride (1,2) view is storage[i + 2j].
        XCTAssertEqual(dict["t"], Tensor(shape: [2, 3], scalars: [0, 2, 4, 1, 3, 5]), file: file, line: line)
        XCTAssertEqual(dict["o"], Tensor(shape: [2], scalars: [12, 13]), file: file, line: line)
        XCTAssertEqual(dict.metadata, ["epoch": "7"], file: file, line: line)
    }

    func testZipFormatWithDtypesStridesOffsetsAndWrapper() throws {
        assertExpectedTensors(try Checkpoint.load(data: zipCheckpoint(), source: "small.pt"))
    }

    func testZipFormatWithDeflatedEntries() throws {
        assertExpectedTensors(try Checkpoint.load(data: zipCheckpoint(deflated: true), source: "deflated.pt"))
    }

    func testZipFormatWithProtocol4Opcodes() throws {
        assertExpectedTensors(try Checkpoint.load(data: zipCheckpoint(protocol4: true), source: "p4.pt"))
    }

    func testFormatIsSniffedFromContentNotExtension() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("weights.safetensors")  // misleading name
        try zipCheckpoint().write(to: url)
        assertExpectedTensors(try Checkpoint.load(url))
        assertCheckpointError(try Checkpoint.load(data: Data("hello world".utf8), source: "notes.txt"),
                              mentions: ["notes.txt", "68 65 6c 6c"])
        let missing = directory.appendingPathComponent("missing.pt")
        assertCheckpointError(try Checkpoint.load(missing), mentions: [missing.path, "no such file"])
    }

    func testLegacyFormatWithStorageViewAndParameter() throws {
        var p = PickleBytes()
        p.proto(2)
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.mark()
        // A view of elements 2..<5 of a 6-element root storage, then its first two elements.
        p.string("v"); p.tensor(storageType: "FloatStorage", key: "root", count: 6, offset: 0, size: [3], stride: [1],
                                view: ("root-view", 2, 3), legacy: true)
        // A parameter: _rebuild_parameter(tensor, True, OrderedDict()).
        p.string("w"); p.global("torch._utils", "_rebuild_parameter"); p.mark()
        p.tensor(storageType: "FloatStorage", key: "root", count: 6, offset: 0, size: [2], stride: [1], legacy: true)
        p.op(0x88); p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.tuple(); p.reduce()
        p.string("n"); p.tensor(storageType: "LongStorage", key: "count", count: 1, offset: 0, size: [], stride: [], legacy: true)
        p.setItems(); p.stop()
        let file = legacyFile(objects: p.bytes, storages: [
            ("root", 6, floatBytes([0, 1, 2, 3, 4, 5])), ("count", 1, le(391, 8)),
        ])
        let dict = try Checkpoint.load(data: Data(file), source: "small.th")
        XCTAssertEqual(dict.names, ["v", "w", "n"])
        XCTAssertEqual(dict["v"], Tensor(shape: [3], scalars: [2, 3, 4]))
        XCTAssertEqual(dict["w"], Tensor(shape: [2], scalars: [0, 1]))
        XCTAssertEqual(dict["n"], Tensor(shape: [], scalars: [391]))
    }

    func testStridesReachingPastTheStorageAreRejected() {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark()
        p.string("w"); p.tensor(storageType: "FloatStorage", key: "0", count: 4, offset: 1, size: [2, 2], stride: [2, 1])
        p.setItems(); p.stop()
        let data = Data(zipArchive([("a/data.pkl", p.bytes), ("a/data/0", floatBytes([1, 2, 3, 4]))]))
        assertCheckpointError(try Checkpoint.load(data: data, source: "oob.pt"), mentions: ["oob.pt", "'w'", "past"])
    }

    func testMissingStorageEntryAndShortStorageAreRejected() {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark()
        p.string("w"); p.tensor(storageType: "FloatStorage", key: "0", count: 4, offset: 0, size: [4], stride: [1])
        p.setItems(); p.stop()
        assertCheckpointError(try Checkpoint.load(data: Data(zipArchive([("a/data.pkl", p.bytes)])), source: "nodata.pt"),
                              mentions: ["nodata.pt", "a/data/0"])
        let short = Data(zipArchive([("a/data.pkl", p.bytes), ("a/data/0", floatBytes([1, 2]))]))
        assertCheckpointError(try Checkpoint.load(data: short, source: "short.pt"), mentions: ["short.pt", "8 bytes, needs 16"])
    }

    func testDictWithoutTensorsIsRejected() {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark(); p.string("epoch"); p.int(3); p.setItems(); p.stop()
        assertCheckpointError(try Checkpoint.load(data: Data(zipArchive([("a/data.pkl", p.bytes)])), source: "empty.pt"),
                              mentions: ["empty.pt", "no tensors"])
    }
}
