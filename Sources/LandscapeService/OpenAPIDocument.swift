import Foundation
import Landscape

/// The OpenAPI 3.0 description served at /api/openapi.json. Kept next to the
/// routes so a new route and its documentation change together.
enum OpenAPIDocument {
    private static func operation(_ summary: String, parameters: [[String: Any]] = [], responses: [String: String],
                                  body: String? = nil) -> [String: Any] {
        var op: [String: Any] = [
            "summary": summary,
            "responses": responses.mapValues { ["description": $0] },
        ]
        if !parameters.isEmpty { op["parameters"] = parameters }
        if let body {
            op["requestBody"] = ["required": true, "content": ["application/json": ["schema": ["$ref": body]]]]
        }
        return op
    }

    private static func path(_ name: String, description: String) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "description": description, "schema": ["type": "string"]]
    }

    private static func query(_ name: String, _ type: String, _ description: String) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "description": description, "schema": ["type": type]]
    }

    static var pictureParameters: [[String: Any]] { [
        query("kind", "string", "contour | filled | heatmap | surface3d | line (default contour)"),
        query("width", "integer", "pixels, 64...4096 (default 800)"),
        query("height", "integer", "pixels, 64...4096 (default 600)"),
        query("vmin", "number", "lowest contour level / colour"), query("vmax", "number", "highest level / colour"),
        query("vlevel", "number", "level spacing"), query("log", "boolean", "log-scale the loss"),
        query("cmap", "string", "viridis | magma | coolwarm | summer"),
        query("azimuth", "number", "3D view azimuth in degrees"), query("elevation", "number", "3D view elevation in degrees"),
    ] }

    static func document(limits: SurfaceLimits) -> [String: Any] { [
        "openapi": "3.0.3",
        "info": ["title": "landscape", "version": "0.1.0",
                 "description": "Loss landscapes of CIFAR ResNets (Li et al. 2018): models, surfaces, jobs, pictures."],
        "paths": [
            "/api/models": ["get": operation("Shipped models with their model cards", responses: ["200": "{models: [...]}"])],
            "/api/datasets": ["get": operation("Datasets surfaces can be computed on", responses: ["200": "{datasets: [...]}"])],
            "/api/surfaces": [
                "get": operation("Computed and in-progress surfaces", responses: ["200": "{surfaces: [...]}"]),
                "post": operation("Request surfaces (one per model, shared directions)",
                                  responses: ["200": "already computed: {job}", "202": "queued: {job}",
                                              "400": "invalid request", "429": "job queue full (Retry-After)"],
                                  body: "#/components/schemas/SurfaceRequest"),
            ],
            "/api/surfaces/{id}": ["get": operation("A surface as a JSON grid (null = not yet computed)",
                                                    parameters: [path("id", description: "surface id")],
                                                    responses: ["200": "surface JSON", "404": "unknown surface"])],
            "/api/surfaces/{id}.png": ["get": operation("A surface rendered as PNG (cached, ETag)",
                                                        parameters: [path("id", description: "surface id")] + pictureParameters,
                                                        responses: ["200": "image/png", "304": "not modified"])],
            "/api/jobs": ["get": operation("Jobs", responses: ["200": "{jobs: [...]}"])],
            "/api/jobs/{id}": [
                "get": operation("Job status and progress", parameters: [path("id", description: "job id")], responses: ["200": "{job}"]),
                "delete": operation("Cancel a job", parameters: [path("id", description: "job id")], responses: ["200": "{job}"]),
            ],
            "/api/jobs/{id}/events": ["get": operation("Server-Sent Events: progress, point, done | failed | cancelled",
                                                       parameters: [path("id", description: "job id")],
                                                       responses: ["200": "text/event-stream"])],
            "/api/activations.json": ["get": operation("f, f', f'' of activations with their minima",
                                                       parameters: [query("names", "string", "comma-separated, e.g. relu,swish,mish"),
                                                                    query("range", "string", "LOW:HIGH, default -5:5"),
                                                                    query("points", "integer", "samples, default 401")],
                                                       responses: ["200": "{x, activations}"])],
            "/api/activations.png": ["get": operation("The activation explorer as PNG",
                                                      parameters: [query("names", "string", "comma-separated"),
                                                                   query("range", "string", "LOW:HIGH")],
                                                      responses: ["200": "image/png"])],
            "/api/output-landscape.png": ["get": operation("Output landscapes of random 2-64-32-16-1 networks (Mish paper)",
                                                           parameters: [query("activations", "string", "comma-separated"),
                                                                        query("seed", "integer", "network seed"),
                                                                        query("size", "integer", "pixels per side"),
                                                                        query("range", "string", "input range LOW:HIGH")],
                                                           responses: ["200": "image/png"])],
            "/api/output-landscape.json": ["get": operation("One output landscape as a grid",
                                                            parameters: [query("activation", "string", "e.g. mish"),
                                                                         query("seed", "integer", "network seed"),
                                                                         query("size", "integer", "points per side"),
                                                                         query("range", "string", "LOW:HIGH")],
                                                            responses: ["200": "{coordinates, values}"])],
        ],
        "components": ["schemas": ["SurfaceRequest": surfaceRequestSchema(limits: limits)]],
    ] }

    /// The request body's schema, made from the library's spec: its fields, defaults and limits.
    static func surfaceRequestSchema(limits: SurfaceLimits) -> [String: Any] {
        let fields = SurfaceSpec.fields(limits: limits)
        var properties: [String: Any] = [:]
        for field in fields {
            var property: [String: Any] = ["type": field.type, "description": field.description]
            if let allowed = field.allowed { property["enum"] = allowed }
            switch field.type {
            case "array":
                property["items"] = ["type": "string"]
                property["minItems"] = field.minimum
                property["maxItems"] = field.maximum
            case "integer":
                property["minimum"] = field.minimum
                property["maximum"] = field.maximum
                if let value = field.defaultValue { property["default"] = Int(value) }
            default:
                if let value = field.defaultValue { property["default"] = value }
                if field.name == "x" || field.name == "y" {
                    property["pattern"] = #"^\s*-?[0-9.eE+-]+\s*:\s*-?[0-9.eE+-]+\s*:\s*[0-9]+\s*$"#
                    property["example"] = SurfaceSpec.defaultAxis
                }
            }
            properties[field.name] = property.compactMapValues { $0 }
        }
        return ["type": "object", "required": fields.filter(\.required).map(\.name), "properties": properties,
                "additionalProperties": false]
    }

    static func data(limits: SurfaceLimits) -> Data {
        (try? JSONSerialization.data(withJSONObject: document(limits: limits), options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
