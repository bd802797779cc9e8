import Foundation

/// The CIFAR-10 binary format: records of 1 label byte and 3072 pixel bytes
/// (1024 R, 1024 G, 1024 B, each 32x32 row-major), no header, any number of
/// records per file.
enum CIFAR10Reader {
    static let recordSize = 1 + imageSize
    static let imageSize = 3 * 32 * 32
    static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                             "dog", "frog", "horse", "ship", "truck"]
    static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    static let testFiles = ["test_batch.bin"]
    /// The folder `cifar-10-binary.tar.gz` unpacks to.
    static let subfolder = "cifar-10-batches-bin"

    static func files(for split: DatasetSplit) -> [String] { split == .train ? trainFiles : testFiles }

    /// Appends the records of one file to `labels` and `pixels`.
    static func read(path: String, labels: inout [UInt8], pixels: inout [UInt8]) throws {
        let bytes = try DatasetFile.readBytes(path)
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DatasetError.truncatedCIFAR(path: path, byteCount: bytes.count, recordSize: recordSize)
        }
        let records = bytes.count / recordSize
        let firstLabel = labels.count
        labels.reserveCapacity(labels.count + records)
        pixels.reserveCapacity(pixels.count + records * imageSize)
        bytes.withUnsafeBufferPointer { source in
            for r in 0..<records {
                let record = source.baseAddress! + r * recordSize
                labels.append(record[0])
                // The record's pixels are already CHW.
                pixels.append(contentsOf: UnsafeBufferPointer(start: record + 1, count: imageSize))
            }
        }
        if let bad = labels[firstLabel...].firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError.badLabel(path: path, index: bad - firstLabel, label: labels[bad], classCount: classNames.count)
        }
    }

    /// One file, or the split's files of a directory in order.
    static func load(paths: [String], split: DatasetSplit, sourcePath: String) throws -> ImageDataset {
        var labels: [UInt8] = [], pixels: [UInt8] = []
        for path in paths { try read(path: path, labels: &labels, pixels: &pixels) }
        return try ImageDataset(name: "cifar10", split: split, channels: 3, height: 32, width: 32,
                                labels: labels, pixels: pixels, classNames: classNames, sourcePath: sourcePath)
    }
}
