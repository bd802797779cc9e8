import Foundation

/// Everything that can go wrong reading a dataset or drawing batches from it.
/// Each message names the file, the field and what was expected.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    /// The path exists but is not a dataset file that can be read: a
    /// directory, a FIFO, no permission, over the size limit.
    case file(path: String, problem: String)
    /// A size from the file or its decompression passes one of our limits.
    case exceedsLimit(path: String, field: String, limit: String, found: String)
    /// A CIFAR-10 binary file whose size is not a whole number of records.
    case truncatedCIFAR(path: String, byteCount: Int, recordSize: Int)
    /// A label outside 0..<classCount at record `index`.
    case badLabel(path: String, index: Int, label: UInt8, classCount: Int)
    case wrongIDXMagic(path: String, found: UInt32, expected: UInt32)
    /// An IDX header whose dimensions disagree with the bytes that follow, or with the other file.
    case idxSizeMismatch(path: String, field: String, expected: String, found: String)
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    case missingFiles(directory: String, lookedFor: [String])
    case corruptGzip(path: String, reason: String)
    case badNormalization(field: String, expected: String, found: String)
    case indexOutOfRange(index: Int, count: Int)
    case badSubset(rule: String, requested: Int, available: Int)
    case badDataset(field: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such file or directory"
        case .unreadable(let path, let reason):
            return "\(path): cannot read (\(reason))"
        case .file(let path, let problem):
            return "\(path): \(problem)"
        case .exceedsLimit(let path, let field, let limit, let found):
            return "\(path): \(field) is \(found), more than the limit of \(limit)"
        case .truncatedCIFAR(let path, let byteCount, let recordSize):
            return "\(path): \(byteCount) bytes is not a whole number of CIFAR-10 records "
                + "(expected a positive multiple of \(recordSize): 1 label byte + 3072 pixel bytes; "
                + "\(byteCount / recordSize) full records and \(byteCount % recordSize) bytes left over)"
        case .badLabel(let path, let index, let label, let classCount):
            return "\(path): label of record \(index) is \(label), expected 0...\(classCount - 1)"
        case .wrongIDXMagic(let path, let found, let expected):
            return "\(path): IDX magic number is 0x\(String(format: "%08X", found)), expected 0x\(String(format: "%08X", expected))"
                + " (unsigned bytes, \(expected & 0xFF) dimension\(expected & 0xFF == 1 ? "" : "s"))"
        case .idxSizeMismatch(let path, let field, let expected, let found):
            return "\(path): \(field) is \(found), expected \(expected)"
        case .countMismatch(let imagesPath, let images, let labelsPath, let labels):
            return "\(imagesPath) holds \(images) images but \(labelsPath) holds \(labels) labels; expected the same count"
        case .missingFiles(let directory, let lookedFor):
            return "\(directory): no dataset found; looked for \(lookedFor.joined(separator: ", "))"
        case .corruptGzip(let path, let reason):
            return "\(path): corrupt gzip data (\(reason))"
        case .badNormalization(let field, let expected, let found):
            return "normalization \(field) is \(found), expected \(expected)"
        case .indexOutOfRange(let index, let count):
            return "image index \(index) is out of range, expected 0..<\(count)"
        case .badSubset(let rule, let requested, let available):
            return "\(rule) subset of \(requested) images from a dataset of \(available): expected 1...\(available)"
        case .badDataset(let field, let expected, let found):
            return "dataset \(field) is \(found), expected \(expected)"
        }
    }
}
