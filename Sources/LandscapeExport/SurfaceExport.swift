import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// A surface (and, for h5, its directions) turned into files: every byte is
/// produced in memory first, and only then written, each file through
/// LandscapeIO's atomic writer, so a refusal or failure leaves nothing behind.
public enum SurfaceExport {
    public struct OutputFile: Sendable {
        public var url: URL
        public var data: Data
    }

    /// The direction file written beside `F.h5`: `F.directions.h5`.
    public static func directionFileURL(for output: URL) -> URL {
        output.deletingPathExtension().appendingPathExtension("directions.h5")
    }

    /// The files of `surface` in `format`. For h5, the direction file comes too when the
    /// surface names one and it is found in `surfaceDirectory` (where the surface JSON lives).
    public static func files(_ surface: Surface, format: ExportFormat, spec: ExportSpec, output: URL,
                             surfaceDirectory: URL?) throws -> [OutputFile] {
        switch format {
        case .h5:
            var files: [OutputFile] = []
            var directionName: String?
            if let directions = try directions(of: surface, in: surfaceDirectory) {
                let url = directionFileURL(for: output)
                files.append(OutputFile(url: url, data: try LiLayout.directionFile(
                    x: directions.x, y: directions.y, layout: directions.layout, surface: surface, source: url.path)))
                directionName = url.lastPathComponent
            }
            let data = try LiLayout.surfaceFile(surface, directionFile: directionName, source: output.path)
            return [OutputFile(url: output, data: data)] + files
        case .csv: return [OutputFile(url: output, data: TextFormats.csv(surface))]
        case .npz: return [OutputFile(url: output, data: NumpyArchive.npz(surface))]
        case .vts: return [OutputFile(url: output, data: TextFormats.vts(surface))]
        case .vtp: return [OutputFile(url: output, data: try TextFormats.vtp(surface, spec))]
        case .obj: return [OutputFile(url: output, data: try TextFormats.obj(surface, spec))]
        case .ply: return [OutputFile(url: output, data: try TextFormats.ply(surface, spec))]
        }
    }

    /// The surface's normalized directions (our safetensors file `x.<tensor>` / `y.<tensor>`),
    /// with the layout they follow; nil when the surface names no file or it is not there.
    public static func directions(of surface: Surface, in directory: URL?) throws
        -> (x: Direction, y: Direction?, layout: ParameterLayout)? {
        guard let name = surface.directions.file, let directory else { return nil }
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let dict = try Safetensors.read(url)
        // The layout from the tensor shapes, as for a checkpoint (x.conv1.weight → conv1.weight).
        let xTensors = StateDict(dict.items.compactMap { item in
            item.name.hasPrefix("x.") ? (String(item.name.dropFirst(2)), item.tensor) : nil
        })
        let architecture = try LoadedModel.inferArchitecture(xTensors, activation: Activation(.relu), source: url.path)
        let layout = ParameterLayout(architecture.tensorSpecs)
        let pair = try DirectionFile.directions(from: dict, layout: layout)
        if surface.y != nil && pair.y == nil {
            throw ExportError.directionMismatch(path: url.path, detail: "the surface is 2D but the file has no y.* tensors")
        }
        return (pair.x, surface.y == nil ? nil : pair.y, layout)
    }

    /// Writes `files` one by one, each atomically; the directory must exist.
    public static func write(_ files: [OutputFile]) throws {
        for file in files {
            let directory = file.url.deletingLastPathComponent()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ExportError.io(path: file.url.path, detail: "the directory \(directory.path) does not exist: create it first")
            }
            do { try AtomicFile.write(file.data, to: file.url) } catch {
                throw ExportError.io(path: file.url.path, detail: "\(error)")
            }
        }
    }
}
