import XCTest
import LandscapeEngine

/// SGD against hand-computed updates on f(θ) = θ₁² + 2θ₂² (∇f = (2θ₁, 4θ₂))
/// from θ = (1, −2), learning rate 0.1; each expected row was worked out by
/// hand (and checked in exact fractions) from PyTorch's update rule.
final class TrainingOptimizerTests: XCTestCase {
    func testPlainSGDFollowsHandComputedSteps() throws {
        // θ ← θ − 0.1·g: (1, −2) → (0.8, −1.2) → (0.64, −0.72) → (0.512, −0.432)
        var sgd = try SGD(learningRate: 0.1)
        assertSteps(&sgd, expected: [[0.8, -1.2], [0.64, -0.72], [0.512, -0.432]])
    }

    func testMomentumFollowsHandComputedSteps() throws {
        // buf₁ = g₁ = (2, −8); buf₂ = 0.9·buf₁ + (1.6, −4.8) = (3.4, −12); buf₃ = 0.9·buf₂ + (0.92, 0) = (3.98, −10.8)
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        assertSteps(&sgd, expected: [[0.8, -1.2], [0.46, 0], [0.062, 1.08]])
    }

    func testNesterovFollowsHandComputedSteps() throws {
        // step 1: buf = (2, −8), d = g + 0.9·buf = (3.8, −15.2), θ = (0.62, −0.48)
        // step 2: g = (1.24, −1.92), buf = (3.04, −9.12), d = (3.976, −10.128), θ = (0.2224, 0.5328)
        // step 3: g = (0.4448, 2.1312), buf = (3.1808, −6.0768), d = (3.30752, −3.33792)
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        assertSteps(&sgd, expected: [[0.62, -0.48], [0.2224, 0.5328], [-0.108352, 0.866592]])
    }

    func testWeightDecayIsAddedToTheGradientOnlyWhereItApplies() throws {
        // θ₁ decays (d = g + 0.1·θ₁: 2.1, then 1.659, then 0.9135 + …), θ₂ does not (as in the momentum test).
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
        assertSteps(&sgd, groups: [.init(range: 0..<1, decays: true), .init(range: 1..<2, decays: false)],
                    expected: [[0.79, -1.2], [0.4351, 0], [0.024319, 1.08]])
    }

