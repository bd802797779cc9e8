import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import XCTest
import LandscapeCore

/// The Hessian request: refused before any work when it cannot be honoured,
/// and, when it can, files written whole with the fields the issue names.
final class HessianSpecTests: XCTestCase {
    func testDefaultsValidate() throws {
        let validated = try HessianSpec(models: ["a"]).validated(limits: HessianLimits())
        XCTAssertEqual(validated.samples, HessianSpec.defaultSamples)
        XCTAssertTrue(validated.samplesAtMost)
        XCTAssertEqual(validated.options.top, 5)
        XCTAssertEqual(validated.options.maximumProducts, 100)
    }

    func testRefusalsNameTheField() {
        func refusal(_ change: (inout HessianSpec) -> Void) -> String? {
            var spec = HessianSpec(models: ["a"])
            change(&spec)
            do {
                _ = try spec.validated(limits: HessianLimits())
                return nil
            } catch let error as SpecError {
                return error.field
            } catch {
                return "unexpected \(error)"
            }
        }
        XCTAssertEqual(refusal { $0.models = [] }, "models")
        XCTAssertEqual(refusal { $0.models = ["a", "a"] }, "models")
        XCTAssertEqual(refusal { $0.samples = 0 }, "samples")
        XCTAssertEqual(refusal { $0.top = -1 }, "top")
        XCTAssertEqual(refusal { $0.top = 20; $0.lanczosSteps = 10 }, "top")
        XCTAssertEqual(refusal { $0.lanczosSteps = 0 }, "lanczos_steps")
        XCTAssertEqual(refusal { $0.traceProbes = -3 }, "trace_probes")
        XCTAssertEqual(refusal { $0.density = true; $0.densityRuns = 0 }, "density_runs")
        XCTAssertEqual(refusal { $0.density = true; $0.densitySteps = 1 }, "density_steps")
        XCTAssertEqual(refusal { $0.top = 0 }, "top, negative, trace_probes, density")
        XCTAssertNil(refusal { $0.top = 0; $0.negative = true })
        XCTAssertEqual(refusal { $0.traceProbes = 2_000; $0.lanczosSteps = 100 }, "lanczos_steps, trace_probes, density_runs, density_steps")
        XCTAssertNil(refusal { $0.top = 0; $0.traceProbes = 10 })
    }

    func testFieldsListEveryOptionWithItsDefault() {
        let fields = HessianSpec.fields(limits: HessianLimits())
        XCTAssertEqual(fields.map(\.name), ["models", "dataset", "split", "samples", "subset", "subset_seed", "top", "negative", "lanczos_steps",
                                            "trace_probes", "density", "density_runs", "density_steps", "seed"])
        XCTAssertEqual(fields.first { $0.name == "top" }?.defaultValue, "5")
        XCTAssertEqual(fields.first { $0.name == "trace_probes" }?.flag, "--trace-probes")
    }

