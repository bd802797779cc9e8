/// Everything export and import refuse, naming the file, the dataset or
/// option, and what was expected.
public enum ExportError: Error, CustomStringConvertible, Equatable {
    /// The HDF5 library failed at `operation` (out of memory, a corrupt file).
    case hdf5(path: String, operation: String)
    /// The file does not start with HDF5's signature or the library cannot open it.
    case notHDF5(path: String)
    /// A dataset or group of Li et al.'s layout is absent.
    case missingDataset(path: String, name: String, expected: String)
    /// A dataset is there but of the wrong shape or type.
    case invalidDataset(path: String, name: String, detail: String)
    /// A direction file does not fit the model.
    case directionMismatch(path: String, detail: String)
    /// The surface cannot be written in this format (e.g. a mesh of a 1D surface).
    case unsupported(format: String, detail: String)
    /// Reading the input or writing the output failed.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case let .hdf5(path, operation): return "\(path): the HDF5 library could not \(operation)"
        case let .notHDF5(path): return "\(path): not an HDF5 file (expected the 8-byte signature \\x89HDF\\r\\n\\x1a\\n and a readable superblock)"
        case let .missingDataset(path, name, expected): return "\(path): no '\(name)': expected \(expected)"
        case let .invalidDataset(path, name, detail): return "\(path): dataset '\(name)' \(detail)"
        case let .directionMismatch(path, detail): return "direction file \(path): \(detail)"
        case let .unsupported(format, detail): return "format \(format): \(detail)"
        case let .io(path, detail): return "\(path): \(detail)"
        }
    }
}
