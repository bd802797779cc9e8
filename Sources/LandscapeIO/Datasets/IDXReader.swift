import Foundation

/// The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic
/// `00 00 08 NDIM`, 0x08 = unsigned bytes, then NDIM 32-bit sizes) followed
/// by exactly the product of the sizes in bytes.
enum IDXReader {
    static let imagesMagic: UInt32 = 0x0000_0803   // unsigned bytes, 3 dimensions
    static let labelsMagic: UInt32 = 0x0000_0801   // unsigned bytes, 1 dimension

    static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    static let digitClassNames = (0...9).map(String.init)

    /// File names of a split, raw first then gzip; the original MNIST files
    /// also circulate with a dot (`train-images.idx3-ubyte`).
    static func candidates(for split: DatasetSplit) -> (images: [String], labels: [String]) {
        let prefix = split == .train ? "train" : "t10k"
        func names(_ kind: String, _ idx: String) -> [String] {
            let dash = "\(prefix)-\(kind)-\(idx)-ubyte", dot = "\(prefix)-\(kind).\(idx)-ubyte"
            return [dash, dash + ".gz", dot, dot + ".gz"]
        }
        return (names("images", "idx3"), names("labels", "idx1"))
    }

    /// The sizes in the header and the payload after it.
    static func parse(_ bytes: [UInt8], path: String, magic expected: UInt32) throws -> (sizes: [Int], offset: Int) {
        guard bytes.count >= 4 else {
            throw DatasetError.idxSizeMismatch(path: path, field: "file size", expected: "at least a 4-byte IDX header",
                                               found: "\(bytes.count) bytes")
        }
        let magic = readUInt32(bytes, at: 0)
        guard magic == expected else { throw DatasetError.wrongIDXMagic(path: path, found: magic, expected: expected) }
        let dimensions = Int(expected & 0xFF)
        let offset = 4 + 4 * dimensions
        guard bytes.count >= offset else {
            throw DatasetError.idxSizeMismatch(path: path, field: "file size", expected: "at least the \(offset)-byte header",
                                               found: "\(bytes.count) bytes")
        }
        let sizes = (0..<dimensions).map { Int(readUInt32(bytes, at: 4 + 4 * $0)) }
        // Three 32-bit sizes can multiply past 2^64: checked, then compared with the bytes present.
        guard let payload = sizes.checkedElementCount else {
            throw DatasetError.idxSizeMismatch(
                path: path, field: "dimensions", expected: "a product that fits in 64 bits and matches the data",
                found: sizes.map(String.init).joined(separator: "x"))
        }
        guard bytes.count - offset == payload else {
            throw DatasetError.idxSizeMismatch(
                path: path, field: "data after the header",
                expected: "\(payload) bytes (dimensions \(sizes.map(String.init).joined(separator: "x")))",
                found: "\(bytes.count - offset) bytes")
        }
        return (sizes, offset)
    }

    static func load(imagesPath: String, labelsPath: String, name: String, split: DatasetSplit,
                     sourcePath: String) throws -> ImageDataset {
        let imageBytes = try DatasetFile.readBytes(imagesPath)
        let images = try parse(imageBytes, path: imagesPath, magic: imagesMagic)
        guard images.sizes[1] > 0, images.sizes[2] > 0 else {
            throw DatasetError.idxSizeMismatch(path: imagesPath, field: "image height x width",
                                               expected: "positive sizes", found: "\(images.sizes[1])x\(images.sizes[2])")
        }
        let labelBytes = try DatasetFile.readBytes(labelsPath)
        let labelHeader = try parse(labelBytes, path: labelsPath, magic: labelsMagic)
        guard labelHeader.sizes[0] == images.sizes[0] else {
            throw DatasetError.countMismatch(imagesPath: imagesPath, images: images.sizes[0],
                                             labelsPath: labelsPath, labels: labelHeader.sizes[0])
        }
        let labels = Array(labelBytes[labelHeader.offset...])
        let classNames = name == "fashion-mnist" ? fashionClassNames : digitClassNames
        if let bad = labels.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError.badLabel(path: labelsPath, index: bad, label: labels[bad], classCount: classNames.count)
        }
        return try ImageDataset(name: name, split: split, channels: 1, height: images.sizes[1], width: images.sizes[2],
                                labels: labels, pixels: Array(imageBytes[images.offset...]),
                                classNames: classNames, sourcePath: sourcePath)
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
}
