import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// Li et al.'s HDF5 results as a `Surface` the page and the API browse: the
/// values are taken as they are (provenance says "imported", nothing is
/// recomputed). Our own exported files come back with their full metadata.
public enum LiImport {
    /// Largest HDF5 file read (a 1001 × 1001 surface with four float64 grids is about 32 MB).
    public static let maximumFileBytes = 512 << 20
    /// Largest grid accepted from a file: 1001 × 1001 points.
    public static let maximumPoints = 1_001 * 1_001

    public struct Result: Sendable {
        public var surface: Surface
        /// The directions, in our layout, when a direction file was given.
        public var directions: (x: Direction, y: Direction?)?
        public var directionSpec: DirectionSpec
    }

    /// Reads `path` (and `directionFile`) for `model`. `split` picks `<split>_loss`
    /// when the file holds several; by default the only one, else "train".
    public static func read(_ path: String, directionFile: String?, model: LoadedModel, split: String? = nil) throws -> Result {
        let bytes = try readBytes(path)
        var result = try HDF5File.withLibrary { () throws -> Result in
            let file = try HDF5File.open(bytes: bytes, source: path)
            return try surface(from: file, bytes: bytes, model: model, split: split)
        }
        if let directionFile {
            let pair = try directions(directionFile, layout: model.model.layout, twoDimensional: result.surface.y != nil)
            result.directions = pair.directions
            result.directionSpec.mode = pair.mode
            result.surface.directions.mode = pair.mode
        }
        return result
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        do throws(InputFile.Problem) { return try InputFile.read(path: path, limit: maximumFileBytes) } catch {
            throw ExportError.io(path: path, detail: error.description(expected: "an HDF5 file"))
        }
    }