    func testMoreEigenvaluesThanParametersAreRefusedBeforeAnyProduct() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        let set = try Self.images(4)
        let options = SpectrumOptions(top: 300_000, lanczosSteps: 300_000, traceProbes: 0, density: false, densityRuns: 0,
                                      densitySteps: 0, seed: 0)
        XCTAssertThrowsError(try HessianRun(models: [model], data: set, options: options,
                                            directory: Self.temporaryDirectory())) { error in
            XCTAssertEqual((error as? SpecError)?.field, "top")
            XCTAssertTrue("\(error)".contains("269722 trainable parameters"), "\(error)")
        }
    }

    func testRunWritesSpectrumAndEigenvectorsNamedAsTheModel() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        let set = try Self.images(8)
        let directory = Self.temporaryDirectory()
        let options = SpectrumOptions(top: 2, negative: true, lanczosSteps: 8, traceProbes: 2, density: true, densityRuns: 1, densitySteps: 4,
                                      densityBins: 200, seed: 3)
        let run = try HessianRun(models: [model], data: set, options: options, directory: directory, threads: 2)
        var reports: [ProgressReport] = []
        let spectrum = try run.run { reports.append($0) }[0]
        XCTAssertEqual(spectrum.topEigenvalues.count, 2)
        XCTAssertGreaterThan(spectrum.topEigenvalues[0], spectrum.topEigenvalues[1])
        XCTAssertEqual(spectrum.samples, 8)
        XCTAssertEqual(spectrum.seed, 3)
        XCTAssertEqual(spectrum.density?.grid.count, 200)
        XCTAssertNotNil(spectrum.traceStderr)
        XCTAssertEqual(reports.last?.done, reports.last?.total)

        let data = try Data(contentsOf: run.jsonURL(model))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["top_eigenvalues", "top_eigenvectors", "trace", "trace_stderr", "density", "samples", "seed", "timing"] {
            XCTAssertNotNil(object[key], key)
        }
        XCTAssertEqual(try LandscapeJSON.decoder.decode(HessianSpectrum.self, from: data), spectrum)

        let vectors = try Checkpoint.load(directory.appendingPathComponent(try XCTUnwrap(spectrum.topEigenvectors)))
        let trainable = model.model.layout.entries.filter { $0.role.isTrainable }
        XCTAssertEqual(vectors.count, 3 * trainable.count)
        XCTAssertNotNil(vectors["smallest.linear.bias"])
        XCTAssertNotNil(spectrum.smallestRitzValue)
        XCTAssertEqual(vectors["eigenvector1.layer3.2.conv2.weight"]?.shape, [64, 64, 3, 3])
        let norm = trainable.reduce(0.0) { sum, entry in
            sum + vectors["eigenvector0.\(entry.name)"]!.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        }
        XCTAssertEqual(norm, 1, accuracy: 1e-5)
    }

    /// `timing.kernel` names what computed the products: the register kernels' ISA, or "portable" (im2col +
    /// BLAS) when the kernels are switched off; the two spectra agree to float32 rounding.
    func testTheSpectrumRecordsWhatComputedTheProducts() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        let set = try Self.images(4)
        let options = SpectrumOptions(top: 1, lanczosSteps: 4, traceProbes: 0, density: false, densityRuns: 0, densitySteps: 0,
                                      seed: 1)
        defer { try? KernelISA.select(KernelISA.best) }
        var spectra: [HessianSpectrum] = []
        for isa in [KernelISA.portable, KernelISA.best] {
            try KernelISA.select(isa)
            let run = try HessianRun(models: [model], data: set, options: options, directory: Self.temporaryDirectory(),
                                     threads: 2)
            let spectrum = try run.run { _ in }[0]
            XCTAssertEqual(spectrum.timing.kernel, isa.rawValue)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: run.jsonURL(model))) as? [String: Any])
            XCTAssertEqual((object["timing"] as? [String: Any])?["kernel"] as? String, isa.rawValue)
            spectra.append(spectrum)
        }
        XCTAssertEqual(spectra[0].topEigenvalues[0], spectra[1].topEigenvalues[0], accuracy: 1e-4 * spectra[0].topEigenvalues[0])
    }

    func testProductOfAVectorFileRefusesMismatchedTensorsByName() throws {
        let model = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        let set = try Self.images(2)
        var vector = StateDict(model.model.layout.entries.filter { $0.role.isTrainable }.map {
            ($0.name, Tensor(zeros: $0.shape))
        })
        vector["layer2.1.bn2.weight"] = Tensor(zeros: [3])
        vector["linear.bias"] = nil
        XCTAssertThrowsError(try HessianVectorFile.product(model: model, data: set, vector: vector, source: "v.safetensors")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("layer2.1.bn2.weight has shape [3], expected [32]"), text)
            XCTAssertTrue(text.contains("missing tensor linear.bias"), text)
            XCTAssertTrue(text.hasPrefix("v.safetensors"), text)
        }
    }

    static func images(_ count: Int) throws -> SurfaceData {
        try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path, samples: count))
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-hessian-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
