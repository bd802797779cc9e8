import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A file written all-or-nothing: bytes go to a hidden temporary file in the
/// destination's directory (same file system, so `rename(2)` is atomic),
/// which is flushed and renamed over the destination only after `body`
/// succeeds. Readers see the old file or the new one, never a torn one.
public final class AtomicFile {
    private let descriptor: Int32
    private let source: String

    private init(descriptor: Int32, source: String) {
        self.descriptor = descriptor
        self.source = source
    }

    /// Writes `data` all-or-nothing (flushed to disk before the rename).
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { file in try data.withUnsafeBytes { try file.write($0) } }
    }

    public static func write(to url: URL, _ body: (AtomicFile) throws -> Void) throws {
        let destination = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(destination, "create temporary file \(temporary)") }
        let file = AtomicFile(descriptor: descriptor, source: destination)
        var closed = false
        do {
            try body(file)
            guard fsync(descriptor) == 0 else { throw failure(destination, "flush \(temporary)") }
            closed = true
            guard close(descriptor) == 0 else { throw failure(destination, "close \(temporary)") }
            guard rename(temporary, destination) == 0 else { throw failure(destination, "rename \(temporary) over it") }
        } catch {
            if !closed { close(descriptor) }
            unlink(temporary)
            throw error
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard var pointer = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let written = systemWrite(descriptor, pointer, remaining)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw AtomicFile.failure(source, "write") }
            pointer += written
            remaining -= written
        }
    }

    private static func failure(_ source: String, _ operation: String) -> AtomicFileError {
        AtomicFileError(path: source, operation: operation, reason: String(cString: strerror(errno)), code: errno)
    }
}

/// A write that did not happen: which file, which step (create, write, flush,
/// rename) and the system's reason. The destination is untouched.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let operation: String
    public let reason: String
    /// errno at the failure (ENOSPC, EROFS, EACCES, ...), for callers that answer each differently.
    public let code: Int32

    public var description: String { "\(path): cannot \(operation): \(reason)" }
}
