import Foundation
import HTTPServer
import Landscape
import LandscapePictures
import LandscapeEngine
import LandscapeCore

/// The service: the API routes and the page on one HTTP server, surface jobs
/// on a worker. `landscape serve` creates one and waits for a signal.
public final class LandscapeService: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let catalog: Catalog
    public let queue: JobQueue
    private let server: HTTPServer

    public init(configuration: ServiceConfiguration, host: String = "127.0.0.1", port: UInt16 = 8420,
                httpLimits: HTTPLimits = HTTPLimits(), accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil) throws {
        self.configuration = configuration
        catalog = try Catalog(configuration: configuration)
        queue = JobQueue(maximumQueued: configuration.limits.maximumQueuedJobs,
                         maximumFinished: configuration.limits.maximumFinishedJobs,
                         runner: configuration.launcher.map { LauncherSurfaceRunner($0, threads: configuration.threads) as any SurfaceJobRunner }
                            ?? LocalSurfaceRunner())
        let router = HTTPRouter()
        let pictures = PictureRoutes(catalog: catalog, cacheEntries: configuration.limits.pictureCacheEntries,
                                     cacheBytes: configuration.limits.pictureCacheBytes,
                                     concurrentRenders: configuration.limits.concurrentRenders,
                                     slotWait: configuration.limits.renderSlotWait)
        APIRoutes(catalog: catalog, queue: queue, planner: SurfacePlanner(catalog: catalog, queue: queue),
                  pictures: pictures).register(on: router)
        pictures.register(on: router)
        let shipped = ShippedResults(configuration: configuration)
        HessianRoutes(planner: try HessianPlanner(catalog: catalog, queue: queue), pictures: pictures, shipped: shipped).register(on: router)
        TrajectoryRoutes(catalog: catalog, pictures: pictures).register(on: router)
        StudyRoutes(planner: try StudyPlanner(catalog: catalog, queue: queue), pictures: pictures, shipped: shipped).register(on: router)
        let openAPI = OpenAPIDocument.data(limits: configuration.limits.surface, hessianLimits: configuration.limits.hessian,
                                           studyLimits: configuration.limits.study, models: catalog.modelIDs(),
                                           datasets: configuration.datasets.keys.sorted())
        router.add("GET /api/openapi.json") { _ in .json(openAPI) }
        let limits = try LandscapeJSON.encode(ServiceLimitsBody(configuration.limits))
        router.add("GET /api/limits") { _ in .json(limits) }
        let files = try StaticFileHandler(root: configuration.publicDirectory)
        let handler = ServiceHandler(api: router, files: files)
        server = HTTPServer(configuration: .init(host: host, port: port, limits: httpLimits, accessLog: accessLog),
                            handler: MiddlewareHandler(middleware: ConditionalGETMiddleware(),
                                                     next: MiddlewareHandler(middleware: ErrorJSONMiddleware(), next: handler)))
    }

    public func start() throws {
        queue.start()
        try server.start()
    }

    /// The bound port (useful with port 0 in tests).
    public var port: UInt16 { server.port }

    /// Stops accepting, checkpoints the running job (its points are already
    /// saved; the same request resumes it) and closes connections.
    public func stop(timeout: TimeInterval = 5) {
        queue.shutdown(timeout: timeout)
        server.stop(timeout: timeout)
    }

    public func waitUntilStopped() { server.waitUntilStopped() }

    public func stopOnSignals(onStop: @escaping @Sendable () -> Void = {}) {
        server.stopOnSignals { [weak self] in
            self?.queue.shutdown(timeout: 5)
            onStop()
        }
    }
}

/// /api/... goes to the router, everything else to the page's files.
struct ServiceHandler: HTTPHandler {
    let api: HTTPRouter
    let files: StaticFileHandler

    func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        request.path.hasPrefix("/api/") || request.path == "/api" ? try api.handle(request) : try files.handle(request)
    }
}

/// GET /api/limits: what the page needs so that it holds no copy of a server default or cap
/// (Public/js/limits.js reads it): the request caps, the activations the engine knows, the
/// contour levels offered, and every surface field with its default and bounds from the spec.
struct ServiceLimitsBody: Encodable {
    struct Levels: Encodable { let min: Int, max: Int, `default`: Int }
    struct OutputLandscapeSizes: Encodable { let sizes: [Int], `default`: Int, max: Int }
    let maxModels: Int
    let maxGridPoints: Int
    let maxSamples: Int
    let maxRecomputeImages: Int
    let maxCoordinate: Double
    let maxActivations: Int
    let maxQueuedJobs: Int
    let pictureSize: [Int]
    let activations: [String]
    let levels: Levels
    let surfaceFields: [SpecField]
    /// The Hessian request's fields (the Sharpness tab's form) and caps.
    let hessianFields: [SpecField]
    let hessian: HessianLimits
    /// The seed study's fields (the Sharpness tab's study form): its own, then the surface's less `seed`.
    let studyFields: [SpecField]
    let maxStudySeeds: Int
    let pictureFields: [SpecField]
    let outputLandscape: OutputLandscapeSizes

    /// Contour levels the page offers: the picture spec's range and first value.
    static let levels = Levels(min: RenderSpec.levelRange.lowerBound, max: RenderSpec.levelRange.upperBound, default: RenderSpec.defaultLevels)

    init(_ limits: ServiceConfiguration.Limits) {
        maxModels = limits.surface.maximumModels
        maxGridPoints = limits.surface.maximumPoints
        maxSamples = limits.surface.maximumSamples
        maxRecomputeImages = limits.surface.maximumRecomputeImages
        maxCoordinate = GridAxis.maximumCoordinateMagnitude
        maxActivations = Pictures.maximumActivations
        maxQueuedJobs = limits.maximumQueuedJobs
        pictureSize = [RenderSpec.sizeRange.lowerBound, RenderSpec.sizeRange.upperBound]
        activations = ActivationKind.allCases.map(\.rawValue)
        levels = Self.levels
        surfaceFields = SurfaceSpec.fields(limits: limits.surface)
        hessianFields = HessianSpec.fields(limits: limits.hessian)
        hessian = limits.hessian
        studyFields = SeedStudySpec.fields(limits: limits.study)
        maxStudySeeds = limits.study.maximumSeeds
        pictureFields = RenderSpec.fields()
        outputLandscape = OutputLandscapeSizes(sizes: OutputLandscape.pictureSizes.filter { $0 <= PictureRoutes.maximumOutputLandscapeSize },
                                               default: OutputLandscape.defaultPictureSize, max: PictureRoutes.maximumOutputLandscapeSize)
    }
}
