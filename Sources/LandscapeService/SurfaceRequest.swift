import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO

/// The body of POST /api/surfaces. Every field is checked against the caps
/// before any work starts.
public struct SurfaceRequest: Decodable, Sendable {
    public var models: [String]
    public var dataset: String?
    public var split: String?
    public var x: String
    public var y: String?
    public var samples: Int?
    public var subset: String?
    public var subsetSeed: UInt64?
    public var seed: UInt64?
    public var norm: String?
    public var ignore: String?
    public var bnMode: String?
    /// BN recompute mode: training batches and their size (defaults 8 × 128).
    public var bnBatches: Int?
    public var bnBatchSize: Int?


    public static func decode(_ body: Data) throws -> SurfaceRequest {
        guard !body.isEmpty else { throw ServiceError.badRequest("empty body: expected a JSON object with models, x and optionally y") }
        do { return try JSONCoding.decoder.decode(SurfaceRequest.self, from: body) } catch let DecodingError.keyNotFound(key, _) {
            throw ServiceError.badRequest("field '\(key.stringValue)' is required")
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ServiceError.badRequest("field '\(field)' has the wrong type", detail: context.debugDescription)
        } catch {
            throw ServiceError.badRequest("body is not valid JSON of the expected form", detail: "\(error)")
        }
    }

    /// Everything a computation needs, validated: parsed grid, enums, and caps.
    struct Validated {
        var grid: GridSpec
        var spec: DirectionSpec
        var bnMode: BatchNormMode
        /// (batches, batch size) of the training images in recompute mode; nil in eval mode.
        var bnRecompute: (batches: Int, batchSize: Int)?
        var data: EvaluationSetRequest
    }

    func validate(catalog: Catalog) throws -> Validated {
        let limits = catalog.configuration.limits
        guard !models.isEmpty else { throw ServiceError.badRequest("models: expected at least one model id") }
        guard models.count <= limits.maximumModels else {
            throw ServiceError.badRequest("models: at most \(limits.maximumModels) per request, got \(models.count)")
        }
        guard Set(models).count == models.count else { throw ServiceError.badRequest("models: the same model is listed twice") }
        let grid: GridSpec
        do {
            let xAxis = try GridAxis(parsing: x)
            let yAxis = try y.map { try GridAxis(parsing: $0) }
            grid = try GridSpec(x: xAxis, y: yAxis, maximumPoints: limits.maximumPoints)
        } catch {
            throw ServiceError.badRequest("grid: \(error)")
        }
        let samples = self.samples ?? EvaluationSetRequest.defaultSurfaceSamples
        guard (1...limits.maximumSamples).contains(samples) else {
            throw ServiceError.badRequest("samples: expected 1...\(limits.maximumSamples), got \(samples)")
        }
        let spec = DirectionSpec(seed: seed ?? 0,
                                 normalization: try Self.choice(norm, "norm", default: .filter),
                                 ignore: try Self.choice(ignore, "ignore", default: .biasbn),
                                 mode: .weights)
        let bnMode: BatchNormMode = try Self.choice(bnMode, "bn_mode", default: .eval)
        var bnRecompute: (batches: Int, batchSize: Int)?
        if bnMode == .recompute {
            let batches = bnBatches ?? BatchNormRecomputation.defaultBatches
            let batchSize = bnBatchSize ?? BatchNormRecomputation.defaultBatchSize
            do {
                _ = try BatchNormRecomputation.imageCount(batches: batches, batchSize: batchSize,
                                                          maximumImages: limits.maximumRecomputeImages)
            } catch {
                throw ServiceError.badRequest("bn_batches, bn_batch_size: \(error)")
            }
            bnRecompute = (batches, batchSize)
        } else if bnBatches != nil || bnBatchSize != nil {
            throw ServiceError.badRequest("bn_batches and bn_batch_size apply to bn_mode 'recompute' only")
        }
        let split: DatasetSplit? = try self.split.map { try Self.choice($0, "split", default: .test) }
        let subset: SubsetRule = try Self.choice(subset, "subset", default: .first)
        let path = try catalog.datasetPath(dataset ?? "fashion-mnist")
        let data = EvaluationSetRequest(path: path, split: split, samples: samples, samplesAtMost: self.samples == nil,
                                        subset: subset, subsetSeed: subsetSeed ?? 0)
        return Validated(grid: grid, spec: spec, bnMode: bnMode, bnRecompute: bnRecompute, data: data)
    }

    /// One of an enum's raw values (case-insensitive), or a 400 that lists them; shared with the picture query.
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String?, _ field: String, default value: T) throws -> T
        where T.RawValue == String {
        guard let text else { return value }
        guard let parsed = T(rawValue: text) ?? T(rawValue: text.lowercased()) else {
            throw ServiceError.badRequest("\(field): '\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return parsed
    }
}
