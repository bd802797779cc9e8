import Foundation
import LandscapeCore

/// Training-time augmentation on a normalized float32 NCHW batch: a random
/// crop of the image zero-padded by `padding` on every side, then an optional
/// horizontal flip — torchvision's `RandomCrop(size, padding)` and
/// `RandomHorizontalFlip()` as the CIFAR ResNet recipes use them. Draws come
/// from a `SeededGenerator`, so a run is reproducible from its seed.
public struct DataAugmentation: Sendable, Hashable, Codable {
    public var padding: Int
    public var horizontalFlip: Bool
    /// The normalized value of a zero (black) pixel per channel, `-mean/std`:
    /// torchvision pads the image before normalizing, so padding on the
    /// normalized buffer must write this, not 0.
    public var fill: [Float]

    public init(padding: Int, horizontalFlip: Bool, fill: [Float]) {
        self.padding = padding; self.horizontalFlip = horizontalFlip; self.fill = fill
    }

    /// No change: for evaluation, or to switch augmentation off.
    public static func none(channels: Int) -> DataAugmentation {
        DataAugmentation(padding: 0, horizontalFlip: false, fill: Array(repeating: 0, count: channels))
    }

    /// The usual recipe: pad 4 and flip for 32x32 colour images (CIFAR-10),
    /// pad 2 without flip for 28x28 (MNIST digits and Fashion-MNIST items are
    /// not mirror-symmetric in meaning for every class, and 2 is 4 scaled).
    public static func standard(for dataset: ImageDataset, normalization: Normalization) -> DataAugmentation {
        let fill = zip(normalization.mean, normalization.std).map { -$0 / $1 }
        return dataset.channels == 3
            ? DataAugmentation(padding: 4, horizontalFlip: true, fill: fill)
            : DataAugmentation(padding: 2, horizontalFlip: false, fill: fill)
    }

    /// Where one image's crop starts and whether it is mirrored; shifts are
    /// in -padding...padding.
    public struct Placement: Sendable, Hashable {
        public var dy: Int
        public var dx: Int
        public var flip: Bool
        public init(dy: Int, dx: Int, flip: Bool) { self.dy = dy; self.dx = dx; self.flip = flip }
    }

    /// Draws one placement: dy, then dx, then the flip (only when enabled).
    public func draw(_ generator: inout SeededGenerator) -> Placement {
        let span = 2 * padding + 1
        let dy = generator.uniform(below: span) - padding
        let dx = generator.uniform(below: span) - padding
        let flip = horizontalFlip && generator.uniform(below: 2) == 1
        return Placement(dy: dy, dx: dx, flip: flip)
    }

    /// Augments `count` images in place, one placement per image in order.
    public func apply(to batch: UnsafeMutablePointer<Float>, count: Int, channels: Int, height: Int, width: Int,
                      generator: inout SeededGenerator) {
        precondition(fill.count == channels, "augmentation fill has \(fill.count) channels, images have \(channels)")
        var scratch = [Float](repeating: 0, count: channels * height * width)
        for n in 0..<count {
            let placement = draw(&generator)
            apply(placement, to: batch + n * channels * height * width, channels: channels,
                  height: height, width: width, scratch: &scratch)
        }
    }

    /// Output pixel (y, x) is input pixel (y + dy, x' + dx) with x' = width-1-x
    /// when flipped (crop then mirror), or `fill` outside the image.
    public func apply(_ placement: Placement, to image: UnsafeMutablePointer<Float>, channels: Int, height: Int,
                      width: Int, scratch: inout [Float]) {
        if placement == Placement(dy: 0, dx: 0, flip: false) { return }
        let plane = height * width
        scratch.withUnsafeMutableBufferPointer { copy in
            copy.baseAddress!.update(from: image, count: channels * plane)
            for c in 0..<channels {
                let source = copy.baseAddress! + c * plane, out = image + c * plane
                for y in 0..<height {
                    let sy = y + placement.dy
                    for x in 0..<width {
                        let sx = (placement.flip ? width - 1 - x : x) + placement.dx
                        out[y * width + x] = sy >= 0 && sy < height && sx >= 0 && sx < width
                            ? source[sy * width + sx] : fill[c]
                    }
                }
            }
        }
    }
}
