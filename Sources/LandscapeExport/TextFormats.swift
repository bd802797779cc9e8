import Foundation
import Landscape

/// The text formats: CSV, VTK XML (.vts, .vtp) and meshes (.obj, .ply). Points
/// run x fastest, then y (our row-major order, VTK's structured order and
/// np.meshgrid's). A point not computed or diverged has no value: an empty CSV
/// field, `nan` in VTK, no face in a mesh.
enum TextFormats {
    /// Number text that reads back to the same Double (Swift's shortest round-trip form).
    static func number(_ value: Double) -> String { value.isNaN ? "nan" : "\(value)" }

    /// Flat values in point order; nil where not computed or diverged. Accuracy as stored (a fraction).
    static func values(_ surface: Surface, _ grid: [[Double?]]) -> [Double?] {
        (0..<(surface.rows * surface.columns)).map { grid[$0 / surface.columns][$0 % surface.columns] }
    }

    static func coordinates(_ surface: Surface) -> [(x: Double, y: Double)] {
        (0..<(surface.rows * surface.columns)).map { (surface.x[$0 % surface.columns], surface.y?[$0 / surface.columns] ?? 0) }
    }

    /// Heights of the height-field formats: the metric (accuracy in percent, as in Li et al.'s
    /// files that h52vtp.py reads), clipped and logged as `spec` says; NaN where there is none.
    static func heights(_ surface: Surface, _ spec: ExportSpec) -> [Double] {
        let raw = spec.metric == .loss ? values(surface, surface.loss) : values(surface, surface.accuracy).map { $0.map { $0 * 100 } }
        return raw.map { $0.map(spec.height) ?? .nan }
    }

    // MARK: CSV

    /// `x,y,loss,accuracy[,loss_stderr],diverged` (no y for a 1D surface); accuracy as a fraction, as in the JSON.
    static func csv(_ surface: Surface) -> Data {
        let loss = values(surface, surface.loss), accuracy = values(surface, surface.accuracy)
        let stderr = values(surface, surface.lossStderr)
        let hasStderr = stderr.contains { $0 != nil }
        var header = surface.y == nil ? ["x"] : ["x", "y"]
        header += ["loss", "accuracy"] + (hasStderr ? ["loss_stderr"] : []) + ["diverged"]
        var text = header.joined(separator: ",") + "\n"
        text.reserveCapacity(loss.count * 64)
        for (i, point) in coordinates(surface).enumerated() {
            var fields = [number(point.x)]
            if surface.y != nil { fields.append(number(point.y)) }
            fields.append(loss[i].map(number) ?? "")
            fields.append(accuracy[i].map(number) ?? "")
            if hasStderr { fields.append(stderr[i].map(number) ?? "") }
            fields.append(surface.isDiverged(i) ? "1" : "0")
            text += fields.joined(separator: ",") + "\n"
        }
        return Data(text.utf8)
    }

    // MARK: VTK structured grid

    /// A flat structured grid (z = 0) with `loss`, `accuracy` (fraction) and, when present,
    /// `loss_stderr` point data: ParaView's "Warp By Scalar" lifts it by any of them.
    static func vts(_ surface: Surface) -> Data {
        let (nx, ny) = (surface.columns, surface.rows)
        let extent = "0 \(nx - 1) 0 \(ny - 1) 0 0"
        var text = """
        <?xml version="1.0"?>
        <VTKFile type="StructuredGrid" version="1.0" byte_order="LittleEndian" header_type="UInt64">
          <StructuredGrid WholeExtent="\(extent)">
            <Piece Extent="\(extent)">
              <PointData Scalars="loss">

        """
        var arrays = [("loss", values(surface, surface.loss)), ("accuracy", values(surface, surface.accuracy))]
        let stderr = values(surface, surface.lossStderr)
        if stderr.contains(where: { $0 != nil }) { arrays.append(("loss_stderr", stderr)) }
        for (name, values) in arrays {
            text += "        <DataArray type=\"Float64\" Name=\"\(name)\" format=\"ascii\">\n"
            text += rows(values.map { number($0 ?? .nan) }, perLine: 6, indent: "          ")
            text += "        </DataArray>\n"
        }
        text += "      </PointData>\n      <Points>\n"
        text += "        <DataArray type=\"Float64\" Name=\"Points\" NumberOfComponents=\"3\" format=\"ascii\">\n"
        text += rows(coordinates(surface).map { "\(number($0.x)) \(number($0.y)) 0" }, perLine: 2, indent: "          ")
        text += "        </DataArray>\n      </Points>\n    </Piece>\n  </StructuredGrid>\n</VTKFile>\n"
        return Data(text.utf8)
    }

