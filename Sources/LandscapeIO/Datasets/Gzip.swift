import CZlib
import Foundation

/// Streaming gunzip with zlib: the file is read and inflated a chunk at a
/// time, so only the decompressed bytes are ever held whole. Concatenated
/// gzip members are joined, as `gunzip` does.
enum Gzip {
    /// Bytes read from the file and inflated per call.
    static let chunkSize = 1 << 18
    /// zlib's windowBits: 15 (32 KiB window) + 32 (detect a gzip or zlib header).
    static let windowBits: Int32 = 15 + 32

    /// A file is taken as gzip when named `.gz` or starting with the gzip magic
    /// bytes; neither CIFAR-10 (label 0...9) nor IDX (0x00) starts with 0x1F.
    static func isGzip(path: String, prefix: [UInt8]) -> Bool {
        path.hasSuffix(".gz") || (prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B)
    }

    static func decompress(path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError.unreadable(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.corruptGzip(path: path, reason: "zlib could not start: \(message(stream))")
        }
        defer { inflateEnd(&stream) }
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { out.deallocate() }

        var output: [UInt8] = []
        var consumed = 0            // compressed bytes read so far, for messages
        var streamEnded = false     // the last member finished and nothing followed yet
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: chunkSize) ?? Data() } catch {
                throw DatasetError.unreadable(path: path, reason: "\(error)")
            }
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { raw in
                stream.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress!)
                stream.avail_in = uInt(raw.count)
                while true {
                    if streamEnded {
                        // More input after a finished member: the next member starts.
                        guard stream.avail_in > 0 else { return }
                        inflateReset(&stream)
                        streamEnded = false
                    }
                    stream.next_out = out
                    stream.avail_out = uInt(chunkSize)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: UnsafeBufferPointer(start: out, count: chunkSize - Int(stream.avail_out)))
                    switch status {
                    case Z_STREAM_END:
                        streamEnded = true
                    case Z_OK:
                        if stream.avail_in == 0 && stream.avail_out != 0 { return }
                    case Z_BUF_ERROR where stream.avail_in == 0:
                        return      // no progress possible without more input: read on
                    default:
                        let at = consumed + raw.count - Int(stream.avail_in)
                        throw DatasetError.corruptGzip(path: path, reason: "\(message(stream)) near compressed byte \(at)")
                    }
                }
            }
            consumed += chunk.count
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
