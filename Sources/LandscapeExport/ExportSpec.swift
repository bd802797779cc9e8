import Foundation
import Landscape

/// The file formats a surface leaves the tool in.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// Li et al.'s HDF5 layout (plus their direction file when the surface has directions).
    case h5
    /// Long form: one row per point.
    case csv
    /// NumPy: a zip of .npy arrays shaped like `np.meshgrid(x, y)`.
    case npz
    /// VTK XML structured grid with loss and accuracy point data.
    case vts
    /// VTK XML poly data as Li et al.'s `h52vtp.py` writes it.
    case vtp
    /// Wavefront OBJ mesh.
    case obj
    /// Stanford PLY mesh (ASCII).
    case ply

    /// The format a file name's extension names (`.hdf5` counts as h5), or nil.
    public init?(pathExtension: String) {
        let ext = pathExtension.lowercased()
        self.init(rawValue: ext == "hdf5" ? "h5" : ext)
    }

    /// HTTP content type, for the service's downloads.
    public var contentType: String {
        switch self {
        case .h5: return "application/x-hdf5"
        case .csv: return "text/csv; charset=utf-8"
        case .npz: return "application/zip"
        case .vts, .vtp: return "application/xml"
        case .obj: return "model/obj"
        case .ply: return "application/octet-stream"
        }
    }
}

/// Which value the height (z) of a mesh or `.vtp` carries.
public enum ExportMetric: String, CaseIterable, Sendable {
    case loss, accuracy
}

/// One export request: format, and for the height-field formats (vtp, obj, ply)
/// the metric and h52vtp.py's `--zmax` and `--log`. The CLI builds it from its
/// flags (and the service, later, from a query) and both call `validated(output:)`.
public struct ExportSpec: Sendable, Equatable {
    public var format: ExportFormat?
    public var metric: ExportMetric = .loss
    /// Values above this are clipped to it before `log` (h52vtp.py: applied only when > 0).
    public var zMax: Double?
    /// z = ln(value + 0.1), as h52vtp.py's `--log`.
    public var log = false

    public init(format: ExportFormat? = nil, metric: ExportMetric = .loss, zMax: Double? = nil, log: Bool = false) {
        self.format = format; self.metric = metric; self.zMax = zMax; self.log = log
    }

    /// h52vtp.py's offset inside the logarithm.
    public static let logOffset = 0.1

    /// The format to write: the one asked for, else the output's extension; a
    /// contradiction between the two, or neither, is refused.
    public func validated(output: String) throws(SpecError) -> ExportFormat {
        let ext = (output as NSString).pathExtension
        let named = ExportFormat(pathExtension: ext)
        let choices = ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")
        if let zMax, !(zMax.isFinite && zMax > 0) {
            throw SpecError("zmax", "expected a finite number > 0, got \(zMax)")
        }
        if (zMax != nil || log || metric != .loss), let format = format ?? named, ![.vtp, .obj, .ply].contains(format) {
            throw SpecError("zmax, log, metric", "apply to the height-field formats vtp, obj and ply only, not \(format.rawValue)")
        }
        switch (format, named) {
        case let (asked?, named?) where asked != named:
            throw SpecError("format", "'\(asked.rawValue)' contradicts the output's extension .\(ext) (\(named.rawValue)): "
                            + "name the file .\(asked.rawValue) or leave --format out")
        case let (asked?, nil) where !ext.isEmpty:
            throw SpecError("out", "extension .\(ext) is not one of \(choices) (asked for \(asked.rawValue)): name the file .\(asked.rawValue)")
        case let (asked?, _): return asked
        case let (nil, named?): return named
        case (nil, nil):
            throw SpecError("format", ext.isEmpty ? "give --format (\(choices)) or an output file with one of those extensions"
                                                  : "extension .\(ext) is not one of \(choices)")
        }
    }

    /// The height of a point as h52vtp.py computes it: clip at zmax, then ln(z + 0.1).
    func height(_ value: Double) -> Double {
        var z = value
        if let zMax, z > zMax { z = zMax }
        return log ? Foundation.log(z + Self.logOffset) : z
    }
}
