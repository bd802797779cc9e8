import Foundation
import Landscape
import LandscapePictures
import LandscapeRender
import LandscapeExport

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

    /// A path id: what `Catalog` and `JobQueue` accept (anything else is 400 or 404).
    private static func path(_ name: String, description: String) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "description": description,
         "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"]]
    }

    private static func query(_ name: String, _ schema: [String: Any], _ description: String) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "description": description, "schema": schema]
    }

    private static func integer(_ range: ClosedRange<Int>, default value: Int? = nil) -> [String: Any] {
        var schema: [String: Any] = ["type": "integer", "minimum": range.lowerBound, "maximum": range.upperBound]
        if let value { schema["default"] = value }
        return schema
    }

    private static var number: [String: Any] { ["type": "number"] }

    /// Statuses every API route may answer besides its own (HTTPServer's limits and failures).
    private static var serverStatuses: [String: String] { ["413": "body too large", "414": "request line too long",
                                         "431": "headers too large", "503": "too many connections (Retry-After)"] }

    private static func withServerStatuses(_ responses: [String: String]) -> [String: String] {
        responses.merging(serverStatuses) { own, _ in own }
    }

    /// One activation spelling (nish takes a positive parameter), as `Activation(parsing:)` reads it.
    private static let activationPattern = "(relu|swish|mish|gelu|elu|leaky_relu|softplus|tanh|nish(:[1-9][0-9]{0,2}(\\.[0-9]{1,3})?)?)"
    /// LOW:HIGH within ±10,000 (LOW < HIGH is checked by the server: 400).
    private static let rangePattern = "^-?[0-9]{1,4}(\\.[0-9]{1,3})?:-?[0-9]{1,4}(\\.[0-9]{1,3})?$"

    private static func activationList(_ name: String, _ description: String) -> [String: Any] {
        query(name, ["type": "string", "pattern": "^\(activationPattern)(,\(activationPattern)){0,\(Pictures.maximumActivations - 1)}$"],
              description)
    }

    /// The picture query, made from the library's render spec (its fields, defaults and limits) plus `compare`.
    static var pictureParameters: [[String: Any]] {
        RenderSpec.fields().map(parameter) + [
            query("compare", ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,\(RenderSpec.maximumSurfaces - 2)}$"],
                  "up to \(RenderSpec.maximumSurfaces - 1) more surface ids drawn beside this one on one colour scale"),
        ]
    }

    /// GET /api/surfaces/{id}.{png,svg,pdf} (the picture query) and .{csv,npz,h5,vts,vtp,obj,ply} (ExportSpec's
    /// query for the height fields): attachments named `<model>-<id>.<ext>`, in the bounded render slots.
    static var downloadPaths: [String: Any] {
        var paths: [String: Any] = [:]
        for format in PictureFormat.allCases {
            paths["/api/surfaces/{id}.\(format.rawValue)"] = ["get": download(
                "A surface (or, with compare, several side by side on one colour scale) drawn as \(format.rawValue.uppercased()) "
                    + "through cairo (cached, ETag)", contentType: format.contentType, parameters: pictureParameters)]
        }
        for format in ExportFormat.allCases {
            let heightField = [.vtp, .obj, .ply].contains(format)
            let what: String
            switch format {
            case .h5: what = "Li et al.'s HDF5 surface layout (xcoordinates, ycoordinates, <split>_loss, <split>_acc in percent, dir_file = <model>-<id>.directions.h5: fetch that path beside it)"
            case .csv: what = "CSV, long form: x, y, loss, accuracy, loss_stderr, diverged; one row per point"
            case .npz: what = "NumPy .npz of arrays shaped like np.meshgrid(x, y)"
            case .vts: what = "VTK XML structured grid with loss and accuracy point data"
            case .vtp: what = "VTK XML poly data as Li et al.'s h52vtp.py writes it (zmax, log)"
            case .obj: what = "Wavefront OBJ mesh of the height field (2D surfaces)"
            case .ply: what = "Stanford PLY (ASCII) mesh of the height field (2D surfaces)"
            }
            paths["/api/surfaces/{id}.\(format.rawValue)"] = ["get": download(
                "A surface exported as " + what, contentType: format.contentType,
                parameters: heightField ? ExportSpec.fields().map(parameter) : [])]
        }
        return paths
    }

    private static func download(_ summary: String, contentType: String, parameters: [[String: Any]]) -> [String: Any] {
        let mediaType = String(contentType.split(separator: ";")[0])
        var responses: [String: Any] = withServerStatuses(["304": "not modified", "404": "unknown surface",
                                                           "503": "every render slot busy (Retry-After)"]).mapValues { ["description": $0] }
        responses["400"] = ["description": "a malformed id, a refused option (the message names it), or a surface that cannot be drawn or exported so"]
        responses["200"] = ["description": "\(mediaType), Content-Disposition: attachment; filename=\"<model>-<id>.<ext>\"",
                            "headers": ["Content-Disposition": ["schema": ["type": "string"], "description": "attachment with the file name"]],
                            "content": [mediaType: ["schema": ["type": "string", "format": "binary"]]]]
        return ["summary": summary, "parameters": [path("id", description: "surface id")] + parameters, "responses": responses]
    }

    /// GET /api/trajectories, /api/trajectories/{id} (the JSON) and /api/trajectories/{id}.png (TrajectoryRoutes).
    static var trajectoryPaths: [String: Any] {
        let id = path("id", description: "trajectory id (its content key, as the list gives it)")
        return [
            "/api/trajectories": ["get": operation(
                "Training paths with their PCA planes: id, final model, snapshot count, explained variance "
                    + "(a surface in one's plane: POST /api/surfaces with directions pca and its id)",
                responses: withServerStatuses(["200": "{trajectories: [...]}"]))],
            "/api/trajectories/{id}": ["get": operation(
                "A trajectory as `landscape trajectory` writes it: explained variance, each snapshot's step, epoch, "
                    + "coordinates and (when evaluated) test loss and accuracy (id.json is the same)",
                parameters: [id], responses: withServerStatuses(["200": "trajectory JSON", "304": "not modified",
                                                                 "400": "malformed id", "404": "unknown trajectory"]))],
            "/api/trajectories/{id}.png": ["get": operation(
                "Loss (log) and accuracy of every snapshot along the path, over epochs (cached, ETag)",
                parameters: [id, query("width", integer(RenderSpec.sizeRange, default: TrajectoryRoutes.defaultWidth), "pixels"),
                             query("height", integer(RenderSpec.sizeRange, default: TrajectoryRoutes.defaultHeight), "pixels")],
                responses: withServerStatuses(["200": "image/png", "304": "not modified", "400": "malformed id or size",
                                               "404": "unknown trajectory, or one whose snapshots record no loss",
                                               "503": "every render slot busy (Retry-After)"]))],
        ]
    }

    /// A query parameter from a spec field (type, enum, bounds, default).
    private static func parameter(_ field: SpecField) -> [String: Any] {
        var schema: [String: Any] = ["type": field.type]
        if let allowed = field.allowed { schema["enum"] = allowed }
        if let minimum = field.minimum { schema["minimum"] = minimum }
        if let maximum = field.maximum { schema["maximum"] = maximum }
        if field.exclusiveMinimum { schema["exclusiveMinimum"] = true }
        if let value = field.defaultValue {
            switch field.type {
            case "integer": schema["default"] = Int(value)
            case "number": schema["default"] = Double(value)
            case "boolean": schema["default"] = value == "true"
            default: schema["default"] = value
            }
        }
        return query(field.name, schema, field.description)
    }

    /// `models` and `datasets`: the ids this server knows, so the schema names what a request may really ask for.
    static func document(limits: SurfaceLimits, hessianLimits: HessianLimits = HessianLimits(),
                         studyLimits: SeedStudyLimits = SeedStudyLimits(), models: [String],
                         datasets: [String]) -> [String: Any] { [
        "openapi": "3.0.3",
        "info": ["title": "landscape", "version": "0.1.0",
                 "description": "Loss landscapes of CIFAR ResNets (Li et al. 2018): models, surfaces, jobs, pictures. "
                    + "Errors are JSON {error, detail}."],
        "paths": ([
            "/api/models": ["get": operation("Shipped models with their model cards", responses: withServerStatuses(["200": "{models: [...]}"]))],
            "/api/datasets": ["get": operation("Datasets surfaces can be computed on", responses: withServerStatuses(["200": "{datasets: [...]}"]))],
            "/api/limits": ["get": operation("Caps and defaults the page's forms use (from the same spec as the checks)",
                                             responses: withServerStatuses(["200": "{max_models, max_grid_points, ...}"]))],
            "/api/surfaces": [
                "get": operation("Computed and in-progress surfaces", responses: withServerStatuses(["200": "{surfaces: [...]}"])),
                "post": operation("Request surfaces (one per model, shared directions)",
                                  responses: withServerStatuses([
                                      "200": "already computed: {job}", "202": "queued: {job}",
                                      "400": "a field is refused (the message names it)", "404": "unknown model",
                                      "429": "job queue full (Retry-After)",
                                      "503": "store read-only, or too many connections", "507": "disk full"]),
                                  body: "#/components/schemas/SurfaceRequest"),
            ],
            "/api/surfaces/{id}": ["get": operation("A surface as a JSON grid (null = not yet computed or diverged)",
                                                    parameters: [path("id", description: "surface id (id.json is the same; id.png, .svg, .pdf and the export formats are their own paths)")],
                                                    responses: withServerStatuses(["200": "surface JSON or image/png", "304": "not modified",
                                                                                   "400": "malformed id or picture option",
                                                                                   "404": "unknown surface",
                                                                                   "503": "every render slot busy (Retry-After)"]))],
            "/api/surfaces/{id}.directions.h5": ["get": download(
                "Li et al.'s direction file (xdirection/ydirection groups, one dataset per parameter) that the surface's "
                    + ".h5 names as dir_file; 404 when the surface has no directions on the server",
                contentType: ExportFormat.h5.contentType, parameters: [])],
            "/api/jobs": ["get": operation("Jobs (running, queued and the last finished ones)", responses: withServerStatuses(["200": "{jobs: [...]}"]))],
            "/api/jobs/{id}": [
                "get": operation("Job status and progress", parameters: [path("id", description: "job id")],
                                 responses: withServerStatuses(["200": "{job}", "404": "unknown (or forgotten) job"])),
                "delete": operation("Cancel a job", parameters: [path("id", description: "job id")],
                                    responses: withServerStatuses(["200": "{job}", "404": "unknown (or forgotten) job"])),
            ],
            "/api/jobs/{id}/events": ["get": operation("Server-Sent Events: progress, point, done | failed | cancelled",
                                                       parameters: [path("id", description: "job id")],
                                                       responses: withServerStatuses(["200": "text/event-stream", "404": "unknown job"]))],
            "/api/activations.json": ["get": operation("f, f', f'' of activations with their minima",
                                                       parameters: [activationList("names", "comma-separated, default relu,swish,mish"),
                                                                    query("range", ["type": "string", "pattern": rangePattern], "LOW:HIGH, default -5:5"),
                                                                    query("points", integer(2...ActivationQuery.maximumPoints, default: 401), "samples")],
                                                       responses: withServerStatuses(["200": "{x, activations}", "400": "malformed option"]))],
            "/api/activations.png": ["get": operation("The activation explorer as PNG",
                                                      parameters: [activationList("names", "comma-separated"),
                                                                   query("range", ["type": "string", "pattern": rangePattern], "LOW:HIGH"),
                                                                   query("points", integer(2...ActivationQuery.maximumPoints, default: 401), "samples"),
                                                                   query("width", integer(RenderSpec.sizeRange, default: 1200), "pixels"),
                                                                   query("height", integer(RenderSpec.sizeRange, default: 420), "pixels")],
                                                      responses: withServerStatuses(["200": "image/png", "304": "not modified",
                                                                                     "400": "malformed option",
                                                                                     "503": "every render slot busy (Retry-After)"]))],
            "/api/output-landscape.png": ["get": operation("Output landscapes of random 2-64-32-16-1 networks (Mish paper)",
                                                           parameters: [activationList("activations", "comma-separated"),
                                                                        query("seed", ["type": "integer", "minimum": 0], "network seed"),
                                                                        query("size", integer(2...PictureRoutes.maximumOutputLandscapeSize, default: OutputLandscape.defaultPictureSize), "pixels per side"),
                                                                        query("height", integer(RenderSpec.sizeRange, default: 440), "pixels"),
                                                                        query("range", ["type": "string", "pattern": rangePattern], "input range LOW:HIGH"),
                                                                        query("cmap", ["type": "string", "enum": Colormap.allCases.map(\.rawValue) + ["grey", "gray"]], "colour map")],
                                                           responses: withServerStatuses(["200": "image/png", "304": "not modified",
                                                                                          "400": "malformed option",
                                                                                          "503": "every render slot busy (Retry-After)"]))],
            "/api/output-landscape.json": ["get": operation("One output landscape as a grid",
                                                            parameters: [query("activation", ["type": "string", "pattern": "^\(activationPattern)$"], "e.g. mish"),
                                                                         query("seed", ["type": "integer", "minimum": 0], "network seed"),
                                                                         query("size", integer(2...PictureRoutes.maximumOutputLandscapeSize, default: OutputLandscape.defaultDataSize), "points per side"),
                                                                         query("range", ["type": "string", "pattern": rangePattern], "LOW:HIGH")],
                                                            responses: withServerStatuses(["200": "{coordinates, values}", "400": "malformed option"]))],
            "/api/openapi.json": ["get": operation("This document", responses: withServerStatuses(["200": "OpenAPI 3.0"]))],
        ] as [String: Any]).merging(downloadPaths) { own, _ in own }.merging(hessianPaths) { own, _ in own }
            .merging(trajectoryPaths) { own, _ in own }
            .merging(studyPaths) { own, _ in own },
        "components": ["schemas": ["SurfaceRequest": surfaceRequestSchema(limits: limits, models: models, datasets: datasets),
                                   "HessianRequest": requestSchema(HessianSpec.fields(limits: hessianLimits), models: models,
                                                                   datasets: datasets),
                                   "StudyRequest": requestSchema(SeedStudySpec.fields(limits: studyLimits), models: models,
                                                                 datasets: datasets)]],
    ] }

    /// POST /api/hessian (a job on the shared queue) and the stored runs.
    static var hessianPaths: [String: Any] {
        let run = path("id", description: "Hessian run id (the job's hessian_id)")
        let png: [String: Any] = ["description": "image/png", "content": ["image/png": ["schema": ["type": "string", "format": "binary"]]]]
        func picture(_ summary: String) -> [String: Any] {
            var responses: [String: Any] = withServerStatuses(["304": "not modified", "400": "malformed id",
                                                              "404": "unknown or unfinished run, or nothing of that kind to draw",
                                                              "503": "every render slot busy (Retry-After), or store unreadable"])
                .mapValues { ["description": $0] }
            responses["200"] = png
            return ["get": ["summary": summary, "parameters": [run], "responses": responses]]
        }
        return [
            "/api/hessian": [
                "get": operation("Finished Hessian runs (what each computed), and the spectra shipped with the models (Models/hessian, read only)",
                                 responses: withServerStatuses(["200": "{hessian: [...], shipped: [...], shipped_problems: [...]}"])),
                "post": operation("Request Hessian spectra (top eigenvalues, trace, density; one per model, same images): "
                                    + "a job on the surfaces' queue, with progress, events and cancel at /api/jobs/{id}",
                                  responses: withServerStatuses([
                                      "200": "already computed: {job} (job.hessian_id names the run)", "202": "queued: {job}",
                                      "400": "a field is refused (the message names it)", "404": "unknown model",
                                      "422": "over one of this server's caps (the message names it)",
                                      "429": "job queue full (Retry-After)",
                                      "503": "store read-only, or too many connections", "507": "disk full"]),
                                  body: "#/components/schemas/HessianRequest"),
            ],
            "/api/hessian/{id}": ["get": operation(
                "A finished run: {run, spectra} with every model's spectrum as `landscape hessian` writes it "
                    + "(id.json is the same; id.png is the eigenvalues picture)",
                parameters: [run],
                responses: withServerStatuses(["200": "{run, spectra}", "400": "malformed id", "404": "unknown or unfinished run",
                                               "503": "store unreadable"]))],
            "/api/hessian/{id}.png": picture("Top eigenvalues of every model of a run, side by side"),
            "/api/hessian/{id}/density.png": picture("Eigenvalue densities of every model of a run on one log axis"),
            "/api/hessian/{id}/{model}.eigenvectors.safetensors": ["get": [
                "summary": "One model's top eigenvectors as the run wrote them (safetensors: tensors named as in the model, "
                    + "eigenvector<i>.<name>; the spectrum's top_eigenvectors file)",
                "parameters": [run, path("model", description: "model name, as in the run's spectra (spectra[].model.name)")],
                "responses": ({
                    var responses: [String: Any] = withServerStatuses([
                        "400": "malformed id", "404": "unknown or unfinished run, no such model in it, run with top 0, or a shipped run whose eigenvectors are not shipped",
                        "503": "store unreadable"]).mapValues { ["description": $0] }
                    responses["200"] = ["description": "application/octet-stream, Content-Disposition: attachment; "
                                            + "filename=\"<id>-<model>.eigenvectors.safetensors\"",
                                        "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]]
                    return responses
                })(),
            ]],
        ]
    }

    /// POST /api/studies (a job on the shared queue) and the stored seed studies.
    static var studyPaths: [String: Any] {
        let study = path("id", description: "seed study id (the job's study_id)")
        var pictureResponses: [String: Any] = withServerStatuses(["304": "not modified", "400": "malformed id",
                                                                  "404": "unknown or unfinished study",
                                                                  "503": "every render slot busy (Retry-After), or store unreadable"])
            .mapValues { ["description": $0] }
        pictureResponses["200"] = ["description": "image/png", "content": ["image/png": ["schema": ["type": "string", "format": "binary"]]]]
        return [
            "/api/studies": [
                "get": operation("Finished seed studies (seeds, models, the paired comparisons' sentences), and those shipped with "
                                    + "the models (Models/studies, read only)",
                                 responses: withServerStatuses(["200": "{studies: [...], shipped: [...], shipped_problems: [...]}"])),
                "post": operation("Request a seed study: the surfaces of every seed (each an ordinary surface), then per model the "
                                    + "widths and curvatures over seeds and per pair the paired comparison; a job on the surfaces' "
                                    + "queue, with progress, events and cancel at /api/jobs/{id}",
                                  responses: withServerStatuses([
                                      "200": "already computed: {job} (job.study_id names the study)", "202": "queued: {job}",
                                      "400": "a field is refused (the message names it)", "404": "unknown model",
                                      "422": "over this server's seed cap (the message names it)",
                                      "429": "job queue full (Retry-After)",
                                      "503": "store read-only, or too many connections", "507": "disk full"]),
                                  body: "#/components/schemas/StudyRequest"),
            ],
            "/api/studies/{id}": ["get": operation(
                "A finished study as `landscape surface --seeds` writes it (id.json is the same; id.png is the strip plot)",
                parameters: [study],
                responses: withServerStatuses(["200": "study JSON", "400": "malformed id", "404": "unknown or unfinished study",
                                               "503": "store unreadable"]))],
            "/api/studies/{id}.png": ["get": ["summary": "The study's strip plot: per model one dot per seed, mean and interval",
                                              "parameters": [study], "responses": pictureResponses]],
        ]
    }

    /// The request body's schema, made from the library's spec: its fields, defaults and limits.
    static func surfaceRequestSchema(limits: SurfaceLimits, models: [String], datasets: [String]) -> [String: Any] {
        requestSchema(SurfaceSpec.fields(limits: limits), models: models, datasets: datasets)
    }

    /// A request body's schema from a spec's fields.
    static func requestSchema(_ fields: [SpecField], models: [String], datasets: [String]) -> [String: Any] {
        var properties: [String: Any] = [:]
        for field in fields {
            var property: [String: Any] = ["type": field.type, "description": field.description]
            if let allowed = field.allowed { property["enum"] = allowed }
            switch field.type {
            case "array":
                property["items"] = models.isEmpty ? ["type": "string"] : ["type": "string", "enum": models]
                property["uniqueItems"] = true
                property["minItems"] = field.minimum
                property["maxItems"] = field.maximum
            case "integer":
                property["minimum"] = field.minimum
                property["maximum"] = field.maximum
                if let value = field.defaultValue { property["default"] = Int(value) }
            case "boolean":
                if let value = field.defaultValue { property["default"] = value == "true" }
            case "number":
                if let allowed = field.allowed { property["enum"] = allowed.compactMap(Double.init) }
                if let value = field.defaultValue.flatMap(Double.init) { property["default"] = value }
            default:
                if let value = field.defaultValue { property["default"] = value }
                if field.name == "x" || field.name == "y" {
                    // START:END:COUNT within the coordinate cap (START < END and the point cap are checked: 400).
                    property["pattern"] = #"^-?[0-9]{1,3}(\.[0-9]{1,3})?:-?[0-9]{1,3}(\.[0-9]{1,3})?:([2-9]|[1-9][0-9])$"#
                    property["example"] = SurfaceSpec.defaultAxis
                }
                if field.name == "dataset", !datasets.isEmpty { property["enum"] = datasets }
                if field.name == "trajectory" { property["pattern"] = TrajectoryPlaneRequest.idPattern }
            }
            if !field.required && field.requiredUnless == nil {
                // The decoders read null as "left out" (the default): say so, or a client's null is "invalid data accepted".
                property["nullable"] = true
            }
            if field.name == "seeds" { property = seedsSchema(field) }
            properties[field.name] = property.compactMapValues { $0 }
        }
        var schema: [String: Any] = ["type": "object", "required": fields.filter(\.required).map(\.name), "properties": properties,
                                     "additionalProperties": false]
        // A field required unless another is given (x, unless a trajectory is named): one of the two must be there.
        let conditional = fields.compactMap { field in field.requiredUnless.map { [field.name, $0] } }
        if !conditional.isEmpty {
            schema["allOf"] = conditional.map { pair in ["anyOf": pair.map { ["required": [$0]] }] }
        }
        return schema
    }

    /// A seed study's `seeds`: the command line's text (START:END or a list) or an array of distinct integers.
    static func seedsSchema(_ field: SpecField) -> [String: Any] {
        var array: [String: Any] = ["type": "array", "items": ["type": "integer", "minimum": 0], "uniqueItems": true]
        array["minItems"] = field.minimum
        array["maxItems"] = field.maximum
        return ["description": field.description, "oneOf": [
            ["type": "string", "pattern": #"^[0-9]{1,19}(:[0-9]{1,19}|(,[0-9]{1,19})+)$"#, "example": "0:19"], array,
        ]]
    }

    static func data(limits: SurfaceLimits, hessianLimits: HessianLimits = HessianLimits(), studyLimits: SeedStudyLimits = SeedStudyLimits(),
                     models: [String], datasets: [String]) -> Data {
        (try? JSONSerialization.data(withJSONObject: document(limits: limits, hessianLimits: hessianLimits, studyLimits: studyLimits,
                                                              models: models, datasets: datasets),
                                     options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
