import XCTest
import Landscape
import LandscapeEngine
import LandscapeIO

final class ModelLoadingTests: XCTestCase {
    /// NaN weights evaluated to loss NaN with exit 0 and no word.
    func testNonFiniteWeightsAreRefusedAtLoadNamingTheTensor() throws {
        var dict = try DirectionsTests.randomModel(activation: .relu, seed: 3).stateDict()
        var weight = try XCTUnwrap(dict["layer1.0.conv1.weight"])
        weight.scalars[5] = .nan
        weight.scalars[7] = -.infinity
        dict["layer1.0.conv1.weight"] = weight
        let url = SurfaceComputationTests.temporaryDirectory().appendingPathComponent("diverged.safetensors")
        try Safetensors.write(dict, to: url)
        XCTAssertThrowsError(try LoadedModel.load(url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(url.path), message)
            XCTAssertTrue(message.contains("layer1.0.conv1.weight (2 of"), message)
            XCTAssertTrue(message.contains("non-finite"), message)
        }
        dict["layer1.0.conv1.weight"]!.scalars[5] = 0
        dict["layer1.0.conv1.weight"]!.scalars[7] = 0
        try Safetensors.write(dict, to: url)
        XCTAssertNoThrow(try LoadedModel.load(url))
    }
}
