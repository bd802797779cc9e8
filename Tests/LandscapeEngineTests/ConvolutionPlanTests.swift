import XCTest
@testable import LandscapeEngine

/// `--convolution auto` per layer: the decision (a pure function of measured seconds per class and
/// candidate), the classes of a ResNet's convolutions, the names a surface records; and the hybrid
/// forward (oneDNN layers between our CNHW layers) against the float64 ResNet for every activation.
final class ConvolutionPlanTests: XCTestCase {
    typealias Seconds = [LayerClass: [LayerKernel: Double]]

    func testEachClassTakesItsFastestCandidateOnlyBeyondTheMargin() {
        let seconds: Seconds = [
            .stem: [.ours(.winograd): 10, .ours(.direct): 7, .onednnReordered: 9.9],               // direct by 43 %
            .stage1: [.ours(.winograd): 10, .ours(.direct): 12, .onednnReordered: 9.6],            // 4 %: stays
            .downsample2: [.ours(.direct): 10, .onednnReordered: 6.5, .onednnCNHW: 30],            // oneDNN by 54 %
            .downsample3: [.ours(.direct): 10, .onednnReordered: 9.7, .onednnCNHW: 9.4],           // 6.4 %: CNHW
        ]
        let plan = ConvolutionPlan.decide(seconds: seconds, incumbent: .winograd)
        XCTAssertEqual(plan.kernels[.stem], .ours(.direct))
        XCTAssertEqual(plan.kernels[.stage1], .ours(.winograd))
        XCTAssertEqual(plan.kernels[.downsample2], .onednnReordered)
        XCTAssertEqual(plan.kernels[.downsample3], .onednnCNHW)
        XCTAssertEqual(plan.kernels[.stage2], .ours(.winograd), "not measured: the incumbent")
        XCTAssertEqual(plan.fallback, .winograd)
        XCTAssertEqual(ConvolutionPlan.decide(seconds: seconds, incumbent: .winograd, margin: 0.5).kernels[.downsample2],
                       .onednnReordered)
        XCTAssertEqual(ConvolutionPlan.decide(seconds: seconds, incumbent: .winograd, margin: 0.6), .uniform(.winograd))
    }

    func testTheIncumbentStandsWithoutAUsableMeasurementOfIt() {
        XCTAssertEqual(ConvolutionPlan.decide(seconds: [:], incumbent: .winograd), .uniform(.winograd))
        for base in [0, -1, Double.nan, .infinity] {
            let plan = ConvolutionPlan.decide(seconds: [.stage2: [.ours(.winograd): base, .onednnReordered: 1]], incumbent: .winograd)
            XCTAssertEqual(plan, .uniform(.winograd), "incumbent \(base)")
        }
        let broken = ConvolutionPlan.decide(seconds: [.stage2: [.ours(.winograd): 10, .onednnReordered: .nan, .onednnCNHW: 0]],
                                            incumbent: .winograd)
        XCTAssertEqual(broken, .uniform(.winograd), "NaN and zero candidates are ignored")
    }

    /// F(4×4) competes on the stride-1 classes like F(2×2); at stride 2 it runs the direct kernel, so a time
    /// measured there under its name can never win, and it names what really ran.
    func testWinograd4CompetesOnStrideOneOnly() {
        let seconds: Seconds = [
            .stage2: [.ours(.winograd): 10, .ours(.winograd4): 8, .ours(.direct): 15],    // F(4×4) by 25 %
            .stage1: [.ours(.winograd): 10, .ours(.winograd4): 9.8],                      // 2 %: stays
            .downsample2: [.ours(.direct): 10, .ours(.winograd4): 1],                     // not a candidate at stride 2
        ]
        let plan = ConvolutionPlan.decide(seconds: seconds, incumbent: .winograd)
        XCTAssertEqual(plan.kernels[.stage2], .ours(.winograd4))
        XCTAssertEqual(plan.kernels[.stage1], .ours(.winograd))
        XCTAssertEqual(plan.kernels[.downsample2], .ours(.winograd))
        XCTAssertFalse(LayerKernel.ours(.winograd4).applies(to: .downsample3))
        XCTAssertTrue(LayerKernel.ours(.winograd4).applies(to: .stage3))
        if DirectConvolution.isAvailable { XCTAssertTrue(LayerKernel.candidates.contains(.ours(.winograd4))) }
        let incumbent = ConvolutionPlan.decide(seconds: [.downsample3: [.ours(.direct): 10, .onednnReordered: 5]],
                                               incumbent: .winograd4)
        XCTAssertEqual(incumbent.kernels[.downsample3], .onednnReordered, "F(4×4)'s stride-2 incumbent is the direct kernel")
    }

