import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// Widths and curvatures of the surfaces of several models over several direction seeds
/// (issue 16 item 6): how flat each model's minimum looks whatever the random draw, and the
/// paired comparison of every two models on the same seeds. Plain data with a content hash;
/// the JSON form (snake_case) is described in README.md ("Sharpness over seeds").
///
/// Per surface the numbers are `SurfaceSummary`'s (the one measurement of width and curvature):
/// curvature = central second difference of the loss at the centre; width = distance between
/// the first crossings of centre loss + threshold on either side. A 2D surface gives one value
/// per axis; the seed's value is their mean (both axes are independent random directions).
public struct SeedStudy: Sendable, Codable, Equatable {
    public static let formatVersion = 1
    /// Loss increase at which widths are read by default: 0.1 stays inside Li et al.'s −1…1 grid
    /// for the shipped models, where +1.0 often does not (an unbounded width is only a lower bound).
    public static let defaultWidthThreshold = 0.1

    public var version = SeedStudy.formatVersion
    /// Content key: hash of the surfaces' ids and the threshold.
    public var id: String
    public var seeds: [UInt64]
    /// 1 (lines) or 2 (planes).
    public var dimensions: Int
    public var widthThreshold: Double
    public var confidence: Double
    public var grid: GridSpec
    public var dataset: Surface.DatasetInfo
    public var normalization: DirectionNormalization
    public var bnMode: BatchNormMode
    public var models: [ModelSeeds]
    /// Every pair of models (i < j in `models` order), compared seed by seed.
    public var comparisons: [Comparison]
    public var note: String
    public var producer: String

    public struct ModelSeeds: Sendable, Codable, Equatable {
        public var model: Surface.ModelInfo
        /// What pictures and sentences call it ("Mish"; the model name where two share an activation).
        public var label: String
        public var perSeed: [SeedMeasure]
        /// Over seeds with a curvature (all, unless a neighbour of the centre diverged).
        public var curvature: Estimate?
        /// Over every seed; where a width is unbounded (the loss never rose by the threshold inside
        /// the grid) the value used is the grid's extent, a lower bound: see `unboundedWidths`.
        public var width: Estimate?
        public var unboundedWidths: Int
    }

    public struct SeedMeasure: Sendable, Codable, Equatable {
        public var seed: UInt64
        public var surfaceId: String
        public var surfaceFile: String?
        public var centreLoss: Double?
        /// Mean over the axes of the second derivative at the centre.
        public var curvature: Double?
        /// Mean over the axes of the width at the threshold.
        public var width: Double?
        public var widthBounded: Bool
        public var axes: [AxisMeasure]
    }

    public struct AxisMeasure: Sendable, Codable, Equatable {
        public var axis: String
        public var curvature: Double?
        public var width: Double?
        public var bounded: Bool
    }

    /// Model a against model b on the seeds both have a curvature for.
    public struct Comparison: Sendable, Codable, Equatable {
        public var a: String
        public var b: String
        public var seeds: Int
        /// Seeds on which a's curvature is lower than b's (a is flatter), and the reverse.
        public var aFlatter: Int
        public var bFlatter: Int
        public var ties: Int
        /// Geometric mean of curvature(a) / curvature(b) over seeds with both curvatures > 0, and the
        /// t-interval of the mean log ratio, exponentiated. Absent with fewer than two such seeds.
        public var curvatureRatio: Ratio?
        /// Seeds left out of the ratio because a curvature was ≤ 0 (a log ratio needs both positive).
        public var ratioExcludedSeeds: Int
        public var sentence: String
    }

    public struct Ratio: Sendable, Codable, Equatable {
        public var n: Int
        public var geometricMean: Double
        public var ciLow: Double?
        public var ciHigh: Double?
    }
}

/// Why surfaces cannot make a study; each message names the surface and what was expected.
public enum SeedStudyError: Error, CustomStringConvertible, Equatable {
    case noSurfaces
    case notRandom(surface: String, kind: String)
    case incomplete(surface: String, computed: Int, total: Int)
    case mismatch(surface: String, field: String, expected: String, got: String)
    case missingSeed(model: String, seed: UInt64)
    case duplicateSeed(model: String, seed: UInt64)
    case threshold(Double)

