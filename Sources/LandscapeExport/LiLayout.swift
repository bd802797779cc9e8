import Foundation
import Landscape
import LandscapeEngine
import LandscapeCore

/// Li et al.'s HDF5 layout (tomgoldstein/loss-landscape), as their code writes it:
///
/// Surface file (`plot_surface.py`: `setup_surface_file`, `crunch`):
/// - `dir_file`: scalar string, the direction file's name;
/// - `xcoordinates` (and `ycoordinates` for 2D): float64, `np.linspace(min, max, num)`;
/// - `<split>_loss`, `<split>_acc`: float64, accuracy in percent (`evaluation.eval_loss`
///   returns `100 * correct / total`); -1 where not computed yet (their initial
///   `-np.ones`, which `scheduler.get_unplotted_indices` treats as "to do").
///
/// Shape and fill order: `crunch` declares the arrays with shape
/// `(len(x), len(y))`, but fills them through `losses.ravel()[ind]` where `ind`
/// indexes `np.meshgrid(x, y)`, whose flattened order is y-major: flat index
/// `k = iy * len(x) + ix`. So the bytes are in meshgrid order (rows along y,
/// columns along x, exactly our row-major `Surface.loss` flattened) while the
/// declared shape is (len(x), len(y)). For a square grid `Z[i, j]` is the value
/// at (x[j], y[i]), which is what their `plot_2D.py` contours with
/// `X, Y = np.meshgrid(x, y)`; for a non-square grid (checked with a 5 × 3 grid
/// in Tests/export/check_export.py, which replays their scheduler) the declared
/// shape is not meshgrid's (len(y), len(x)) but the flat order still is. We
/// write both the same way, so their scripts read our files as they read theirs.
///
/// Direction file (`net_plotter.setup_direction`, `h5_util.write_list`): groups
/// `xdirection` (and `ydirection`), one float32 dataset per tensor named "0", "1",
/// … in `net.parameters()` order for `dir_type='weights'` (BN running statistics
/// left out), in `state_dict()` order for `'states'` (with BatchNorm2d's 0-d
/// `num_batches_tracked`, as a current PyTorch state dict has it).
///
/// Our own metadata goes into attributes (which their readers never look at)
/// and two extra datasets: `<split>_loss_stderr` and `<split>_diverged`.
public enum LiLayout {
    /// Their marker of a point not computed yet.
    public static let notComputed = -1.0
    /// Root attribute holding our surface JSON without the value grids (provenance for a lossless import).
    public static let metadataAttribute = "landscape_surface"

    public static func lossKey(_ split: String) -> String { "\(split)_loss" }
    public static func accuracyKey(_ split: String) -> String { "\(split)_acc" }
    public static func stderrKey(_ split: String) -> String { "\(split)_loss_stderr" }
    public static func divergedKey(_ split: String) -> String { "\(split)_diverged" }

    /// Their declared shape: (len(x),) for 1D, (len(x), len(y)) for 2D.
    static func shape(of surface: Surface) -> [Int] {
        surface.y == nil ? [surface.columns] : [surface.columns, surface.rows]
    }

    /// The surface file's bytes. `directionFile` is the name written as `dir_file` (nil: none exported).
    public static func surfaceFile(_ surface: Surface, directionFile: String?, source: String) throws -> Data {
        try HDF5File.withLibrary {
            let file = try HDF5File.create(source: source)
            let split = surface.dataset.split
            let shape = shape(of: surface)
            if let directionFile { try file.writeString("dir_file", directionFile) }
            try file.write("xcoordinates", surface.x, shape: [surface.x.count])
            if let y = surface.y { try file.write("ycoordinates", y, shape: [y.count]) }
            var loss = [Double](), accuracy = [Double](), stderr = [Double](), diverged = [UInt8]()
            for index in 0..<(surface.rows * surface.columns) {
                let (row, column) = (index / surface.columns, index % surface.columns)
                let isDiverged = surface.isDiverged(index)
                diverged.append(isDiverged ? 1 : 0)
                if isDiverged {
                    loss.append(.nan); accuracy.append(.nan); stderr.append(.nan)
                } else {
                    loss.append(surface.loss[row][column] ?? notComputed)
                    accuracy.append(surface.accuracy[row][column].map { $0 * 100 } ?? notComputed)
                    stderr.append(surface.lossStderr[row][column] ?? .nan)
                }
            }
            try file.write(lossKey(split), loss, shape: shape)
            try file.write(accuracyKey(split), accuracy, shape: shape)
            try file.write(stderrKey(split), stderr, shape: shape)
            try file.write(divergedKey(split), diverged, shape: shape)
            try writeMetadata(surface, to: file)
            return try file.image()
        }
    }

