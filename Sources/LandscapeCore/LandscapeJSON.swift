import Foundation

/// The project's one JSON coding: snake_case keys, sorted (stable files and
/// answers), and a number that is not finite written as `null` — JSON has no
/// NaN, and a reader is better served by "no value" than by a failed encode
/// or a string where a number belongs. Surfaces, model cards, training
/// checkpoints' metadata, the API and the event stream all encode through it.
/// The decoder's snake_case conversion leaves keys without underscores as they
/// are, so files written with camelCase keys by earlier versions still read.
public enum LandscapeJSON {
    /// JSONEncoder cannot write null for a Double, so non-finite numbers become this
    /// string first and the quoted string is then replaced by `null`. A NUL byte never
    /// occurs in our strings (names and paths are checked), so nothing else matches.
    private static let placeholder = "\u{0}non-finite"
    private static let quotedPlaceholder = Data("\"\\u0000non-finite\"".utf8)

    private static let encoder = makeEncoder(pretty: false)
    /// Indented, for files people read and edit (model cards).
    private static let prettyEncoder = makeEncoder(pretty: true)

    private static func makeEncoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: placeholder, negativeInfinity: placeholder, nan: placeholder)
        return encoder
    }

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let data = try (pretty ? prettyEncoder : encoder).encode(value)
        guard data.range(of: quotedPlaceholder) != nil else { return data }
        var result = Data(capacity: data.count)
        var rest = data[...]
        while let found = rest.range(of: quotedPlaceholder) {
            result.append(rest[rest.startIndex..<found.lowerBound])
            result.append(contentsOf: Array("null".utf8))
            rest = rest[found.upperBound...]
        }
        result.append(rest)
        return result
    }
}

extension LandscapeJSON {
    /// Plain values (numbers, strings, arrays, structs of them) as one line of JSON text, for
    /// metadata fields. Such values cannot fail to encode: non-finite numbers become null.
    public static func text<T: Encodable>(_ value: T) -> String {
        // A failure here would be a programming error (a custom encode(to:) that throws).
        String(decoding: try! encode(value), as: UTF8.self)
    }
}

extension LandscapeJSON {
    /// A decoding failure in a reader's words: which field (as written in the file, `progress.computed`)
    /// and what was wrong, instead of Foundation's `DecodingError.dataCorrupted(...)` dump.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            let named = keys.map { $0.intValue.map { "[\($0)]" } ?? "." + snakeCase($0.stringValue) }.joined()
            return named.hasPrefix(".") ? String(named.dropFirst()) : named
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = path(context.codingPath)
            return "field '\(parent.isEmpty ? "" : parent + ".")\(snakeCase(key.stringValue))' is missing"
        case let .typeMismatch(type, context):
            return "field '\(path(context.codingPath))': expected \(typeName(type))"
        case let .valueNotFound(type, context):
            return "field '\(path(context.codingPath))' is null: expected \(typeName(type))"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type, is Int.Type, is UInt64.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "a \(name)"
        }
    }

    /// The key as the file spells it (the encoder's snake_case).
    private static func snakeCase(_ key: String) -> String {
        var out = ""
        for (i, c) in key.enumerated() {
            if c.isUppercase, i > 0 { out += "_" }
            out += c.lowercased()
        }
        return out
    }
}
