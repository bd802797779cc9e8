import Foundation
import LandscapeIO
import XCTest

/// A pickle is a program; loading one must never run it. Only the
/// allow-listed state-dict globals are accepted, everything else fails with
/// an error naming the global and the file.
final class PickleSecurityTests: XCTestCase {
    /// PROTO 2, GLOBAL 'os\nsystem\n', a string, TUPLE1, REDUCE, STOP:
    /// `os.system("touch <marker>")` when given to Python's pickle.load.
    func maliciousPickle(module: String = "os", name: String = "system", command: String) -> [UInt8] {
        var p = PickleBytes()
        p.proto(2); p.global(module, name); p.string(command); p.tuple1(); p.reduce(); p.stop()
        return p.bytes
    }

    func markerPath() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("pwned-\(UUID().uuidString)").path }

    func testLegacyCheckpointCallingOsSystemIsRejected() throws {
        let marker = markerPath()
        let file = legacyFile(objects: maliciousPickle(command: "touch \(marker)"), storages: [])
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("evil.th")
        try Data(file).write(to: url)
        assertCheckpointError(try Checkpoint.load(url), mentions: ["os.system", url.path, "allow-list"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testZipCheckpointCallingOsSystemIsRejected() throws {
        let marker = markerPath()
        let data = Data(zipArchive([
            ("evil/data.pkl", maliciousPickle(command: "touch \(marker)")),
            ("evil/byteorder", Array("little".utf8)), ("evil/version", Array("3\n".utf8)),
        ]))
        assertCheckpointError(try Checkpoint.load(data: data, source: "evil.pt"), mentions: ["os.system", "evil.pt"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testOtherDangerousGlobalsAreRejected() {
        for (module, name) in [("builtins", "eval"), ("posix", "system"), ("subprocess", "Popen"),
                               ("torch.storage", "_load_from_bytes"), ("torch", "load"), ("__builtin__", "exec")] {
            let data = Data(zipArchive([("x/data.pkl", maliciousPickle(module: module, name: name, command: "1"))]))
            assertCheckpointError(try Checkpoint.load(data: data, source: "evil.pt"), mentions: ["\(module).\(name)", "evil.pt"])
        }
    }

    func testStackGlobalIsCheckedLikeGlobal() {
        var p = PickleBytes()
        p.proto(4); p.shortString("builtins"); p.shortString("eval"); p.op(0x93)  // STACK_GLOBAL
        p.shortString("__import__('os').system('true')"); p.tuple1(); p.reduce(); p.stop()
        assertCheckpointError(try Checkpoint.load(data: Data(zipArchive([("x/data.pkl", p.bytes)])), source: "sg.pt"),
                              mentions: ["builtins.eval", "sg.pt"])
    }

    func testForbiddenGlobalDeepInsideAStateDictRejectsTheWholeFile() {
        // A valid tensor first, then the payload: nothing half-loaded comes back.
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark()
        p.string("ok"); p.tensor(storageType: "FloatStorage", key: "0", count: 1, offset: 0, size: [1], stride: [1])
        p.string("bad"); p.global("os", "system"); p.string("true"); p.tuple1(); p.reduce()
        p.setItems(); p.stop()
        let data = Data(zipArchive([("x/data.pkl", p.bytes), ("x/data/0", floatBytes([1]))]))
        assertCheckpointError(try Checkpoint.load(data: data, source: "mixed.pt"), mentions: ["os.system", "mixed.pt"])
    }

    func testCallingANonGlobalAndTextOpcodesAreRejected() {
        var call = PickleBytes()
        call.proto(2); call.string("os.system"); call.emptyTuple(); call.reduce(); call.stop()
        assertCheckpointError(try Checkpoint.load(data: Data(zipArchive([("x/data.pkl", call.bytes)])), source: "call.pt"),
                              mentions: ["call.pt", "only allow-listed globals may be called"])
        // INST (protocol 0) instantiates a class by name: refused as an opcode.
        let inst: [UInt8] = [0x80, 0x02, 0x28] + Array("ios\nsystem\n".utf8) + [0x2e]
        assertCheckpointError(try Checkpoint.load(data: Data(zipArchive([("x/data.pkl", inst)])), source: "inst.pt"),
                              mentions: ["inst.pt", "unsupported opcode 0x69"])
    }

    func testMalformedPicklesGiveErrorsNotCrashes() {
        let cases: [([UInt8], String)] = [
            ([0x80, 0x02, 0x7d], "truncated"),               // no STOP
            ([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f], "truncated"),  // BINUNICODE longer than the data
            ([0x80, 0x02, 0x75, 0x2e], "no MARK"),            // SETITEMS without MARK
            ([0x80, 0x02, 0x68, 0x05, 0x2e], "memo key 5"),   // BINGET of nothing
            ([0x80, 0x02, 0x52, 0x2e], "stack underflow"),    // REDUCE on an empty stack
            ([0x80, 0x02, 0x4e, 0x4e, 0x2e], "2 objects"),     // STOP with two objects
        ]
        for (bytes, phrase) in cases {
            assertCheckpointError(try Checkpoint.load(data: Data(zipArchive([("x/data.pkl", bytes)])), source: "bad.pt"),
                                  mentions: ["bad.pt", phrase])
        }
    }
}