    func testWinogradAtStrideTwoIsNeitherACandidateNorTheIncumbent() {
        // Our `winograd` runs stride-2 layers on the direct kernel: the direct time is the incumbent's there,
        // and a (meaningless) Winograd time at stride 2 cannot win.
        let plan = ConvolutionPlan.decide(seconds: [.downsample2: [.ours(.winograd): 1, .ours(.direct): 10, .onednnReordered: 9.8]],
                                          incumbent: .winograd)
        XCTAssertEqual(plan, .uniform(.winograd))
        XCTAssertTrue(plan.isUniform)
        XCTAssertFalse(LayerKernel.ours(.winograd).applies(to: .downsample3))
        XCTAssertTrue(LayerKernel.ours(.direct).applies(to: .downsample3))
        XCTAssertTrue(LayerKernel.onednnCNHW.applies(to: .stem))
    }

    func testResNetConvolutionsFallIntoTheirClasses() throws {
        // ResNet-20: stem, then 3 blocks per stage; the first block of stages 2 and 3 downsamples.
        let resnet20 = try ResNetArchitecture(depth: 20)
        let classes = (0..<19).map { LayerClass.of(convolution: $0, in: resnet20) }
        XCTAssertEqual(classes, [.stem, .stage1, .stage1, .stage1, .stage1, .stage1, .stage1,
                                 .downsample2, .stage2, .stage2, .stage2, .stage2, .stage2,
                                 .downsample3, .stage3, .stage3, .stage3, .stage3, .stage3])
        // On 1-channel images (the shipped Fashion-MNIST models) the stem is a class of its own.
        let oneChannel = try ResNetArchitecture(depth: 20, inputChannels: 1)
        XCTAssertEqual((0..<19).map { LayerClass.of(convolution: $0, in: oneChannel) }, [.stem1] + classes.dropFirst())
        XCTAssertEqual(LayerClass.classes(inputChannels: 1), [.stem1, .stage1, .stage2, .stage3, .downsample2, .downsample3])
        XCTAssertEqual(LayerClass.classes(inputChannels: 3), [.stem, .stage1, .stage2, .stage3, .downsample2, .downsample3])
        let arch = try ResNetArchitecture(depth: 8)   // one block per stage
        let kernels = ForwardWorkspace.layerKernels(arch, plan: Self.hybrid)
        XCTAssertEqual(kernels, [.ours(.winograd), .ours(.winograd), .ours(.winograd), .onednnReordered, .ours(.winograd),
                                 .onednnReordered, .ours(.winograd)])
    }

