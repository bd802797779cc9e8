import Foundation
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// A loss landscape over a 1D line or 2D grid: plain data that every consumer
/// (JSON file, PNG renderer, HTTP API, the page) reads. Values are row-major
/// (rows along y, columns along x); nil marks a point not computed yet, or,
/// where `diverged` is true, a point whose loss was not a finite number.
/// The JSON form is documented in README.md ("Surface JSON").
public struct Surface: Sendable, Codable, Equatable {
    public static let formatVersion = 1

    public var version = Surface.formatVersion
    /// Content key: hash of (model bytes, dataset subset, directions, grid, BN mode).
    public var id: String
    public var model: ModelInfo
    public var dataset: DatasetInfo
    public var directions: DirectionsInfo
    public var bnMode: BatchNormMode
    /// The training images BN statistics were re-estimated from (BN mode `recompute` only).
    public var bnRecompute: BatchNormRecomputeInfo?
    public var grid: GridSpec
    public var x: [Double]
    public var y: [Double]?
    public var loss: [[Double?]]
    public var accuracy: [[Double?]]
    public var lossStderr: [[Double?]]
    /// True where the point was computed but its loss was NaN or ±∞ (weights
    /// too far from the trained ones for float32): loss, accuracy and stderr
    /// are null there. Absent in files written before it was recorded.
    public var diverged: [[Bool]]?
    public var summary: SurfaceSummary?
    /// The training path in the plane (surfaces along PCA directions only; absent otherwise).
    public var path: SurfacePath?
    public var progress: Progress
    public var timing: Timing
    public var producer: String

    public init(id: String, model: ModelInfo, dataset: DatasetInfo, directions: DirectionsInfo, bnMode: BatchNormMode,
                grid: GridSpec, x: [Double], y: [Double]?, loss: [[Double?]], accuracy: [[Double?]],
                lossStderr: [[Double?]], summary: SurfaceSummary?, progress: Progress, timing: Timing, producer: String,
                bnRecompute: BatchNormRecomputeInfo? = nil) {
        self.id = id; self.model = model; self.dataset = dataset; self.directions = directions; self.bnMode = bnMode
        self.bnRecompute = bnRecompute
        self.grid = grid; self.x = x; self.y = y; self.loss = loss; self.accuracy = accuracy
        self.lossStderr = lossStderr; self.summary = summary; self.progress = progress; self.timing = timing
        self.producer = producer
    }

    public struct ModelInfo: Sendable, Codable, Equatable {
        public var name: String
        public var path: String?
        public var sha256: String
        public var architecture: String
        public var activation: String
        public var testAccuracy: Double?
        public init(name: String, path: String?, sha256: String, architecture: String, activation: String, testAccuracy: Double? = nil) {
            self.name = name; self.path = path; self.sha256 = sha256
            self.architecture = architecture; self.activation = activation; self.testAccuracy = testAccuracy
        }
    }

    public struct DatasetInfo: Sendable, Codable, Equatable {
        public var name: String
        public var path: String
        public var split: String
        public var samples: Int
        /// "first" (first N records in file order), "random" (seeded), "balanced" (class-balanced).
        public var subset: String
        public var subsetSeed: UInt64
        public var mean: [Double]
        public var std: [Double]
        /// SHA-256 of the normalized float32 pixels and labels actually evaluated.
        public var contentSha256: String
        public init(name: String, path: String, split: String, samples: Int, subset: String, subsetSeed: UInt64,
                    mean: [Double], std: [Double], contentSha256: String) {
            self.name = name; self.path = path; self.split = split; self.samples = samples; self.subset = subset
            self.subsetSeed = subsetSeed; self.mean = mean; self.std = std; self.contentSha256 = contentSha256
        }
    }

    public struct DirectionsInfo: Sendable, Codable, Equatable {
        /// "random" (seeded, shared), "interpolation" (A → B), "plane" (A, B, C), "pca" (a training path's plane)
        /// or "hessian" (the top-2 Hessian eigenvectors, unit vectors: α moves the weights by |α| in L2 norm).
        public var kind: String
        public var seed: UInt64
        public var normalization: DirectionNormalization
        public var ignore: DirectionIgnore
        public var mode: DirectionMode
        /// Models computed with the same raw directions (each normalized to its own weights).
        public var sharedWith: [String]
        /// The models B (and C) of an interpolation or plane.
        public var endpoints: [ModelInfo]
        /// File (next to this JSON) holding the normalized directions as `x.<tensor>` / `y.<tensor>`.
        public var file: String?
        public var note: String
        /// λ1, λ2 of the x and y eigenvectors ("hessian" directions only; absent otherwise).
        public var eigenvalues: [Double]?
        public init(kind: String = "random", seed: UInt64, normalization: DirectionNormalization, ignore: DirectionIgnore,
                    mode: DirectionMode, sharedWith: [String], endpoints: [ModelInfo] = [], file: String?, note: String) {
            self.kind = kind; self.seed = seed; self.normalization = normalization; self.ignore = ignore; self.mode = mode
            self.sharedWith = sharedWith; self.endpoints = endpoints; self.file = file; self.note = note
        }
    }

