import Foundation
import LandscapeCore

/// The safetensors format (huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON (`{"name": {"dtype", "shape",
/// "data_offsets": [begin, end]}, "__metadata__": {String: String}}`), then
/// the tensor bytes, offsets relative to the end of the header.
public enum Safetensors {
    /// Largest header accepted: 4 MiB. The Rust reference implementation
    /// allows 100 MB (`MAX_HEADER_SIZE`), but Foundation's JSON parser takes
    /// 40 to 70 times the header in memory (a 71 MB header of empty tensors
    /// took 4.9 GB). Ours are 8 KB (ResNet-20, 98 tensors); a training
    /// checkpoint of ResNet-1202 with momentum (about 14,500 tensors at about
    /// 110 bytes each) would be 1.6 MB.
    public static let maxHeaderBytes = 4 << 20
    /// Most top-level header entries (tensors plus `__metadata__`), counted
    /// by a scan of the raw bytes before any JSON is parsed: 32,768, about
    /// twice that ResNet-1202 training checkpoint, 300 times ResNet-20.
    /// Parsing that many took 0.6 s and 125 MB here.
    public static let maxTensorCount = 32_768
    /// Most JSON values in a header, counted as its commas: 16 per allowed
    /// tensor (an entry of a 4-D tensor has 7). Bounds what a long array
    /// costs the parser (2 M numbers in a 4 MB shape took 150 MB).
    static let maxHeaderValues = 16 * maxTensorCount
    /// Deepest JSON nesting in a header: the format needs 3 (header object →
    /// entry object → shape array); 8 leaves room and keeps the parser's
    /// recursion shallow.
    static let maxHeaderNesting = 8
    /// Integers in a header above 2^53 are not exact in JSONSerialization's
    /// Double; no valid offset (files are at most `Checkpoint.maxFileBytes`)
    /// or dimension comes near it.
    static let maxExactInteger = 1 << 53

    /// Reads every tensor as Float, in file-offset order, with `__metadata__`.
    public static func read(_ url: URL) throws -> StateDict {
        let data = try CheckpointError.readFile(url)
        return try read(data: data, source: url.path)
    }