    private static func surface(from file: HDF5File, bytes: [UInt8], model: LoadedModel, split asked: String?) throws -> Result {
        let path = file.source
        guard file.exists("xcoordinates") else {
            throw ExportError.missingDataset(path: path, name: "xcoordinates", expected: "Li et al.'s surface layout (xcoordinates, optional ycoordinates, <split>_loss, <split>_acc)")
        }
        let splits = try file.members(of: "/").filter { $0.hasSuffix("_loss") }.map { String($0.dropLast(5)) }
        let split: String
        if let asked {
            guard splits.contains(asked) else {
                throw ExportError.missingDataset(path: path, name: LiLayout.lossKey(asked), expected: "one of the file's loss datasets: \(splits.map(LiLayout.lossKey).joined(separator: ", "))")
            }
            split = asked
        } else if splits.count == 1 {
            split = splits[0]
        } else if splits.contains("train") {
            split = "train"
        } else {
            throw ExportError.missingDataset(path: path, name: splits.isEmpty ? "<split>_loss" : "train_loss",
                                             expected: splits.isEmpty ? "a loss dataset such as train_loss or test_loss" : "a single loss dataset or --split (found \(splits.joined(separator: ", ")))")
        }
        guard file.exists(LiLayout.accuracyKey(split)) else {
            throw ExportError.missingDataset(path: path, name: LiLayout.accuracyKey(split), expected: "accuracies (percent) beside \(LiLayout.lossKey(split))")
        }
        let x = try axis(file, "xcoordinates")
        let y = file.exists("ycoordinates") ? try axis(file, "ycoordinates") : nil
        let grid: GridSpec
        do { grid = try GridSpec(x: x.axis, y: y?.axis, maximumPoints: maximumPoints) } catch {
            throw ExportError.invalidDataset(path: path, name: "xcoordinates", detail: "\(error)")
        }
        let shape = y.map { [x.values.count, $0.values.count] } ?? [x.values.count]
        func values(_ name: String, required: Bool) throws -> [Double]? {
            guard file.exists(name) else {
                if required { throw ExportError.missingDataset(path: path, name: name, expected: "shape \(shape)") }
                return nil
            }
            let actual = try file.info(name).shape
            guard actual == shape else {
                throw ExportError.invalidDataset(path: path, name: name, detail: "has shape \(actual): expected \(shape) (len(xcoordinates)\(y == nil ? "" : ", len(ycoordinates)"))")
            }
            return try file.readDoubles(name, maximumCount: maximumPoints).values
        }
        let loss = try values(LiLayout.lossKey(split), required: true)!
        let accuracy = try values(LiLayout.accuracyKey(split), required: true)!
        let stderr = try values(LiLayout.stderrKey(split), required: false)

        // Li et al.'s flat (meshgrid) order is ours: index = row · columns + column (see LiLayout).
        let (columns, rows) = (grid.columns, grid.rows)
        var lossRows = [[Double?]](repeating: [Double?](repeating: nil, count: columns), count: rows)
        var accuracyRows = lossRows, stderrRows = lossRows
        var diverged = [[Bool]](repeating: [Bool](repeating: false, count: columns), count: rows)
        var computed = 0
        for index in 0..<(columns * rows) {
            let (row, column) = (index / columns, index % columns)
            let value = loss[index]
            if !value.isFinite {
                diverged[row][column] = true; computed += 1
            } else if value >= 0 {
                // Their scheduler treats values <= 0 as "not computed"; -1 is what they start from.
                lossRows[row][column] = value
                accuracyRows[row][column] = accuracy[index] / 100
                stderrRows[row][column] = stderr.flatMap { $0[index].isFinite ? $0[index] : nil }
                computed += 1
            }
        }

        let metadata = file.stringAttribute(LiLayout.metadataAttribute).flatMap { try? Surface.decode(Data($0.utf8), source: path) }
        let fileHash = SHA256.hex(Data(bytes))
        let id = String(SHA256.hex("imported-h5|\(fileHash)|\(model.sha256)|\(split)").prefix(16))
        let name = URL(fileURLWithPath: path).lastPathComponent
        let dataset = metadata?.dataset ?? Surface.DatasetInfo(
            name: "unknown (imported)", path: "", split: split, samples: 0, subset: "unknown", subsetSeed: 0,
            mean: [], std: [], contentSha256: "")
        let spec = metadata.map { DirectionSpec(seed: $0.directions.seed, normalization: $0.directions.normalization,
                                                ignore: $0.directions.ignore, mode: $0.directions.mode) }
            ?? DirectionSpec(seed: 0, normalization: .filter, ignore: .biasbn, mode: .weights)
        let note = "imported from \(name) (Li et al.'s HDF5 layout, sha256 \(fileHash.prefix(16))): values as computed by "
            + (metadata?.producer ?? "the file's producer") + ", not recomputed"
        let directions = Surface.DirectionsInfo(
            kind: metadata?.directions.kind ?? "random", seed: spec.seed, normalization: spec.normalization, ignore: spec.ignore,
            mode: spec.mode, sharedWith: [model.name], endpoints: metadata?.directions.endpoints ?? [], file: nil, note: note)
        var surface = Surface(
            id: id, model: model.info, dataset: dataset, directions: directions, bnMode: metadata?.bnMode ?? .eval, grid: grid,
            x: x.values, y: y?.values, loss: lossRows, accuracy: accuracyRows, lossStderr: stderrRows, summary: nil,
            progress: .init(computed: computed, total: columns * rows, order: progressOrder),
            timing: .init(seconds: metadata?.timing.seconds ?? 0, imagesPerSecond: metadata?.timing.imagesPerSecond,
                          updated: ISO8601DateFormatter().string(from: Date())),
            producer: "imported by landscape \(LandscapeVersion.current) from \(name)", bnRecompute: metadata?.bnRecompute)
        surface.diverged = diverged
        if let exported = metadata?.model, exported.sha256 != model.sha256 {
            surface.directions.note += "; the file was exported for model \(exported.name) (sha256 \(exported.sha256.prefix(16))), not this one"
        }
        surface.summary = SurfaceSummary(surface, centre: ProgressiveOrder.centreIndex(grid))
        return Result(surface: surface, directions: nil, directionSpec: spec)
    }

