import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapePictures
@testable import LandscapeExport
import XCTest
import LandscapeCore

/// Li et al.'s files into surfaces: one written by h5py exactly as their scripts do, our own
/// exports back (lossless), and the refusals.
final class ImportTests: XCTestCase {
    func testFileWrittenByH5pyInTheirLayoutImports() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixture.runChecker(["write-theirs", directory.path, "5", "3"])
        let model = try Fixture.resNet8(inputChannels: 1, in: directory)
        let result = try LiImport.read(directory.appendingPathComponent("theirs.h5").path,
                                       directionFile: directory.appendingPathComponent("theirs_dir.h5").path, model: model)
        let surface = result.surface
        XCTAssertEqual(surface.x, (0..<5).map { -1 + 2 * Double($0) / 4 })
        XCTAssertEqual(surface.y, [-0.5, 0, 0.5])
        XCTAssertEqual(surface.dataset.split, "train")
        XCTAssertEqual(surface.progress.computed, 14)
        XCTAssertEqual(surface.progress.order, "imported")
        XCTAssertTrue(surface.directions.note.contains("not recomputed"), surface.directions.note)
        // Values at (x[column], y[row]) follow their formula; the last point was never computed.
        for row in 0..<3 {
            for column in 0..<5 where !(row == 2 && column == 4) {
                let (x, y) = (surface.x[column], surface.y![row])
                XCTAssertEqual(surface.loss[row][column]!, 0.5 + x * x + 2 * y * y + 0.1 * x, accuracy: 1e-12, "(\(x), \(y))")
                XCTAssertEqual(surface.accuracy[row][column]!, (90 - 10 * abs(x)) / 100, accuracy: 1e-12)
            }
        }
        XCTAssertNil(surface.loss[2][4])
        XCTAssertFalse(surface.isDiverged(14))
        XCTAssertEqual(surface.summary?.centreLoss ?? .nan, 0.5, accuracy: 1e-12)
        // Their direction file maps onto the model's parameters; BN statistics stay zero.
        let directions = try XCTUnwrap(result.directions)
        XCTAssertEqual(result.directionSpec.mode, .weights)
        let layout = model.model.layout
        for entry in layout.entries where entry.role == .runningMean || entry.role == .runningVariance {
            XCTAssertTrue(directions.x.values[entry.range].allSatisfy { $0 == 0 }, entry.name)
        }
        let conv = try XCTUnwrap(layout.entry(named: "conv1.weight"))
        XCTAssertTrue(directions.y!.values[conv.range].contains { $0 != 0 })

        // What the service does with it: the store saves it, reads it back, and it draws.
        let store = try SurfaceStore(directory: directory.appendingPathComponent("surfaces"))
        try store.saveDirections(directions, layout: layout, spec: result.directionSpec, fileName: store.directionsFileName(id: surface.id))
        try store.save(surface)
        let stored = try XCTUnwrap(try store.load(id: surface.id))
        XCTAssertEqual(stored, surface)
        var settings = RenderSpec()
        settings.kind = .filled
        let picture = try Pictures.surfaces([stored], settings)
        XCTAssertTrue(picture.data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        settings.format = .pdf
        XCTAssertTrue(try Pictures.surfaces([stored], settings).data.starts(with: Array("%PDF".utf8)))
    }

