import Foundation

/// Reading a dataset file whole, gunzipping it when it is gzip.
enum DatasetFile {
    /// Largest dataset file read, raw or after gunzip: 512 MiB. The largest
    /// the loader meets is all of CIFAR-10's training set in one file
    /// (50,000 × 3,073 bytes = 154 MB); a CIFAR-10 batch is 30.7 MB and
    /// Fashion-MNIST's training images 47 MB.
    static let maxBytes = 512 << 20
    /// What the file errors say was expected.
    static let expected = "a dataset file (CIFAR-10 binary or IDX, raw or .gz)"

    /// Whether `path` exists and is not a directory (symbolic links followed).
    static func exists(_ path: String) -> Bool { InputFile.isNonDirectory(path) }

    static func isDirectory(_ path: String) -> Bool { InputFile.isDirectory(path) }

    static func readBytes(_ path: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do throws(InputFile.Problem) { bytes = try InputFile.read(path: path, limit: maxBytes) } catch {
            if error == .noSuchFile { throw DatasetError.notFound(path: path) }
            throw DatasetError.file(path: path, problem: error.description(expected: expected))
        }
        if Gzip.isGzip(path: path, prefix: Array(bytes.prefix(2))) { return try Gzip.decompress(bytes, path: path) }
        return bytes
    }
}
