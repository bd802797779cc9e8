import Foundation
import LandscapeEngine

/// The safetensors format (huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON (`{"name": {"dtype", "shape",
/// "data_offsets": [begin, end]}, "__metadata__": {String: String}}`), then
/// the tensor bytes, offsets relative to the end of the header.
public enum Safetensors {
    /// Largest header accepted: the Rust reference implementation's
    /// `MAX_HEADER_SIZE` (100 MB), so a corrupt length cannot make us
    /// allocate or parse gigabytes.
    public static let maxHeaderBytes = 100_000_000

    /// Reads every tensor as Float, in file-offset order, with `__metadata__`.
    public static func read(_ url: URL) throws -> StateDict {
        let data = try CheckpointError.readFile(url)
        return try read(data: data, source: url.path)
    }

    /// Parses safetensors bytes; `source` names the file in errors.
    public static func read(data: Data, source: String) throws -> StateDict {
        func fail(_ problem: String) -> CheckpointError { .safetensors(source: source, problem: problem) }
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
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) } catch {
            throw fail("header is not valid JSON (\(error.localizedDescription))")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: String] else { throw fail("__metadata__ is not an object of strings") }
            metadata = strings
        }
        let bufferSize = data.count - headerEnd
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            entries.append(try Entry(name: name, json: value, bufferSize: bufferSize, source: source))
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

    /// One header entry, validated against the data buffer.
    struct Entry {
        let name: String, dtype: ScalarType, shape: [Int], begin: Int, end: Int

        init(name: String, json: Any, bufferSize: Int, source: String) throws {
            func fail(_ problem: String) -> CheckpointError {
                .safetensors(source: source, problem: "tensor '\(name)': \(problem)")
            }
            guard let fields = json as? [String: Any] else { throw fail("entry is not a JSON object") }
            guard let dtypeName = fields["dtype"] as? String else { throw fail("missing or non-string \"dtype\"") }
            guard let dtype = ScalarType(safetensors: dtypeName) else {
                throw CheckpointError.unsupportedDType(source: source, tensor: name, dtype: dtypeName)
            }
            guard let shape = Entry.integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("missing or invalid \"shape\" (expected an array of non-negative integers)")
            }
            guard let offsets = Entry.integers(fields["data_offsets"]), offsets.count == 2 else {
                throw fail("missing or invalid \"data_offsets\" (expected [begin, end])")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= bufferSize else {
                throw fail("data_offsets [\(begin), \(end)] out of bounds of the \(bufferSize)-byte data section")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail("shape \(shape) overflows") }
                elements = product
            }
            let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, expected == end - begin else {
                throw fail("\(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(elements) × \(dtype.byteSize)")
            }
            (self.name, self.dtype, self.shape, self.begin, self.end) = (name, dtype, shape, begin, end)
        }

        /// JSON integers only: `1.5` in a shape is an error, not a 1.
        static func integers(_ value: Any?) -> [Int]? {
            guard let array = value as? [Any] else { return nil }
            var result: [Int] = []
            for item in array {
                guard let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue) else { return nil }
                result.append(integer)
            }
            return result
        }
    }
}