    /// The multiplies each plan really does (what `landscape bench` divides by the FMA peak), against ResNet-20's
    /// shapes written out here: a direct convolution's 2 · O · C · 9 · H · W, ÷ 4 for F(4×4) and ÷ 2.25 for F(2×2)
    /// at stride 1, the stride-2 layers and oneDNN's always direct; the classifier's 2 · 64 · 10.
    func testMultiplyFLOPsCountWhatEachKernelMultiplies() throws {
        let arch = try ResNetArchitecture(depth: 20)
        func direct(_ c: Int, _ o: Int, _ size: Int) -> Double { Double(2 * o * c * 9 * size * size) }
        let stem = direct(3, 16, 32), stage1 = direct(16, 16, 32), down2 = direct(16, 32, 16), stage2 = direct(32, 32, 16)
        let down3 = direct(32, 64, 8), stage3 = direct(64, 64, 8), classifier = Double(2 * 64 * 10)
        func expected(stem s: Double, stride1 divisor: Double) -> Double {
            s + (6 * stage1 + 5 * stage2 + 5 * stage3) / divisor + down2 + down3 + classifier
        }
        XCTAssertEqual(ConvolutionPlan.uniform(.direct).multiplyFLOPs(arch, height: 32, width: 32),
                       Double(arch.forwardFLOPs(height: 32, width: 32)))
        XCTAssertEqual(expected(stem: stem, stride1: 1), 81_102_080, "ResNet-20's direct FLOPs on 32x32 images")
        guard DirectConvolution.isAvailable else { return }   // elsewhere every algorithm runs as im2col
        XCTAssertEqual(ConvolutionPlan.uniform(.winograd4).multiplyFLOPs(arch, height: 32, width: 32),
                       expected(stem: stem / 4, stride1: 4), accuracy: 1e-3)
        XCTAssertEqual(ConvolutionPlan.uniform(.winograd).multiplyFLOPs(arch, height: 32, width: 32),
                       expected(stem: stem / 2.25, stride1: 2.25), accuracy: 1e-3)
        let mixed = ConvolutionPlan(kernels: [.stem: .ours(.direct), .stage1: .ours(.winograd4), .stage2: .onednnReordered,
                                              .stage3: .ours(.winograd), .downsample2: .ours(.winograd4),
                                              .downsample3: .onednnCNHW], fallback: .winograd4)
        XCTAssertEqual(mixed.multiplyFLOPs(arch, height: 32, width: 32),
                       stem + 6 * stage1 / 4 + 5 * stage2 + 5 * stage3 / 2.25 + down2 + down3 + classifier, accuracy: 1e-3)
        let shape = LayerBenchmark.shapes()[1]   // 16→16 32x32 s1
        XCTAssertEqual(shape.multiplyFLOPs(.winograd4), stage1 / 4)
        XCTAssertEqual(shape.multiplyFLOPs(.winograd), stage1 / 2.25)
        XCTAssertEqual(LayerBenchmark.shapes()[2].multiplyFLOPs(.winograd4), down2, "stride 2 runs direct")
    }

    func testKernelNamesAndCacheNamesRoundTrip() {
        for kernel in LayerKernel.candidates + [.ours(.im2col)] { XCTAssertEqual(LayerKernel(name: kernel.description), kernel) }
        XCTAssertNil(LayerKernel(name: "auto"))
        XCTAssertNil(LayerKernel(name: "onednn"), "whole-network oneDNN is no layer kernel")
        XCTAssertNil(LayerKernel(name: "fastest"))
        XCTAssertEqual(ConvolutionPlan.uniform(.winograd).kernelName(activation: Activation(.relu)), ConvolutionAlgorithm.winograd.kernelName)
        let name = Self.hybrid.kernelName(activation: Activation(.relu))
        XCTAssertEqual(name, "winograd \(ConvolutionAlgorithm.winograd.kernelName) & onednn-\(OneDNN.isa) (stride-2)")
        XCTAssertFalse(name.contains("+"), "a surface joins the kernels of resumed runs with '+'")
        var zen4 = Self.hybrid   // what auto chose on Zen 4, loaded: direct stem, oneDNN for stage 3's stride-2 layer
        zen4.kernels = [.stem: .ours(.direct), .downsample3: .onednnReordered]
        XCTAssertEqual(zen4.kernelName(activation: Activation(.relu)),
                       "winograd \(ConvolutionAlgorithm.winograd.kernelName) & direct \(ConvolutionAlgorithm.direct.kernelName) "
                       + "(stem, stride2-stage2) & onednn-\(OneDNN.isa) (stride2-stage3)")
        // A kernel for the 1-channel stem only is named for the networks that have that stem, and only there.
        var oneChannelStem = ConvolutionPlan.uniform(.direct)
        oneChannelStem.kernels[.stem1] = .ours(.winograd4)
        XCTAssertEqual(oneChannelStem.kernelName(activation: Activation(.relu)), ConvolutionAlgorithm.direct.kernelName)
        XCTAssertEqual(oneChannelStem.kernelName(activation: Activation(.relu), inputChannels: 1),
                       "direct \(ConvolutionAlgorithm.direct.kernelName) & winograd4 \(ConvolutionAlgorithm.winograd4.kernelName) "
                       + "(stem-1-channel)")
        // Nish-t: oneDNN has none, so its layers run the fallback and the name says so.
        XCTAssertEqual(Self.hybrid.kernelName(activation: Activation(.nish)), ConvolutionAlgorithm.winograd.kernelName)
        XCTAssertEqual(Self.hybrid.kernel(.downsample2, activation: Activation(.nish)), .ours(.winograd))
    }

