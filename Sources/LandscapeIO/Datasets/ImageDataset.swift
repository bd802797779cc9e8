import Foundation

/// Which half of a dataset directory to read.
public enum DatasetSplit: String, CaseIterable, Sendable, Codable {
    case train, test
}

/// A labelled image dataset held as the bytes of the files: `pixels` is
/// image-major and CHW within each image (CIFAR-10's own record layout, and
/// IDX's for one channel), so a batch is normalized straight from it.
public struct ImageDataset: Sendable {
    /// "cifar10", "fashion-mnist" or "mnist".
    public let name: String
    public let split: DatasetSplit
    public let channels: Int
    public let height: Int
    public let width: Int
    public let labels: [UInt8]
    public let pixels: [UInt8]
    public let classNames: [String]
    /// The file or directory the images were read from.
    public let sourcePath: String

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }

    public init(name: String, split: DatasetSplit, channels: Int, height: Int, width: Int,
                labels: [UInt8], pixels: [UInt8], classNames: [String], sourcePath: String) throws {
        guard channels > 0, height > 0, width > 0 else {
            throw DatasetError.badDataset(field: "shape", expected: "positive channels, height and width",
                                          found: "\(channels)x\(height)x\(width)")
        }
        guard pixels.count == labels.count * channels * height * width else {
            throw DatasetError.badDataset(field: "pixel count", expected: "\(labels.count) x \(channels)x\(height)x\(width)",
                                          found: "\(pixels.count)")
        }
        if let index = labels.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError.badLabel(path: sourcePath, index: index, label: labels[index], classCount: classNames.count)
        }
        self.name = name; self.split = split; self.channels = channels; self.height = height; self.width = width
        self.labels = labels; self.pixels = pixels; self.classNames = classNames; self.sourcePath = sourcePath
    }

    /// Writes the images at `indices`, in that order, as float32 NCHW:
    /// `(pixel / 255 - mean[c]) / std[c]`, torchvision's ToTensor + Normalize
    /// in the same float32 operations. `buffer` must hold
    /// `indices.count * imageSize` floats.
    public func fillBatch(indices: [Int], normalization: Normalization,
                          into buffer: UnsafeMutablePointer<Float>) throws {
        try normalization.validate(channels: channels)
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DatasetError.indexOutOfRange(index: bad, count: count)
        }
        // One 256-entry table per channel: the same float32 result as the
        // formula, without a division per pixel.
        var table = [Float](repeating: 0, count: channels * 256)
        for c in 0..<channels {
            for value in 0..<256 {
                table[c * 256 + value] = (Float(value) / 255 - normalization.mean[c]) / normalization.std[c]
            }
        }
        let plane = height * width
        let size = imageSize
        pixels.withUnsafeBufferPointer { source in
            table.withUnsafeBufferPointer { table in
                for (n, index) in indices.enumerated() {
                    let image = source.baseAddress! + index * size
                    let out = buffer + n * size
                    for c in 0..<channels {
                        let lookup = table.baseAddress! + c * 256
                        for p in 0..<plane { out[c * plane + p] = lookup[Int(image[c * plane + p])] }
                    }
                }
            }
        }
    }

    /// Labels of the images at `indices` (unchecked beyond Swift's bounds check).
    public func labels(at indices: [Int]) -> [Int32] { indices.map { Int32(labels[$0]) } }
}
