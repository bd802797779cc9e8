import Foundation
import Landscape
import LandscapeCore
import LandscapeEngine
import LandscapeIO
import LandscapeService
import XCTest

/// Hessian spectra and seed studies shipped with the models (issue 16 item 8): Models/hessian as
/// `landscape hessian --out` writes it and Models/studies as `landscape surface --seeds --study F`
/// writes it, both made here by the library on the reference model and 8 reference images, are listed
/// and served read only without any job, on a fresh root with no cache.
final class ShippedResultsTests: ServiceTestCase {
    /// What the shipped folders hold, computed once for every test by the library itself.
    struct Made {
        let folder: URL
        let spectrum: HessianSpectrum
        let study: SeedStudy
        static let studyFile = "sharpness-study.json"
    }

    static let made = Result { try make() }

    /// `HessianRun` into hessian/ (top 2 by 4 Lanczos steps, 3 trace probes, one 4-step density run) and a
    /// two-seed 1D study of 5 points into studies/ (its surfaces beside it), on 8 images.
    static func make() throws -> Made {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-shipped-made-\(UUID().uuidString)")
        // Named as the service names it (the model's name is its file's), through a link as in the fixture.
        try ServiceFixture.makeRoot(folder)
        let model = try LoadedModel.load(folder.appendingPathComponent("Models/\(ServiceFixture.modelID).safetensors"))
        var spec = HessianSpec(models: ["resnet20-relu"])
        spec.samples = 8; spec.top = 2; spec.lanczosSteps = 4; spec.traceProbes = 3
        spec.density = true; spec.densityRuns = 1; spec.densitySteps = 4; spec.seed = 5
        let validated = try spec.validated(limits: HessianLimits())
        let data = try EvaluationSet.build(spec.evaluationSet(path: ServiceFixture.dataFile.path, validated), card: model.card)
        let run = try HessianRun(models: [model], data: data, options: validated.options,
                                 directory: folder.appendingPathComponent("hessian"), threads: 2)
        let spectrum = try XCTUnwrap(try run.run().first)

        let store = try SurfaceStore(directory: folder.appendingPathComponent("studies"))
        let grid = try GridSpec(x: GridAxis(parsing: "-1:1:5"), y: nil)
        let evaluator = Evaluator(threads: 2)
        let computation = SeedStudyComputation(seeds: [1, 2], widthThreshold: SeedStudy.defaultWidthThreshold,
                                               pointsPerSeed: grid.pointCount) { seed in
            var directions = SurfaceSpec(models: [], x: grid.x).directions
            directions.seed = seed
            return try SurfaceComputation(models: [model.surfaceModel], data: data, grid: grid, directions: .random(directions),
                                          bnMode: .eval, store: store, evaluator: evaluator)
        }
        let study = try computation.run().study
        try study.write(to: store.directory.appendingPathComponent(Made.studyFile))
        return Made(folder: folder, spectrum: spectrum, study: study)
    }

    override class func tearDown() {
        if case .success(let made) = made { try? FileManager.default.removeItem(at: made.folder) }
    }

    /// A service whose Models/ holds copies of the shipped folders (`ship` picks which).
    private func start(ship: [String] = ["hessian", "studies"], edit: (URL) throws -> Void = { _ in }) throws {
        let made = try Self.made.get()
        fixture = try ServiceFixture(name: "shipped", threads: 2) { configuration in
            for name in ship {
                try FileManager.default.copyItem(at: made.folder.appendingPathComponent(name),
                                                 to: configuration.modelsDirectory.appendingPathComponent(name))
            }
            try edit(configuration.modelsDirectory)
        }
    }

