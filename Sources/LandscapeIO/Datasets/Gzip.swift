import CZlib
import Foundation

/// Gunzip with zlib, fed a chunk at a time, with a limit on the output so a
/// small hostile file cannot inflate without end. Concatenated gzip members
/// are joined, as `gunzip` does.
enum Gzip {
    /// Bytes fed to zlib, and produced by it, per call.
    static let chunkSize = 1 << 18
    /// zlib's windowBits: 15 (32 KiB window) + 32 (detect a gzip or zlib header).
    static let windowBits: Int32 = 15 + 32
    /// Largest gunzipped output: the dataset file limit (512 MiB).
    static let maxOutputBytes = DatasetFile.maxBytes
    /// Most output bytes per compressed byte: 100. Real datasets compress far
    /// less: Fashion-MNIST's training images 1.8:1 (26 MB → 47 MB), MNIST's
    /// 4.8:1, label files about 2:1; DEFLATE itself can reach 1032:1.
    static let maxRatio = 100
    /// Output up to this size is accepted whatever the ratio: 16 MiB. Small
    /// and synthetic files (a few uniform images) compress better than 100:1,
    /// and 16 MiB is harmless.
    static let ratioFreeBytes = 16 << 20

    /// A file is taken as gzip when named `.gz` or starting with the gzip magic
    /// bytes; neither CIFAR-10 (label 0...9) nor IDX (0x00) starts with 0x1F.
    static func isGzip(path: String, prefix: [UInt8]) -> Bool {
        path.hasSuffix(".gz") || (prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B)
    }

    /// The most `compressedBytes` of gzip may inflate to.
    static func outputLimit(compressedBytes: Int) -> Int {
        min(maxOutputBytes, max(ratioFreeBytes, compressedBytes.times(maxRatio) ?? Int.max))
    }

    /// Gunzips `input`, the bytes of the file at `path` (named in errors).
    static func decompress(_ input: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.corruptGzip(path: path, reason: "zlib could not start: \(message(stream))")
        }
        defer { inflateEnd(&stream) }
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { out.deallocate() }
        let limit = outputLimit(compressedBytes: input.count)

        var output: [UInt8] = []
        var consumed = 0            // compressed bytes fed so far, for messages
        var streamEnded = false     // the last member finished and nothing followed yet
        try input.withUnsafeBufferPointer { all in
            while consumed < all.count {
                let length = min(chunkSize, all.count - consumed)
                stream.next_in = UnsafeMutablePointer(mutating: all.baseAddress! + consumed)
                stream.avail_in = uInt(length)
                chunk: while true {
                    if streamEnded {
                        // More input after a finished member: the next member starts.
                        guard stream.avail_in > 0 else { break chunk }
                        inflateReset(&stream)
                        streamEnded = false
                    }
                    stream.next_out = out
                    stream.avail_out = uInt(chunkSize)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let produced = chunkSize - Int(stream.avail_out)
                    guard produced <= limit - output.count else {
                        throw DatasetError.exceedsLimit(
                            path: path, field: "gunzipped size", limit: "\(limit) bytes (\(maxRatio) times the compressed "
                                + "size, at least \(ratioFreeBytes), at most \(maxOutputBytes); refusing a possible decompression bomb)",
                            found: "more than \(limit) bytes from \(input.count) compressed bytes")
                    }
                    output.append(contentsOf: UnsafeBufferPointer(start: out, count: produced))
                    switch status {
                    case Z_STREAM_END:
                        streamEnded = true
                    case Z_OK:
                        if stream.avail_in == 0 && stream.avail_out != 0 { break chunk }
                    case Z_BUF_ERROR where stream.avail_in == 0:
                        break chunk  // no progress possible without more input: feed on
                    default:
                        let at = consumed + length - Int(stream.avail_in)
                        throw DatasetError.corruptGzip(path: path, reason: "\(message(stream)) near compressed byte \(at)")
                    }
                }
                consumed += length
            }
        }
        guard streamEnded else {
            throw DatasetError.corruptGzip(
                path: path, reason: "truncated: the compressed data ends after \(consumed) bytes, before the end of the gzip stream")
        }
        return output
    }

    private static func message(_ stream: z_stream) -> String {
        stream.msg.map { String(cString: $0) } ?? "unknown zlib error"
    }
}