    public var description: String {
        switch self {
        case .noSurfaces: return "seed study: no surfaces given"
        case let .notRandom(surface, kind):
            return "seed study: surface \(surface) has \(kind) directions; expected random directions (a seed draws them)"
        case let .incomplete(surface, computed, total):
            return "seed study: surface \(surface) has \(computed) of \(total) points; expected a complete surface (run the command again to finish it)"
        case let .mismatch(surface, field, expected, got):
            return "seed study: surface \(surface) has \(field) \(got); expected \(expected) like the first surface"
        case let .missingSeed(model, seed): return "seed study: model \(model) has no surface for seed \(seed); expected one per seed"
        case let .duplicateSeed(model, seed): return "seed study: model \(model) has two surfaces for seed \(seed); expected one"
        case let .threshold(value):
            return "seed study: width threshold \(value); expected one of \(SurfaceSummary.widthThresholds.map { "\($0)" }.joined(separator: ", "))"
        }
    }
}

extension SeedStudy {
    /// The study of `surfaces` (every model × every seed, complete, one grid, one dataset, random
    /// directions). Models keep the order of their first surface; seeds the order given (or the
    /// surfaces' order). `fileNames` maps surface ids to their files, for the record.
    public init(surfaces: [Surface], seeds given: [UInt64]? = nil, widthThreshold: Double = SeedStudy.defaultWidthThreshold,
                confidence: Double = Estimate.defaultConfidence, fileNames: [String: String] = [:]) throws {
        guard let first = surfaces.first else { throw SeedStudyError.noSurfaces }
        guard SurfaceSummary.widthThresholds.contains(widthThreshold) else { throw SeedStudyError.threshold(widthThreshold) }
        for s in surfaces {
            guard s.directions.kind == "random" else { throw SeedStudyError.notRandom(surface: s.id, kind: s.directions.kind) }
            guard s.progress.complete else {
                throw SeedStudyError.incomplete(surface: s.id, computed: s.progress.computed, total: s.progress.total)
            }
            func same(_ field: String, _ a: String, _ b: String) throws {
                guard a == b else { throw SeedStudyError.mismatch(surface: s.id, field: field, expected: a, got: b) }
            }
            try same("grid", first.grid.description, s.grid.description)
            try same("dataset", first.dataset.contentSha256, s.dataset.contentSha256)
            try same("normalization", first.directions.normalization.rawValue, s.directions.normalization.rawValue)
            try same("ignore", first.directions.ignore.rawValue, s.directions.ignore.rawValue)
            try same("mode", first.directions.mode.rawValue, s.directions.mode.rawValue)
            try same("bn_mode", first.bnMode.rawValue, s.bnMode.rawValue)
        }
        // Models by identity (bytes and activation), in first-seen order.
        func key(_ s: Surface) -> String { s.model.sha256 + "|" + s.model.activation }
        var order: [String] = []
        var byModel: [String: [UInt64: Surface]] = [:]
        for s in surfaces {
            let k = key(s)
            if byModel[k] == nil { order.append(k); byModel[k] = [:] }
            guard byModel[k]![s.directions.seed] == nil else { throw SeedStudyError.duplicateSeed(model: s.model.name, seed: s.directions.seed) }
            byModel[k]![s.directions.seed] = s
        }
        var seeds = given ?? []
        if given == nil { for s in surfaces where !seeds.contains(s.directions.seed) { seeds.append(s.directions.seed) } }
        let infos = order.map { byModel[$0]!.values.first!.model }
        let labels = Self.labels(infos)
        var models: [ModelSeeds] = []
        for (index, k) in order.enumerated() {
            let measures = try seeds.map { seed -> SeedMeasure in
                guard let s = byModel[k]![seed] else { throw SeedStudyError.missingSeed(model: infos[index].name, seed: seed) }
                return SeedMeasure(s, threshold: widthThreshold, file: fileNames[s.id])
            }
            if let extra = byModel[k]!.keys.sorted().first(where: { !seeds.contains($0) }) {
                throw SeedStudyError.mismatch(surface: byModel[k]![extra]!.id, field: "seed", expected: "one of \(SeedList(seeds))", got: "\(extra)")
            }
            models.append(ModelSeeds(model: infos[index], label: labels[index], perSeed: measures,
                                     curvature: Estimate(measures.compactMap(\.curvature), confidence: confidence),
                                     width: Estimate(measures.compactMap(\.width), confidence: confidence),
                                     unboundedWidths: measures.filter { !$0.widthBounded }.count))
        }
        var comparisons: [Comparison] = []
        for i in models.indices { for j in models.indices where j > i {
            comparisons.append(Comparison(models[i], models[j], confidence: confidence))
        } }
        let ids = order.flatMap { k in seeds.map { byModel[k]![$0]!.id } }
        self.init(id: Self.id(surfaceIDs: ids, widthThreshold: widthThreshold, confidence: confidence),
                  seeds: seeds, dimensions: first.grid.isTwoDimensional ? 2 : 1, widthThreshold: widthThreshold,
                  confidence: confidence, grid: first.grid, dataset: first.dataset, normalization: first.directions.normalization,
                  bnMode: first.bnMode, models: models, comparisons: comparisons, note: Self.note(widthThreshold),
                  producer: "landscape \(LandscapeVersion.current)")
    }

