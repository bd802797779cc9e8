import Foundation
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
