import Foundation
import LandscapeIO

/// The caps that keep one convexity map from taking the machine: every point
/// is a Lanczos run of up to `lanczos_steps` Hessian-vector products, each
/// about ten forward passes per image.
public struct ConvexityLimits: Sendable, Codable, Equatable {
    /// Images per product (the whole Fashion-MNIST test split).
    public var maximumSamples = 10_000
    public var maximumLanczosSteps = 300
    /// Points of the map: 51 × 51, Li et al.'s finest convexity maps.
    public var maximumPoints = 2_601
    /// Hessian-vector products of the whole map at most (points × lanczos_steps): 20,000 products
    /// on 100 images is about 5 hours on two cores (0.9 s per product on 1,000 images, README).
    public var maximumProducts = 20_000
    public init() {}
}

/// One request for a convexity map (Li et al. 2018, §6): the largest and the
/// smallest Hessian eigenvalue at every point of an existing surface's grid
/// (or of every `stride`-th point), in the surface's own plane, drawn as
/// |λmin/λmax|. Built like `HessianSpec`: typed fields with defaults, one
/// `validated(limits:)` that names the field, `fields(limits:)` for the
/// OpenAPI document and the page, `decode(json:)` for the API; the CLI
/// builds it from its flags.
public struct ConvexitySpec: Sendable, Equatable {
    /// The surface JSON whose plane (its directions file) and grid the map follows.
    public var surface: String
    /// The checkpoint, when it is no longer where the surface says (checked against the surface's sha256).
    public var model: String?
    /// The dataset, when it is no longer where the surface says.
    public var dataset: String?
    /// Images in the loss whose Hessian is taken, chosen by the surface's subset rule and seed
    /// (default: the surface's own images).
    public var samples: Int?
    /// Every stride-th grid point along each axis, counted from the centre (α = 0, β = 0) where the grid has it, else from the first point (1: every point).
    public var stride = 1
    /// Most Lanczos steps per point (a point stops once both ends have converged).
    public var lanczosSteps = 40
    /// Seed of every point's Lanczos start vector.
    public var seed: UInt64 = 0

    public init(surface: String) { self.surface = surface }

    /// Residual ‖H x − θ x‖ ≤ 1e-2·|θmax| for both ends: Li et al.'s `eigsh(..., tol=1e-2)`. Both
    /// eigenvalues are then within about 1e-2·|λmax| (the residual bounds the error), so the
    /// ratio |λmin/λmax| is good to about ±0.01 — finer than its colour scale shows.
    public static let tolerance = 1e-2

    public struct Validated: Sendable, Equatable {
        /// nil: the surface's own sample count.
        public var samples: Int?
        public var stride: Int
        public var lanczosSteps: Int
        public var seed: UInt64
        public var tolerance: Double
    }

    public func validated(limits: ConvexityLimits) throws -> Validated {
        guard !surface.isEmpty else { throw SpecError("surface", "required: a surface JSON written by `landscape surface`") }
        if let samples {
            guard (1...limits.maximumSamples).contains(samples) else {
                let range = limits.maximumSamples == .max ? "at least 1" : "1...\(limits.maximumSamples)"
                throw SpecError("samples", "expected \(range), got \(samples)")
            }
        }
        guard stride >= 1 else { throw SpecError("stride", "expected 1 or more (every stride-th grid point), got \(stride)") }
        // Two steps at least: a Lanczos run of one step has a single Ritz value, the largest and smallest at once.
        guard (2...limits.maximumLanczosSteps).contains(lanczosSteps) else {
            throw SpecError("lanczos_steps", "expected 2...\(limits.maximumLanczosSteps), got \(lanczosSteps)")
        }
        return Validated(samples: samples, stride: stride, lanczosSteps: lanczosSteps, seed: seed, tolerance: Self.tolerance)
    }

    /// The second check, once the surface is read and before any product: the points of the
    /// (sub-)grid, and their products, within the limits.
    public static func check(points: Int, lanczosSteps: Int, limits: ConvexityLimits, surface: String) throws {
        guard points <= limits.maximumPoints else {
            throw SpecError("stride", "\(points) points of surface \(surface): expected at most \(limits.maximumPoints); "
                            + "choose a larger stride")
        }
        let products = points.multipliedReportingOverflow(by: lanczosSteps)
        guard !products.overflow, products.partialValue <= limits.maximumProducts else {
            throw SpecError("stride, lanczos_steps", "\(points) points × \(lanczosSteps) Lanczos steps is up to "
                            + "\(products.overflow ? "too many" : String(products.partialValue)) Hessian-vector products: "
                            + "expected at most \(limits.maximumProducts); choose a larger stride or fewer steps")
        }
    }

    /// Every field with its type, default and limits (for the OpenAPI document and the page).
    public static func fields(limits: ConvexityLimits) -> [SpecField] {
        let defaults = ConvexitySpec(surface: "")
        return [
            SpecField(name: "surface", type: "string", description: "the surface whose grid and directions the map follows",
                      defaultValue: nil, allowed: nil, minimum: nil, maximum: nil, required: true),
            SpecField(name: "model", type: "string", description: "checkpoint, if not where the surface says (same sha256)",
                      defaultValue: nil, allowed: nil, minimum: nil, maximum: nil, required: false),
            SpecField(name: "dataset", type: "string", description: "dataset, if not where the surface says",
                      defaultValue: nil, allowed: nil, minimum: nil, maximum: nil, required: false),
            SpecField(name: "samples", type: "integer",
                      description: "images in the loss, by the surface's subset rule (default: the surface's images)",
                      defaultValue: nil, allowed: nil, minimum: 1, maximum: limits.maximumSamples, required: false),
            SpecField(name: "stride", type: "integer", description: "every stride-th grid point along each axis, counted from the centre (or the first point)",
                      defaultValue: String(defaults.stride), allowed: nil, minimum: 1, maximum: nil, required: false),
            SpecField(name: "lanczos_steps", type: "integer",
                      description: "most Lanczos steps per point (stops once λmax and λmin have converged)",
                      defaultValue: String(defaults.lanczosSteps), allowed: nil, minimum: 2, maximum: limits.maximumLanczosSteps,
                      required: false),
            SpecField(name: "seed", type: "integer", description: "seed of the Lanczos start vectors", defaultValue: String(defaults.seed),
                      allowed: nil, minimum: 0, maximum: nil, required: false),
        ]
    }

    /// Decodes the API's JSON body (snake_case fields as in `fields(limits:)`), naming the field of any error.
    public static func decode(json body: Data) throws -> ConvexitySpec {
        let reader = try JSONFields(body: body, known: Set(fields(limits: ConvexityLimits()).map(\.name)), expecting: "surface")
        guard let surface = try reader.string("surface") else { throw SpecError("surface", "required") }
        var spec = ConvexitySpec(surface: surface)
        spec.model = try reader.string("model")
        spec.dataset = try reader.string("dataset")
        spec.samples = try reader.integer("samples")
        spec.stride = try reader.integer("stride") ?? spec.stride
        spec.lanczosSteps = try reader.integer("lanczos_steps") ?? spec.lanczosSteps
        spec.seed = try reader.seed("seed") ?? spec.seed
        return spec
    }
}
