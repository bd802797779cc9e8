import Foundation
import LandscapeCore

extension Safetensors {
    /// Safetensors' data section starts 8-byte aligned: the header is padded
    /// with spaces (what the Rust implementation does) to a multiple of this.
    static let headerAlignment = 8

    /// Writes float32 tensors in `dict` order with `dict.metadata` as
    /// `__metadata__`, atomically: the bytes go to a temporary file in the
    /// same directory, which is renamed over `url` only once complete. On
    /// any error the previous file is untouched and no temporary file remains.
    public static func write(_ dict: StateDict, to url: URL) throws {
        let header = try encodeHeader(dict, source: url.path)
        try AtomicFile.write(to: url) { file in
            try file.write(header)
            for (_, tensor) in dict.items {
                try tensor.scalars.withUnsafeBufferPointer { scalars in
                    if 1.littleEndian == 1 {
                        try file.write(UnsafeRawBufferPointer(scalars))
                    } else {
                        let swapped = scalars.map { $0.bitPattern.littleEndian }
                        try swapped.withUnsafeBytes { try file.write($0) }
                    }
                }
            }
        }
    }

    /// The length field and JSON header, padded with spaces to `headerAlignment`.
    /// Entries keep `dict` order so reading gives back the same order.
    static func encodeHeader(_ dict: StateDict, source: String) throws -> [UInt8] {
        var parts: [String] = []
        if !dict.metadata.isEmpty {
            let fields = dict.metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in dict.items {
            guard name != "__metadata__", !name.isEmpty else {
                throw CheckpointError.safetensors(source: source, problem: "tensor name '\(name)' is reserved or empty")
            }
            let end = offset + 4 * tensor.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var json = Array("{\(parts.joined(separator: ","))}".utf8)
        while json.count % headerAlignment != 0 { json.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        return bytes
    }

    /// A JSON string literal (RFC 8259 escapes; non-ASCII passes through as UTF-8).
    static func jsonString(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
