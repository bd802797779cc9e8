import Foundation
import LandscapeEngine
import LandscapeIO

/// The caps that keep one surface request from taking the machine. The
/// service configures them; the CLI uses the defaults unless a flag raises one.
public struct SurfaceLimits: Sendable, Codable, Equatable {
    /// Grid points per surface (101 × 101: a 51 × 51 surface on 1,000 images is already tens of minutes on two cores).
    public var maximumPoints = GridSpec.defaultMaximumPoints
    /// Images evaluated per point (the whole Fashion-MNIST test split).
    public var maximumSamples = 10_000
    /// Training images per point in BN recompute mode (batches × batch size).
    public var maximumRecomputeImages = 4_096
    /// Models per request (ReLU | Swish | Mish plus room for more).
    public var maximumModels = 6
    public init() {}

    /// The command line's caps: the grid's only (a flag raises it); there is no server to protect.
    public static func commandLine(maximumPoints: Int) -> SurfaceLimits {
        var limits = SurfaceLimits()
        limits.maximumPoints = maximumPoints
        limits.maximumSamples = .max
        limits.maximumRecomputeImages = .max
        limits.maximumModels = .max
        return limits
    }
}

/// What a field of a spec takes, once: the API's JSON, the CLI's flags, the
/// OpenAPI document and the page's form all read it from here.
public struct SpecField: Sendable, Encodable {
    public let name: String
    public let type: String
    public let description: String
    public let defaultValue: String?
    public let allowed: [String]?
    public let minimum: Int?
    public let maximum: Int?
    public let required: Bool
    /// The minimum itself is not allowed (a spacing must be > 0).
    public let exclusiveMinimum: Bool
    /// Required unless this other field is given (`x` may be left out when a trajectory's plane is asked
    /// for: the grid then covers the path); `required` is false for such a field.
    public let requiredUnless: String?

    public init(name: String, type: String, description: String, defaultValue: String? = nil, allowed: [String]? = nil,
                minimum: Int? = nil, maximum: Int? = nil, required: Bool = false, exclusiveMinimum: Bool = false,
                requiredUnless: String? = nil) {
        self.name = name; self.type = type; self.description = description; self.defaultValue = defaultValue
        self.allowed = allowed; self.minimum = minimum; self.maximum = maximum; self.required = required
        self.exclusiveMinimum = exclusiveMinimum; self.requiredUnless = requiredUnless
    }

    /// The CLI flag of this field (`bn_batches` → `--bn-batches`).
    public var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    enum CodingKeys: String, CodingKey {
        case name, type, description, defaultValue = "default", allowed, minimum, maximum, required, exclusiveMinimum, requiredUnless
    }
}

