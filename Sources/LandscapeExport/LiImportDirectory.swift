import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeCore

extension LiImport {
    /// The progress order an imported surface records: its provenance (values read, not computed here).
    public static let progressOrder = "imported"

    /// What an HDF5 file says about itself before a model is chosen.
    public struct Peek: Sendable {
        /// Holds `xcoordinates`: a surface file (else perhaps a direction file, or neither).
        public var isSurface: Bool
        /// Holds an `xdirection` group: a direction file.
        public var isDirectionFile: Bool
        /// The surface's `dir_file` string (their code writes the path it was given).
        public var directionFile: String?
        /// The model our own export named in its metadata (sha256), nil for a file of theirs.
        public var exportedModelSha256: String?
    }

    public static func peek(_ path: String) throws -> Peek {
        let bytes = try readBytes(path)
        return try HDF5File.withLibrary {
            let file = try HDF5File.open(bytes: bytes, source: path)
            let metadata = file.stringAttribute(LiLayout.metadataAttribute).flatMap { try? Surface.decode(Data($0.utf8), source: path) }
            return Peek(isSurface: file.exists("xcoordinates"), isDirectionFile: file.exists("xdirection"),
                        directionFile: file.stringDataset("dir_file"), exportedModelSha256: metadata?.model.sha256)
        }
    }

    /// Saves an import into `store`: the directions first (when the import has them), then the surface
    /// naming them; both through the store's atomic writer. Returns the surface as stored.
    @discardableResult
    public static func save(_ result: Result, model: LoadedModel, into store: SurfaceStore) throws -> Surface {
        var surface = result.surface
        if let directions = result.directions {
            let name = store.directionsFileName(id: surface.id)
            try store.saveDirections(directions, layout: model.model.layout, spec: result.directionSpec, fileName: name)
            surface.directions.file = name
        }
        try store.save(surface)
        return surface
    }

    /// What importing a directory did: each surface file imported, each file refused with the reason.
    public struct DirectoryReport: Sendable {
        public var imported: [(file: String, surface: Surface)] = []
        public var skipped: [(file: String, reason: String)] = []
        /// Imported, but something is missing (a `dir_file` that is not in the directory).
        public var warnings: [(file: String, warning: String)] = []
    }

    /// File extensions taken for HDF5.
    public static let fileExtensions: Set<String> = ["h5", "hdf5"]

    /// Imports every surface file (`*.h5`, `*.hdf5` holding `xcoordinates`) in `directory` into `store`,
    /// each with its direction file when one is found in the directory: the base name of its `dir_file`,
    /// else our own export's `F.directions.h5`. The model is the one among `models` that our export's
    /// metadata names, else the only candidate; with several candidates and no metadata the file is
    /// skipped (say which model with the caller's option). A file that cannot be read is reported and
    /// skipped; the others are still imported.
    public static func importDirectory(_ directory: URL, models: [LoadedModel], into store: SurfaceStore) throws -> DirectoryReport {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() } catch {
            throw ExportError.io(path: directory.path, detail: "cannot list the directory: \(error.localizedDescription)")
        }
        var report = DirectoryReport()
        for name in names where fileExtensions.contains((name as NSString).pathExtension.lowercased()) {
            let url = directory.appendingPathComponent(name)
            do {
                let peek = try peek(url.path)
                if !peek.isSurface {
                    if !peek.isDirectionFile {
                        report.skipped.append((name, "\(url.path): no 'xcoordinates' (not a surface file) and no 'xdirection' (not a direction file)"))
                    }
                    continue
                }
                let model = try chooseModel(for: peek, among: models, path: url.path)
                let directionURL = findDirectionFile(for: url, named: peek.directionFile)
                if directionURL == nil, let named = peek.directionFile {
                    report.warnings.append((name, "its dir_file '\(named)' is not in \(directory.path): imported without directions"))
                }
                let result = try read(url.path, directionFile: directionURL?.path, model: model)
                report.imported.append((name, try save(result, model: model, into: store)))
            } catch {
                report.skipped.append((name, "\(error)"))
            }
        }
        return report
    }

    private static func chooseModel(for peek: Peek, among models: [LoadedModel], path: String) throws -> LoadedModel {
        if let sha = peek.exportedModelSha256, let named = models.first(where: { $0.sha256 == sha }) { return named }
        if models.count == 1 { return models[0] }
        if models.isEmpty { throw ExportError.unsupported(format: "h5", detail: "\(path): there is no model to import the surface for") }
        throw ExportError.unsupported(format: "h5", detail: "\(path): cannot tell which of \(models.count) models the surface was computed for "
            + "(the file names none of them): name the model (serve --import-model ID)")
    }

    private static func findDirectionFile(for surface: URL, named: String?) -> URL? {
        let directory = surface.deletingLastPathComponent()
        var candidates: [URL] = []
        if let named, !named.isEmpty { candidates.append(directory.appendingPathComponent((named as NSString).lastPathComponent)) }
        candidates.append(surface.deletingPathExtension().appendingPathExtension("directions.h5"))
        return candidates.first { $0.standardizedFileURL != surface.standardizedFileURL && FileManager.default.fileExists(atPath: $0.path) }
    }
}
