import Foundation
import HTTPServer
import Landscape

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
                         maximumFinished: configuration.limits.maximumFinishedJobs)
        let router = HTTPRouter()
        let pictures = PictureRoutes(catalog: catalog, cacheEntries: configuration.limits.pictureCacheEntries,
                                     cacheBytes: configuration.limits.pictureCacheBytes,
                                     concurrentRenders: configuration.limits.concurrentRenders,
                                     slotWait: configuration.limits.renderSlotWait)
        APIRoutes(catalog: catalog, queue: queue, planner: SurfacePlanner(catalog: catalog, queue: queue),
                  pictures: pictures).register(on: router)
        pictures.register(on: router)
        let openAPI = OpenAPIDocument.data(limits: configuration.limits.surface)
        router.add("GET /api/openapi.json") { _ in .json(openAPI) }
        let limits = try JSONCoding.encoder.encode(ServiceLimitsBody(configuration.limits))
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

/// GET /api/limits: what the page's forms need — every surface field with its default and
/// bounds (from the library's spec), the grid caps and the picture sizes — so the page holds no copy.
struct ServiceLimitsBody: Encodable {
    let surface: SurfaceLimits
    let surfaceFields: [SpecField]
    let maximumCoordinate: Double
    let pictureSize: [Int]
    let maximumQueuedJobs: Int

    init(_ limits: ServiceConfiguration.Limits) {
        surface = limits.surface
        surfaceFields = SurfaceSpec.fields(limits: limits.surface)
        maximumCoordinate = GridAxis.maximumCoordinateMagnitude
        pictureSize = [PictureRoutes.sizeRange.lowerBound, PictureRoutes.sizeRange.upperBound]
        maximumQueuedJobs = limits.maximumQueuedJobs
    }
}