    /// The id of the study of these surfaces (model-major: every seed of the first model, then the next),
    /// known before they are computed, so a service can name a study while its job runs.
    public static func id(surfaceIDs ids: [String], widthThreshold: Double,
                          confidence: Double = Estimate.defaultConfidence) -> String {
        String(SHA256.hex((["seed-study-v\(formatVersion)", "\(widthThreshold)", "\(confidence)"] + ids).joined(separator: "|")).prefix(16))
    }

    static func note(_ threshold: Double) -> String {
        "per seed: curvature = (L(h) − 2 L(0) + L(−h)) / h² at the centre, width = distance between the first crossings of "
            + "centre loss + \(threshold) on either side (the grid's extent where there is none: unbounded, a lower bound); "
            + "2D: the mean over x and y. Per model: mean, sample sd, t-interval of the mean over seeds. Per pair: seeds on "
            + "which each has the lower curvature (is flatter), and the geometric-mean curvature ratio with the t-interval of "
            + "the mean log ratio, exponentiated"
    }

    /// Activation names ("Mish"), unless two models share one: then every model's own name.
    static func labels(_ infos: [Surface.ModelInfo]) -> [String] {
        let names = infos.map { (try? Activation(parsing: $0.activation))?.displayName ?? $0.activation }
        return Set(names).count == names.count ? names : infos.map(\.name)
    }

    public func jsonData() throws -> Data { try LandscapeJSON.encode(self, pretty: true) }

    public static func decode(_ data: Data, source: String) throws -> SeedStudy {
        do { return try LandscapeJSON.decoder.decode(SeedStudy.self, from: data) } catch {
            throw LandscapeError.invalidRequest("seed study \(source): not a seed study JSON (format \(formatVersion)): \(LandscapeJSON.describe(error))")
        }
    }

    /// Largest study file read (a 100-seed, 6-model study is a few hundred kB).
    public static let maximumFileBytes = 64 << 20

    public static func load(_ path: String) throws -> SeedStudy {
        let bytes: [UInt8]
        do throws(InputFile.Problem) { bytes = try InputFile.read(path: path, limit: maximumFileBytes) } catch {
            throw LandscapeError.invalidRequest("seed study \(path): \(error.description(expected: "a seed study JSON file"))")
        }
        return try decode(Data(bytes), source: path)
    }

    /// Writes the study through the one atomic writer.
    public func write(to url: URL) throws { try SurfaceStore.writeAtomically(jsonData(), to: url) }

    /// `study-<id>.json`, the default file beside the surfaces.
    public var fileName: String { "study-\(id).json" }
}