/// A field refused by a spec: which one, what it was, what is allowed.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public let field: String
    public let problem: String
    public init(_ field: String, _ problem: String) { self.field = field; self.problem = problem }
    public var description: String { "\(field): \(problem)" }

    /// One of an enum's raw values (case-insensitive), or an error that lists them: the one parser of
    /// choices for request bodies and picture queries alike.
    public static func choice<T: RawRepresentable & CaseIterable>(_ text: String, field: String) throws(SpecError) -> T
        where T.RawValue == String {
        guard let parsed = T(rawValue: text) ?? T(rawValue: text.lowercased()) else {
            throw SpecError(field, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return parsed
    }
}

/// The images a request evaluates at every point: the same fields (and flags) in every spec.
public protocol EvaluationImagesSpec {
    var split: DatasetSplit? { get set }
    var samples: Int? { get set }
    var subset: SubsetRule { get set }
    var subsetSeed: UInt64 { get set }
}

extension EvaluationImagesSpec {
    /// The evaluation images this spec asks for, from the dataset at `path`; `samples` is the validated count,
    /// `samplesAtMost` whether it was the default (a smaller split is then used whole).
    public func evaluationSet(path: String, samples: Int, samplesAtMost: Bool) -> EvaluationSetRequest {
        EvaluationSetRequest(path: path, split: split, samples: samples, samplesAtMost: samplesAtMost,
                             subset: subset, subsetSeed: subsetSeed)
    }
}

/// One request for surfaces around trained weights along shared random
/// directions: every field typed, with its default and its check. The API
/// decodes its JSON body into it, the CLI builds it from its options, and
/// both call `validated(limits:)`: one set of defaults and one set of checks.
public struct SurfaceSpec: EvaluationImagesSpec, Sendable, Equatable {
    public var models: [String]
    public var dataset: String?
    public var split: DatasetSplit?
    public var x: GridAxis
    public var y: GridAxis?
    public var samples: Int?
    public var subset: SubsetRule = .first
    public var subsetSeed: UInt64 = 0
    public var directions = DirectionSpec()
    public var bnMode: BatchNormMode = .eval
    public var bnBatches: Int?
    public var bnBatchSize: Int?
    /// A surface in a trajectory's PCA plane (`"directions": "pca"`); nil: the random directions above.
    public var trajectoryPlane: TrajectoryPlaneRequest?

    public init(models: [String], x: GridAxis, y: GridAxis? = nil) {
        self.models = models; self.x = x; self.y = y
    }

    /// The dataset of a request that names none (what `scripts/serve` installs).
    public static let defaultDataset = "fashion-mnist"

    /// The default axis of a new request (x, and y where a 2D surface is asked for): Li et al.'s
    /// -1:1, 21 points — a first look in about a minute; their 51 points are a flag away.
    public static let defaultAxis = "-1:1:21"

    /// What a validated spec fixes beyond its fields.
    public struct Validated: Sendable {
        public var grid: GridSpec
        public var samples: Int
        /// The sample count was the default: a smaller split is used whole.
        public var samplesAtMost: Bool
        /// (batches, batch size) of the training images in recompute mode; nil in eval mode.
        public var bnRecompute: (batches: Int, batchSize: Int)?
    }

    public func validated(limits: SurfaceLimits) throws -> Validated {
        guard !models.isEmpty else { throw SpecError("models", "expected at least one model") }
        guard models.count <= limits.maximumModels else {
            throw SpecError("models", "at most \(limits.maximumModels) per request, got \(models.count)")
        }
        guard Set(models).count == models.count else { throw SpecError("models", "the same model is listed twice") }
        let grid: GridSpec
        do { grid = try GridSpec(x: x, y: y, maximumPoints: limits.maximumPoints) } catch {
            throw SpecError(y == nil ? "x" : "x, y", "\(error)")
        }
        try validatePlane()
        let samples = try Self.samples(self.samples, limits: limits)
        var recompute: (batches: Int, batchSize: Int)?
        switch bnMode {
        case .recompute:
            let batches = bnBatches ?? BatchNormRecomputation.defaultBatches
            let batchSize = bnBatchSize ?? BatchNormRecomputation.defaultBatchSize
            do {
                _ = try BatchNormRecomputation.imageCount(batches: batches, batchSize: batchSize,
                                                          maximumImages: limits.maximumRecomputeImages)
            } catch {
                throw SpecError("bn_batches, bn_batch_size", "\(error)")
            }
            recompute = (batches, batchSize)
        case .eval:
            if bnBatches != nil || bnBatchSize != nil {
                throw SpecError("bn_batches, bn_batch_size", "apply to bn_mode 'recompute' only")
            }
        }
        return Validated(grid: grid, samples: samples, samplesAtMost: self.samples == nil, bnRecompute: recompute)
    }

    /// Images per point: the one asked for within the cap, else the default (which a smaller split then caps).
    static func samples(_ asked: Int?, limits: SurfaceLimits) throws(SpecError) -> Int {
        let samples = asked ?? EvaluationSetRequest.defaultSurfaceSamples
        guard (1...limits.maximumSamples).contains(samples) else {
            throw SpecError("samples", "expected 1...\(limits.maximumSamples), got \(samples)")
        }
        return samples
    }

    /// Every field with its type, default and limits: the OpenAPI schema and `GET /api/limits` are made from this.
    public static func fields(limits: SurfaceLimits) -> [SpecField] {
        func choices<T: CaseIterable & RawRepresentable>(_: T.Type) -> [String] where T.RawValue == String {
            T.allCases.map(\.rawValue)
        }
        // The defaults are those of a spec built with nothing but its required fields.
        let defaults = SurfaceSpec(models: [], x: try! GridAxis(parsing: defaultAxis))
        return [
            SpecField(name: "models", type: "array", description: "model ids (shipped models); one surface each, shared raw directions",
                      defaultValue: nil, allowed: nil, minimum: 1, maximum: limits.maximumModels, required: true),
            SpecField(name: "dataset", type: "string", description: "dataset id", defaultValue: defaultDataset,
                      allowed: nil, minimum: nil, maximum: nil, required: false),
            SpecField(name: "split", type: "string", description: "split of a dataset directory (a single file is used as it is)",
                      defaultValue: DatasetSplit.test.rawValue, allowed: choices(DatasetSplit.self), minimum: nil, maximum: nil, required: false),
            // No default: the decoder refuses a request without x unless it names a trajectory (whose path the grid then covers).
            SpecField(name: "x", type: "string", description: "x axis START:END:COUNT, |coordinates| <= \(Int(GridAxis.maximumCoordinateMagnitude))"
                          + "; required unless a trajectory is named (directions pca), whose path the grid then covers",
                      defaultValue: nil, allowed: nil, minimum: 2, maximum: limits.maximumPoints, required: false,
                      requiredUnless: "trajectory"),
            SpecField(name: "y", type: "string", description: "y axis START:END:COUNT (absent: a 1D line); x count × y count <= \(limits.maximumPoints)",
                      defaultValue: nil, allowed: nil, minimum: 2, maximum: limits.maximumPoints, required: false),
            SpecField(name: "samples", type: "integer",
                      description: "images per point (default \(EvaluationSetRequest.defaultSurfaceSamples), or all of a smaller split)",
                      defaultValue: String(EvaluationSetRequest.defaultSurfaceSamples), allowed: nil, minimum: 1,
                      maximum: limits.maximumSamples, required: false),
            SpecField(name: "subset", type: "string", description: "which images: first (file order), random or balanced (seeded)",
                      defaultValue: defaults.subset.rawValue, allowed: choices(SubsetRule.self), minimum: nil, maximum: nil, required: false),
            SpecField(name: "subset_seed", type: "integer", description: "seed of the random and balanced subsets", defaultValue: String(defaults.subsetSeed),
                      allowed: nil, minimum: 0, maximum: nil, required: false),
            SpecField(name: "seed", type: "integer", description: "seed of the random directions", defaultValue: String(defaults.directions.seed),
                      allowed: nil, minimum: 0, maximum: nil, required: false),
            SpecField(name: "norm", type: "string", description: "direction normalization (Li et al. 2018: filter)",
                      defaultValue: defaults.directions.normalization.rawValue, allowed: choices(DirectionNormalization.self),
                      minimum: nil, maximum: nil, required: false),
            SpecField(name: "ignore", type: "string", description: "1-D tensors: biasbn (zero direction) or none (copy the weights)",
                      defaultValue: defaults.directions.ignore.rawValue, allowed: choices(DirectionIgnore.self), minimum: nil, maximum: nil,
                      required: false),
            SpecField(name: "mode", type: "string", description: "weights (parameters only) or states (BN running statistics too)",
                      defaultValue: defaults.directions.mode.rawValue, allowed: choices(DirectionMode.self), minimum: nil, maximum: nil,
                      required: false),
            SpecField(name: "bn_mode", type: "string", description: "BatchNorm at moved weights: eval (running statistics) or recompute",
                      defaultValue: defaults.bnMode.rawValue, allowed: choices(BatchNormMode.self), minimum: nil, maximum: nil,
                      required: false),
            SpecField(name: "bn_batches", type: "integer",
                      description: "recompute: training batches; bn_batches × bn_batch_size <= \(limits.maximumRecomputeImages)",
                      defaultValue: String(BatchNormRecomputation.defaultBatches), allowed: nil, minimum: 1,
                      maximum: limits.maximumRecomputeImages / 2, required: false),
            SpecField(name: "bn_batch_size", type: "integer", description: "recompute: images per batch",
                      defaultValue: String(BatchNormRecomputation.defaultBatchSize), allowed: nil, minimum: 2,
                      maximum: limits.maximumRecomputeImages, required: false),
        ] + TrajectoryPlaneRequest.fields
    }
}

// MARK: - The API's JSON form

extension SurfaceSpec {
    /// Decodes the API's JSON body (snake_case fields as in `fields(limits:)`), naming the field of any error.
    public static func decode(json body: Data) throws -> SurfaceSpec {
        let reader = try JSONFields(body: body, known: Set(fields(limits: SurfaceLimits()).map(\.name)),
                                    expecting: "models, x and optionally y")
        guard let models = try reader.strings("models") else { throw SpecError("models", "required") }
        let (x, y) = (try reader.axis("x"), try reader.axis("y"))
        let plane = try TrajectoryPlaneRequest.decode(directions: try reader.string("directions"), trajectory: try reader.string("trajectory"),
                                                      xGiven: x != nil, yGiven: y != nil)
        // A PCA plane without axes: placeholders until the service has the path to cover (`coveringPath(of:)`).
        let placeholder = try! GridAxis(parsing: defaultAxis)
        guard let x = x ?? (plane?.xFromPath == true ? placeholder : nil) else { throw SpecError("x", "required, e.g. \"\(defaultAxis)\"") }
        var spec = SurfaceSpec(models: models, x: x, y: y ?? (plane?.yFromPath == true ? placeholder : nil))
        spec.trajectoryPlane = plane
        spec.dataset = try reader.string("dataset")
        spec.split = try reader.choice("split")
        spec.samples = try reader.integer("samples")
        spec.subset = try reader.choice("subset") ?? spec.subset
        spec.subsetSeed = try reader.seed("subset_seed") ?? spec.subsetSeed
        spec.directions.seed = try reader.seed("seed") ?? spec.directions.seed
        spec.directions.normalization = try reader.choice("norm") ?? spec.directions.normalization
        spec.directions.ignore = try reader.choice("ignore") ?? spec.directions.ignore
        spec.directions.mode = try reader.choice("mode") ?? spec.directions.mode
        spec.bnMode = try reader.choice("bn_mode") ?? spec.bnMode
        spec.bnBatches = try reader.integer("bn_batches")
        spec.bnBatchSize = try reader.integer("bn_batch_size")
        return spec
    }
}
