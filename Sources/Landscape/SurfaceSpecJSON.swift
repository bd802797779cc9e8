import Foundation

// MARK: - The API's JSON form, written

extension SurfaceSpec {
    /// The spec as the JSON object `decode(json:)` reads (the API's fields, snake_case), so a
    /// request crosses a process boundary (`serve --launcher` → `landscape surface --spec FILE`)
    /// without being re-encoded into flags: `SurfaceSpec.decode(json: spec.json()) == spec`.
    /// Fields left at nil are left out; axes are written with Swift's round-tripping doubles.
    public func json() throws -> Data {
        var object: [String: Any] = ["models": models, "x": Self.axisText(x)]
        if let y { object["y"] = Self.axisText(y) }
        if let dataset { object["dataset"] = dataset }
        if let split { object["split"] = split.rawValue }
        if let samples { object["samples"] = samples }
        object["subset"] = subset.rawValue
        object["subset_seed"] = NSNumber(value: subsetSeed)
        object["seed"] = NSNumber(value: directions.seed)
        object["norm"] = directions.normalization.rawValue
        object["ignore"] = directions.ignore.rawValue
        object["mode"] = directions.mode.rawValue
        object["bn_mode"] = bnMode.rawValue
        if let bnBatches { object["bn_batches"] = bnBatches }
        if let bnBatchSize { object["bn_batch_size"] = bnBatchSize }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// `START:END:COUNT`, as `GridAxis(parsing:)` reads it, exactly.
    static func axisText(_ axis: GridAxis) -> String { "\(axis.start):\(axis.end):\(axis.count)" }
}
