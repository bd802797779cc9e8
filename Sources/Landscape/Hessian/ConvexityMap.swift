import Foundation
import LandscapeCore
import LandscapeIO

/// A convexity map (Li et al. 2018, §6; their `plot_hessian_eigen.py` writes
/// `max_eig` and `min_eig` into the surface file): at every point of a
/// surface's grid, or of every `stride`-th point, the largest and smallest
/// eigenvalue of the loss Hessian at θ + αx + βy, and |λmin/λmax|. Plain data,
/// written as JSON through `LandscapeJSON` (snake_case: `max_eigenvalue`,
/// `min_eigenvalue`, `ratio`, `samples`, `seed`, `timing`, `surface_id`, …).
/// Values are row-major like a surface's (rows along y); null marks a point
/// not computed yet.
public struct ConvexityMap: Sendable, Codable, Equatable {
    public static let formatVersion = 1

    public struct Timing: Sendable, Codable, Equatable {
        /// Seconds spent on points, over every run that added to the map.
        public var seconds: Double
        /// Hessian-vector products so far, and their mean time.
        public var products: Int
        public var secondsPerProduct: Double
        public var threads: Int
        public var updated: String
        /// What computed the products (`HessianSpectrum.Timing.kernel`), in the order first used, joined by
        /// "+" after a resume on another CPU. Absent in files written before it was recorded.
        public var kernel: String?
        public init(seconds: Double, products: Int, secondsPerProduct: Double, threads: Int, updated: String,
                    kernel: String? = nil) {
            self.seconds = seconds; self.products = products; self.secondsPerProduct = secondsPerProduct
            self.threads = threads; self.updated = updated; self.kernel = kernel
        }

        /// Records that `kernel` computed products.
        mutating func noteKernel(_ kernel: String) { self.kernel = Surface.Timing.noting(kernel, in: self.kernel) }
    }

    public var version = ConvexityMap.formatVersion
    /// Content key: hash of (surface id, images, stride, Lanczos steps, tolerance, seed).
    public var id: String
    /// The surface the map belongs to: its id, and its file as it was given.
    public var surfaceId: String
    public var surfaceFile: String
    public var model: Surface.ModelInfo
    /// The images the Hessians were taken on (the surface's subset rule; `samples` of them).
    public var dataset: Surface.DatasetInfo
    /// The surface's directions (their kind, seed, normalization; the file they were read from).
    public var directions: Surface.DirectionsInfo
    /// What the Hessian is taken of: always the mean cross-entropy, eval-mode BatchNorm,
    /// with respect to every trainable tensor.
    public var hessian: String
    public var stride: Int
    /// Grid indices of the map's columns and rows in the surface's grid.
    public var columnIndices: [Int]
    public var rowIndices: [Int]?
    public var x: [Double]
    public var y: [Double]?
    public var maxEigenvalue: [[Double?]]
    public var minEigenvalue: [[Double?]]
    /// |λmin/λmax|: near 0 where the surface is locally convex, large where negative curvature is
    /// as strong as the positive (Li et al.'s colour scale).
    public var ratio: [[Double?]]
    /// Residuals ‖H x − θ x‖ of the two Ritz pairs (an eigenvalue is within about its residual).
    public var maxResidual: [[Double?]]
    public var minResidual: [[Double?]]
    /// Lanczos steps each point took (at most `lanczos_steps`).
    public var steps: [[Int?]]
    /// The mean loss at the point as the Hessian-vector products measured it (float64 sums).
    public var loss: [[Double?]]
    public var samples: Int
    public var seed: UInt64
    public var lanczosSteps: Int
    public var tolerance: Double
    public var progress: Surface.Progress
    public var timing: Timing
    public var producer: String

    public var columns: Int { x.count }
    public var rows: Int { y?.count ?? 1 }
    public var pointCount: Int { columns * rows }
    public func isComputed(_ index: Int) -> Bool { maxEigenvalue[index / columns][index % columns] != nil }

    /// The ratio Li et al. draw: |λmin/λmax|; nil where λmax is 0 (no curvature at all).
    public static func ratio(min: Double, max: Double) -> Double? { max == 0 ? nil : abs(min / max) }
}

extension ConvexityMap {
    /// Largest map file read (a 51 × 51 map is well under 1 MB).
    public static let maximumFileBytes = 64 << 20

    public static func load(_ path: String) throws -> ConvexityMap {
        let bytes: [UInt8]
        do throws(InputFile.Problem) { bytes = try InputFile.read(path: path, limit: maximumFileBytes) } catch {
            throw LandscapeError.invalidRequest("convexity map \(path): \(error.description(expected: "a convexity map JSON file"))")
        }
        return try decode(Data(bytes), source: path)
    }

    public static func decode(_ data: Data, source: String) throws -> ConvexityMap {
        let map: ConvexityMap
        do { map = try LandscapeJSON.decoder.decode(ConvexityMap.self, from: data) } catch {
            throw LandscapeError.invalidRequest("convexity map \(source): not a convexity map JSON (format \(formatVersion)): "
                                                + LandscapeJSON.describe(error))
        }
        func fits<T>(_ values: [[T?]]) -> Bool { values.count == map.rows && values.allSatisfy { $0.count == map.columns } }
        guard fits(map.maxEigenvalue), fits(map.minEigenvalue), fits(map.ratio), fits(map.maxResidual), fits(map.minResidual),
              fits(map.steps), fits(map.loss), map.columnIndices.count == map.columns, (map.rowIndices?.count ?? 1) == map.rows,
              map.stride >= 1 else {
            throw LandscapeError.invalidRequest("convexity map \(source): value arrays do not match x (\(map.columns)) "
                                                + "and y (\(map.rows)): expected rows × columns values in every field")
        }
        let computed = (0..<map.pointCount).filter(map.isComputed).count
        guard map.progress.computed == computed, map.progress.total == map.pointCount else {
            throw LandscapeError.invalidRequest("convexity map \(source): progress says \(map.progress.computed) of "
                                                + "\(map.progress.total) points, the values hold \(computed) of \(map.pointCount)")
        }
        return map
    }
}
