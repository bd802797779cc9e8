import Foundation
import CDirectConvolution

/// Which Winograd tiles the stride-1 weight gradients run on when training uses the register kernels
/// (`TrainingKernels.winogradWeightGradient`): F(2×2, 3×3) (WinogradWeightGradient.h, 16 points per 2×2
/// output tile) or F(4×4, 3×3) (Winograd4WeightGradient.h, 36 points per 4×4 tile: 2.25 products per
/// output where F(2×2) does 4, and fewer transformed values to write and read). Both sum the same
/// products' terms in a fixed order (the same bits on AVX2 and AVX-512), and match the float64 weight
/// gradient within float32 rounding; F(4×4)'s transforms scale by up to 5·8 = 40 per direction, so its
/// rounding is a few times F(2×2)'s (Winograd4WeightGradientTests states the bound).
public enum WinogradWeightGradientTiles: String, CaseIterable, Sendable {
    case f2 = "winograd2"
    case f4 = "winograd4"

    /// `LANDSCAPE_TRAINING_WEIGHT_GRADIENT=winograd2` or `winograd4` picks one (`gemm` keeps the weight
    /// gradients off Winograd altogether, `TrainingKernels.winogradWeightGradientDefault`), for side-by-side
    /// measurements on one binary; otherwise `preferred`.
    public static let configured: WinogradWeightGradientTiles =
        ProcessInfo.processInfo.environment["LANDSCAPE_TRAINING_WEIGHT_GRADIENT"].flatMap(Self.init(rawValue:)) ?? preferred

    /// The default, by measurement: `landscape train` (ResNet-20, Fashion-MNIST, 3,200 images, batch 128,
    /// 2 threads) on the 2-core Zen 4 of 2026-12-07, loaded (load 3–6), main's binary and this one on
    /// F(2×2) and F(4×4) alternated, 9 rounds, medians: 273 / 269 / 308 img/s; CPU seconds per run 7.93 /
    /// 7.55 / 7.27 (F(4×4) lowest in 8 of 9 rounds); weight-gradient products 94 / 91 / 59 ms per step and
    /// transforms 63 / 63 / 54 (thread-ms).
    public static let preferred: WinogradWeightGradientTiles = .f4

    /// Transformed floats per tile per channel.
    var points: Int { self == .f2 ? 16 : 36 }

    /// Transformed tiles a chunk aims at ((C + O)·points floats per tile): about 1 MiB, the L2 of the CPUs met so far.
    var chunkFloats: Int { 256 * 1024 }

    func chunkImages(channels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        let (c, o, h, w) = (Int32(channels), Int32(outChannels), Int32(height), Int32(width))
        switch self {
        case .f2: return Int(winograd_weight_gradient_chunk_images(c, o, h, w, chunkFloats))
        case .f4: return Int(winograd4_weight_gradient_chunk_images(c, o, h, w, chunkFloats))
        }
    }

    func rowFloats(images: Int, height: Int, width: Int) -> Int {
        switch self {
        case .f2: return winograd_weight_gradient_row_floats(Int32(images), Int32(height), Int32(width))
        case .f4: return winograd4_weight_gradient_row_floats(Int32(images), Int32(height), Int32(width))
        }
    }

    func transformScratch(height: Int, width: Int) -> Int {
        switch self {
        case .f2: return winograd_weight_gradient_transform_scratch_floats(Int32(height), Int32(width))
        case .f4: return winograd4_weight_gradient_transform_scratch_floats(Int32(height), Int32(width))
        }
    }

    func transform(_ input: UnsafePointer<Float>, _ layout: ConvolutionKernels.PlaneLayout, channels: Int,
                   _ gradOutput: UnsafePointer<Float>, _ gradLayout: ConvolutionKernels.PlaneLayout, outChannels: Int,
                   images: Int, height: Int, width: Int, v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                   scratch: UnsafeMutablePointer<Float>) {
        let (c, o, n, h, w) = (Int32(channels), Int32(outChannels), Int32(images), Int32(height), Int32(width))
        switch self {
        case .f2:
            winograd_weight_gradient_transform(input, layout.channelStride, layout.imageStride, c, gradOutput,
                                               gradLayout.channelStride, gradLayout.imageStride, o, n, h, w, v, m, scratch)
        case .f4:
            winograd4_weight_gradient_transform(input, layout.channelStride, layout.imageStride, c, gradOutput,
                                                gradLayout.channelStride, gradLayout.imageStride, o, n, h, w, v, m, scratch)
        }
    }

