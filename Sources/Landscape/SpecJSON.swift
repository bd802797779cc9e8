import Foundation

/// Typed reads of a decoded JSON object whose errors name the field (every spec's `decode(json:)` uses it).
struct JSONFields {
    let object: [String: Any]
    init(_ object: [String: Any]) { self.object = object }

    func value(_ name: String) -> Any? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        return value
    }

    /// JSON true/false (`is Bool` also holds for the numbers 0 and 1 on Linux, so ask the number's type).
    func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    func string(_ name: String) throws -> String? {
        guard let value = value(name) else { return nil }
        guard let text = value as? String else { throw SpecError(name, "expected a string") }
        return text
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = value(name) else { return nil }
        guard let list = value as? [Any], let texts = list as? [String] else { throw SpecError(name, "expected an array of strings") }
        return texts
    }

    /// An integer that fits Int: 2.5, 1e30, true and "5" are refused, never truncated or coerced.
    func integer(_ name: String) throws -> Int? {
        guard let value = value(name) else { return nil }
        guard !isBoolean(value), let integer = value as? Int else { throw SpecError(name, "expected an integer, got \(value)") }
        return integer
    }

    func seed(_ name: String) throws -> UInt64? {
        guard let value = value(name) else { return nil }
        guard !isBoolean(value), let seed = value as? UInt64 else { throw SpecError(name, "expected a non-negative integer, got \(value)") }
        return seed
    }

    func axis(_ name: String) throws -> GridAxis? {
        guard let text = try string(name) else { return nil }
        do { return try GridAxis(parsing: text) } catch { throw SpecError(name, "\(error)") }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String) throws -> T? where T.RawValue == String {
        try string(name).map { try SpecError.choice($0, field: name) }
    }
}

extension JSONFields {
    /// The body of an API request as a JSON object whose every key is one of `known`: empty,
    /// malformed or non-object bodies and unknown fields are refused naming the problem (one
    /// implementation for every spec's `decode(json:)`).
    static func object(_ body: Data, known: Set<String>, expecting: String) throws -> [String: Any] {
        guard !body.isEmpty else { throw SpecError("body", "empty: expected a JSON object with \(expecting)") }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: body) } catch { throw SpecError("body", "not valid JSON") }
        guard let object = parsed as? [String: Any] else { throw SpecError("body", "expected a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw SpecError(unknown, "unknown field: expected one of \(known.sorted().joined(separator: ", "))")
        }
        return object
    }

    init(body: Data, known: Set<String>, expecting: String) throws {
        self.init(try JSONFields.object(body, known: known, expecting: expecting))
    }
}
