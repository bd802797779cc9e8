import Foundation

/// The caps of a seed study: every seed is a whole surface per model.
public struct SeedStudyLimits: Sendable, Codable, Equatable {
    /// Seeds per study. The issue asks for 20; 100 leaves room for a tighter interval
    /// (the t-interval's half-width shrinks as 1/√n) without one request taking a day.
    public static let defaultMaximumSeeds = 100
    /// The fewest seeds a study takes: a standard deviation and an interval need two.
    public static let minimumSeeds = 2

    public var maximumSeeds = SeedStudyLimits.defaultMaximumSeeds
    /// The caps of each seed's surfaces.
    public var surface = SurfaceLimits()
    public init() {}

    /// The command line's: the surface caps of `SurfaceLimits.commandLine`, the seed cap as it is.
    public static func commandLine(maximumPoints: Int) -> SeedStudyLimits {
        var limits = SeedStudyLimits()
        limits.surface = .commandLine(maximumPoints: maximumPoints)
        return limits
    }
}

/// One request for a seed study: the surfaces of `surface` (models, grid, images, normalization)
/// for every seed in `seeds`, each seed's raw directions shared by every model, and the study of
/// their widths and curvatures over the seeds. The API decodes its JSON into it, the CLI builds it
/// from `landscape surface --seeds`, and both call `validated(limits:)`.
public struct SeedStudySpec: Sendable, Equatable {
    /// Everything but the seed: `surface.directions.seed` is replaced by each seed in turn.
    public var surface: SurfaceSpec
    public var seeds: [UInt64]
    /// Loss increase above the centre at which widths are read (one of `SurfaceSummary.widthThresholds`).
    public var widthThreshold = SeedStudy.defaultWidthThreshold
    /// A single seed asked for as well (the CLI's `--seed`, the API's `seed`): refused, it is ambiguous.
    public var seed: UInt64?
    /// The kind of directions asked for: a study needs "random" (a seed draws them).
    public var directionsKind = "random"

    public init(surface: SurfaceSpec, seeds: [UInt64]) { self.surface = surface; self.seeds = seeds }

    public struct Validated: Sendable {
        public var surface: SurfaceSpec.Validated
        public var seeds: [UInt64]
        public var widthThreshold: Double
    }

    public func validated(limits: SeedStudyLimits) throws -> Validated {
        if let seed { throw SpecError("seed", "give either seeds (a study) or one seed (\(seed)), not both") }
        guard directionsKind == "random" else {
            throw SpecError("directions", "a seed study draws random directions per seed; '\(directionsKind)' directions do not depend on a seed")
        }
        guard seeds.count >= SeedStudyLimits.minimumSeeds else {
            throw SpecError("seeds", "expected at least \(SeedStudyLimits.minimumSeeds) seeds (an interval needs two), got \(seeds.count)")
        }
        guard seeds.count <= limits.maximumSeeds else {
            throw SpecError("seeds", "at most \(limits.maximumSeeds) seeds per study, got \(seeds.count)")
        }
        var seen = Set<UInt64>()
        for seed in seeds where !seen.insert(seed).inserted {
            throw SpecError("seeds", "seed \(seed) is listed twice: expected distinct seeds")
        }
        guard SurfaceSummary.widthThresholds.contains(widthThreshold) else {
            throw SpecError("width_threshold", "expected one of \(SurfaceSummary.widthThresholds.map { "\($0)" }.joined(separator: ", ")), got \(widthThreshold)")
        }
        return Validated(surface: try surface.validated(limits: limits.surface), seeds: seeds, widthThreshold: widthThreshold)
    }

    /// The study's own fields, then the surface's (less `seed`, which `seeds` replaces).
    public static func fields(limits: SeedStudyLimits) -> [SpecField] {
        [
            SpecField(name: "seeds", type: "string",
                      description: "direction seeds: an inclusive range START:END (0:19), a list (0,3,7), or a JSON array of integers; distinct",
                      defaultValue: nil, allowed: nil, minimum: SeedStudyLimits.minimumSeeds, maximum: limits.maximumSeeds, required: true),
            SpecField(name: "width_threshold", type: "number",
                      description: "loss increase above the centre at which widths are read",
                      defaultValue: "\(SeedStudy.defaultWidthThreshold)", allowed: SurfaceSummary.widthThresholds.map { "\($0)" }),
        ] + SurfaceSpec.fields(limits: limits.surface).filter { $0.name != "seed" }
    }
}

// MARK: - The API's JSON form

extension SeedStudySpec {
    /// Decodes the API's JSON body: the surface's fields (as `SurfaceSpec.decode`) plus `seeds`
    /// (a string as on the command line, or an array of integers) and `width_threshold`.
    public static func decode(json body: Data) throws -> SeedStudySpec {
        var object = try JSONFields.object(body, known: Set(fields(limits: SeedStudyLimits()).map(\.name)).union(["seed"]),
                                           expecting: "models, x and seeds")
        let seeds = try seedList(object.removeValue(forKey: "seeds"))
        let threshold = try number(object.removeValue(forKey: "width_threshold"), field: "width_threshold")
        // The single seed is kept for the refusal; the surface's decoder reads the rest.
        let single = object["seed"]
        let surface = try SurfaceSpec.decode(json: try JSONSerialization.data(withJSONObject: object))
        var spec = SeedStudySpec(surface: surface, seeds: seeds)
        if let threshold { spec.widthThreshold = threshold }
        if let single, !(single is NSNull) { spec.seed = surface.directions.seed }
        return spec
    }

    /// The request as the API's JSON (what `decode(json:)` reads back to an equal spec): the surface's
    /// fields as `SurfaceSpec.json()` writes them, less `seed`, plus `seeds` and `width_threshold`.
    /// How `serve --launcher` hands a study job to `landscape surface --spec`.
    public func json() throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: try surface.json()) as? [String: Any] else {
            throw LandscapeError.invalidRequest("the surface's JSON is not an object")
        }
        object["seed"] = nil
        if let seed { object["seed"] = NSNumber(value: seed) }   // kept for the same refusal on the other side
        object["seeds"] = seeds.map { NSNumber(value: $0) }
        object["width_threshold"] = widthThreshold
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Whether an API body is a seed study's (it has `seeds`) rather than one surface's: what
    /// `landscape surface --spec` reads it as.
    public static func isStudy(json body: Data) -> Bool {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["seeds"] != nil
    }

    private static func seedList(_ value: Any?) throws -> [UInt64] {
        guard let value, !(value is NSNull) else { throw SpecError("seeds", "required, e.g. \"0:19\" or [0, 3, 7]") }
        if let text = value as? String {
            do { return try SeedList(parsing: text).seeds } catch { throw SpecError("seeds", error.description) }
        }
        guard let list = value as? [Any] else { throw SpecError("seeds", "expected a string (\"0:19\") or an array of integers") }
        return try list.map { item in
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c", let seed = item as? UInt64 else {
                throw SpecError("seeds", "expected non-negative integers, got \(item)")
            }
            _ = number
            return seed
        }
    }

    private static func number(_ value: Any?, field: String) throws -> Double? {
        guard let value, !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else {
            throw SpecError(field, "expected a number, got \(value)")
        }
        return number.doubleValue
    }
}
