import Foundation
import FuzzSupport
import HTTPServer

/// The server's defaults, and limits small enough that short inputs reach every 413/414/431 path.
let decoders = [HTTPRequestDecoder(),
                HTTPRequestDecoder(limits: HTTPLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128,
                                                      maxHeaderCount: 4, maxBodyBytes: 32))]

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("HTTPRequestDecoder invariant: \(message())") }
}

// HTTPRequestDecoder.decode: the input as everything a connection has
// buffered. Besides crashes it checks what the server relies on:
// - `consumed` is within the input and > 0;
// - the decoder is stateless and prefix-stable: decoding exactly the consumed
//   bytes gives the same request, and a shorter prefix of a request that
//   decodes never fails (it may only be incomplete): a request split across
//   TCP reads must not be refused (prefixes tried: half, all but one byte,
//   and just after each of the first 8 CR/LF bytes);
// - pipelined requests after the first decode too (up to 8 of them).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzSupport.bytes(start, count)
    for decoder in decoders {
        var rest = bytes[...]
        for _ in 0..<8 {
            let input = Array(rest)
            let result = decoder.decode(input)
            if FuzzSupport.verbose { print("  http (limits \(decoder.limits.maxBodyBytes)): \(result)") }
            guard case .request(let request, let consumed) = result else { break }
            check(consumed > 0 && consumed <= input.count, "consumed \(consumed) of \(input.count) bytes")
            _ = (request.pathSegments, request.query, request.keepAlive, request.header("Content-Type"))
            if case .request(let again, let consumedAgain) = decoder.decode(Array(input[..<consumed])) {
                check(consumedAgain == consumed && again.target == request.target && again.body == request.body,
                      "the consumed bytes alone decode differently")
            } else {
                check(false, "the consumed bytes alone do not decode to a request")
            }
            let delimiters = input[..<consumed].indices.filter { input[$0] == 0x0d || input[$0] == 0x0a }.prefix(8)
            for cut in [consumed / 2, consumed - 1] + delimiters.map({ $0 + 1 }) where cut > 0 && cut < consumed {
                if case .failure(let failure) = decoder.decode(Array(input[..<cut])) {
                    check(false, "a \(cut)-byte prefix of a \(consumed)-byte request fails: \(failure)")
                }
            }
            rest = rest.dropFirst(consumed)
        }
    }
    return 0
}

@_cdecl("fuzz_http_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
