import CZlib
import Foundation

/// Raw DEFLATE (RFC 1951, no zlib or gzip wrapper: what ZIP method 8 stores),
/// decoded with the system zlib.
enum Inflate {
    /// zlib's convention: negative window bits select a raw stream; 15 is the
    /// largest (32 KiB) window, which any DEFLATE stream may use.
    static let rawWindowBits: Int32 = -15

    /// Inflates `input`, which must decode to exactly `expectedSize` bytes.
    /// `fail` turns a problem into the caller's error (it names the entry).
    static func raw(_ input: ArraySlice<UInt8>, expectedSize: Int,
                    fail: (String) -> CheckpointError) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, rawWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        // One spare byte lets us notice a stream longer than announced.
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        let input = Array(input)
        let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            let reason = status == Z_BUF_ERROR ? "stream ends early or is longer than announced" : "zlib error \(status)"
            throw fail("cannot inflate deflated data: \(reason)")
        }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }
}
