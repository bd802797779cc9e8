import Foundation
import LandscapeEngine
import LandscapeIO
import XCTest
import LandscapeCore

/// The same pretrained ResNet-20 in three formats (../shared/reference,
/// written by PyTorch and the safetensors library, not by us) must load to
/// the same tensors.
final class ReferenceCheckpointTests: XCTestCase {
    /// README: 97 tensors, no num_batches_tracked.
    static let referenceTensorCount = 97

    func load(_ name: String) throws -> StateDict { try Checkpoint.load(Fixtures.referenceFile(name)) }

    func testLegacyZipAndSafetensorsLoadIdenticalTensors() throws {
        let legacy = try load("resnet20-akamaster.th")
        let zip = try load("resnet20-akamaster.pt")
        let safetensors = try load("resnet20-akamaster.safetensors")
        for dict in [legacy, zip, safetensors] {
            XCTAssertEqual(dict.count, Self.referenceTensorCount)
            XCTAssertEqual(Set(dict.names), Set(legacy.names))
        }
        for name in legacy.names {
            XCTAssertEqual(zip[name], legacy[name], name)
            XCTAssertEqual(safetensors[name], legacy[name], name)
        }
        XCTAssertEqual(legacy["conv1.weight"]?.shape, [16, 3, 3, 3])
        XCTAssertEqual(legacy["linear.weight"]?.shape, [10, 64])
    }

    func testTorchFormatsKeepStateDictOrder() throws {
        // torch.save writes state_dict() order: conv1, bn1, layer1..3, linear.
        for file in ["resnet20-akamaster.th", "resnet20-akamaster.pt"] {
            let names = try load(file).names
            XCTAssertEqual(names.first, "conv1.weight", file)
            XCTAssertEqual(names.last, "linear.bias", file)
        }
    }

    func testEveryFormatBuildsAResNet20() throws {
        for file in ["resnet20-akamaster.th", "resnet20-akamaster.pt", "resnet20-akamaster.safetensors"] {
            let model = try ResNetModel(architecture: ResNetArchitecture(depth: 20), stateDict: load(file))
            XCTAssertEqual(model.parameterCount, 269_722, file)  // README
        }
    }

    func testLegacyUnwrapsStateDictStripsModulePrefixAndKeepsBestPrec1() throws {
        let dict = try load("resnet20-akamaster.th")
        XCTAssertFalse(dict.names.contains { $0.hasPrefix("module.") })
        // `python3 -m pickletools` on the file shows: BINFLOAT 91.78000183105469.
        XCTAssertEqual(dict.metadata["best_prec1"].flatMap(Double.init), 91.78000183105469)
        XCTAssertNil(dict.metadata["state_dict"])
    }

    func testSafetensorsKeepsMetadata() throws {
        let dict = try load("resnet20-akamaster.safetensors")
        XCTAssertEqual(dict.metadata["arch"], "resnet20")
        XCTAssertEqual(dict.metadata["activation"], "relu")
        XCTAssertEqual(try Safetensors.read(Fixtures.referenceFile("resnet20-akamaster.safetensors")), dict)
    }

    /// `landscape convert`: Checkpoint.load(.th) → Safetensors.write → Safetensors.read.
    func testConvertLegacyToSafetensorsRoundTrips() throws {
        let original = try load("resnet20-akamaster.th")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("resnet20.safetensors")
        try Safetensors.write(original, to: output)
        let converted = try Safetensors.read(output)
        XCTAssertEqual(converted.names, original.names)
        XCTAssertEqual(converted, original)
        XCTAssertEqual(try Checkpoint.load(output), original)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["resnet20.safetensors"])
    }

    func testTruncatedZipCheckpointsGiveClearErrors() throws {
        let bytes = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.pt"))
        // Half the file: no end record. All but 30 bytes: the zip64 locator survives, the end record does not.
        for length in [bytes.count / 2, bytes.count - 30, 100] {
            assertCheckpointError(try Checkpoint.load(data: bytes.prefix(length), source: "cut.pt"),
                                  mentions: ["cut.pt", "ZIP"])
        }
        var corrupt = [UInt8](bytes)
        corrupt[20_000] ^= 0xff  // inside a tensor's stored data
        assertCheckpointError(try Checkpoint.load(data: Data(corrupt), source: "flipped.pt"), mentions: ["flipped.pt", "CRC-32"])
    }

    func testTruncatedLegacyCheckpointsGiveClearErrors() throws {
        let bytes = try Data(contentsOf: Fixtures.referenceFile("resnet20-akamaster.th"))
        // 5000: inside the object pickle; 14100: inside the first storage; count-1: the last storage.
        for length in [10, 5000, 14_100, bytes.count - 1] {
            assertCheckpointError(try Checkpoint.load(data: bytes.prefix(length), source: "cut.th"),
                                  mentions: ["cut.th", "truncated"])
        }
    }
}

/// Fails unless `body` throws a CheckpointError whose message contains every
/// phrase and no generic Foundation text.
func assertCheckpointError<T>(_ body: @autoclosure () throws -> T, mentions phrases: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a CheckpointError mentioning \(phrases)", file: file, line: line)
    } catch let error as CheckpointError {
        for phrase in phrases {
            XCTAssertTrue(error.description.contains(phrase), "'\(error)' does not mention '\(phrase)'", file: file, line: line)
        }
        // Our messages say what is wrong; Foundation's Linux texts do not.
        for generic in ["could not be completed", "NSCocoaErrorDomain", "Error Domain="] {
            XCTAssertFalse(error.description.contains(generic), "'\(error)' carries Foundation's '\(generic)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
    }
}
