import Foundation
import HTTPServer
import Landscape
import LandscapePictures
import LandscapeEngine
import LandscapeRender

/// The PNG endpoints: surfaces rendered on demand, the activation explorer
/// and the output landscapes; recently drawn pictures are kept in memory.
final class PictureRoutes: @unchecked Sendable {
    private let catalog: Catalog
    private let cache: PictureCache
    /// Renders in progress at once: a 4096² picture holds ≈ 65 MB while it is drawn.
    private let slots: DispatchSemaphore
    private let slotWait: TimeInterval

    static let sizeRange = RenderSpec.sizeRange
    static let maximumOutputLandscapeSize = 512
    /// What a client told "every render slot is busy" should wait: about one large render.
    static let retryAfterSeconds = 5

    init(catalog: Catalog, cacheEntries: Int, cacheBytes: Int = 64 << 20, concurrentRenders: Int = 2,
         slotWait: TimeInterval = 10) {
        self.catalog = catalog
        cache = PictureCache(capacity: cacheEntries, maximumBytes: cacheBytes)
        slots = DispatchSemaphore(value: max(1, concurrentRenders))
        self.slotWait = slotWait
    }

    func register(on router: HTTPRouter) {
        router.add("GET /api/activations.json") { request in
            try .json(JSONBody(ActivationCurves.body(try ActivationQuery(request.query))))
        }
        router.add("GET /api/activations.png") { [self] request in
            let query = try ActivationQuery(request.query)
            let width = try Self.integer(request.query, "width", default: 1200, in: Self.sizeRange)
            let height = try Self.integer(request.query, "height", default: 420, in: Self.sizeRange)
            return try png("activations|\(request.target)") {
                try Pictures.activations(query.activations, range: query.range, points: query.points, width: width, height: height)
            }
        }
        router.add("GET /api/output-landscape.png") { [self] request in
            let query = try ActivationQuery(request.query, namesKey: "activations")
            let seed = try Self.seed(request.query)
            let size = try Self.integer(request.query, "size", default: OutputLandscape.defaultPictureSize,
                                        in: 2...Self.maximumOutputLandscapeSize)
            let height = try Self.integer(request.query, "height", default: 440, in: Self.sizeRange)
            let cmap = request.query["cmap"] ?? "viridis"
            let colormap = Colormap(rawValue: cmap)
            guard colormap != nil || cmap == "grey" || cmap == "gray" else {
                throw ServiceError.badRequest("cmap '\(cmap)': expected \(Colormap.allCases.map(\.rawValue).joined(separator: ", ")) or grey")
            }
            return try png("output|\(request.target)") {
                try Pictures.outputLandscapes(query.activations, seed: seed, size: size, range: query.range,
                                              colormap: colormap, height: height)
            }
        }
        router.add("GET /api/output-landscape.json") { request in
            let query = try ActivationQuery(request.query, namesKey: "activation", defaultNames: "mish")
            let size = try Self.integer(request.query, "size", default: OutputLandscape.defaultDataSize,
                                        in: 2...Self.maximumOutputLandscapeSize)
            let field = try OutputLandscape(activation: query.activations[0], seed: try Self.seed(request.query))
                .grid(size: size, range: query.range)
            struct Body: Encodable { let activation: String; let coordinates: [Double]; let values: [[Double]] }
            return try .json(JSONBody(Body(activation: query.activations[0].name, coordinates: field.coordinates,
                                           values: field.values)))
        }
    }

