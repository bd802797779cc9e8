import Foundation
import LandscapeCore
import Landscape
import LandscapeRender

extension Surface {
    /// The training path of a surface in its PCA plane as render data: every snapshot a
    /// point, a few whole epochs labelled ("epoch 3"); nil for surfaces without a path.
    public func pathOverlay(maximumLabels: Int = Surface.pathLabelCount) throws -> PathOverlay? {
        guard let path, path.points.count >= 2 else { return nil }
        return try PathOverlay(x: path.points.map(\.x), y: path.points.map(\.y),
                               labels: Self.epochLabels(path.points, maximum: maximumLabels))
    }

    /// Enough to read the path's pace without covering the surface (the reference labels none;
    /// the shipped paths have 6 epochs, all of which fit).
    public static let pathLabelCount = 6

    /// Labels on points taken at a whole epoch, at most `maximum`, evenly spread, the first
    /// and the last included (epoch 0 is the start, which its marker already names).
    static func epochLabels(_ points: [Trajectory.Point], maximum: Int) -> [PathOverlay.Label] {
        let whole = points.indices.filter { i in
            guard let epoch = points[i].epoch else { return false }
            return epoch > 0 && epoch == epoch.rounded()
        }
        guard !whole.isEmpty, maximum > 0 else { return [] }
        let chosen: [Int]
        if whole.count <= maximum {
            chosen = whole
        } else {
            chosen = (0..<maximum).map { whole[Int((Double($0) * Double(whole.count - 1) / Double(max(maximum - 1, 1))).rounded())] }
        }
        return Array(Set(chosen)).sorted().map { PathOverlay.Label(index: $0, text: "epoch \(Int(points[$0].epoch!))") }
    }
}

extension Pictures {
    /// Loss (left axis, log) and accuracy (right) of every snapshot along a training path, over
    /// epochs: test figures where the snapshots were evaluated, and the training loss each
    /// snapshot recorded (mean over the steps since the one before).
    public static func trajectory(_ trajectory: Trajectory, width: Int = 800, height: Int = 500, scale: Double = 1,
                                  title: String? = nil) throws -> RenderedPlot {
        let points = trajectory.points
        guard points.count >= 2 else { throw LandscapeError.invalidRequest("trajectory \(trajectory.id): fewer than 2 points to draw") }
        let useEpochs = points.allSatisfy { $0.epoch != nil }
        let x = points.enumerated().map { i, p in useEpochs ? p.epoch! : Double(p.step ?? i) }
        var left: [Curve1D] = [], right: [Curve1D] = []
        if points.contains(where: { $0.testLoss != nil }) {
            left.append(try Curve1D(label: "test loss", x: x, y: points.map(\.testLoss)))
            right.append(try Curve1D(label: "test accuracy", x: x, y: points.map(\.testAccuracy)))
        }
        if points.contains(where: { $0.trainLoss != nil }) {
            left.append(try Curve1D(label: "train loss (training mode, since the previous snapshot)", x: x, y: points.map(\.trainLoss)))
        }
        guard !left.isEmpty else {
            throw LandscapeError.invalidRequest("trajectory \(trajectory.id): no loss recorded (evaluate the snapshots with --data)")
        }
        var options = LinePlotOptions()
        options.style.width = width; options.style.height = height; options.style.scale = scale
        options.style.xLabel = useEpochs ? "epoch" : "step"
        options.style.yLabel = "loss"
        options.logLeft = true
        let samples = trajectory.evaluation.map { " — test: \($0.samples) \($0.name) images" } ?? ""
        options.style.title = title ?? "\(trajectory.model.name): \(points.count) snapshots along the training path\(samples)"
        return try LinePlot.render(left: left, right: right, options: options)
    }
}
