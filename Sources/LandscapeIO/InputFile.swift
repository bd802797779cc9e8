import Foundation
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

/// Reading a whole input file (checkpoint, dataset, model card) with POSIX
/// calls, so that every way it can fail is a reason we word ourselves:
/// Foundation's Linux errors say "The operation could not be completed" or
/// "(NSCocoaErrorDomain error 256.)". Only regular files are read (a FIFO
/// would block, `/dev/zero` never ends), and the size is checked against
/// the caller's limit before any buffer is allocated.
public enum InputFile {
    /// Why a file was not read. Each module's error wraps `description(expected:)`.
    public enum Problem: Error, Equatable {
        case noSuchFile
        case isDirectory
        /// A FIFO, socket or device: `kind` says which.
        case notRegularFile(kind: String)
        case permissionDenied
        case tooLarge(size: Int, limit: Int)
        /// Any other system error: the call that failed and strerror's text.
        case system(operation: String, reason: String)

        /// The reason, completed with what kind of file was `expected`
        /// ("a checkpoint file (.safetensors, .pt, .th)").
        public func description(expected: String) -> String {
            switch self {
            case .noSuchFile: return "no such file"
            case .isDirectory: return "is a directory, expected \(expected)"
            case .notRegularFile(let kind): return "is \(kind), expected \(expected)"
            case .permissionDenied: return "permission denied"
            case let .tooLarge(size, limit):
                return "is \(size) bytes, more than the \(limit)-byte limit for \(expected)"
            case let .system(operation, reason): return "cannot \(operation): \(reason)"
            }
        }
    }

    /// The whole file, which must be a regular file of at most `limit` bytes.
    public static func read(path: String, limit: Int) throws(Problem) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it has no
        // effect on the regular files that are then read.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw problem(errno: errno, operation: "open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw problem(errno: errno, operation: "stat") }
        let type = status.st_mode & S_IFMT
        guard type != S_IFDIR else { throw .isDirectory }
        guard type == S_IFREG else { throw .notRegularFile(kind: kindName(type)) }
        let size = Int(status.st_size)
        guard size <= limit else { throw .tooLarge(size: size, limit: limit) }

        // Read at most `size` bytes: a file that grows meanwhile is cut at the
        // size checked above, one that shrinks gives what is there.
        var failure: Problem?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            while initialized < size {
                let count = systemRead(descriptor, buffer.baseAddress! + initialized, size - initialized)
                if count < 0 && errno == EINTR { continue }
                if count < 0 { failure = problem(errno: errno, operation: "read"); return }
                if count == 0 { return }
                initialized += count
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Whether `path` names a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether `path` names something that is not a directory (a file to be read).
    static func isNonDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFDIR
    }

    /// The problem an `errno` from `open`, `fstat` or `read` stands for.
    static func problem(errno code: Int32, operation: String) -> Problem {
        switch code {
        case ENOENT, ENOTDIR: return .noSuchFile
        case EACCES, EPERM: return .permissionDenied
        case EISDIR: return .isDirectory
        default: return .system(operation: operation, reason: String(cString: strerror(code)))
        }
    }

    private static func kindName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }
}

/// Overflow-reporting arithmetic for sizes and offsets read from files: nil
/// instead of a trap (checked builds) or a wrapped value (-Ounchecked).
extension Int {
    func adding(_ other: Int) -> Int? {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }

    func times(_ other: Int) -> Int? {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : product
    }
}

extension Array<Int> {
    /// The number of elements of a tensor of this shape, or nil when a
    /// dimension is negative or the product of the non-zero dimensions
    /// overflows Int (an empty tensor of shape [0, 2^62, 2^62] would still
    /// overflow whoever later computes its strides).
    var checkedElementCount: Int? {
        var product = 1, hasZero = false
        for dimension in self {
            guard dimension >= 0 else { return nil }
            if dimension == 0 { hasZero = true; continue }
            guard let next = product.times(dimension) else { return nil }
            product = next
        }
        return hasZero ? 0 : product
    }
}