    /// Parses safetensors bytes; `source` names the file in errors.
    public static func read(data: Data, source: String) throws -> StateDict {
        func fail(_ problem: String) -> CheckpointError { .safetensors(source: source, problem: problem) }
        guard data.count <= Checkpoint.maxFileBytes else {
            throw fail("file is \(data.count) bytes, more than the \(Checkpoint.maxFileBytes)-byte limit of a checkpoint")
        }
        let data = Data(data)  // rebased so indices start at 0
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, too short for the 8-byte header length") }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw fail("header length \(headerLength) bytes exceeds the \(maxHeaderBytes)-byte limit")
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) bytes is larger than the \(data.count - 8) bytes after the length field")
        }
        let headerEnd = 8 + Int(headerLength)
        let headerBytes = data.subdata(in: 8..<headerEnd)
        try scanHeader(headerBytes, source: source)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerBytes) } catch {
            // Foundation's localizedDescription is "The operation could not be completed": use its debug text.
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "the parser gave no reason"
            throw fail("header is not valid JSON: \(detail)")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: String] else { throw fail("__metadata__ is not an object of strings") }
            metadata = strings
        }
        let bufferSize = data.count - headerEnd
        var entries: [Entry] = []
        var budget = Checkpoint.maxElements  // scalars the tensors may still take
        for (name, value) in header where name != "__metadata__" {
            let entry = try Entry(name: name, json: value, bufferSize: bufferSize, source: source)
            guard entry.elements <= budget else {
                throw fail("tensor '\(name)': \(entry.elements) elements; with the tensors before it that is more than "
                    + "the \(Checkpoint.maxElements)-element limit of a checkpoint")
            }
            budget -= entry.elements
            entries.append(entry)
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var previous: Entry?
        for entry in entries where entry.end > entry.begin {
            if let previous, entry.begin < previous.end {
                throw fail("tensors '\(previous.name)' [\(previous.begin), \(previous.end)) and '\(entry.name)' "
                    + "[\(entry.begin), \(entry.end)) overlap")
            }
            previous = entry
        }
        let pairs: [(String, Tensor)] = data.withUnsafeBytes { raw in
            let buffer = UnsafeRawBufferPointer(rebasing: raw[headerEnd...])
            return entries.map { entry in
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[entry.begin..<entry.end])
                return (entry.name, Tensor(shape: entry.shape, scalars: entry.dtype.decode(bytes)))
            }
        }
        return StateDict(pairs, metadata: metadata)
    }

    /// Checks the raw header before JSON parsing, in one pass and no
    /// allocation: UTF-8 text (the format's rule), at most `maxHeaderNesting`
    /// levels, `maxTensorCount` + 1 top-level entries and `maxHeaderValues` values.
    static func scanHeader(_ header: Data, source: String) throws {
        func fail(_ problem: String) -> CheckpointError { .safetensors(source: source, problem: problem) }
        guard String(validating: header, as: UTF8.self) != nil else { throw fail("header is not UTF-8 text") }
        var depth = 0, members = 0, values = 0, inString = false, escaped = false
        for (offset, byte) in header.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= maxHeaderNesting else {
                    throw fail("header JSON nests deeper than \(maxHeaderNesting) levels at byte \(offset) "
                        + "(expected {name: {dtype, shape, data_offsets}})")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","):
                values += 1
                guard values <= maxHeaderValues else {
                    throw fail("header has more than \(maxHeaderValues) JSON values, the limit (\(maxTensorCount) tensors of 16)")
                }
            case UInt8(ascii: ":") where depth == 1:
                members += 1
                guard members <= maxTensorCount + 1 else {
                    throw fail("header has more than \(maxTensorCount) tensors, the limit")
                }
            default: break
            }
        }
    }

    /// One header entry, validated against the data buffer.
    struct Entry {
        let name: String, dtype: ScalarType, shape: [Int], begin: Int, end: Int, elements: Int

        init(name: String, json: Any, bufferSize: Int, source: String) throws {
            func fail(_ problem: String) -> CheckpointError {
                .safetensors(source: source, problem: "tensor '\(name)': \(problem)")
            }
            guard let fields = json as? [String: Any] else { throw fail("entry is not a JSON object") }
            guard let dtypeName = fields["dtype"] as? String else { throw fail("missing or non-string \"dtype\"") }
            guard let dtype = ScalarType(safetensors: dtypeName) else {
                throw CheckpointError.unsupportedDType(source: source, tensor: name, dtype: dtypeName)
            }
            guard let shape = Entry.integers(fields["shape"]), let elements = shape.checkedElementCount else {
                throw fail("missing or invalid \"shape\" (expected an array of integers in 0...2^53 whose product fits in 64 bits)")
            }
            guard let offsets = Entry.integers(fields["data_offsets"]), offsets.count == 2 else {
                throw fail("missing or invalid \"data_offsets\" (expected [begin, end], integers in 0...2^53)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= bufferSize else {
                throw fail("data_offsets [\(begin), \(end)] out of bounds of the \(bufferSize)-byte data section")
            }
            guard let expected = elements.times(dtype.byteSize), expected == end - begin else {
                throw fail("\(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(elements) × \(dtype.byteSize)")
            }
            (self.name, self.dtype, self.shape, self.begin, self.end, self.elements) = (name, dtype, shape, begin, end, elements)
        }

        /// JSON integers in 0...2^53 only: `1.5` in a shape is an error, not
        /// a 1, and larger numbers are not exact after JSONSerialization.
        static func integers(_ value: Any?) -> [Int]? {
            guard let array = value as? [Any] else { return nil }
            var result: [Int] = []
            for item in array {
                guard let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue),
                      integer >= 0, integer <= Safetensors.maxExactInteger
                else { return nil }
                result.append(integer)
            }
            return result
        }
    }
}
