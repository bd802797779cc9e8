import XCTest
import Landscape
import LandscapeEngine
import LandscapeCore

final class DirectionsTests: XCTestCase {
    func testFilterNormalizationGivesEveryFilterTheTrainedFilterNorm() throws {
        let model = try Self.randomModel(activation: .mish, seed: 3)
        let raw = Directions.raw(layout: model.layout, seed: 42, axis: 0)
        let d = Directions.normalized(raw, to: model, spec: DirectionSpec(seed: 42))
        var checked = 0
        for entry in model.layout.entries where entry.shape.count > 1 {
            for f in 0..<entry.filterCount {
                let range = (entry.offset + f * entry.filterSize)..<(entry.offset + (f + 1) * entry.filterSize)
                let dn = Self.norm(d.values[range]), wn = Self.norm(model.values[range])
                XCTAssertEqual(dn, wn, accuracy: 1e-5 * wn, "\(entry.name) filter \(f)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 16 + 2 * 16 + 2 * 32 + 2 * 64 + 10, "every conv filter and every linear row of a ResNet-8")
    }

    func testIgnoredTensorsAreExactlyZeroInWeightsMode() throws {
        let model = try Self.randomModel(activation: .relu, seed: 1)
        let d = Directions.normalized(Directions.raw(layout: model.layout, seed: 0, axis: 1), to: model, spec: DirectionSpec())
        for entry in model.layout.entries where entry.shape.count == 1 {
            XCTAssertTrue(d.values[entry.range].allSatisfy { $0 == 0 }, entry.name)
        }
    }

    func testIgnoreNoneInStatesModeCopiesOneDimensionalTensors() throws {
        let model = try Self.randomModel(activation: .relu, seed: 1)
        let spec = DirectionSpec(seed: 0, normalization: .layer, ignore: .none, mode: .states)
        let d = Directions.normalized(Directions.raw(layout: model.layout, seed: 0, axis: 0), to: model, spec: spec)
        let mean = model.layout.entry(named: "layer1.0.bn1.running_mean")!
        XCTAssertEqual(Array(d.values[mean.range]), Array(model.values[mean.range]))
        let conv = model.layout.entry(named: "layer2.0.conv1.weight")!
        XCTAssertEqual(Self.norm(d.values[conv.range]), Self.norm(model.values[conv.range]), accuracy: 1e-4)
    }

    func testModelsWithIdenticalShapesShareRawDirectionsButNotNormalizedOnes() throws {
        let relu = try Self.randomModel(activation: .relu, seed: 1)
        let mish = try Self.randomModel(activation: .mish, seed: 2)
        let shared = try Directions.shared(for: [relu, mish], spec: DirectionSpec(seed: 5), twoDimensional: true)
        // Undo each model's per-filter scaling: the raw directions must be the same up to a positive factor per filter.
        let entry = relu.layout.entry(named: "layer3.0.conv2.weight")!
        let raw = Directions.raw(layout: relu.layout, seed: 5, axis: 0)
        for (pair, model) in zip(shared, [relu, mish]) {
            let f = entry.offset
            let ratio = pair.x.values[f] / raw.values[f]
            let expected = Float(Self.norm(model.values[f..<(f + entry.filterSize)]) / Self.norm(raw.values[f..<(f + entry.filterSize)]))
            XCTAssertEqual(ratio, expected, accuracy: expected * 1e-4)
        }
        XCTAssertNotEqual(shared[0].x, shared[1].x)
        XCTAssertNotEqual(shared[0].x.values, shared[0].y!.values, "x and y come from different streams")
    }

    func testDifferentSeedsGiveDifferentDirectionsAndSameSeedTheSame() throws {
        let layout = try Self.randomModel(activation: .relu, seed: 1).layout
        XCTAssertEqual(Directions.raw(layout: layout, seed: 7, axis: 0), Directions.raw(layout: layout, seed: 7, axis: 0))
        XCTAssertNotEqual(Directions.raw(layout: layout, seed: 7, axis: 0), Directions.raw(layout: layout, seed: 8, axis: 0))
    }

    func testMismatchedModelsCannotShareDirections() throws {
        let small = try Self.randomModel(activation: .relu, seed: 1)
        let deeper = ResNetModel(architecture: try ResNetArchitecture(depth: 14))
        XCTAssertThrowsError(try Directions.shared(for: [small, deeper], spec: DirectionSpec(), twoDimensional: false)) {
            XCTAssertTrue("\($0)".contains("cannot share directions"), "\($0)")
        }
    }

    func testPerturbationIsThetaPlusAlphaXPlusBetaY() throws {
        let model = try Self.randomModel(activation: .relu, seed: 9)
        let x = Direction(values: model.values.indices.map { Float($0 % 7) })
        let y = Direction(values: model.values.indices.map { Float($0 % 3) - 1 })
        let moved = Directions.perturbed(model, x: x, alpha: 0.5, y: y, beta: -2)
        for i in stride(from: 0, to: model.values.count, by: 997) {
            XCTAssertEqual(moved.values[i], model.values[i] + 0.5 * x.values[i] - 2 * y.values[i], accuracy: 1e-5)
        }
    }

    static func norm(_ values: ArraySlice<Float>) -> Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// A ResNet-8 with He-style random weights and non-trivial BN statistics.
    static func randomModel(activation: ActivationKind, seed: UInt64, inputChannels: Int = 3) throws -> ResNetModel {
        var model = ResNetModel(architecture: try ResNetArchitecture(depth: 8, inputChannels: inputChannels,
                                                                     activation: Activation(activation)))
        var rng = SeededGenerator(seed: seed, stream: 99)
        for entry in model.layout.entries {
            for i in entry.range {
                let g = Float(rng.nextGaussian())
                switch entry.role {
                case .weight: model.values[i] = g * Float((2 / Double(entry.filterSize)).squareRoot())
                case .batchNormScale: model.values[i] = 1 + 0.1 * g
                case .bias, .runningMean: model.values[i] = 0.1 * g
                case .runningVariance: model.values[i] = 1 + 0.2 * abs(g)
                }
            }
        }
        return model
    }
}
