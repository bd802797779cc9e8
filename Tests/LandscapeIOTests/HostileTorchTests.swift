import Foundation
import XCTest
@testable import LandscapeIO
import LandscapeCore

/// Tensor and storage descriptions from the pickle are checked with
/// overflow-reporting arithmetic against the storage bytes actually present
/// and the element limit, in both PyTorch formats.
final class HostileTorchTests: XCTestCase {
    func zipCheckpoint(count: Int = 4, offset: Int = 0, size: [Int] = [4], stride: [Int] = [1],
                       data: [UInt8] = floatBytes([1, 2, 3, 4])) -> Data {
        torchZip(PickleBytes.stateDict("w") { $0.wideTensor(key: "0", count: count, offset: offset, size: size, stride: stride) },
                 storages: [("0", data)])
    }

    func testWideTensorBuilderLoads() throws {
        let dict = try Checkpoint.load(data: zipCheckpoint(offset: 1, size: [3]), source: "wide.pt")
        XCTAssertEqual(dict["w"], Tensor(shape: [3], scalars: [2, 3, 4]))
    }

    // Reproducer 1: a storage offset of 2^63 − 2 read out of bounds.
    func testStorageOffsetNear2To63IsRefused() {
        assertCheckpointError(try Checkpoint.load(data: zipCheckpoint(offset: Int.max - 1), source: "offset.pt"),
                              mentions: ["offset.pt", "'w'", "reach past the 4-element storage"])
        assertCheckpointError(try Checkpoint.load(data: zipCheckpoint(offset: Int.max - 1, size: [1]), source: "offset1.pt"),
                              mentions: ["offset1.pt", "'w'", "reach past"])
    }

    func testStridesAndSizesWhoseProductsOverflowAreRefused() {
        let cases: [(String, Int, [Int], [Int], String)] = [
            ("stride", 0, [3], [Int.max / 2 + 1], "reach past"),                 // (3 − 1) · stride overflows
            ("sum", 2, [2, 2], [Int.max / 2, Int.max / 2], "reach past"),       // offset + the two steps overflows
            ("count", 0, [1 << 32, 1 << 32], [0, 0], "element count"),          // 2^64 elements
            ("negative", 0, [-1], [1], "non-negative"),
            ("negative stride", 0, [2], [-1], "non-negative"),
            ("negative offset", -1, [2], [1], "non-negative"),
            ("empty but huge", 0, [0, 1 << 40, 1 << 40], [1, 1, 1], "element count"),
        ]
        for (label, offset, size, stride, phrase) in cases {
            assertCheckpointError(try Checkpoint.load(data: zipCheckpoint(offset: offset, size: size, stride: stride),
                                                      source: "\(label).pt"),
                                  mentions: ["\(label).pt", "'w'", phrase])
        }
    }

    func testZeroStrideViewLargerThanTheElementLimitIsRefused() {
        // A 1-element storage expanded to 2^26 + 1 elements would be 256 MiB of Float from 4 bytes.
        let data = zipCheckpoint(count: 1, size: [Checkpoint.maxElements + 1], stride: [0], data: floatBytes([1]))
        assertCheckpointError(try Checkpoint.load(data: data, source: "expand.pt"),
                              mentions: ["expand.pt", "'w'", "\(Checkpoint.maxElements)-element limit"])
    }

    func testZeroStrideViewsAddingUpPastTheElementLimitAreRefused() {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark()
        for name in ["a", "b", "c"] {  // each just over a third of the limit
            p.string(name)
            p.wideTensor(key: "0", count: 1, offset: 0, size: [Checkpoint.maxElements / 3 + 1], stride: [0])
        }
        p.setItems(); p.stop()
        assertCheckpointError(try Checkpoint.load(data: torchZip(p.bytes, storages: [("0", floatBytes([1]))]), source: "sum.pt"),
                              mentions: ["sum.pt", "element limit"])
    }