    // MARK: VTK poly data as h52vtp.py

    /// h52vtp.py's file (show_polys = True, no interpolation): Points (x, y, z), PointData
    /// `zvalue`, CellData `averaged zvalue` (mean of each quad's corners), Polys quads
    /// (k, k+1, k+nx+1, k+nx) and empty Verts/Lines/Strips. Theirs takes the grid as square
    /// (matrix_size = sqrt(points)); this one uses nx × ny, which is theirs when nx = ny.
    static func vtp(_ surface: Surface, _ spec: ExportSpec) throws -> Data {
        guard surface.y != nil else { throw ExportError.unsupported(format: "vtp", detail: "needs a 2D surface (h52vtp.py reads ycoordinates); this one is 1D") }
        let (nx, ny) = (surface.columns, surface.rows)
        let z = heights(surface, spec), points = coordinates(surface)
        let pointCount = nx * ny, polyCount = (nx - 1) * (ny - 1)
        var averaged: [Double] = []
        var quads: [[Int]] = []
        for row in 0..<(ny - 1) {
            for column in 0..<(nx - 1) {
                let k = row * nx + column
                let corners = [k, k + 1, k + nx + 1, k + nx]
                quads.append(corners)
                // h52vtp.py's sum order (k, k+1, k+nx, k+nx+1), so the float64 result is theirs bit for bit.
                averaged.append((z[k] + z[k + 1] + z[k + nx] + z[k + nx + 1]) / 4)
            }
        }
        func range(_ values: [Double]) -> (Double, Double) {
            let finite = values.filter(\.isFinite)
            return (finite.min() ?? .nan, finite.max() ?? .nan)
        }
        let (zMin, zMax) = range(z), (aMin, aMax) = range(averaged)
        let low = [points.map(\.x).min()!, points.map(\.y).min()!, zMin].min()!
        let high = [points.map(\.x).max()!, points.map(\.y).max()!, zMax].max()!
        var text = "<VTKFile type=\"PolyData\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n  <PolyData>\n"
        text += "    <Piece NumberOfPoints=\"\(pointCount)\" NumberOfVerts=\"0\" NumberOfLines=\"0\" NumberOfStrips=\"0\" NumberOfPolys=\"\(polyCount)\">\n"
        text += "      <PointData>\n"
        text += "        <DataArray type=\"Float32\" Name=\"zvalue\" NumberOfComponents=\"1\" format=\"ascii\" RangeMin=\"\(number(zMin))\" RangeMax=\"\(number(zMax))\">\n"
        text += rows(z.map(number), perLine: 6, indent: "          ")
        text += "        </DataArray>\n      </PointData>\n      <CellData>\n"
        text += "        <DataArray type=\"Float32\" Name=\"averaged zvalue\" NumberOfComponents=\"1\" format=\"ascii\" RangeMin=\"\(number(aMin))\" RangeMax=\"\(number(aMax))\">\n"
        text += rows(averaged.map(number), perLine: 6, indent: "          ")
        text += "        </DataArray>\n      </CellData>\n      <Points>\n"
        text += "        <DataArray type=\"Float32\" Name=\"Points\" NumberOfComponents=\"3\" format=\"ascii\" RangeMin=\"\(number(low))\" RangeMax=\"\(number(high))\">\n"
        text += rows(zip(points, z).map { "\(number($0.x)) \(number($0.y)) \(number($1))" }, perLine: 2, indent: "          ")
        text += "        </DataArray>\n      </Points>\n"
        func empty(_ section: String, _ maxConnectivity: Int, _ maxOffset: Int) -> String {
            "      <\(section)>\n"
            + "        <DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\" RangeMin=\"0\" RangeMax=\"\(maxConnectivity)\">\n        </DataArray>\n"
            + "        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\" RangeMin=\"1\" RangeMax=\"\(maxOffset)\">\n        </DataArray>\n"
            + "      </\(section)>\n"
        }
        text += empty("Verts", pointCount - 1, pointCount)
        text += empty("Lines", polyCount - 1, polyCount)
        text += empty("Strips", polyCount - 1, polyCount)
        text += "      <Polys>\n"
        text += "        <DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\" RangeMin=\"0\" RangeMax=\"\(polyCount - 1)\">\n"
        text += rows(quads.map { $0.map(String.init).joined(separator: " ") }, perLine: 2, indent: "          ")
        text += "        </DataArray>\n"
        text += "        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\" RangeMin=\"1\" RangeMax=\"\(polyCount)\">\n"
        text += rows((0..<polyCount).map { String(($0 + 1) * 4) }, perLine: 6, indent: "          ")
        text += "        </DataArray>\n      </Polys>\n    </Piece>\n  </PolyData>\n</VTKFile>\n"
        return Data(text.utf8)
    }

