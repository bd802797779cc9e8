import Foundation
import XCTest
@testable import LandscapeIO

/// Releasing a tree of nested objects recurses once per level: a pickle of
/// 500,000 nested lists overflowed the stack when its objects were freed.
/// Nesting is bounded (`Unpickler.maxDepth`) while the objects are built.
final class PickleDepthTests: XCTestCase {
    static let levels = 500_000

    static func load(_ pickle: [UInt8], _ source: String) throws {
        _ = try Checkpoint.load(data: Data(zipArchive([("x/data.pkl", pickle)])), source: source)
    }

    var depthError: [String] { ["nested \(Unpickler.maxDepth + 1) levels deep", "limit of \(Unpickler.maxDepth)"] }

    // Reproducer 4: EMPTY_LIST × N, then APPEND × N nests each list in the one below.
    func testHalfAMillionNestedListsAreRefusedNotAStackOverflow() {
        var p = PickleBytes()
        p.proto(2)
        p.bytes += [UInt8](repeating: 0x5d, count: Self.levels)      // EMPTY_LIST
        p.bytes += [UInt8](repeating: 0x61, count: Self.levels - 1)  // APPEND
        p.stop()
        assertCheckpointError(try Self.load(p.bytes, "lists.pt"), mentions: ["lists.pt"] + depthError)
    }

    func testNestedListsBuiltWithMarkAndListAreRefused() {
        var p = PickleBytes()
        p.proto(2)
        p.bytes += [UInt8](repeating: 0x28, count: Self.levels)  // MARK
        p.bytes += [UInt8](repeating: 0x6c, count: Self.levels)  // LIST
        p.stop()
        assertCheckpointError(try Self.load(p.bytes, "marks.pt"), mentions: ["marks.pt"] + depthError)
    }

    func testNestedTuplesAreRefused() {
        var p = PickleBytes()
        p.proto(2); p.none()
        p.bytes += [UInt8](repeating: 0x85, count: Self.levels)  // TUPLE1: one byte per level
        p.stop()
        assertCheckpointError(try Self.load(p.bytes, "tuples.pt"), mentions: ["tuples.pt"] + depthError)
    }

    func testNestedDictsAreRefused() {
        var p = PickleBytes()
        p.proto(2)
        for _ in 0..<Self.levels / 10 { p.mark(); p.shortString("k") }
        p.none()
        p.bytes += [UInt8](repeating: 0x64, count: Self.levels / 10)  // DICT
        p.stop()
        assertCheckpointError(try Self.load(p.bytes, "dicts.pt"), mentions: ["dicts.pt"] + depthError)
    }

    /// With the memo, a constant-size stack can deepen a list already placed
    /// in another: L0 ← L1, recall L1, L1 ← L2, recall L2, ... Refused at the first step.
    func testDeepeningAListAlreadyInsideAnotherIsRefused() {
        var p = PickleBytes()
        p.proto(2); p.op(0x5d); p.op(0x71, [0])  // EMPTY_LIST, BINPUT 0
        for key in 1...1000 {
            p.op(0x5d); p.op(0x72, le(key, 4))      // EMPTY_LIST, LONG_BINPUT key
            p.op(0x61)                              // APPEND it to the list below
            p.op(0x6a, le(key, 4))                  // LONG_BINGET key: the list just placed
        }
        p.stop()
        assertCheckpointError(try Self.load(p.bytes, "memo.pt"), mentions: ["memo.pt", "already inside another object"])
    }

    func testAListContainingItselfIsRefused() {
        var p = PickleBytes()
        p.proto(2); p.op(0x5d); p.op(0x32); p.op(0x61); p.stop()  // EMPTY_LIST, DUP, APPEND
        assertCheckpointError(try Self.load(p.bytes, "cycle.pt"), mentions: ["cycle.pt", "inside itself"])
    }

    /// Nesting up to the limit is accepted, and releasing it does not need a
    /// big stack: the whole load runs on a thread with 512 KiB of stack
    /// (macOS's default for secondary threads).
    func testNestingAtTheLimitLoadsAndIsReleasedOnASmallStack() throws {
        var p = PickleBytes()
        p.proto(2)
        p.bytes += [UInt8](repeating: 0x5d, count: Unpickler.maxDepth)
        p.bytes += [UInt8](repeating: 0x61, count: Unpickler.maxDepth - 1)
        p.stop()
        let pickle = p.bytes
        final class Outcome: @unchecked Sendable { var message = "" }  // written by the thread before `done`
        let outcome = Outcome()
        let done = expectation(description: "loaded on a small stack")
        let thread = Thread {
            do { try PickleDepthTests.load(pickle, "deep.pt") } catch { outcome.message = "\(error)" }
            done.fulfill()
        }
        thread.stackSize = 512 << 10
        thread.start()
        wait(for: [done], timeout: 60)
        // Unpickled fine; it is just not a dict of tensors.
        XCTAssertTrue(outcome.message.contains("the saved object is a list, expected a dict of tensors"), outcome.message)
    }

    /// Popping a MARK or a few items, or memoizing, once copied the whole
    /// stack: 200,000 MARKs took minutes. Each opcode must cost about what it
    /// touches, whatever lies below it on the stack.
    func testOpcodesOnABigStackTakeLinearTime() {
        let base = 200_000, rounds = 50_000
        var p = PickleBytes()
        p.proto(2)
        for _ in 0..<base { p.none() }
        for _ in 0..<rounds { p.mark(); p.none(); p.op(0x31) }                  // MARK, NONE, POP_MARK
        for _ in 0..<rounds { p.none(); p.tuple1(); p.op(0x30) }                // NONE, TUPLE1, POP
        for _ in 0..<rounds { p.mark(); p.op(0x64); p.op(0x30) }                // MARK, DICT, POP
        for key in 0..<rounds { p.none(); p.op(0x72, le(key, 4)); p.op(0x30) }  // NONE, LONG_BINPUT, POP
        for key in 0..<rounds { p.op(0x6a, le(key, 4)); p.op(0x30) }           // LONG_BINGET, POP
        for _ in 0..<rounds { p.op(0x32); p.op(0x30) }                          // DUP, POP
        p.bytes += [UInt8](repeating: 0x30, count: base - 1)                     // POP
        p.stop()
        let start = Date()
        assertCheckpointError(try Self.load(p.bytes, "big-stack.pt"), mentions: ["big-stack.pt", "the saved object is a None"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testMoreOpcodesThanTheLimitAreRefused() {
        var p = PickleBytes()
        p.proto(2)
        for _ in 0..<Unpickler.maxOpcodes / 2 { p.op(0x4e); p.op(0x30) }  // NONE, POP
        p.none(); p.stop()
        assertCheckpointError(try Self.load(p.bytes, "long.pt"), mentions: ["long.pt", "more than \(Unpickler.maxOpcodes) opcodes"])
    }

    func testReferencePicklesAreFarBelowTheLimits() throws {
        let data = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.pt"))
        let archive = try ZipArchive(data: data, source: "reference")
        let pickle = try archive.contents(of: XCTUnwrap(archive.entries.first { $0.name.hasSuffix("data.pkl") }))
        var unpickler = Unpickler(bytes: pickle, source: "reference") {
            .storage(try TorchCheckpoint.storageReference($0, legacy: false, source: "reference"))
        }
        guard case .dict(let root) = try unpickler.load() else { return XCTFail("not a dict") }
        XCTAssertLessThanOrEqual(root.height, 4)
        XCTAssertLessThan(pickle.count * 100, Unpickler.maxOpcodes)  // an opcode takes at least one byte
    }
}
