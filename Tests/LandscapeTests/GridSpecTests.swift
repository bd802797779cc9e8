import XCTest
import Landscape

final class GridSpecTests: XCTestCase {
    func testParsesReferenceStyleAxisWithExactEnds() throws {
        let axis = try GridAxis(parsing: "-1:1:51")
        XCTAssertEqual(axis.count, 51)
        XCTAssertEqual(axis.coordinates.first, -1)
        XCTAssertEqual(axis.coordinates.last, 1)
        XCTAssertEqual(axis.coordinate(25), 0, accuracy: 1e-15)
        XCTAssertEqual(axis.coordinate(1), -0.96, accuracy: 1e-15)
        XCTAssertEqual(axis.description, "-1:1:51")
    }

    func testRejectsEmptyInvertedAndMalformedRanges() {
        for text in ["1:-1:5", "0:0:3", "-1:1:1", "-1:1", "a:b:c", "-1:1:0", "nan:1:3", "-1:inf:3"] {
            XCTAssertThrowsError(try GridAxis(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("invalid grid"), "\(text): \(error)")
            }
        }
    }

    func testGridBeyondTheCapFailsBeforeAnyWork() throws {
        let big = try GridAxis(parsing: "-1:1:317")  // 317² = 100,489 points
        XCTAssertThrowsError(try GridSpec(x: big, y: big)) { error in
            XCTAssertTrue("\(error)".contains("100489 points"), "\(error)")
            XCTAssertTrue("\(error)".contains("cap of \(GridSpec.defaultMaximumPoints)"), "\(error)")
        }
        XCTAssertNoThrow(try GridSpec(x: big, y: big, maximumPoints: 200_000))
    }

    /// 2^62 × 4 = 2^64 wrapped to 0 points and passed the cap; 2^32 × 2^32 asked for 68 GB.
    func testPointCountsThatOverflowAreRefusedNotWrapped() throws {
        for (x, y) in [("-1:1:4611686018427387904", "-1:1:4"), ("-1:1:4294967296", "-1:1:4294967296"),
                       ("-1:1:9223372036854775807", "-1:1:9223372036854775807")] {
            XCTAssertThrowsError(try GridSpec(x: GridAxis(parsing: x), y: GridAxis(parsing: y)), x) { error in
                XCTAssertTrue("\(error)".contains("exceeds the cap"), "\(error)")
            }
        }
        XCTAssertThrowsError(try GridSpec(x: GridAxis(parsing: "-1:1:9223372036854775807"), y: nil))
    }

    /// -1e38:1e38 made every point's loss NaN and the job fail forever; -1e308 answered 500.
    func testCoordinatesBeyondTheWeightsScaleAreRefusedUpFront() {
        for text in ["-1e38:1e38:3", "-1e308:1e308:3", "0:1001:3", "-1000.5:0:3"] {
            XCTAssertThrowsError(try GridAxis(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains("within ±1000"), "\(text): \(error)")
            }
        }
        XCTAssertNoThrow(try GridAxis(parsing: "-1000:1000:3"))
    }

    func testPointCoordinatesAreRowMajorOverY() throws {
        let grid = try GridSpec(x: GridAxis(parsing: "0:2:3"), y: GridAxis(parsing: "10:20:2"))
        XCTAssertEqual(grid.pointCount, 6)
        XCTAssertEqual(grid.coordinates(ofPoint: 4).alpha, 1)
        XCTAssertEqual(grid.coordinates(ofPoint: 4).beta, 20)
    }
}

final class ProgressiveOrderTests: XCTestCase {
    func testAxisLevelsBisectFromTheEnds() {
        XCTAssertEqual(ProgressiveOrder.levels(count: 5), [0, 2, 1, 2, 0])
        XCTAssertEqual(ProgressiveOrder.levels(count: 2), [0, 0])
        XCTAssertEqual(ProgressiveOrder.levels(count: 9), [0, 3, 2, 3, 1, 3, 2, 3, 0])
    }

    func testOrderIsAPermutationStartingAtTheCentreThenCorners() throws {
        let grid = try GridSpec(x: GridAxis(parsing: "-1:1:51"), y: GridAxis(parsing: "-1:1:51"))
        let order = ProgressiveOrder.order(for: grid)
        XCTAssertEqual(order.count, 2601)
        XCTAssertEqual(Set(order).count, 2601)
        XCTAssertEqual(order[0], 25 * 51 + 25, "centre first")
        XCTAssertEqual(Set(order[1...4]), [0, 50, 50 * 51, 50 * 51 + 50], "then the four corners")
    }

    func testEveryPrefixLevelFormsALattice() throws {
        // After all level-≤1 points of a 9×9 grid, the computed set is the 3×3 lattice {0, 4, 8}².
        let grid = try GridSpec(x: GridAxis(parsing: "-1:1:9"), y: GridAxis(parsing: "-1:1:9"))
        let prefix = Set(ProgressiveOrder.order(for: grid).prefix(9))
        let lattice = Set([0, 4, 8].flatMap { r in [0, 4, 8].map { r * 9 + $0 } })
        XCTAssertEqual(prefix, lattice)
    }
}

final class SHA256Tests: XCTestCase {
    func testKnownVectorsFromFIPS180() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testReferenceCheckpointHashStartsAsPublished() throws {
        // akamaster's file name carries the first 8 hex digits of its SHA-256.
        let data = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.th"))
        XCTAssertTrue(SHA256.hex(data).hasPrefix("12fca82f"))
    }
}
