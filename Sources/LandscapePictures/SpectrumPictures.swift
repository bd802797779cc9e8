import Foundation
import Landscape
import LandscapeRender

/// Hessian spectra of several models as pictures (issue 16): the top
/// eigenvalues side by side (one line per model over the eigenvalue's rank)
/// and the eigenvalue densities on one logarithmic axis (PyHessian's
/// `get_esd_plot`: density + 1e-7 on a log scale). Titles and legends name
/// model, images and seed.
extension Pictures {
    /// PyHessian adds this before taking the log of the density, so empty stretches stay drawable.
    public static let densityFloor = 1e-7

    public static func legend(_ spectrum: HessianSpectrum) -> String {
        var label = spectrum.model.name
        if let trace = spectrum.trace {
            label += String(format: ", trace %.0f", trace) + (spectrum.traceStderr.map { String(format: " ± %.0f", $0) } ?? "")
        }
        return label
    }

    static func spectrumTitle(_ spectra: [HessianSpectrum], _ what: String) -> String {
        let samples = Set(spectra.map(\.samples)), seeds = Set(spectra.map(\.seed))
        var title = what
        if samples.count == 1 { title += ", \(samples.first!) images" }
        if seeds.count == 1 { title += ", seed \(seeds.first!)" }
        return title
    }

    /// Top eigenvalues by rank, one line per model (models with fewer than two are left out: a line needs two points).
    public static func eigenvalues(_ spectra: [HessianSpectrum], width: Int = 800, height: Int = 600) throws -> RenderedPlot {
        let curves = try spectra.filter { $0.topEigenvalues.count >= 2 }.map { spectrum in
            try Curve1D(label: legend(spectrum), x: spectrum.topEigenvalues.indices.map { Double($0 + 1) },
                        y: spectrum.topEigenvalues.map { Optional($0) })
        }
        guard !curves.isEmpty else { throw LandscapeError.invalidRequest("no model has two top eigenvalues to draw: run hessian with --top 2 or more") }
        var options = LinePlotOptions()
        options.style.width = width; options.style.height = height
        options.style.xLabel = "rank"; options.style.yLabel = "eigenvalue of the loss Hessian"
        options.style.title = spectrumTitle(spectra, "Top Hessian eigenvalues")
        return try LinePlot.render(left: curves, options: options)
    }

    /// Eigenvalue densities (stochastic Lanczos quadrature) on one log axis.
    public static func densities(_ spectra: [HessianSpectrum], width: Int = 800, height: Int = 600) throws -> RenderedPlot {
        let curves = try spectra.compactMap { spectrum -> Curve1D? in
            guard let density = spectrum.density else { return nil }
            return try Curve1D(label: legend(spectrum), x: density.grid, y: density.density.map { Optional($0 + densityFloor) })
        }
        guard !curves.isEmpty else { throw LandscapeError.invalidRequest("no density to draw: run hessian with --density") }
        var options = LinePlotOptions()
        options.style.width = width; options.style.height = height
        options.style.xLabel = "eigenvalue"; options.style.yLabel = "density (log scale)"
        options.style.title = spectrumTitle(spectra, "Hessian eigenvalue density")
        options.logLeft = true
        return try LinePlot.render(left: curves, options: options)
    }
}