    /// A coordinate dataset: 1-D, finite, evenly spaced (np.linspace), as our grids are.
    private static func axis(_ file: HDF5File, _ name: String) throws -> (axis: GridAxis, values: [Double]) {
        let (values, shape) = try file.readDoubles(name, maximumCount: maximumPoints)
        guard shape.count == 1, values.count >= 2 else {
            throw ExportError.invalidDataset(path: file.source, name: name, detail: "has shape \(shape): expected 1-D with at least 2 coordinates")
        }
        let axis: GridAxis
        do { axis = try GridAxis(start: values[0], end: values[values.count - 1], count: values.count) } catch {
            throw ExportError.invalidDataset(path: file.source, name: name, detail: "\(error)")
        }
        let step = (axis.end - axis.start) / Double(values.count - 1)
        for (i, v) in values.enumerated() where abs(v - axis.coordinate(i)) > 1e-6 * max(abs(step), 1e-12) {
            throw ExportError.invalidDataset(path: file.source, name: name, detail: "is not evenly spaced (np.linspace): value \(i) is \(v), expected \(axis.coordinate(i))")
        }
        return (axis, values)
    }

    /// Their direction file for our model: `xdirection` (and `ydirection` for a 2D surface)
    /// groups of datasets "0", "1", … matched to the model's tensors in `net.parameters()`
    /// order (dir_type weights) or state-dict order (states; 0-d `num_batches_tracked` skipped).
    public static func directions(_ path: String, layout: ParameterLayout, twoDimensional: Bool) throws
        -> (directions: (x: Direction, y: Direction?), mode: DirectionMode) {
        let bytes = try readBytes(path)
        return try HDF5File.withLibrary {
            let file = try HDF5File.open(bytes: bytes, source: path)
            var mode: DirectionMode?
            func read(_ group: String) throws -> Direction {
                guard file.exists(group) else {
                    throw ExportError.missingDataset(path: path, name: group, expected: "a group of datasets \"0\", \"1\", … (h5_util.write_list)")
                }
                let count = try file.members(of: group).count
                var shapes: [(name: String, shape: [Int])] = []
                for index in 0..<count {
                    let name = "\(group)/\(index)"
                    guard file.exists(name) else {
                        throw ExportError.missingDataset(path: path, name: name, expected: "datasets numbered 0..<\(count)")
                    }
                    let info = try file.info(name)
                    if info.shape.isEmpty { continue }  // num_batches_tracked of a 'states' direction
                    shapes.append((name, info.shape))
                }
                let weights = LiLayout.listedTensors(layout, mode: .weights), states = LiLayout.listedTensors(layout, mode: .states)
                let entries: [ParameterLayout.Entry]
                let found: DirectionMode
                switch shapes.count {
                case weights.count: (entries, found) = (weights, .weights)
                case states.count: (entries, found) = (states, .states)
                default:
                    throw ExportError.directionMismatch(path: path, detail: "\(group) has \(shapes.count) tensors: the model has \(weights.count) "
                        + "parameters (dir_type weights) or \(states.count) state-dict tensors (states)")
                }
                if let mode, mode != found {
                    throw ExportError.directionMismatch(path: path, detail: "xdirection and ydirection list different tensors (\(mode.rawValue) and \(found.rawValue))")
                }
                mode = found
                var values = [Float](repeating: 0, count: layout.totalCount)
                for (entry, dataset) in zip(entries, shapes) {
                    guard entry.shape == dataset.shape else {
                        throw ExportError.directionMismatch(path: path, detail: "dataset \(dataset.name) has shape \(dataset.shape): "
                            + "the model's tensor \(entry.name) (the same position in \(found == .weights ? "net.parameters()" : "state_dict()")) is \(entry.shape)")
                    }
                    let (data, _) = try file.readFloats(dataset.name, maximumCount: entry.count)
                    guard data.allSatisfy(\.isFinite) else {
                        throw ExportError.directionMismatch(path: path, detail: "dataset \(dataset.name) holds NaN or infinite values")
                    }
                    values.replaceSubrange(entry.range, with: data)
                }
                return Direction(values: values)
            }
            let x = try read("xdirection")
            let y = twoDimensional ? try read("ydirection") : nil
            return ((x, y), mode ?? .weights)
        }
    }
}