    /// GET /api/surfaces/{id}.{png,svg,pdf}?kind=...&compare=id2,id3 (side by side on one colour scale):
    /// the format from the path's extension, a download named after the surfaces.
    func surfacePicture(id: String, query: [String: String], format: PictureFormat = .png) throws -> HTTPResponse {
        let ids = [id] + (query["compare"] ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard ids.count <= RenderSpec.maximumSurfaces else {
            throw ServiceError.badRequest("compare: at most \(RenderSpec.maximumSurfaces - 1) more surfaces")
        }
        let surfaces = try ids.map { try catalog.surface($0) }
        var settings = try Self.settings(query)
        settings.format = format
        // A partial surface changes as points arrive: the computed count is part of the key; so is the format.
        let key = "surface|\(format.rawValue)|" + surfaces.map { "\($0.id):\($0.progress.computed)" }.joined(separator: ",") + "|\(settings)"
        let data = try produce(key) { () throws -> Data in
            do { return try Pictures.surfaces(surfaces, settings).data } catch let error as RenderError {
                throw ServiceError.badRequest("cannot draw this surface", detail: "\(error)")
            } catch let error as LandscapeError {
                throw ServiceError.badRequest("cannot draw this surface", detail: "\(error)")
            }
        }
        return .download(data, contentType: format.contentType,
                         fileName: surfaces.map(ExportRoutes.fileStem).joined(separator: "_") + ".\(format.rawValue)")
    }

    private func png(_ key: String, draw: () throws -> RenderedPlot) throws -> HTTPResponse {
        .png(try produce(key) { try draw().png })
    }

    /// The bytes for `key`: from the cache, else made in one of the bounded render slots (pictures
    /// and exports alike) and kept. A caller that waits too long for a slot gets 503 + Retry-After.
    func produce(_ key: String, make: () throws -> Data) throws -> Data {
        if let cached = cache[key] { return cached }
        // Queue for a render slot a little while, then refuse: memory stays bounded however many ask.
        guard slots.wait(timeout: .now() + slotWait) == .success else {
            throw ServiceError.busy("every picture render slot is busy; retry later", retryAfter: Self.retryAfterSeconds)
        }
        defer { slots.signal() }
        if let cached = cache[key] { return cached }
        let data: Data
        do { data = try make() } catch let error as RenderError {
            throw ServiceError.badRequest("cannot draw this picture", detail: "\(error)")
        }
        cache[key] = data
        return data
    }

    // MARK: Query parsing

    /// The picture options of a query, parsed and checked by the library's spec (400 names the field).
    static func settings(_ query: [String: String]) throws -> RenderSpec {
        do { return try RenderSpec.decode(query: query) } catch { throw ServiceError.badRequest("\(error)") }
    }

    static func integer(_ query: [String: String], _ field: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = query[field] else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw ServiceError.badRequest("\(field): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return parsed
    }

    static func seed(_ query: [String: String]) throws -> UInt64 {
        guard let text = query["seed"] else { return 0 }
        guard let seed = UInt64(text) else { throw ServiceError.badRequest("seed: expected a non-negative integer, got '\(text)'") }
        return seed
    }
}

/// A small least-recently-used cache of PNG bytes, bounded in entries and in bytes.
final class PictureCache: @unchecked Sendable {
    private let capacity: Int
    private let maximumBytes: Int
    private let lock = NSLock()
    private var entries: [String: Data] = [:]
    private var order: [String] = []
    private var bytes = 0

    init(capacity: Int, maximumBytes: Int = .max) {
        self.capacity = max(1, capacity)
        self.maximumBytes = maximumBytes
    }

    subscript(key: String) -> Data? {
        get {
            lock.lock(); defer { lock.unlock() }
            guard let data = entries[key] else { return nil }
            order.removeAll { $0 == key }
            order.append(key)
            return data
        }
        set {
            lock.lock(); defer { lock.unlock() }
            bytes -= entries[key]?.count ?? 0
            entries[key] = newValue
            order.removeAll { $0 == key }
            if let newValue { order.append(key); bytes += newValue.count }
            while order.count > capacity || (bytes > maximumBytes && !order.isEmpty) {
                let oldest = order.removeFirst()
                bytes -= entries[oldest]?.count ?? 0
                entries[oldest] = nil
            }
        }
    }
}