    func testShippedSpectraAreListedAndServedWithoutAnyJob() throws {
        try start()
        let made = try Self.made.get()
        let list = try client.get("/api/hessian").json()
        XCTAssertEqual((list["hessian"] as? [Any])?.count, 0, "nothing computed: the cache is empty")
        let shipped = try XCTUnwrap(list["shipped"] as? [[String: Any]])
        XCTAssertEqual(shipped.count, 1)
        let id = try XCTUnwrap(shipped.first?["id"] as? String)
        XCTAssertTrue(HessianStore.isValidID(id), id)
        XCTAssertEqual(shipped.first?["models"] as? [String], ["resnet20-relu"])
        XCTAssertEqual(shipped.first?["samples"] as? Int, 8)
        XCTAssertEqual(shipped.first?["seed"] as? Int, 5)

        let served = try client.get("/api/hessian/\(id)")
        XCTAssertEqual(served.status, 200, served.text)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
        XCTAssertEqual(body["shipped"] as? Bool, true)
        let spectra = try LandscapeJSON.decoder.decode([HessianSpectrum].self,
                                                       from: JSONSerialization.data(withJSONObject: try XCTUnwrap(body["spectra"] as? [Any])))
        XCTAssertEqual(spectra, [made.spectrum], "the shipped file's spectrum, exactly as the library computed it")

        for path in ["/api/hessian/\(id).png", "/api/hessian/\(id)/density.png"] {
            let picture = try client.get(path)
            XCTAssertEqual(picture.status, 200, path)
            XCTAssertEqual(Array(picture.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47], path)
        }
        XCTAssertTrue(service.queue.all().isEmpty, "shipped results need no job")
    }

