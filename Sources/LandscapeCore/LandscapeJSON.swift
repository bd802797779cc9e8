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