extension SeedStudy.SeedMeasure {
    init(_ surface: Surface, threshold: Double, file: String?) {
        let summary = SurfaceSummary(surface, centre: ProgressiveOrder.centreIndex(surface.grid))
        let axisNames = surface.y == nil ? ["x"] : ["x", "y"]
        axes = axisNames.map { name in
            let width = summary.widths.first { $0.axis == name && $0.threshold == threshold }
            return SeedStudy.AxisMeasure(axis: name, curvature: summary.curvature.first { $0.axis == name }?.secondDerivative,
                                         width: width?.width, bounded: width?.bounded ?? false)
        }
        seed = surface.directions.seed
        surfaceId = surface.id
        surfaceFile = file
        centreLoss = summary.centreLoss
        let curvatures = axes.compactMap(\.curvature), widths = axes.compactMap(\.width)
        curvature = curvatures.count == axes.count ? curvatures.reduce(0, +) / Double(curvatures.count) : nil
        width = widths.count == axes.count ? widths.reduce(0, +) / Double(widths.count) : nil
        widthBounded = axes.allSatisfy(\.bounded)
    }
}

extension SeedStudy.Comparison {
    init(_ a: SeedStudy.ModelSeeds, _ b: SeedStudy.ModelSeeds, confidence: Double) {
        self.a = a.label
        self.b = b.label
        var pairs: [(Double, Double)] = []
        for (x, y) in zip(a.perSeed, b.perSeed) {
            if let cx = x.curvature, let cy = y.curvature { pairs.append((cx, cy)) }
        }
        seeds = pairs.count
        aFlatter = pairs.filter { $0.0 < $0.1 }.count
        bFlatter = pairs.filter { $0.0 > $0.1 }.count
        ties = seeds - aFlatter - bFlatter
        let logs = pairs.filter { $0.0 > 0 && $0.1 > 0 }.map { log($0.0 / $0.1) }
        ratioExcludedSeeds = seeds - logs.count
        if logs.count >= 2, let estimate = Estimate(logs, confidence: confidence) {
            curvatureRatio = SeedStudy.Ratio(n: logs.count, geometricMean: exp(estimate.mean),
                                             ciLow: estimate.ciLow.map(exp), ciHigh: estimate.ciHigh.map(exp))
        }
        sentence = Self.sentence(a: a.label, b: b.label, aFlatter: aFlatter, bFlatter: bFlatter, seeds: seeds,
                                 ratio: curvatureRatio, excluded: ratioExcludedSeeds, confidence: confidence)
    }

    /// "Mish is flatter than ReLU on 17 of 20 seeds; curvature ratio 0.71 (95 % CI 0.62–0.81)": the model flatter on
    /// more seeds first (a on a tie), its curvature over the other's.
    static func sentence(a: String, b: String, aFlatter: Int, bFlatter: Int, seeds: Int, ratio: SeedStudy.Ratio?,
                         excluded: Int, confidence: Double) -> String {
        guard seeds > 0 else { return "\(a) and \(b) have no seed with a curvature for both" }
        let swap = bFlatter > aFlatter
        let (first, second, wins) = swap ? (b, a, bFlatter) : (a, b, aFlatter)
        var text = "\(first) is flatter than \(second) on \(wins) of \(seeds) seed\(seeds == 1 ? "" : "s")"
        if let ratio {
            let flip: (Double) -> Double = { swap ? 1 / $0 : $0 }
            text += "; curvature ratio " + Self.format(flip(ratio.geometricMean))
            if let low = ratio.ciLow, let high = ratio.ciHigh {
                let (l, h) = swap ? (flip(high), flip(low)) : (low, high)
                text += " (\(Int((confidence * 100).rounded())) % CI \(Self.format(l))–\(Self.format(h)))"
            }
        } else {
            text += "; no curvature ratio (fewer than two seeds with both curvatures > 0)"
        }
        if excluded > 0, ratio != nil { text += "; \(excluded) seed\(excluded == 1 ? "" : "s") with a curvature ≤ 0 left out of the ratio" }
        return text
    }

    /// Two decimals, or three significant digits where that would hide the value.
    static func format(_ value: Double) -> String {
        abs(value) >= 0.1 && abs(value) < 1000 ? String(format: "%.2f", value) : String(format: "%.3g", value)
    }
}
