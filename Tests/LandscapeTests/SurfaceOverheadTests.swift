import XCTest
@testable import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// The per-point machinery around the forward passes (issue 20, item 5): the store's
/// writer thread, the profile, the content hash. None of it may change a value.
final class SurfaceOverheadTests: XCTestCase {
    /// Every point of a 3x3 surface (writer thread, profile, two workers) equals, bit for bit,
    /// the plain composition done by hand: the exported directions read back from their file,
    /// θ + αx + βy, a fresh network and a one-thread evaluator with the same micro-batch.
    func testSurfaceValuesEqualPlainPointEvaluationsBitForBit() throws {
        let (model, data) = try SurfaceComputationTests.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        let profile = SurfaceProfile()
        let grid = try GridSpec(x: GridAxis(parsing: "-0.5:0.5:3"), y: GridAxis(parsing: "-0.5:0.5:3"))
        let computation = try SurfaceComputation(models: [model], data: data, grid: grid, directions: .random(DirectionSpec(seed: 5)),
                                                 store: SurfaceStore(directory: directory),
                                                 evaluator: SurfaceComputationTests.evaluator(threads: 2), profile: profile)
        let surface = try computation.run()[0]

        let file = try Safetensors.read(directory.appendingPathComponent(surface.directions.file!))
        let (x, y) = try DirectionFile.directions(from: file, layout: model.model.layout)
        let plain = SurfaceComputationTests.evaluator(threads: 1)
        for point in 0..<grid.pointCount {
            let (alpha, beta) = grid.coordinates(ofPoint: point)
            let moved = Directions.perturbed(model.model, x: x, alpha: alpha, y: y, beta: beta)
            let expected = try plain.evaluate(InferenceNetwork(moved), on: data.data)
            let (row, column) = (point / grid.columns, point % grid.columns)
            XCTAssertEqual(surface.loss[row][column], expected.meanLoss, "point \(point)")
            XCTAssertEqual(surface.accuracy[row][column], expected.accuracy, "point \(point)")
            XCTAssertEqual(surface.lossStderr[row][column], expected.lossStandardError, "point \(point)")
        }
        let stored = try XCTUnwrap(try SurfaceStore(directory: directory).load(id: surface.id))
        XCTAssertEqual(stored, surface, "the writer thread's last write is the finished surface")
        XCTAssertEqual(profile.pointCount, 9)
        XCTAssertGreaterThan(profile.total(.forward), 0)
        XCTAssertGreaterThan(profile.total(.write), 0)
    }

    /// Progress never counts a point a crash could lose: when a point is reported, the file on
    /// disk already holds it (the write ran on the writer thread while the next point was computed).
    func testAPointIsReportedOnlyOnceItsWriteIsOnDisk() throws {
        let (model, data) = try SurfaceComputationTests.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        let computation = try SurfaceComputationTests.compute(model, data, grid: "-1:1:3", y: "-1:1:3", directory: directory)
        var reported: [Int] = []
        _ = try computation.run { step in
            reported.append(step.point)
            let onDisk = try? SurfaceStore(directory: directory).load(id: step.surface.id)
            XCTAssertTrue(onDisk?.isComputed(step.point) ?? false, "point \(step.point) reported before it was written")
            XCTAssertEqual(onDisk?.progress.computed ?? 0, reported.count)
        }
        XCTAssertEqual(reported, ProgressiveOrder.order(for: computation.grid))
    }

    /// A write that fails on the writer thread stops the run with the store's error, and the
    /// point it carried is never reported.
    func testAFailedBackgroundWriteStopsTheRunUnreported() throws {
        let (model, data) = try SurfaceComputationTests.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        let computation = try SurfaceComputationTests.compute(model, data, grid: "-1:1:3", y: "-1:1:3", directory: directory)
        var reported = 0
        XCTAssertThrowsError(try computation.run { _ in
            reported += 1
            // The store's directory disappears after the first report: the next write cannot happen.
            if reported == 1 { try? FileManager.default.removeItem(at: directory) }
        }) { error in
            XCTAssertNotNil(error as? LandscapeError, "\(error)")
        }
        XCTAssertEqual(reported, 1, "nothing after the failed write is reported")
    }

    /// Whole blocks straight from the caller's bytes, partial blocks buffered: any split of
    /// the input gives the one-update digest (FIPS 180-4's million 'a').
    func testSHA256OfChunkedUpdatesEqualsTheKnownDigest() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        for chunk in [1, 7, 63, 64, 65, 1000, 4096 + 5] {
            var hash = SHA256()
            var offset = 0
            while offset < million.count {
                let end = min(offset + chunk, million.count)
                hash.update(Array(million[offset..<end]))
                offset = end
            }
            XCTAssertEqual(hash.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "chunks of \(chunk)")
        }
    }
}