    func testOurExportImportsBackLosslessly() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try Surface.load(Fixture.referenceSurface.path)
        let output = directory.appendingPathComponent("s.h5")
        try SurfaceExport.write(try SurfaceExport.files(original, format: .h5, spec: ExportSpec(), output: output,
                                                        surfaceDirectory: Fixture.surfaces))
        let model = try LoadedModel.load(Fixture.referenceModel)
        let result = try LiImport.read(output.path, directionFile: SurfaceExport.directionFileURL(for: output).path, model: model)
        XCTAssertEqual(result.surface.loss, original.loss)
        XCTAssertEqual(result.surface.lossStderr, original.lossStderr)
        for (a, b) in zip(result.surface.accuracy.joined(), original.accuracy.joined()) {
            XCTAssertEqual(a!, b!, accuracy: 1e-12)  // × 100 / 100
        }
        XCTAssertEqual(result.surface.dataset, original.dataset)
        XCTAssertEqual(result.directionSpec, DirectionSpec(seed: original.directions.seed, normalization: original.directions.normalization,
                                                           ignore: original.directions.ignore, mode: original.directions.mode))
        // The directions are the stored ones, bit for bit.
        let stored = try SurfaceExport.directions(of: original, in: Fixture.surfaces)!
        let imported = try XCTUnwrap(result.directions)
        XCTAssertEqual(imported.x, stored.x)
        XCTAssertEqual(imported.y, stored.y)
    }

    /// dir_type 'states' (interpolations): state-dict order with a 0-d num_batches_tracked after each
    /// BN's running_var, as a current PyTorch state dict; the import skips those and gets the rest back.
    func testStatesDirectionsFollowTheStateDictAndImportBack() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try LoadedModel.load(Fixture.referenceModel)
        let layout = model.model.layout
        var generator = SeededGenerator(seed: 3, stream: 0)
        let x = Direction(values: (0..<layout.totalCount).map { _ in Float(generator.nextGaussian()) })
        let y = Direction(values: (0..<layout.totalCount).map { _ in Float(generator.nextGaussian()) })
        let spec = DirectionSpec(seed: 0, normalization: .none, ignore: .none, mode: .states)
        try Safetensors.write(DirectionFile.stateDict((x, y), layout: layout, spec: spec),
                              to: directory.appendingPathComponent("directions.safetensors"))
        var surface = try Fixture.syntheticSurface(columns: 3, rows: 4, directionsFile: "directions.safetensors")
        surface.directions.mode = .states
        let output = directory.appendingPathComponent("states.h5")
        try SurfaceExport.write(try SurfaceExport.files(surface, format: .h5, spec: ExportSpec(), output: output, surfaceDirectory: directory))
        let directionFile = SurfaceExport.directionFileURL(for: output)
        let batchNorms = layout.entries.filter { $0.role == .runningVariance }.count
        try HDF5File.withLibrary {
            let file = try HDF5File.open(bytes: Array(try Data(contentsOf: directionFile)), source: directionFile.path)
            XCTAssertEqual(try file.members(of: "xdirection").count, layout.entries.count + batchNorms)
            // conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var, bn1.num_batches_tracked, ...
            XCTAssertEqual(try file.info("xdirection/4").shape, [16])
            XCTAssertEqual(try file.info("xdirection/5").shape, [])
            XCTAssertEqual(file.stringAttribute("name", on: "xdirection/5"), "bn1.num_batches_tracked")
            XCTAssertEqual(file.stringAttribute("name", on: "xdirection/6"), "layer1.0.conv1.weight")
        }
        let result = try LiImport.read(output.path, directionFile: directionFile.path, model: model)
        XCTAssertEqual(result.directionSpec.mode, .states)
        XCTAssertEqual(result.directions?.x, x)
        XCTAssertEqual(result.directions?.y, y)
    }

    func testFileWithoutTheirDatasetsIsRefused() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Fixture.resNet8(inputChannels: 1, in: directory)
        let noCoordinates = directory.appendingPathComponent("empty.h5")
        try HDF5File.withLibrary {
            let file = try HDF5File.create(source: "empty.h5")
            try file.write("train_loss", [1, 2, 3] as [Double], shape: [3])
            try file.image().write(to: noCoordinates)
        }
        XCTAssertThrowsError(try LiImport.read(noCoordinates.path, directionFile: nil, model: model)) { error in
            XCTAssertEqual(error as? ExportError, .missingDataset(path: noCoordinates.path, name: "xcoordinates",
                expected: "Li et al.'s surface layout (xcoordinates, optional ycoordinates, <split>_loss, <split>_acc)"))
        }
        let noAccuracy = directory.appendingPathComponent("noacc.h5")
        try HDF5File.withLibrary {
            let file = try HDF5File.create(source: "noacc.h5")
            try file.write("xcoordinates", [-1, 0, 1] as [Double], shape: [3])
            try file.write("train_loss", [1, 2, 3] as [Double], shape: [3])
            try file.image().write(to: noAccuracy)
        }
        XCTAssertThrowsError(try LiImport.read(noAccuracy.path, directionFile: nil, model: model)) { error in
            XCTAssertTrue("\(error)".contains("no 'train_acc'"), "\(error)")
        }
        let wrongShape = directory.appendingPathComponent("shape.h5")
        try HDF5File.withLibrary {
            let file = try HDF5File.create(source: "shape.h5")
            try file.write("xcoordinates", [-1, 0, 1] as [Double], shape: [3])
            try file.write("ycoordinates", [-1, 1] as [Double], shape: [2])
            try file.write("train_loss", [1, 2, 3, 4, 5, 6] as [Double], shape: [2, 3])
            try file.write("train_acc", [1, 2, 3, 4, 5, 6] as [Double], shape: [3, 2])
            try file.image().write(to: wrongShape)
        }
        XCTAssertThrowsError(try LiImport.read(wrongShape.path, directionFile: nil, model: model)) { error in
            XCTAssertTrue("\(error)".contains("'train_loss' has shape [2, 3]: expected [3, 2]"), "\(error)")
        }
        let notHDF5 = directory.appendingPathComponent("text.h5")
        try Data("xcoordinates,ycoordinates\n".utf8).write(to: notHDF5)
        XCTAssertThrowsError(try LiImport.read(notHDF5.path, directionFile: nil, model: model)) { error in
            XCTAssertEqual(error as? ExportError, .notHDF5(path: notHDF5.path))
        }
    }

    /// A small file may declare a huge chunked dataset: refused by its declared size, before any allocation.
    func testDatasetDeclaringMoreValuesThanAnyGridIsRefused() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixture.runChecker(["write-huge", directory.path])
        let model = try Fixture.resNet8(inputChannels: 1, in: directory)
        XCTAssertThrowsError(try LiImport.read(directory.appendingPathComponent("huge.h5").path, directionFile: nil, model: model)) { error in
            XCTAssertTrue("\(error)".contains("'xcoordinates' has shape [10000000000]: expected at most"), "\(error)")
        }
    }

    func testDirectionFileThatDoesNotFitTheModelIsRefused() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixture.runChecker(["write-theirs", directory.path, "4", "4"])
        let surface = directory.appendingPathComponent("theirs.h5").path
        let directions = directory.appendingPathComponent("theirs_dir.h5").path
        // Same number of tensors, but conv1 takes 3 channels in this model.
        let rgb = try Fixture.resNet8(inputChannels: 3, in: directory)
        XCTAssertThrowsError(try LiImport.read(surface, directionFile: directions, model: rgb)) { error in
            XCTAssertTrue("\(error)".contains("dataset xdirection/0 has shape [16, 1, 3, 3]: the model's tensor conv1.weight"), "\(error)")
        }
        // A deeper model: the tensor count differs.
        let resnet20 = try LoadedModel.load(Fixture.referenceModel)
        XCTAssertThrowsError(try LiImport.read(surface, directionFile: directions, model: resnet20)) { error in
            guard case .directionMismatch(_, let detail) = error as? ExportError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("xdirection has 23 tensors"), detail)
        }
    }
}
