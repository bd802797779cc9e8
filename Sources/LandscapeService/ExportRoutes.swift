import Foundation
import HTTPServer
import Landscape
import LandscapeExport
import LandscapeRender

/// GET /api/surfaces/{id}.{png,svg,pdf} (pictures) and .{csv,npz,h5,vts,vtp,obj,ply} (exports), plus
/// `{id}.directions.h5`: Li et al.'s direction file that the surface file's `dir_file` names.
///
/// h5 is served as two downloads rather than one zip: `<stem>.h5` (the surface, its `dir_file` =
/// `<stem>.directions.h5`) and `<stem>.directions.h5`; saved side by side they are exactly what
/// `landscape export --format h5` writes and what their `plot_2D.py` / `h52vtp.py` read. A surface
/// without a directions file (e.g. one imported without its `dir_file`) has no `dir_file` and its
/// `.directions.h5` is 404.
struct ExportRoutes {
    let catalog: Catalog
    let pictures: PictureRoutes

    /// What follows the id in the path.
    enum Download: Equatable {
        case picture(PictureFormat)
        case export(ExportFormat)
        case directions
        case json

        static let directionsSuffix = ".directions.h5"

        /// Splits `abc.svg` into ("abc", .picture(.svg)); nil for a plain id (no dot).
        static func parse(_ name: String) throws -> (id: String, download: Download)? {
            if name.hasSuffix(directionsSuffix) { return (String(name.dropLast(directionsSuffix.count)), .directions) }
            guard let dot = name.lastIndex(of: ".") else { return nil }
            let id = String(name[..<dot]), ext = String(name[name.index(after: dot)...])
            if ext == "json" { return (id, .json) }
            // Exactly the lower-case extensions the OpenAPI document lists (no .hdf5 alias in URLs).
            if let format = PictureFormat(rawValue: ext) { return (id, .picture(format)) }
            if let format = ExportFormat(rawValue: ext) { return (id, .export(format)) }
            throw ServiceError.badRequest("format: '.\(ext)' is not one of \(extensions.map { "." + $0 }.joined(separator: ", "))")
        }

        static var extensions: [String] {
            ["json"] + PictureFormat.allCases.map(\.rawValue) + ExportFormat.allCases.map(\.rawValue) + ["directions.h5"]
        }
    }

    /// The answer for `name` (`id.ext`), or nil when `name` is a plain id.
    func handle(name: String, query: [String: String]) throws -> HTTPResponse? {
        guard let (id, download) = try Download.parse(name) else { return nil }
        switch download {
        case .json: return try .json(JSONBody(try catalog.surface(id)))
        case .picture(let format): return try pictures.surfacePicture(id: id, query: query, format: format)
        case .export(let format): return try export(id: id, format: format, query: query)
        case .directions: return try directions(id: id)
        }
    }

    private func export(id: String, format: ExportFormat, query: [String: String]) throws -> HTTPResponse {
        let spec: ExportSpec
        do { spec = try ExportSpec.decode(query: query, format: format) } catch { throw ServiceError.badRequest("\(error)") }
        let surface = try catalog.surface(id)
        let name = Self.fileStem(surface) + ".\(format.rawValue)"
        let key = "export|\(format.rawValue)|\(surface.id):\(surface.progress.computed)|\(spec)"
        let data = try pictures.produce(key) {
            try files(surface, format: format, spec: spec, name: name).first!.data
        }
        return .download(data, contentType: format.contentType, fileName: name)
    }

    private func directions(id: String) throws -> HTTPResponse {
        let surface = try catalog.surface(id)
        let stem = Self.fileStem(surface)
        let key = "export|directions|\(surface.id)"
        let data = try pictures.produce(key) { () throws -> Data in
            let files = try files(surface, format: .h5, spec: ExportSpec(format: .h5), name: stem + ".h5")
            guard files.count > 1 else {
                throw ServiceError.notFound("direction file of surface '\(id)' (it has no directions file on the server)")
            }
            return files[1].data
        }
        return .download(data, contentType: ExportFormat.h5.contentType, fileName: stem + Download.directionsSuffix)
    }

    /// The library's files, made in memory (nothing is written on the server); its refusals are 400s.
    private func files(_ surface: Surface, format: ExportFormat, spec: ExportSpec, name: String) throws -> [SurfaceExport.OutputFile] {
        do {
            return try SurfaceExport.files(surface, format: format, spec: spec, output: URL(fileURLWithPath: "/" + name),
                                           surfaceDirectory: catalog.directionsDirectory(for: surface))
        } catch let error as ExportError {
            throw ServiceError.badRequest("cannot export surface '\(surface.id)' as \(format.rawValue)", detail: "\(error)")
        }
    }

    /// `<model>-<surface id>`, the store's own file stem: letters, digits, '-', '_' and '.' only.
    static func fileStem(_ surface: Surface) -> String {
        let model = String(surface.model.name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
        return (model.isEmpty ? "" : model + "-") + surface.id
    }
}

extension Catalog {
    /// The directory holding the surface's directions file (the cache's or the shipped one), nil when neither has it.
    func directionsDirectory(for surface: Surface) -> URL? {
        guard let name = surface.directions.file else { return nil }
        return [cacheStore.directory, configuration.shippedSurfacesDirectory].first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent(name).path)
        }
    }
}

extension HTTPResponse {
    /// A file to save: its content type and `Content-Disposition: attachment` with its name
    /// (`name` holds only letters, digits, '-', '_' and '.': no quoting needed).
    static func download(_ data: Data, contentType: String, fileName: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": contentType, "Content-Disposition": "attachment; filename=\"\(fileName)\""],
                     body: data)
    }
}
