import LandscapeEngine
import Landscape
import LandscapePictures
import XCTest

/// The range and activation-list parsers shared by the CLI and the API.
final class PictureParsingTests: XCTestCase {
    func testRangesAreLowColonHighWithinTheStableInput() throws {
        XCTAssertEqual(try Pictures.range(parsing: "-5:5"), -5...5)
        XCTAssertEqual(try Pictures.range(parsing: "-1e4:0.5"), -10_000...0.5)
        for bad in ["5:-5", "1:1", "1:2:3", "-5", ":5", "nan:1", "-inf:0", "-1e5:0", "a:b", ""] {
            XCTAssertThrowsError(try Pictures.range(parsing: bad), bad) {
                XCTAssertTrue("\($0)".contains("'\(bad)': expected LOW:HIGH"), "\($0)")
            }
        }
    }

    func testActivationListsNameEveryActivationOrTheOneThatIsUnknown() throws {
        XCTAssertEqual(try Pictures.activations(parsing: "relu, swish,mish").map(\.name), ["relu", "swish", "mish"])
        XCTAssertEqual(try Pictures.activations(parsing: "nish:0.5").count, 1)
        XCTAssertThrowsError(try Pictures.activations(parsing: " , ")) { XCTAssertTrue("\($0)".contains("expected 1...8")) }
        XCTAssertThrowsError(try Pictures.activations(parsing: Array(repeating: "relu", count: 9).joined(separator: ",")))
        XCTAssertThrowsError(try Pictures.activations(parsing: "relu,bogus")) { XCTAssertTrue("\($0)".contains("bogus"), "\($0)") }
    }
}

/// Legends and panel titles of rendered surfaces.
final class SurfaceLabelTests: XCTestCase {
    private func surface(activation: String, bnMode: BatchNormMode) throws -> Surface {
        let x = try GridAxis(parsing: "-1:1:3")
        let row: [[Double?]] = [[1, 0.5, 1]]
        return Surface(id: "t", model: .init(name: "resnet20-\(activation)", path: nil, sha256: "", architecture: "resnet20",
                                             activation: activation, testAccuracy: 0.9302),
                       dataset: .init(name: "", path: "", split: "test", samples: 3, subset: "first", subsetSeed: 0, mean: [0], std: [1],
                                      contentSha256: ""),
                       directions: .init(seed: 0, normalization: .filter, ignore: .biasbn, mode: .weights, sharedWith: [], file: nil, note: ""),
                       bnMode: bnMode, grid: try GridSpec(x: x, y: nil), x: x.coordinates, y: nil, loss: row, accuracy: row,
                       lossStderr: row, summary: nil, progress: .init(computed: 3, total: 3, order: "coarse-to-fine"),
                       timing: .init(seconds: 0, imagesPerSecond: nil, updated: ""), producer: "test")
    }

    func testTheBatchNormModeTellsAnEvalAndARecomputeCurveOfOneModelApart() throws {
        XCTAssertEqual(try surface(activation: "mish", bnMode: .eval).shortName, "Mish")
        XCTAssertEqual(try surface(activation: "relu", bnMode: .recompute).shortName, "ReLU, BN recompute")
        XCTAssertEqual(try surface(activation: "relu", bnMode: .recompute).panelTitle, "ReLU, BN recompute — test acc 93.0 %")
        XCTAssertEqual(try surface(activation: "unknown-act", bnMode: .eval).shortName, "resnet20-unknown-act")
    }
}
