import CZlib
import Foundation

/// Raw DEFLATE (RFC 1951, no zlib or gzip wrapper: what ZIP method 8 stores),
/// decoded with the system zlib.
enum Inflate {
    /// zlib's convention: negative window bits select a raw stream; 15 is the
    /// largest (32 KiB) window, which any DEFLATE stream may use.
    static let rawWindowBits: Int32 = -15
    /// Output is produced this many bytes at a time and appended, so memory
    /// follows what the stream really yields, never only what a header claims.
    static let outputChunk = 1 << 16

    /// Inflates `input`, which must decode to exactly `expectedSize` bytes
    /// (already checked against the caller's limits). Decoding stops with an
    /// error as soon as the output would pass `expectedSize`.
    /// `fail` turns a problem into the caller's error (it names the entry).
    static func raw(_ input: ArraySlice<UInt8>, expectedSize: Int,
                    fail: (String) -> CheckpointError) throws -> [UInt8] {
        guard input.count <= Int(UInt32.max) else { throw fail("\(input.count) compressed bytes exceed zlib's 32-bit length") }
        var stream = z_stream()
        guard inflateInit2_(&stream, rawWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(expectedSize, 16 * outputChunk))
        var chunk = [UInt8](repeating: 0, count: outputChunk)
        try input.withUnsafeBufferPointer { inBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = outputChunk - Int(stream.avail_out)
                guard produced <= expectedSize - output.count else {
                    throw fail("cannot inflate deflated data: it is longer than the \(expectedSize) bytes the directory declares")
                }
                output.append(contentsOf: chunk[..<produced])
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:  // no progress: the input ran out before the end of the stream
                    throw fail("cannot inflate deflated data: the stream ends early after \(output.count) bytes (truncated)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw fail("cannot inflate deflated data: \(message)")
                }
            }
        }
        guard output.count == expectedSize else {
            throw fail("inflates to \(output.count) bytes, the directory declares \(expectedSize)")
        }
        return output
    }
}