    public struct Progress: Sendable, Codable, Equatable {
        public var computed: Int
        public var total: Int
        public var order: String
        public var complete: Bool { computed == total }
        public init(computed: Int, total: Int, order: String) { self.computed = computed; self.total = total; self.order = order }
    }

    public struct Timing: Sendable, Codable, Equatable {
        public var seconds: Double
        public var imagesPerSecond: Double?
        public var updated: String
        /// The convolution algorithm(s) that computed the points, in the order first used
        /// ("winograd", or "direct+winograd" after a resume with another one): their float32
        /// roundings differ by about 1e-6, so a mixed surface is not bit-reproducible.
        /// Absent in files written before it was recorded.
        public var convolution: String?
        /// The kernels' instruction set(s) that computed the points, in the order first used: "avx512",
        /// "avx2" (the same bits as each other), "portable" (im2col and BLAS) or "onednn-<oneDNN's ISA>"
        /// (e.g. "onednn-avx512_core"), joined by "+" after a resume on another CPU or with another
        /// convolution. Absent in files written before it was recorded.
        public var kernel: String?
        public init(seconds: Double, imagesPerSecond: Double?, updated: String, convolution: String? = nil,
                    kernel: String? = nil) {
            self.seconds = seconds; self.imagesPerSecond = imagesPerSecond; self.updated = updated
            self.convolution = convolution
            self.kernel = kernel
        }

        /// Records that the kernels on `isa` computed a point.
        mutating func noteKernel(_ isa: String) { kernel = Self.noting(isa, in: kernel) }

        /// `list` ("a+b", or nil for none) with `name` appended unless it is there already.
        static func noting(_ name: String, in list: String?) -> String {
            let used = list?.split(separator: "+").map(String.init) ?? []
            return used.contains(name) ? list! : (used + [name]).joined(separator: "+")
        }

        /// Records that `algorithm` computed a point.
        mutating func noteConvolution(_ algorithm: String) {
            let used = convolution?.split(separator: "+").map(String.init) ?? []
            if !used.contains(algorithm) { convolution = (used + [algorithm]).joined(separator: "+") }
        }
    }

    public var columns: Int { x.count }
    public var rows: Int { y?.count ?? 1 }

    public func lossAt(_ index: Int) -> Double? { loss[index / columns][index % columns] }
    public func isDiverged(_ index: Int) -> Bool { diverged?[index / columns][index % columns] ?? false }
    public func isComputed(_ index: Int) -> Bool { lossAt(index) != nil || isDiverged(index) }
    /// Points computed with a non-finite loss.
    public var divergedCount: Int { diverged?.reduce(0) { $0 + $1.lazy.filter { $0 }.count } ?? 0 }
}

/// How BatchNorm behaves at perturbed weights.
public enum BatchNormMode: String, Sendable, Codable, CaseIterable {
    /// Running statistics of the trained model (the reference behaviour).
    case eval
    /// Statistics re-estimated at each point from training batches (see `BatchNormRecomputation`).
    case recompute
}

extension Surface {
    public static var jsonDecoder: JSONDecoder { LandscapeJSON.decoder }

    public func jsonData() throws -> Data { try LandscapeJSON.encode(self) }

    /// Largest surface file read: a 101 × 101 surface is about 2 MB of JSON; far larger grids fit too.
    public static let maximumFileBytes = 256 << 20

    /// Reads a surface file (LandscapeIO's reader: errors name the path and what is wrong with it).
    public static func load(_ path: String) throws -> Surface {
        let bytes: [UInt8]
        do throws(InputFile.Problem) { bytes = try InputFile.read(path: path, limit: maximumFileBytes) } catch {
            throw LandscapeError.invalidRequest("surface \(path): \(error.description(expected: "a surface JSON file"))")
        }
        return try decode(Data(bytes), source: path)
    }

    public static func decode(_ data: Data, source: String) throws -> Surface {
        do {
            return try jsonDecoder.decode(Surface.self, from: data)
        } catch {
            throw LandscapeError.storeFailure(path: source, detail: "not a surface JSON (format \(formatVersion)): \(LandscapeJSON.describe(error))")
        }
    }
}
