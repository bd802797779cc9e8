import XCTest
import Landscape
@testable import LandscapeDistributed

/// What needs no MPI at all: telling a launch from a plain run, and the byte format of the messages.
final class LaunchAndMessageTests: XCTestCase {
    func testAPlainRunIsNotAnMPILaunch() {
        XCTAssertNil(MPILaunch.detect(environment: ["PATH": "/usr/bin", "OMPI_MCA_foo": "1"]))
    }

    func testOpenMPIsVariablesGiveRankAndSize() throws {
        let launch = try XCTUnwrap(MPILaunch.detect(environment: ["OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "3"]))
        XCTAssertEqual(launch.rank, 2)
        XCTAssertEqual(launch.size, 3)
        XCTAssertEqual(launch.library, "libmpi.so.40")
    }

    func testSrunWithPMIxOrPMI2IsALaunchToo() throws {
        XCTAssertEqual(MPILaunch.detect(environment: ["PMIX_RANK": "0"])?.rank, 0)
        let pmi = try XCTUnwrap(MPILaunch.detect(environment: ["PMI_RANK": "5", "PMI_SIZE": "8", "LANDSCAPE_MPI_LIBRARY": "/opt/x/libmpi.so"]))
        XCTAssertEqual(pmi.size, 8)
        XCTAssertEqual(pmi.library, "/opt/x/libmpi.so")
    }

    func testAMalformedRankIsNotALaunch() {
        XCTAssertNil(MPILaunch.detect(environment: ["OMPI_COMM_WORLD_RANK": "two"]))
        XCTAssertNil(MPILaunch.detect(environment: ["PMI_RANK": "-1"]))
    }

    func testEveryMessageSurvivesItsBytesExactly() throws {
        let values = PointValues(meanLoss: 0.1 + 0.2, accuracy: 7.0 / 9.0, lossStandardError: .leastNonzeroMagnitude, seconds: 1.5)
        let messages: [Message] = [
            .hello(host: "node-é1", pid: 4242),
            .directions(index: 0, [[1, -0.0, .leastNormalMagnitude, .greatestFiniteMagnitude]], [[.pi]]),
            .directions(index: 19, [[3]], []),
            .ready(keys: ["abc", "def"], algorithm: "winograd"),
            .task(SurfaceTask(model: 1, point: 2600)),
            .result(SurfaceTask(model: 0, point: 7), values),
            .heartbeat, .failed("no such file"), .stop(reason: "done"),
            .unit(model: 2, .probe(17)), .unit(model: 0, .densityRun(3)), .unit(model: 0, .eigenvalues),
            .unitResult(model: 1, .densityRun(0), values: [-0.0, .leastNonzeroMagnitude, 1e300, 0.25], loss: 0.1 + 0.2,
                        gradientNorm: .greatestFiniteMagnitude, products: 4),
            .unitResult(model: 0, .probe(9), values: [123.456], loss: 2, gradientNorm: 3, products: 1),
        ]
        for message in messages {
            XCTAssertEqual(try Message(tag: message.tag, bytes: message.encoded()), message)
        }
        // The surface records these doubles: the bits, not just the value, must come back.
        guard case let .result(_, back) = try Message(tag: 5, bytes: Message.result(SurfaceTask(model: 0, point: 7), values).encoded()) else {
            return XCTFail("not a result")
        }
        XCTAssertEqual(back.meanLoss.bitPattern, values.meanLoss.bitPattern)
    }

    func testAPointCostsSixteenBytesOutAndFortyEightBack() {
        XCTAssertEqual(Message.task(SurfaceTask(model: 0, point: 1)).encoded().count, 16)
        XCTAssertEqual(Message.result(SurfaceTask(model: 0, point: 1), PointValues(meanLoss: 0, accuracy: 0, lossStandardError: 0, seconds: 0))
            .encoded().count, 48)
    }

    func testTruncatedOrForeignBytesAreAProtocolErrorNotACrash() {
        let full = Message.ready(keys: ["abc"], algorithm: "im2col").encoded()
        for cut in 0..<full.count {
            XCTAssertThrowsError(try Message(tag: 3, bytes: Array(full.prefix(cut))), "cut at \(cut)")
        }
        XCTAssertThrowsError(try Message(tag: 99, bytes: [])) { error in
            XCTAssertTrue("\(error)".contains("tag 99"), "\(error)")
        }
        var huge = ByteWriter()
        huge.int(Int.max)
        XCTAssertThrowsError(try Message(tag: 2, bytes: huge.bytes))
        XCTAssertThrowsError(try Message(tag: 6, bytes: [0]), "bytes left over")
    }
}
