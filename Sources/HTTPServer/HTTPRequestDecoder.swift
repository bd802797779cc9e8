import Foundation

/// Why a request was refused before reaching a handler; the server answers `status` and closes.
public struct HTTPDecodeFailure: Error, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String
    public var description: String { "\(status): \(message)" }
}

public enum HTTPDecodeResult {
    /// More bytes are needed. `headComplete`: only body bytes are missing (so the server's header
    /// deadline no longer applies). `expectsContinue`: the head is complete and asks for "100 Continue".
    case incomplete(expectsContinue: Bool, headComplete: Bool)
    /// One request and how many bytes of the input it used (the rest belongs to the next one).
    case request(HTTPRequest, consumed: Int)
    case failure(HTTPDecodeFailure)
}

/// Bytes → HTTPRequest, strictly per RFC 9112. Stateless: give it everything buffered so far.
/// Supports Content-Length bodies only: chunked uploads get 411 (send a length), other codings 501.
public struct HTTPRequestDecoder: Sendable {
    public let limits: HTTPLimits

    public init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    public func decode(_ bytes: [UInt8]) -> HTTPDecodeResult {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    public func decode(_ input: UnsafeBufferPointer<UInt8>) -> HTTPDecodeResult {
        do { return try decodeOrThrow(input) } catch { return .failure(error) }
    }

    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

    private func decodeOrThrow(_ b: UnsafeBufferPointer<UInt8>) throws(HTTPDecodeFailure) -> HTTPDecodeResult {
        // RFC 9112 §2.2: ignore empty lines before a request line (left over from sloppy clients).
        var start = 0
        while start + 1 < b.count, b[start] == Self.cr, b[start + 1] == Self.lf { start += 2 }

        guard let lineEnd = try Self.requestLineEnd(b, from: start) else {
            // A trailing CR may be the first half of the line's CRLF, not part of the line: a line of
            // exactly the limit split by TCP after its CR must not be refused (found by fuzz-http).
            let pending = b.count - start - (b.last == Self.cr ? 1 : 0)
            if pending > limits.maxRequestLineBytes { throw Self.fail(414, "request line longer than \(limits.maxRequestLineBytes) bytes") }
            return .incomplete(expectsContinue: false, headComplete: false)
        }
        if lineEnd - start > limits.maxRequestLineBytes { throw Self.fail(414, "request line longer than \(limits.maxRequestLineBytes) bytes") }
        let (method, target, version) = try parseRequestLine(b[start..<lineEnd])

        // The head ends at the first empty line. A bare CR or LF fails at once (it would never be
        // followed by the CRLF CRLF we wait for, so waiting would only hold the connection open).
        let headersStart = lineEnd + 2
        let headEnd = try Self.headerBlockEnd(b, from: headersStart) // index just past the final CRLF CRLF
        let headerBytes = (headEnd ?? b.count) - headersStart
        if headerBytes > limits.maxHeaderBytes { throw Self.fail(431, "header block longer than \(limits.maxHeaderBytes) bytes") }
        guard let headEnd else { return .incomplete(expectsContinue: false, headComplete: false) }

        let headers = try parseHeaders(b[headersStart..<(headEnd - 2)])
        if version == .http11, headers.values("Host").count != 1 { throw Self.fail(400, "HTTP/1.1 request needs exactly one Host header") }
        if headers.contains("Transfer-Encoding") {
            if headers.tokens("Transfer-Encoding").contains("chunked") {
                throw Self.fail(411, "chunked request bodies are not supported; send Content-Length")
            }
            throw Self.fail(501, "Transfer-Encoding '\(headers["Transfer-Encoding"]!)' is not implemented")
        }
        let length = try contentLength(headers)
        var expectsContinue = false
        if let expect = headers["Expect"] {
            guard expect.lowercased() == "100-continue" else { throw Self.fail(417, "Expect: only 100-continue is supported") }
            expectsContinue = length > 0
        }
        guard b.count - headEnd >= length else { return .incomplete(expectsContinue: expectsContinue, headComplete: true) }

        guard let parts = HTTPRequest.splitTarget(target) else {
            throw Self.fail(400, "request target '\(target.prefix(200))' is not a valid origin-form path")
        }
        let request = HTTPRequest(method: method, target: target, version: version, rawPath: parts.rawPath,
                                  path: parts.path, queryItems: parts.query, headers: headers,
                                  body: Data(b[headEnd..<(headEnd + length)]))
        return .request(request, consumed: headEnd + length)
    }

    private func parseRequestLine(_ line: Slice<UnsafeBufferPointer<UInt8>>) throws(HTTPDecodeFailure) -> (HTTPMethod, String, HTTPVersion) {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Self.fail(400, "request line must be 'METHOD SP target SP HTTP/1.1'") }
        guard !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte) else { throw Self.fail(400, "method is not an HTTP token") }
        // Visible ASCII only: no controls, no spaces, no raw UTF-8 (it must be percent-encoded).
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Self.fail(400, "request target contains bytes outside visible ASCII")
        }
        let versionText = String(decoding: parts[2], as: UTF8.self)
        let version: HTTPVersion
        switch versionText {
        case "HTTP/1.1": version = .http11
        case "HTTP/1.0": version = .http10
        default:
            let v = Array(versionText.utf8)
            let wellFormed = v.count == 8 && versionText.hasPrefix("HTTP/") && v[6] == UInt8(ascii: ".")
                && Self.isDigit(v[5]) && Self.isDigit(v[7])
            throw wellFormed ? Self.fail(505, "\(versionText) is not supported; use HTTP/1.1")
                             : Self.fail(400, "protocol version '\(versionText.prefix(20))' is malformed")
        }
        var target = String(decoding: parts[1], as: UTF8.self)
        // Absolute-form (RFC 9112 §3.2.2) must be accepted; keep only its path and query.
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            target = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { idx in
                rest[idx] == "/" ? String(rest[idx...]) : "/" + rest[idx...]
            } ?? "/"
        }
        let method = HTTPMethod(String(decoding: parts[0], as: UTF8.self))
        if target == "*" && method == .options { target = "/" }
        guard target.hasPrefix("/") else { throw Self.fail(400, "request target must start with '/'") }
        return (method, target, version)
    }

    private func parseHeaders(_ block: Slice<UnsafeBufferPointer<UInt8>>) throws(HTTPDecodeFailure) -> HTTPHeaders {
        var headers = HTTPHeaders()
        guard !block.isEmpty else { return headers }
        var lineStart = block.startIndex
        while lineStart < block.endIndex {
            let lineEnd = Self.findCRLF(block.base, from: lineStart).map { min($0, block.endIndex) } ?? block.endIndex
            let line = block.base[lineStart..<lineEnd]
            lineStart = lineEnd + 2
            if headers.count >= limits.maxHeaderCount { throw Self.fail(431, "more than \(limits.maxHeaderCount) header fields") }
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
                throw Self.fail(400, "empty or folded header line (obsolete line folding is not accepted)")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw Self.fail(400, "header line without ':'") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
                throw Self.fail(400, "header name is not a token (no spaces before ':')")
            }
            let value = line[(colon + 1)...]
            // Field values: visible characters, SP, HTAB and obs-text; no other controls (CR, LF, NUL).
            guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw Self.fail(400, "header '\(String(decoding: name, as: UTF8.self))' has a control character in its value")
            }
            headers.add(String(decoding: name, as: UTF8.self),
                        String(decoding: value, as: UTF8.self).trimmingCharacters(in: " \t"))
        }
        return headers
    }

    /// RFC 9110 §8.6: Content-Length = 1*DIGIT, so leading zeros are allowed ("0005" is 5).
    /// A list of identical values is one length (RFC 9112 §6.3); differing values, signs, spaces
    /// inside or anything but digits → 400. A value above the body limit → 413, judged on its
    /// significant digits so no number of digits can overflow the conversion.
    private func contentLength(_ headers: HTTPHeaders) throws(HTTPDecodeFailure) -> Int {
        let values = headers.values("Content-Length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingCharacters(in: " \t") }
        guard let first = values.first else { return 0 }
        guard values.allSatisfy({ $0 == first }) else {
            throw Self.fail(400, "Content-Length has differing values; expected one decimal number")
        }
        guard !first.isEmpty, first.utf8.allSatisfy(Self.isDigit) else {
            throw Self.fail(400, "Content-Length '\(first.prefix(40))' is not a decimal number (expected digits only)")
        }
        let significant = first.drop { $0 == "0" }
        guard significant.count <= Self.maxSignificantLengthDigits, let length = Int(significant.isEmpty ? "0" : significant),
              length <= limits.maxBodyBytes else {
            throw Self.fail(413, "body longer than \(limits.maxBodyBytes) bytes")
        }
        return length
    }

    /// More significant digits than this cannot fit in Int64 (18 digits always do) and are
    /// beyond any sensible body limit anyway, so they are refused as too large without converting.
    static let maxSignificantLengthDigits = 18

    static func fail(_ code: Int, _ message: String) -> HTTPDecodeFailure {
        HTTPDecodeFailure(status: HTTPStatus(code), message: message)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// tchar from RFC 9110 §5.6.2.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 0x30...0x39: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Index of the CRLF ending the request line; nil if not arrived yet; a bare CR or LF is malformed.
    static func requestLineEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int) throws(HTTPDecodeFailure) -> Int? {
        guard let i = b[from...].firstIndex(where: { $0 == cr || $0 == lf }) else { return nil }
        if b[i] == lf { throw fail(400, "request line ends with a bare LF; expected CRLF") }
        if i + 1 == b.count { return nil }
        guard b[i + 1] == lf else { throw fail(400, "bare CR in request line") }
        return i
    }

    /// Index just past the CRLF CRLF that ends the header block starting at `from`; nil if it has not
    /// arrived yet. Every line must end in CRLF: a bare LF, or a CR followed by anything but LF, is malformed.
    static func headerBlockEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int) throws(HTTPDecodeFailure) -> Int? {
        var i = from
        var lineStart = from
        while i < b.count {
            switch b[i] {
            case lf:
                throw fail(400, "header line ends with a bare LF; expected CRLF")
            case cr:
                guard i + 1 < b.count else { return nil }
                guard b[i + 1] == lf else { throw fail(400, "bare CR in header block; expected CRLF") }
                if i == lineStart { return i + 2 } // the empty line
                i += 2
                lineStart = i
            default:
                i += 1
            }
        }
        return nil
    }

    static func findCRLF(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        while i + 1 < b.count {
            if b[i] == cr { return b[i + 1] == lf ? i : nil }
            if b[i] == lf { return nil }
            i += 1
        }
        return nil
    }
}
