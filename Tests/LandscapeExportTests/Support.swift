import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
@testable import LandscapeExport
import XCTest

enum Fixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let surfaces = repositoryRoot.appendingPathComponent("Models/surfaces")
    /// A real 41 × 41 surface computed by this project (ReLU ResNet-20 on Fashion-MNIST), with its directions.
    static let referenceSurface = surfaces.appendingPathComponent("resnet20-relu-6cafca645e78716c.json")
    static let referenceModel = repositoryRoot.appendingPathComponent("Models/resnet20-relu.safetensors")
    static let checker = repositoryRoot.appendingPathComponent("Tests/export/check_export.py")
    /// Debian's interpreter: python3-h5py and python3-numpy are installed for it (scripts/install-deps --test).
    static let python = "/usr/bin/python3"

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("export-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs the checker; fails the test with its output when it exits non-zero.
    @discardableResult
    static func runChecker(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [checker.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "check_export.py \(arguments.joined(separator: " ")):\n\(output)", file: file, line: line)
        return output
    }

    /// Every format of `surface` (saved as JSON in `directory`) as `directory/STEM.<format>`.
    static func exportAll(_ surface: Surface, to directory: URL, stem: String, formats: [ExportFormat] = ExportFormat.allCases) throws {
        for format in formats {
            let output = directory.appendingPathComponent("\(stem).\(format.rawValue)")
            let files = try SurfaceExport.files(surface, format: format, spec: ExportSpec(), output: output, surfaceDirectory: directory)
            try SurfaceExport.write(files)
        }
    }

    /// A small surface with every kind of point: computed, not computed (nil), diverged; with stderr.
    static func syntheticSurface(columns: Int, rows: Int?, directionsFile: String?) throws -> Surface {
        let grid = try GridSpec(x: GridAxis(start: -1, end: 1, count: columns), y: try rows.map { try GridAxis(start: -0.5, end: 0.25, count: $0) })
        let height = grid.rows
        var loss = [[Double?]](repeating: [Double?](repeating: nil, count: columns), count: height)
        var accuracy = loss, stderr = loss
        var diverged = [[Bool]](repeating: [Bool](repeating: false, count: columns), count: height)
        for row in 0..<height {
            for column in 0..<columns {
                let (a, b) = grid.coordinates(ofPoint: row * columns + column)
                loss[row][column] = 0.25 + a * a + 3 * b * b + 0.01 * Double(row * columns + column)
                accuracy[row][column] = 0.9 - 0.1 * abs(a) - 0.001 * Double(row)
                stderr[row][column] = 0.01 + 0.001 * Double(column)
            }
        }
        // Point 1 not computed yet, the last point diverged.
        loss[0][1] = nil; accuracy[0][1] = nil; stderr[0][1] = nil
        loss[height - 1][columns - 1] = nil; accuracy[height - 1][columns - 1] = nil; stderr[height - 1][columns - 1] = nil
        diverged[height - 1][columns - 1] = true
        let model = Surface.ModelInfo(name: "synthetic", path: nil, sha256: String(repeating: "ab", count: 32),
                                      architecture: "resnet20", activation: "relu")
        let dataset = Surface.DatasetInfo(name: "fashion-mnist", path: "/data", split: "test", samples: 100, subset: "first",
                                          subsetSeed: 0, mean: [0.286], std: [0.353], contentSha256: String(repeating: "cd", count: 32))
        let directions = Surface.DirectionsInfo(seed: 7, normalization: .filter, ignore: .biasbn, mode: .weights,
                                                sharedWith: ["synthetic"], file: directionsFile, note: "test")
        var surface = Surface(id: "0123456789abcdef", model: model, dataset: dataset, directions: directions, bnMode: .eval,
                              grid: grid, x: grid.x.coordinates, y: grid.y?.coordinates, loss: loss, accuracy: accuracy,
                              lossStderr: stderr, summary: nil,
                              progress: .init(computed: columns * height - 1, total: columns * height, order: "coarse-to-fine"),
                              timing: .init(seconds: 1, imagesPerSecond: nil, updated: "2026-12-06T00:00:00Z"), producer: "test")
        surface.diverged = diverged
        return surface
    }

    /// A ResNet-8 checkpoint (1 input channel) written as safetensors, loaded as the CLI would.
    static func resNet8(inputChannels: Int, in directory: URL) throws -> LoadedModel {
        var model = ResNetModel(architecture: try ResNetArchitecture(depth: 8, inputChannels: inputChannels))
        for i in model.values.indices where model.values[i] == 0 { model.values[i] = Float(i % 7) * 0.01 }
        let url = directory.appendingPathComponent("resnet8-\(inputChannels)ch.safetensors")
        try Safetensors.write(model.stateDict(), to: url)
        return try LoadedModel.load(url)
    }
}