    func testShippedEigenvectorsDownloadAsTheRunWroteThem() throws {
        try start()
        let made = try Self.made.get()
        let id = try XCTUnwrap((try client.get("/api/hessian").json()["shipped"] as? [[String: Any]])?.first?["id"] as? String)
        let download = try client.get("/api/hessian/\(id)/resnet20-relu.eigenvectors.safetensors")
        XCTAssertEqual(download.status, 200, download.text)
        XCTAssertEqual(download.headers["content-type"], "application/octet-stream")
        XCTAssertEqual(download.headers["content-disposition"], "attachment; filename=\"\(id)-resnet20-relu.eigenvectors.safetensors\"")
        let file = made.folder.appendingPathComponent("hessian").appendingPathComponent(try XCTUnwrap(made.spectrum.topEigenvectors))
        XCTAssertEqual(download.body, try Data(contentsOf: file))
        // Read back: two eigenvectors of unit norm over every trainable tensor.
        let saved = try Directory.temporaryFile(download.body)
        defer { try? FileManager.default.removeItem(at: saved) }
        let vectors = try Checkpoint.load(saved)
        let first = vectors.names.filter { $0.hasPrefix("eigenvector0.") }.compactMap { vectors[$0] }
        XCTAssertFalse(first.isEmpty)
        let norm = first.reduce(0.0) { $0 + $1.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
        XCTAssertEqual(norm, 1, accuracy: 1e-4)
        XCTAssertTrue(vectors.names.contains { $0.hasPrefix("eigenvector1.") }, "the second eigenvector")

        XCTAssertEqual(try client.get("/api/hessian/\(id)/resnet20-mish.eigenvectors.safetensors").status, 404)
        XCTAssertEqual(try client.get("/api/hessian/\(id)/resnet20-relu.npz").status, 404)
        XCTAssertEqual(try client.get("/api/hessian/h0123456789abcde/resnet20-relu.eigenvectors.safetensors").status, 404)
        XCTAssertEqual(try client.get("/api/hessian/nope/resnet20-relu.eigenvectors.safetensors").status, 400)
    }

    /// Models/hessian is shipped without its eigenvector files (5.4 MB each): asking for one is a 404 that
    /// says so and how to make them, not a 503 (schemathesis found the 503 on the real shipped folder).
    func testAShippedRunWithoutItsEigenvectorFilesAnswers404() throws {
        let made = try Self.made.get()
        let name = try XCTUnwrap(made.spectrum.topEigenvectors)
        try start(ship: ["hessian"]) { models in
            try FileManager.default.removeItem(at: models.appendingPathComponent("hessian").appendingPathComponent(name))
        }
        let id = try XCTUnwrap((try client.get("/api/hessian").json()["shipped"] as? [[String: Any]])?.first?["id"] as? String)
        let answer = try client.get("/api/hessian/\(id)/resnet20-relu.eigenvectors.safetensors")
        XCTAssertEqual(answer.status, 404, answer.text)
        XCTAssertTrue(answer.text.contains("not shipped") && answer.text.contains("landscape hessian"), answer.text)
        XCTAssertEqual(try client.get("/api/hessian/\(id)").status, 200, "the spectra are still served")
    }

    func testShippedStudyIsListedAndServedWithoutAnyJob() throws {
        try start()
        let made = try Self.made.get()
        let list = try client.get("/api/studies").json()
        XCTAssertEqual((list["studies"] as? [Any])?.count, 0)
        let shipped = try XCTUnwrap(list["shipped"] as? [[String: Any]])
        XCTAssertEqual(shipped.map { $0["id"] as? String }, [made.study.id], "found under any file name (--study F), surfaces passed over")
        XCTAssertEqual(shipped.first?["seeds"] as? [Int], [1, 2])
        let served = try client.get("/api/studies/\(made.study.id)")
        XCTAssertEqual(served.status, 200, served.text)
        XCTAssertEqual(try SeedStudy.decode(served.body, source: "GET /api/studies/{id}"), made.study)
        let picture = try client.get("/api/studies/\(made.study.id).png")
        XCTAssertEqual(picture.status, 200)
        XCTAssertEqual(Array(picture.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertTrue(service.queue.all().isEmpty)
    }

    func testAFreshRootWithoutShippedFoldersListsNoneAndCreatesNothing() throws {
        try start(ship: [])
        XCTAssertEqual((try client.get("/api/hessian").json()["shipped"] as? [Any])?.count, 0)
        XCTAssertEqual((try client.get("/api/studies").json()["shipped"] as? [Any])?.count, 0)
        for name in ["hessian", "studies"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("Models/\(name)").path),
                           "read only: Models/\(name) is not created")
        }
    }

    /// A shipped file that cannot be read is said (file and problem), never a crash and never a half listing.
    func testUnreadableShippedFilesAreNamedInTheListing() throws {
        try start { models in
            try Data("{\"format_version\": 1, \"model\": 3}".utf8)
                .write(to: models.appendingPathComponent("hessian/resnet20-swish.hessian.json"))
            try Data("{\"comparisons\": [], \"id\": 7}".utf8).write(to: models.appendingPathComponent("studies/broken-study.json"))
        }
        let hessian = try client.get("/api/hessian").json()
        XCTAssertEqual((hessian["shipped"] as? [Any])?.count, 0)
        let problem = try XCTUnwrap((hessian["shipped_problems"] as? [String])?.first)
        XCTAssertTrue(problem.contains("resnet20-swish.hessian.json") && problem.contains("not a Hessian spectrum"), problem)
        let studies = try client.get("/api/studies").json()
        XCTAssertEqual((studies["shipped"] as? [[String: Any]])?.count, 1, "the readable study is still listed")
        let studyProblem = try XCTUnwrap((studies["shipped_problems"] as? [String])?.first)
        XCTAssertTrue(studyProblem.contains("broken-study.json"), studyProblem)
    }

    /// Spectra of different images are not one comparison: refused naming the file and the field.
    func testShippedSpectraOfDifferentImagesAreRefused() throws {
        try start { models in
            let folder = models.appendingPathComponent("hessian")
            var other = try LandscapeJSON.decoder.decode(HessianSpectrum.self,
                                                         from: Data(contentsOf: folder.appendingPathComponent("resnet20-relu.hessian.json")))
            other.model.name = "resnet20-swish"
            other.samples = 16
            try LandscapeJSON.encode(other).write(to: folder.appendingPathComponent("resnet20-swish.hessian.json"))
        }
        let hessian = try client.get("/api/hessian").json()
        let problem = try XCTUnwrap((hessian["shipped_problems"] as? [String])?.first)
        XCTAssertTrue(problem.contains("resnet20-swish.hessian.json") && problem.contains("samples"), problem)
    }
}

private enum Directory {
    static func temporaryFile(_ data: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-vectors-\(UUID().uuidString).safetensors")
        try data.write(to: url)
        return url
    }
}