    private static func writeMetadata(_ surface: Surface, to file: HDF5File) throws {
        var bare = surface
        bare.loss = []; bare.accuracy = []; bare.lossStderr = []; bare.diverged = nil
        try file.setAttribute(metadataAttribute, String(decoding: LandscapeJSON.encode(bare), as: UTF8.self))
        try file.setAttribute("producer", surface.producer)
        try file.setAttribute("model", surface.model.name)
        try file.setAttribute("model_sha256", surface.model.sha256)
        try file.setAttribute("activation", surface.model.activation)
        try file.setAttribute("dataset", surface.dataset.name)
        try file.setAttribute("split", surface.dataset.split)
        try file.setAttribute("samples", Int64(surface.dataset.samples))
        try file.setAttribute("direction_kind", surface.directions.kind)
        try file.setAttribute("seed", Int64(bitPattern: surface.directions.seed))
        try file.setAttribute("normalization", surface.directions.normalization.rawValue)
        try file.setAttribute("ignore", surface.directions.ignore.rawValue)
        try file.setAttribute("dir_type", surface.directions.mode.rawValue)
        try file.setAttribute("bn_mode", surface.bnMode.rawValue)
        if let summary = surface.summary {
            try file.setAttribute("summary", String(decoding: LandscapeJSON.encode(summary), as: UTF8.self))
        }
    }

    /// The tensors a direction file lists, in their order: `net.parameters()` for
    /// `weights` (trainable tensors in state-dict order), every state-dict tensor for `states`
    /// (where the file also carries PyTorch's 0-d `num_batches_tracked` after each BN's
    /// running_var, see `directionFile`; an import skips 0-d datasets).
    public static func listedTensors(_ layout: ParameterLayout, mode: DirectionMode) -> [ParameterLayout.Entry] {
        mode == .weights ? layout.entries.filter { $0.role.isTrainable } : layout.entries
    }

    /// The direction file's bytes: `xdirection` / `ydirection` groups of float32 datasets "0", "1", ….
    public static func directionFile(x: Direction, y: Direction?, layout: ParameterLayout, surface: Surface,
                                     source: String) throws -> Data {
        try HDF5File.withLibrary {
            let file = try HDF5File.create(source: source)
            let mode = surface.directions.mode
            for (group, direction) in [("xdirection", x), ("ydirection", y)] {
                guard let direction else { continue }
                try file.createGroup(group)
                var index = 0
                for entry in listedTensors(layout, mode: mode) {
                    try file.write("\(group)/\(index)", Array(direction.values[entry.range]), shape: entry.shape)
                    try file.setAttribute("name", entry.name, on: "\(group)/\(index)")
                    index += 1
                    // Their BatchNorm2d's state_dict() has num_batches_tracked after running_var, and their
                    // set_states zips the direction list with state_dict().items(): a 0-d zero keeps them aligned
                    // (get_random_states + ignore 'biasbn' zeroes every tensor of dim <= 1 the same way).
                    if mode == .states && entry.role == .runningVariance {
                        let name = String(entry.name.dropLast("running_var".count)) + "num_batches_tracked"
                        try file.write("\(group)/\(index)", [Float(0)], shape: [])
                        try file.setAttribute("name", name, on: "\(group)/\(index)")
                        index += 1
                    }
                }
            }
            try file.setAttribute("dir_type", surface.directions.mode.rawValue)
            try file.setAttribute("normalization", surface.directions.normalization.rawValue)
            try file.setAttribute("ignore", surface.directions.ignore.rawValue)
            try file.setAttribute("seed", Int64(bitPattern: surface.directions.seed))
            try file.setAttribute("model", surface.model.name)
            try file.setAttribute("model_sha256", surface.model.sha256)
            return try file.image()
        }
    }
}
