import Foundation
import Landscape
import LandscapeRender

/// A seed study as a picture: per model one dot per seed for curvature and for width, with the
/// mean and its interval, the two measures side by side. The title names the seeds, the
/// directions and the threshold; hollow width dots are unbounded widths (lower bounds).
extension Pictures {
    public static func seedStudy(_ study: SeedStudy, width: Int = 1000, height: Int = 520, scale: Double = 1,
                                 format: PictureFormat = .png) throws -> RenderedPlot {
        let percent = Int((study.confidence * 100).rounded())
        func series(_ model: SeedStudy.ModelSeeds, _ values: (SeedStudy.SeedMeasure) -> Double?, _ estimate: Estimate?,
                    hollow: (SeedStudy.SeedMeasure) -> Bool) throws -> StripSeries {
            let kept = model.perSeed.filter { values($0) != nil }
            return try StripSeries(label: model.label, values: kept.map { values($0)! }, hollow: kept.map(hollow), mean: estimate?.mean,
                                   interval: estimate.flatMap { e in e.ciLow.flatMap { low in e.ciHigh.map { low...$0 } } })
        }
        let curvature = StripPanel(
            title: "curvature at the centre (lower is flatter)", yLabel: "d²L/dα² at α = 0",
            series: try study.models.map { try series($0, \.curvature, $0.curvature, hollow: { _ in false }) })
        let widths = StripPanel(
            title: "width at loss +\(study.widthThreshold)" + (study.models.contains { $0.unboundedWidths > 0 } ? " (hollow: unbounded, a lower bound)" : ""),
            yLabel: "width (α units)",
            series: try study.models.map { try series($0, \.width, $0.width, hollow: { !$0.widthBounded }) })
        var style = PlotStyle()
        style.width = width; style.height = height; style.scale = scale; style.format = format
        style.title = seedStudyTitle(study) + " — dots: seeds; bar: mean, \(percent) % CI"
        return try StripPlot.render([curvature, widths], style: style)
    }

    /// "Sharpness over 20 seeds (0:19): 1D random filter-normalized directions, 1000 images".
    public static func seedStudyTitle(_ study: SeedStudy) -> String {
        let norm = study.normalization == .none ? "unnormalized" : "\(study.normalization.rawValue)-normalized"
        return "Sharpness over \(study.seeds.count) seeds (\(SeedList(study.seeds))): \(study.dimensions)D random \(norm) directions, "
            + "\(study.dataset.samples) images" + (study.bnMode == .eval ? "" : ", BN \(study.bnMode.rawValue)")
    }
}
