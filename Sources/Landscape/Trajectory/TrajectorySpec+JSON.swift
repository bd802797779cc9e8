import Foundation

// MARK: - The API's JSON form

extension TrajectorySpec {
    /// Decodes a JSON body (snake_case fields as in `fields(limits:)`) into the spec the CLI builds from
    /// its flags, naming the field of any error; `validated(limits:)` then checks the files.
    public static func decode(json body: Data) throws -> TrajectorySpec {
        guard !body.isEmpty else { throw SpecError("body", "empty: expected a JSON object with snapshots and model") }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw SpecError("body", "expected a JSON object")
            }
            object = parsed
        } catch let error as SpecError { throw error } catch {
            throw SpecError("body", "not valid JSON")
        }
        let known = Set(fields(limits: TrajectoryLimits()).map(\.name))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw SpecError(unknown, "unknown field: expected one of \(known.sorted().joined(separator: ", "))")
        }
        let reader = JSONFields(object)
        guard let snapshots = try reader.string("snapshots") else {
            throw SpecError("snapshots", "required: the directory of `landscape train --snapshots`")
        }
        guard let model = try reader.string("model") else { throw SpecError("model", "required: the final model's file") }
        var spec = TrajectorySpec(snapshots: snapshots, model: model)
        spec.mode = try reader.choice("mode") ?? spec.mode
        spec.ignore = try reader.choice("ignore") ?? spec.ignore
        spec.method = try reader.choice("method") ?? spec.method
        return spec
    }
}