    func testNesterovWithWeightDecayOnBothParameters() throws {
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1)
        assertSteps(&sgd, expected: [[0.601, -0.442], [0.191101, 0.566518], [-0.140468399, 0.869768678]])
    }

    func testRestoredMomentumBufferContinuesExactlyLikeAnUninterruptedRun() throws {
        var straight = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01)
        let all = assertSteps(&straight, expected: nil, count: 3)
        var first = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01)
        let head = assertSteps(&first, expected: nil, count: 2)
        var resumed = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01,
                              momentumBuffer: first.momentumBuffer, stepCount: first.stepCount)
        var theta = head.last!
        try step(&resumed, &theta, groups: [.init(range: 0..<2, decays: true)])
        XCTAssertEqual(theta, all.last!)
        XCTAssertEqual(resumed.stepCount, 3)
        XCTAssertEqual(resumed.momentumBuffer, straight.momentumBuffer)
    }

    func testModelStepCanExcludeOneDimensionalTensorsFromDecayAndNeverTouchesRunningStatistics() throws {
        let arch = try ResNetArchitecture(depth: 8)
        var model = ForwardPassTests.randomModel(arch, seed: 3)
        let before = model.values
        var sgd = try SGD(learningRate: 0.1, weightDecay: 0.5, decaysOneDimensionalTensors: false)
        try sgd.step(model: &model, gradients: [Float](repeating: 0, count: before.count))
        for entry in model.layout.entries {
            for i in entry.range {
                if entry.role.isTrainable && entry.shape.count > 1 {
                    // θ − 0.1·(0.5·θ) = 0.95·θ
                    XCTAssertEqual(model.values[i], 0.95 * before[i], accuracy: 1e-6 * abs(before[i]), entry.name)
                } else {
                    XCTAssertEqual(model.values[i], before[i], entry.name)
                }
            }
        }
    }

    func testInvalidSettingsAndShapesAreRefused() throws {
        XCTAssertThrowsError(try SGD(learningRate: -1))
        XCTAssertThrowsError(try SGD(learningRate: 0.1, momentum: 1))
        XCTAssertThrowsError(try SGD(learningRate: 0.1, nesterov: true))
        XCTAssertThrowsError(try SGD(learningRate: 0.1, weightDecay: .nan))
        var model = ForwardPassTests.randomModel(try ResNetArchitecture(depth: 8), seed: 1)
        var sgd = try SGD(learningRate: 0.1, momentum: 0.9, momentumBuffer: [1, 2, 3])
        XCTAssertThrowsError(try sgd.step(model: &model, gradients: [Float](repeating: 0, count: 5))) {
            XCTAssertTrue("\($0)".contains("gradient has 5 values"), "\($0)")
        }
        XCTAssertThrowsError(try sgd.step(model: &model, gradients: [Float](repeating: 0, count: model.values.count))) {
            XCTAssertTrue("\($0)".contains("momentum buffer has 3 values"), "\($0)")
        }
    }

    // MARK: - Learning-rate schedules (expected values worked out by hand)

    func testMultiStepScheduleMultipliesByGammaAtEachMilestone() {
        let schedule = LearningRateSchedule.multiStep(rate: 0.1, milestones: [100, 150], gamma: 0.1)
        XCTAssertEqual(schedule.rate(at: 0, of: 200), 0.1, accuracy: 1e-15)
        XCTAssertEqual(schedule.rate(at: 99.9, of: 200), 0.1, accuracy: 1e-15)
        XCTAssertEqual(schedule.rate(at: 100, of: 200), 0.01, accuracy: 1e-15)
        XCTAssertEqual(schedule.rate(at: 149, of: 200), 0.01, accuracy: 1e-15)
        XCTAssertEqual(schedule.rate(atStep: 150, totalSteps: 200), 0.001, accuracy: 1e-15)
    }

    func testCosineScheduleAnnealsToZeroOrToAFloor() {
        let toZero = LearningRateSchedule.cosine(rate: 1, floor: 0)
        XCTAssertEqual(toZero.rate(at: 0, of: 90), 1, accuracy: 1e-12)
        XCTAssertEqual(toZero.rate(at: 30, of: 90), 0.75, accuracy: 1e-12)   // (1 + cos(π/3))/2
        XCTAssertEqual(toZero.rate(at: 45, of: 90), 0.5, accuracy: 1e-12)
        XCTAssertEqual(toZero.rate(at: 90, of: 90), 0, accuracy: 1e-12)
        let toFloor = LearningRateSchedule.cosine(rate: 1, floor: 0.1)
        XCTAssertEqual(toFloor.rate(at: 30, of: 90), 0.775, accuracy: 1e-12)  // 0.1 + 0.9·0.75
        XCTAssertEqual(toFloor.rate(atStep: 90, totalSteps: 90), 0.1, accuracy: 1e-12)
    }

    func testOneCycleWarmsUpLinearlyThenFollowsACosine() {
        let schedule = LearningRateSchedule.oneCycle(peak: 1, warmupFraction: 0.25, initialRate: 0.04, floor: 0)
        XCTAssertEqual(schedule.rate(at: 0, of: 100), 0.04, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(at: 12.5, of: 100), 0.52, accuracy: 1e-12)   // halfway up: 0.04 + 0.96/2
        XCTAssertEqual(schedule.rate(at: 25, of: 100), 1, accuracy: 1e-12)
        XCTAssertEqual(schedule.rate(at: 62.5, of: 100), 0.5, accuracy: 1e-12)    // halfway down the cosine
        XCTAssertEqual(schedule.rate(at: 100, of: 100), 0, accuracy: 1e-12)
    }

    func testSchedulesRoundTripThroughJSONAndRejectBadSettings() throws {
        let schedules: [LearningRateSchedule] = [
            .constant(rate: 0.05), .multiStep(rate: 0.1, milestones: [2, 4.5], gamma: 0.2),
            .cosine(rate: 0.1, floor: 0.001), .oneCycle(peak: 0.4, warmupFraction: 0.3, initialRate: 0.01, floor: 0),
        ]
        for schedule in schedules {
            let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(schedule))
            XCTAssertEqual(decoded, schedule)
            XCTAssertNoThrow(try schedule.validate())
        }
        XCTAssertThrowsError(try LearningRateSchedule.oneCycle(peak: 1, warmupFraction: 1.5, initialRate: 0, floor: 0).validate())
        XCTAssertThrowsError(try LearningRateSchedule.multiStep(rate: 0.1, milestones: [1], gamma: 0).validate())
        XCTAssertThrowsError(try LearningRateSchedule.cosine(rate: -0.1, floor: 0).validate())
    }

    // MARK: - helpers

    /// Runs `count` steps on f from (1, −2) and compares each θ with `expected` (float32 tolerance).
    @discardableResult
    private func assertSteps(_ sgd: inout SGD, groups: [SGD.ParameterGroup] = [.init(range: 0..<2, decays: true)],
                             expected: [[Double]]?, count: Int = 3,
                             file: StaticString = #filePath, line: UInt = #line) -> [[Float]] {
        var theta: [Float] = [1, -2]
        var trajectory: [[Float]] = []
        for k in 0..<(expected?.count ?? count) {
            XCTAssertNoThrow(try step(&sgd, &theta, groups: groups), file: file, line: line)
            trajectory.append(theta)
            if let row = expected?[k] {
                for i in 0..<2 {
                    XCTAssertEqual(Double(theta[i]), row[i], accuracy: 2e-6, "step \(k + 1) θ\(i + 1)", file: file, line: line)
                }
            }
        }
        return trajectory
    }

    private func step(_ sgd: inout SGD, _ theta: inout [Float], groups: [SGD.ParameterGroup]) throws {
        let gradient: [Float] = [2 * theta[0], 4 * theta[1]]
        try theta.withUnsafeMutableBufferPointer { values in
            try gradient.withUnsafeBufferPointer { try sgd.step(values: values, gradients: $0, groups: groups) }
        }
    }
}
