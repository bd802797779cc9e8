import Foundation
import Landscape

/// Where the service finds models, surfaces, datasets and the page, and the
/// caps that keep one request from taking the machine.
public struct ServiceConfiguration: Sendable {
    /// Shipped models (`*.safetensors`, `*.pt`, `*.th` with model cards).
    public var modelsDirectory: URL
    /// Precomputed surfaces shipped with the models (read only).
    public var shippedSurfacesDirectory: URL
    /// Hessian spectra shipped with the models (`landscape hessian --out Models/hessian`; read only).
    public var shippedHessianDirectory: URL
    /// Seed studies shipped with the models (study JSONs beside their surfaces in Models/studies; read only).
    public var shippedStudiesDirectory: URL
    /// Where surfaces requested through the API are computed and kept.
    public var cacheDirectory: URL
    /// The browser page.
    public var publicDirectory: URL
    /// Trajectories (`landscape trajectory --out DIR` directories, or folders of them): the shipped
    /// Models/trajectories/<model>/ first, then any `serve --trajectories DIR`.
    public var trajectoryDirectories: [URL]
    /// Dataset id → path, e.g. "fashion-mnist" → /usr/share/datasets/fashion-mnist.
    public var datasets: [String: String]
    public var limits: Limits
    /// Worker threads of the evaluator (one per core).
    public var threads: Int
    /// Run surface jobs through this launcher (`serve --launcher`), not in this process.
    public var launcher: Launcher?

    public struct Limits: Sendable {
        /// Caps of one surface request (grid points, samples, BN images, models): the library's, checked there.
        public var surface = SurfaceLimits()
        /// Caps of one Hessian request (models, samples, Lanczos steps, probes, products per model): the library's.
        public var hessian = HessianLimits()
        /// Seeds of one seed study (each seed is a whole surface per model, within `surface`'s caps).
        public var maximumStudySeeds = SeedStudyLimits.defaultMaximumSeeds
        /// The library's caps of a seed study: `maximumStudySeeds` seeds, each within `surface`.
        public var study: SeedStudyLimits {
            var limits = SeedStudyLimits()
            limits.maximumSeeds = maximumStudySeeds
            limits.surface = surface
            return limits
        }
        /// Jobs waiting or running before POST answers 429.
        public var maximumQueuedJobs = 4
        /// Finished jobs remembered by /api/jobs (each keeps its state and surface ids, not its computation).
        public var maximumFinishedJobs = 100
        /// Rendered PNGs kept in memory, and their total size.
        public var pictureCacheEntries = 256
        public var pictureCacheBytes = 64 << 20
        /// Pictures drawn at once (one per core); more wait up to `renderSlotWait` seconds, then 503 + Retry-After.
        public var concurrentRenders = 2
        public var renderSlotWait: TimeInterval = 10
        public init() {}
    }

    /// Finished Hessian runs (`HessianStore`): a folder inside the surface cache, so `--cache` moves both.
    public var hessianDirectory: URL { cacheDirectory.appendingPathComponent("hessian", isDirectory: true) }
    /// Finished seed studies (`SeedStudyStore`): beside the Hessian runs; their surfaces are in the surface cache itself.
    public var studyDirectory: URL { cacheDirectory.appendingPathComponent("studies", isDirectory: true) }

    /// The embedded default: everything relative to the repository root
    /// (`landscape serve` run from the checkout).
    public init(root: URL, cacheDirectory: URL? = nil, datasets: [String: String] = ServiceConfiguration.defaultDatasets,
                limits: Limits = Limits(), threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        modelsDirectory = root.appendingPathComponent("Models")
        shippedSurfacesDirectory = root.appendingPathComponent("Models/surfaces")
        shippedHessianDirectory = root.appendingPathComponent("Models/hessian")
        shippedStudiesDirectory = root.appendingPathComponent("Models/studies")
        self.cacheDirectory = cacheDirectory ?? root.appendingPathComponent(".landscape-cache/surfaces")
        publicDirectory = root.appendingPathComponent("Public")
        trajectoryDirectories = [root.appendingPathComponent("Models/trajectories")]
        self.datasets = datasets
        self.limits = limits
        self.threads = threads
    }

    /// Fashion-MNIST as `apt-get install dataset-fashion-mnist` installs it.
    public static let defaultDatasets = [SurfaceSpec.defaultDataset: "/usr/share/datasets/fashion-mnist"]
}
