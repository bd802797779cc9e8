import Foundation
import LandscapeCore

/// The Hessian spectra shipped with the models: one folder as `landscape hessian --out DIR` writes it
/// (`<model>.hessian.json` per model, `<model>.hessian-eigenvectors.safetensors` beside each, and the
/// comparison pictures), read only. It has no store entry (`run.json`): the entry is made from the
/// spectra themselves, and its id from their bytes (`h` and 15 hexadecimal digits, as a computed run's),
/// so a recomputed folder gets a new id.
public struct ShippedHessianRun: Sendable {
    public let directory: URL
    public let entry: HessianStore.Entry
    /// In the order of `entry.models` (file names sorted).
    public let spectra: [HessianSpectrum]

    static let suffix = ".hessian.json"

    /// The spectrum files of a folder, sorted; [] when the folder does not exist.
    public static func spectrumFiles(in directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
    }

    /// The run in `directory`, nil when it holds no spectrum. A spectrum that cannot be read, or spectra
    /// that were not computed on the same images with the same seed (so are not one comparison), are refused
    /// naming the file and the field.
    public static func read(directory: URL) throws -> ShippedHessianRun? {
        let files = spectrumFiles(in: directory)
        guard !files.isEmpty else { return nil }
        var hash = SHA256()
        var spectra: [HessianSpectrum] = []
        var newest = Date(timeIntervalSince1970: 0)
        for name in files {
            let url = directory.appendingPathComponent(name)
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw LandscapeError.storeFailure(path: url.path, detail: "cannot read the shipped Hessian spectrum: \(error.localizedDescription)")
            }
            let spectrum: HessianSpectrum
            do { spectrum = try LandscapeJSON.decoder.decode(HessianSpectrum.self, from: data) } catch {
                throw LandscapeError.storeFailure(path: url.path,
                                                  detail: "not a Hessian spectrum (format \(HessianSpectrum.formatVersion)): \(LandscapeJSON.describe(error))")
            }
            if let first = spectra.first {
                for (field, expected, got) in [("dataset.content_sha256", first.dataset.contentSha256, spectrum.dataset.contentSha256),
                                               ("samples", "\(first.samples)", "\(spectrum.samples)"),
                                               ("seed", "\(first.seed)", "\(spectrum.seed)")] where expected != got {
                    throw LandscapeError.storeFailure(path: url.path, detail: "field \(field) is \(got), expected \(expected) as in \(files[0]): "
                                                      + "the shipped spectra must be one run (same images, same seed)")
                }
            }
            hash.update(name)
            hash.update(data)
            spectra.append(spectrum)
            if let modified = try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date {
                newest = max(newest, modified)
            }
        }
        let first = spectra[0]
        let options = SpectrumOptions(top: spectra.map(\.topEigenvalues.count).max() ?? 0, lanczosSteps: spectra.map(\.lanczosSteps).max() ?? 0,
                                      traceProbes: spectra.map(\.traceProbes).max() ?? 0, density: spectra.contains { $0.density != nil },
                                      densityRuns: spectra.compactMap { $0.density?.runs.count }.max() ?? 0,
                                      densitySteps: spectra.compactMap { $0.density?.steps }.max() ?? 0, seed: first.seed)
        let entry = HessianStore.Entry(id: "h" + String(hash.hexDigest().prefix(15)), models: spectra.map(\.model.name), files: files,
                                       dataset: first.dataset.name, samples: first.samples, options: options, created: newest)
        return ShippedHessianRun(directory: directory, entry: entry, spectra: spectra)
    }

    /// The eigenvector file of one model of the run (as its spectrum names it), nil when it has none or it is missing.
    public func eigenvectorsURL(model: String) -> URL? {
        guard let index = entry.models.firstIndex(of: model), let name = spectra[index].topEigenvectors else { return nil }
        let url = directory.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}

/// The seed studies shipped with the models: a folder holding study JSONs as `landscape surface --seeds
/// A:B --study F` writes them (any file name) beside their surfaces, read only. Files that are not
/// seed studies (the surfaces, their directions) are passed over.
public struct ShippedStudies: Sendable {
    public let directory: URL
    /// Oldest first, each with the file it was read from.
    public let studies: [(study: SeedStudy, file: URL)]
    /// Files that look like studies but cannot be read, each said with its file and what is wrong.
    public let problems: [String]

    public init(directory: URL) {
        self.directory = directory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var found: [(study: SeedStudy, file: URL, modified: Date)] = []
        var problems: [String] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            // A surface JSON is no study: only files whose (sorted) keys start with a study's are decoded.
            guard let head = try? FileHandle(forReadingFrom: url), let prefix = try? head.read(upToCount: 1 << 12),
                  (try? head.close()) != nil, String(decoding: prefix, as: UTF8.self).contains("\"comparisons\"") else { continue }
            let study: SeedStudy
            do { study = try SeedStudy.load(url.path) } catch { problems.append("\(error)"); continue }
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date()
            found.append((study, url, modified))
        }
        self.problems = problems
        studies = found.sorted { ($0.modified, $0.study.id) < ($1.modified, $1.study.id) }.map { ($0.study, $0.file) }
    }

    public func study(_ id: String) -> SeedStudy? { studies.first { $0.study.id == id }?.study }

    /// The list entries, as `SeedStudyStore.entries()` gives them for computed studies.
    public var entries: [SeedStudyStore.Entry] {
        studies.map { SeedStudyStore.Entry(study: $0.study, file: $0.file) }
    }
}

extension SeedStudyStore.Entry {
    /// The list entry of a study read from `file` (its modification time is the entry's date).
    public init(study: SeedStudy, file: URL) {
        let date = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date) ?? Date()
        self.init(id: study.id, seeds: study.seeds, dimensions: study.dimensions, widthThreshold: study.widthThreshold,
                  models: study.models.map(\.label), samples: study.dataset.samples,
                  sentences: study.comparisons.map(\.sentence), created: ISO8601DateFormatter().string(from: date))
    }
}