    func accumulate(m: UnsafePointer<Float>, v: UnsafePointer<Float>, outChannels: Int, channels: Int, rowFloats: Int,
                    into du: UnsafeMutablePointer<Float>) {
        switch self {
        case .f2: winograd_weight_gradient_accumulate(m, v, Int32(outChannels), Int32(channels), rowFloats, du)
        case .f4: winograd4_weight_gradient_accumulate(m, v, Int32(outChannels), Int32(channels), rowFloats, du)
        }
    }

    func finish(_ du: UnsafePointer<Float>, outChannels: Int, channels: Int, into gradWeight: UnsafeMutablePointer<Float>) {
        switch self {
        case .f2: winograd_weight_gradient_finish(du, Int32(outChannels), Int32(channels), gradWeight)
        case .f4: winograd4_weight_gradient_finish(du, Int32(outChannels), Int32(channels), gradWeight)
        }
    }
}

extension TrainingKernels {
    /// Floats of scratch `winogradWeightGradient` needs: dU (points·O·C), a chunk's V and dM, the padded planes.
    static func winogradWeightGradientScratch(channels: Int, outChannels: Int, height: Int, width: Int,
                                              tiles: WinogradWeightGradientTiles = .f2) -> Int {
        let chunk = tiles.chunkImages(channels: channels, outChannels: outChannels, height: height, width: width)
        let row = tiles.rowFloats(images: chunk, height: height, width: width)
        return tiles.points * (outChannels * channels + (channels + outChannels) * row)
            + tiles.transformScratch(height: height, width: width)
    }

    /// dW[O][C][3][3] += Σ over `imageCount` images of the stride-1 weight gradient by Winograd `tiles`:
    /// per chunk of images (a count fixed by the geometry), the transforms V of the input tiles and dM of
    /// the output-gradient tiles (timed as `winogradWeightTransforms`), then for each point ξ the product
    /// dU[ξ] (O×C) += dM[ξ] (O×tiles) · V[ξ]ᵀ by the register kernel (with F(2×2) it ran at 50–85 GFLOP/s per
    /// Zen 4 core, as fast as OpenBLAS's sgemm on these shapes); at the end dW += Gᵀ dU G (both timed
    /// as `winogradWeightProducts`). Same sums in the same order for the same images, whatever runs them.
    static func winogradWeightGradient(input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout, channels: Int,
                                       gradOutput: UnsafePointer<Float>, gradLayout: ConvolutionKernels.PlaneLayout,
                                       outChannels: Int, imageCount: Int, height: Int, width: Int,
                                       into gradWeight: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                       tiles: WinogradWeightGradientTiles = .f2, profile: TrainingProfile? = nil,
                                       shard: Int = 0) {
        func timed(_ phase: TrainingProfile.Phase, _ body: () -> Void) {
            guard let profile else { return body() }
            let start = TrainingProfile.now()
            body()
            profile.add(phase, shard: shard, since: start)
        }
        let chunk = tiles.chunkImages(channels: channels, outChannels: outChannels, height: height, width: width)
        let rowCapacity = tiles.rowFloats(images: chunk, height: height, width: width)
        let points = tiles.points
        let du = scratch
        let v = du + points * outChannels * channels
        let m = v + points * channels * rowCapacity
        let planes = m + points * outChannels * rowCapacity
        du.update(repeating: 0, count: points * outChannels * channels)
        var first = 0
        while first < imageCount {
            let count = min(chunk, imageCount - first)
            let row = tiles.rowFloats(images: count, height: height, width: width)
            timed(.winogradWeightTransforms) {
                tiles.transform(input + first * layout.imageStride, layout, channels: channels,
                                gradOutput + first * gradLayout.imageStride, gradLayout, outChannels: outChannels,
                                images: count, height: height, width: width, v: v, m: m, scratch: planes)
            }
            timed(.winogradWeightProducts) {
                tiles.accumulate(m: m, v: v, outChannels: outChannels, channels: channels, rowFloats: row, into: du)
            }
            first += count
        }
        timed(.winogradWeightProducts) { tiles.finish(du, outChannels: outChannels, channels: channels, into: gradWeight) }
    }
}
