import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// The plane of the two sharpest directions as surface axes: x and y are the
/// top-2 Hessian eigenvectors from a `landscape hessian --top 2 --out DIR`
/// run, checked against the model the surface is computed around.
///
/// Scale: the eigenvectors are unit vectors over the trainable tensors (conv
/// and linear weights, BN scales and biases; zero at BN running statistics)
/// and are used as they are, not filter-normalized, as Li et al. do. So grid
/// coordinate α moves the weights by exactly |α| in L2 norm, and near the
/// minimum the loss along x is L0 + (g·v1) α + ½ λ1 α² + O(α³).
public struct HessianPlane: Sendable {
    public let directory: String
    /// The run's JSON for this model (file name inside `directory`).
    public let spectrumFile: String
    public let spectrum: HessianSpectrum
    public let x: Direction
    public let y: Direction
    /// λ1, λ2: the Ritz values of x and y (largest first).
    public let eigenvalues: [Double]
    /// SHA-256 of the eigenvector file (part of the surface's content key).
    public let eigenvectorsSha256: String

    /// Finds the run of `model` in `directory` (its `*.hessian.json` whose model
    /// sha256 is the model's) and reads eigenvectors 0 and 1 into flat buffers
    /// aligned with the model's layout.
    public static func load(directory: String, model: LoadedModel) throws -> HessianPlane {
        let base = URL(fileURLWithPath: directory)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".hessian.json") }.sorted()
        } catch {
            throw LandscapeError.invalidDirections("hessian:\(directory): cannot list the directory (\(error.localizedDescription)): "
                + "expected the --out directory of `landscape hessian --top 2`")
        }
        guard !names.isEmpty else {
            throw LandscapeError.invalidDirections("hessian:\(directory): no *.hessian.json file: expected the --out directory of `landscape hessian --top 2`")
        }
        var others: [String] = []
        for name in names {
            let url = base.appendingPathComponent(name)
            let data = try Checkpoint.contents(of: url)
            let spectrum: HessianSpectrum
            do { spectrum = try LandscapeJSON.decoder.decode(HessianSpectrum.self, from: data) } catch {
                throw LandscapeError.invalidDirections("\(url.path): not a Hessian spectrum (\(error)): expected a file written by `landscape hessian`")
            }
            // The activation is part of the model but not of its bytes: the same weights through
            // another activation are another function with another Hessian.
            guard spectrum.model.sha256 == model.sha256, spectrum.model.activation == model.info.activation else {
                others.append("\(name) (\(spectrum.model.name), \(spectrum.model.activation), sha256 \(spectrum.model.sha256.prefix(12))…)")
                continue
            }
            return try load(spectrum, file: name, directory: base, model: model)
        }
        throw LandscapeError.invalidDirections("hessian:\(directory) holds the spectra of other models: " + others.joined(separator: ", ")
            + "; expected one of \(model.url.path) (\(model.info.activation), sha256 \(model.sha256.prefix(12))…)")
    }

    private static func load(_ spectrum: HessianSpectrum, file: String, directory base: URL, model: LoadedModel) throws -> HessianPlane {
        let jsonPath = base.appendingPathComponent(file).path
        guard spectrum.topEigenvalues.count >= 2, let vectorFile = spectrum.topEigenvectors else {
            throw LandscapeError.invalidDirections("\(jsonPath): top_eigenvalues has \(spectrum.topEigenvalues.count) "
                + "value(s)\(spectrum.topEigenvectors == nil ? " and no top_eigenvectors file" : ""): expected 2 or more (run `landscape hessian --top 2`)")
        }
        let url = base.appendingPathComponent(vectorFile)
        let bytes = try Checkpoint.contents(of: url)
        let dict = try Safetensors.read(data: bytes, source: url.path)
        func vector(_ index: Int) throws -> Direction {
            var values = [Float](repeating: 0, count: model.model.layout.totalCount)
            var problems: [String] = []
            for entry in model.model.layout.entries where entry.role.isTrainable {
                let name = "eigenvector\(index).\(entry.name)"
                guard let tensor = dict[name] else { problems.append("missing tensor \(name)"); continue }
                guard tensor.shape == entry.shape else {
                    problems.append("tensor \(name) has shape \(tensor.shape), expected \(entry.shape)")
                    continue
                }
                values.replaceSubrange(entry.range, with: tensor.scalars)
            }
            guard problems.isEmpty else {
                throw LandscapeError.invalidDirections("\(url.path): " + problems.prefix(3).joined(separator: "; ")
                    + (problems.count > 3 ? "; and \(problems.count - 3) more" : "")
                    + ": expected eigenvector\(index).<tensor> for every trainable tensor of \(model.name), shaped as in the model")
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw LandscapeError.invalidDirections("\(url.path): eigenvector\(index) value \(bad) is \(values[bad]): expected finite numbers")
            }
            return Direction(values: values)
        }
        return HessianPlane(directory: base.path, spectrumFile: file, spectrum: spectrum, x: try vector(0), y: try vector(1),
                            eigenvalues: Array(spectrum.topEigenvalues.prefix(2)), eigenvectorsSha256: SHA256.hex(bytes))
    }
}