    func testStorageDeclaringHugeElementCountIsRefusedBeforeReading() {
        for count in [1 << 62, Int.max, Checkpoint.maxElements + 1] {
            assertCheckpointError(try Checkpoint.load(data: zipCheckpoint(count: count), source: "numel.pt"),
                                  mentions: ["numel.pt", "storage '0' declares \(count) elements"])
        }
    }

    func testStorageEntryShorterThanItsElementCountIsRefused() {
        assertCheckpointError(try Checkpoint.load(data: zipCheckpoint(count: 5), source: "short.pt"),
                              mentions: ["short.pt", "storage '0' holds 16 bytes, needs 20"])
    }

    func testStorageDeclaredTwiceWithDifferentSizesIsRefused() {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark()
        p.string("a"); p.wideTensor(key: "0", count: 4, offset: 0, size: [4], stride: [1])
        p.string("b"); p.wideTensor(key: "0", count: 1, offset: 0, size: [1], stride: [1])
        p.setItems(); p.stop()
        assertCheckpointError(try Checkpoint.load(data: torchZip(p.bytes, storages: [("0", floatBytes([1, 2, 3, 4]))]),
                                                  source: "twice.pt"),
                              mentions: ["twice.pt", "storage '0' is declared twice"])
    }

    // MARK: Legacy `.th`

    func legacy(count: Int, dataCount: Int? = nil, data: [UInt8], view: (key: String, offset: Int, size: Int)? = nil,
                keys: [String] = ["root"]) -> Data {
        var p = PickleBytes()
        p.proto(2); p.emptyDict(); p.mark(); p.string("w")
        p.global("torch._utils", "_rebuild_tensor_v2"); p.mark()
        p.mark(); p.string("storage"); p.global("torch", "FloatStorage"); p.string("root"); p.string("cpu"); p.long(count)
        if let view { p.mark(); p.string(view.key); p.long(view.offset); p.long(view.size); p.tuple() } else { p.none() }
        p.tuple(); p.persistentID()
        p.int(0); p.ints([1]); p.ints([1]); p.newFalse()
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.tuple(); p.reduce()
        p.setItems(); p.stop()
        return Data(legacyFile(objects: p.bytes, storages: keys.map { ($0, dataCount ?? count, data) }))
    }

    func testLegacyBuilderLoads() throws {
        XCTAssertEqual(try Checkpoint.load(data: legacy(count: 2, data: floatBytes([5, 6])), source: "ok.th")["w"]?.scalars, [5])
    }

    func testLegacyStorageSizeBeyondTheBytesPresentIsRefused() {
        // The pickle and the data agree on 2^40 elements; the file holds 8 bytes.
        assertCheckpointError(try Checkpoint.load(data: legacy(count: 1 << 40, data: floatBytes([5, 6])), source: "big.th"),
                              mentions: ["big.th", "storage 'root' declares 1099511627776 elements"])
        assertCheckpointError(try Checkpoint.load(data: legacy(count: 1000, data: floatBytes([5, 6])), source: "short.th"),
                              mentions: ["short.th", "truncated", "needs 4000 bytes"])
        assertCheckpointError(try Checkpoint.load(data: legacy(count: 2, dataCount: 3, data: floatBytes([5, 6])), source: "count.th"),
                              mentions: ["count.th", "3 elements in the data, 2 in the pickle"])
    }

    func testLegacyViewWhoseOffsetOverflowsIsRefused() {
        let data = legacy(count: 2, data: floatBytes([5, 6]), view: ("v", Int.max - 1, 5))
        assertCheckpointError(try Checkpoint.load(data: data, source: "view.th"),
                              mentions: ["view.th", "view of storage 'root' is malformed or out of bounds"])
    }

    func testLegacyStorageListedTwiceIsRefused() {
        assertCheckpointError(try Checkpoint.load(data: legacy(count: 2, data: floatBytes([5, 6]), keys: ["root", "root"]),
                                                  source: "twice.th"),
                              mentions: ["twice.th", "'root' is listed twice"])
    }
}
