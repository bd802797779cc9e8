import Foundation
import Landscape

extension ExportSpec {
    /// The options of the height-field formats (vtp, obj, ply), with their types and defaults:
    /// what the OpenAPI document lists for those downloads.
    public static func fields() -> [SpecField] {
        let defaults = ExportSpec()
        return [
            SpecField(name: "metric", type: "string", description: "the height: loss, or accuracy in percent",
                      defaultValue: defaults.metric.rawValue, allowed: ExportMetric.allCases.map(\.rawValue)),
            SpecField(name: "zmax", type: "number", description: "clip heights above this (h52vtp.py's --zmax; > 0)",
                      minimum: 0, exclusiveMinimum: true),
            SpecField(name: "log", type: "boolean", description: "height ln(value + 0.1) (h52vtp.py's --log)",
                      defaultValue: String(defaults.log)),
        ]
    }

    /// The API's query form of an export (`GET /api/surfaces/{id}.vtp?zmax=10&log=1`), the format
    /// coming from the path's extension; checked by the same `validated(output:)` as the CLI's
    /// flags, so a height option on csv, or a zmax ≤ 0, is refused naming the field.
    public static func decode(query: [String: String], format: ExportFormat) throws(SpecError) -> ExportSpec {
        var spec = ExportSpec(format: format)
        if let text = query["metric"], !text.isEmpty { spec.metric = try SpecError.choice(text, field: "metric") }
        if let text = query["zmax"], !text.isEmpty {
            guard let value = Double(text), value.isFinite else { throw SpecError("zmax", "'\(text)' is not a finite number") }
            spec.zMax = value
        }
        if let text = query["log"]?.lowercased(), !text.isEmpty {
            switch text {
            case "1", "true", "yes": spec.log = true
            case "0", "false", "no": spec.log = false
            default: throw SpecError("log", "'\(text)': expected 1 or 0 (true/false), or leave it out")
            }
        }
        _ = try spec.validated(output: "download.\(format.rawValue)")
        return spec
    }
}
