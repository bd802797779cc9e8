import ArgumentParser
import Foundation
import Landscape
import LandscapeExport

extension ExportFormat: ExpressibleByArgument {}
extension ExportMetric: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a surface JSON as HDF5 (Li et al.'s layout), CSV, npz, VTK (.vts, .vtp) or a mesh (.obj, .ply).",
        discussion: """
        h5: xcoordinates, ycoordinates, <split>_loss, <split>_acc (percent) as tomgoldstein/loss-landscape writes them, \
        plus F.directions.h5 (xdirection/ydirection) when the surface's directions file is beside its JSON. \
        vtp: as their h52vtp.py (--zmax, --log); vtp/obj/ply heights are the --metric (accuracy in percent).
        """)

    @Argument(help: "A surface JSON file.") var surface: String
    @Option(help: "h5, csv, npz, vts, vtp, obj or ply (default: from --out's extension; a contradiction is refused).")
    var format: ExportFormat?
    @Option(help: "vtp/obj/ply: the height, loss or accuracy.") var metric: ExportMetric = .loss
    @Option(parsing: .unconditional, help: "vtp/obj/ply: clip heights above this value (h52vtp.py's --zmax).") var zmax: Double?
    @Flag(help: "vtp/obj/ply: height ln(value + 0.1) (h52vtp.py's --log).") var log = false
    @Option(help: "Output file (written atomically).") var out: String

    var spec: ExportSpec { ExportSpec(format: format, metric: metric, zMax: zmax, log: log) }

    func validate() throws {
        do { _ = try spec.validated(output: out) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let format = try spec.validated(output: out)
        let input = URL(fileURLWithPath: surface)
        let loaded = try Surface.load(surface)
        let files = try SurfaceExport.files(loaded, format: format, spec: spec, output: URL(fileURLWithPath: out),
                                            surfaceDirectory: input.deletingLastPathComponent())
        try SurfaceExport.write(files)
        for file in files { print("wrote \(file.url.path) (\(file.data.count) bytes)") }
        if format == .h5 && files.count == 1 {
            print("note: no directions file \(loaded.directions.file ?? "(none named)") beside \(surface): wrote the surface without dir_file")
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a surface HDF5 file in Li et al.'s layout into a surface JSON the page and the API browse (values not recomputed).")

    @Argument(help: "Their surface file (xcoordinates, ycoordinates, <split>_loss, <split>_acc).") var file: String
    @Option(name: .customLong("dir-file"), help: "Their direction file (xdirection/ydirection), checked against --model.")
    var dirFile: String?
    @Option(help: "The model the surface was computed for (checkpoint or safetensors).") var model: String
    @Option(help: "Which <split>_loss to import when the file holds several (default: the only one, else train).")
    var split: String?
    @Option(help: "Surface directory to write into (the service's surfaces directory).") var out: String

    func run() throws {
        let loaded = try LoadedModel.load(URL(fileURLWithPath: model))
        let result = try LiImport.read(file, directionFile: dirFile, model: loaded, split: split)
        let store = try SurfaceStore(directory: URL(fileURLWithPath: out))
        let surface = try LiImport.save(result, model: loaded, into: store)
        if let name = surface.directions.file { print("wrote \(store.directory.appendingPathComponent(name).path)") }
        print("wrote \(store.directory.appendingPathComponent(store.surfaceFileName(for: surface)).path): "
              + "\(surface.progress.computed) of \(surface.progress.total) points, \(surface.grid)")
    }
}