    /// Winograd everywhere but the stride-2 layers, which run on oneDNN (reordered): what `auto` chose on Zen 4.
    static let hybrid: ConvolutionPlan = {
        var plan = ConvolutionPlan.uniform(.winograd)
        plan.kernels[.downsample2] = .onednnReordered
        plan.kernels[.downsample3] = .onednnReordered
        return plan
    }()

    /// Every class on each oneDNN variant in turn, and the Zen 4 hybrid, for every activation (Nish-t falls
    /// back to ours), at CIFAR size with one and two blocks per stage, against the float64 ResNet.
    func testHybridForwardsMatchFloat64ForEveryActivation() throws {
        var plans = [Self.hybrid]
        for kernel in [LayerKernel.onednnReordered, .onednnCNHW] {
            plans.append(ConvolutionPlan(kernels: Dictionary(uniqueKeysWithValues: LayerClass.allCases.map { ($0, kernel) }),
                                         fallback: .preferred))
        }
        var mixed = ConvolutionPlan.uniform(.preferred)   // neighbours of every kind
        mixed.kernels[.stem] = .onednnCNHW
        mixed.kernels[.stage1] = .onednnReordered
        mixed.kernels[.downsample3] = .onednnCNHW
        plans.append(mixed)
        for kind in ActivationKind.allCases {
            let depth = kind == .relu || kind == .nish ? 14 : 8
            let arch = try ResNetArchitecture(depth: depth, activation: Activation(kind))
            let model = ForwardPassTests.randomModel(arch, seed: 40 + UInt64(depth))
            let data = try ForwardPassTests.randomImages(count: 11, channels: 3, height: 32, width: 32, seed: 5)
            let expected = (0..<data.count).map { ReferenceResNet(model: model).logits(data, image: $0) }
            // oneDNN 2.6.3 computes CNHW with its slow reference code: every class on it for two activations only.
            for (p, plan) in plans.enumerated() where p != 2 || kind == .relu || kind == .swish {
                let result = try Evaluator(threads: 2, microBatch: 8, plan: plan).evaluate(InferenceNetwork(model), on: data, keepLogits: true)
                for image in 0..<data.count {
                    for j in 0..<10 {
                        XCTAssertEqual(Double(result.logits![image * 10 + j]), expected[image][j],
                                       accuracy: 2e-4 * max(1, abs(expected[image][j])), "\(kind) plan \(p) image \(image) logit \(j)")
                    }
                }
            }
        }
    }

    /// Fixed micro-batches (a short last one gets its own primitives): one or two threads give the same bits.
    func testHybridResultsDoNotDependOnThreadCount() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        let model = ForwardPassTests.randomModel(arch, seed: 2)
        let data = try ForwardPassTests.randomImages(count: 37, channels: 3, height: 32, width: 32, seed: 9)
        let network = InferenceNetwork(model)
        let one = try Evaluator(threads: 1, microBatch: 8, plan: Self.hybrid).evaluate(network, on: data, keepLogits: true)
        let two = try Evaluator(threads: 2, microBatch: 8, plan: Self.hybrid).evaluate(network, on: data, keepLogits: true)
        XCTAssertEqual(one.losses, two.losses)
        XCTAssertEqual(one.logits, two.logits)
    }

    /// The per-layer measurement times every class under every candidate that applies, and a decision follows.
    func testTheLayerMeasurementCoversEveryClass() throws {
        let seconds = try ConvolutionChoice.measureLayers(threads: 1, images: 16, rounds: 1)
        for layer in LayerClass.allCases {
            let times = try XCTUnwrap(seconds[layer], "\(layer)")
            let incumbent: LayerKernel = .ours(layer.stride == 2 && ConvolutionAlgorithm.preferred == .winograd ? .direct : .preferred)
            XCTAssertGreaterThan(times[incumbent] ?? 0, 0, "\(layer): \(times)")
            XCTAssertNotNil(times[.onednnReordered], "\(layer): \(times)")
            XCTAssertTrue(times.values.allSatisfy { $0.isFinite && $0 > 0 }, "\(layer): \(times)")
        }
        _ = ConvolutionPlan.decide(seconds: seconds, incumbent: .preferred)
    }
}