    /// `items` joined by spaces, `perLine` to a line (h52vtp.py's layout).
    static func rows(_ items: [String], perLine: Int, indent: String) -> String {
        var text = ""
        var start = 0
        while start < items.count {
            let end = min(start + perLine, items.count)
            text += indent + items[start..<end].joined(separator: " ") + "\n"
            start = end
        }
        return text
    }

    // MARK: meshes

    /// Vertices (x, y, height) for every grid point (height 0 where there is no value) and one quad
    /// per cell whose four corners all have values. A 1D surface has no cells to mesh.
    static func mesh(_ surface: Surface, _ spec: ExportSpec, format: ExportFormat) throws -> (vertices: [(Double, Double, Double)], faces: [[Int]], missing: Int) {
        guard surface.y != nil else { throw ExportError.unsupported(format: format.rawValue, detail: "a mesh needs a 2D surface; this one is 1D") }
        let z = heights(surface, spec)
        let vertices = zip(coordinates(surface), z).map { ($0.x, $0.y, $1.isFinite ? $1 : 0) }
        let nx = surface.columns
        var faces: [[Int]] = []
        for row in 0..<(surface.rows - 1) {
            for column in 0..<(nx - 1) {
                let k = row * nx + column
                let corners = [k, k + 1, k + nx + 1, k + nx]
                if corners.allSatisfy({ z[$0].isFinite }) { faces.append(corners) }
            }
        }
        return (vertices, faces, z.filter { !$0.isFinite }.count)
    }

    static func obj(_ surface: Surface, _ spec: ExportSpec) throws -> Data {
        let mesh = try mesh(surface, spec, format: .obj)
        var text = "# \(surface.model.name) \(spec.metric.rawValue)\(spec.log ? " (ln(z + 0.1))" : "") over x, y; "
            + "\(mesh.missing) points without a value sit at z = 0 with no faces\n"
        text += "o \(surface.model.name.replacingOccurrences(of: " ", with: "_"))\n"
        for v in mesh.vertices { text += "v \(number(v.0)) \(number(v.1)) \(number(v.2))\n" }
        for f in mesh.faces { text += "f " + f.map { String($0 + 1) }.joined(separator: " ") + "\n" }
        return Data(text.utf8)
    }

    static func ply(_ surface: Surface, _ spec: ExportSpec) throws -> Data {
        let mesh = try mesh(surface, spec, format: .ply)
        var text = "ply\nformat ascii 1.0\ncomment \(surface.model.name) \(spec.metric.rawValue)\(spec.log ? " ln(z + 0.1)" : "")\n"
        text += "element vertex \(mesh.vertices.count)\nproperty double x\nproperty double y\nproperty double z\n"
        text += "element face \(mesh.faces.count)\nproperty list uchar int vertex_indices\nend_header\n"
        for v in mesh.vertices { text += "\(number(v.0)) \(number(v.1)) \(number(v.2))\n" }
        for f in mesh.faces { text += "4 " + f.map(String.init).joined(separator: " ") + "\n" }
        return Data(text.utf8)
    }
}
