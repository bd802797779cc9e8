import Foundation
import XCTest
@testable import LandscapeIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening a path that is not a readable file gives our words, naming the
/// path: not "(NSCocoaErrorDomain error 256.)" or raw NSError text.
final class FileOpeningTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// A file of `size` bytes that takes no disk space (a hole).
    func sparseFile(_ name: String, size: Int) throws -> URL {
        let url = path(name)
        XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: nil))
        XCTAssertEqual(truncate(url.path, off_t(size)), 0)
        return url
    }

    func fifo(_ name: String) throws -> URL {
        let url = path(name)
        guard mkfifo(url.path, 0o644) == 0 else { throw XCTSkip("mkfifo failed: \(String(cString: strerror(errno)))") }
        return url
    }

    /// A readable file made unreadable; skipped when running as root, whom permissions do not stop.
    func unreadableFile(_ name: String) throws -> URL {
        let url = path(name)
        try Data([1, 2, 3]).write(to: url)
        XCTAssertEqual(chmod(url.path, 0), 0)
        if access(url.path, R_OK) == 0 { throw XCTSkip("running as root: permissions do not stop reads") }
        return url
    }

    // MARK: Checkpoints (reproducer 9)

    func testDirectoryAsModelFileSaysItIsADirectory() throws {
        let folder = path("model.safetensors")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let expected = "\(folder.path): is a directory, expected a checkpoint file (.safetensors, .pt, .th)"
        XCTAssertThrowsError(try Checkpoint.load(folder)) { XCTAssertEqual("\($0)", expected) }
        XCTAssertThrowsError(try Safetensors.read(folder)) { XCTAssertEqual("\($0)", expected) }
    }

    func testMissingModelFileSaysNoSuchFile() {
        let missing = path("absent.pt")
        XCTAssertThrowsError(try Checkpoint.load(missing)) { XCTAssertEqual("\($0)", "\(missing.path): no such file") }
        let underAFile = path("absent.pt/inner.pt")  // ENOTDIR
        XCTAssertThrowsError(try Checkpoint.load(underAFile)) { XCTAssertEqual("\($0)", "\(underAFile.path): no such file") }
    }

    func testUnreadableModelFileSaysPermissionDenied() throws {
        XCTAssertEqual(InputFile.problem(errno: EACCES, operation: "open").description(expected: "x"), "permission denied")
        let url = try unreadableFile("locked.pt")
        XCTAssertThrowsError(try Checkpoint.load(url)) { XCTAssertEqual("\($0)", "\(url.path): permission denied") }
    }

    func testFIFOAndDevicesAreRefusedWithoutBlockingOrReadingForever() throws {
        let pipe = try fifo("model.pt")
        XCTAssertThrowsError(try Checkpoint.load(pipe)) {
            XCTAssertEqual("\($0)", "\(pipe.path): is a FIFO (named pipe), expected a checkpoint file (.safetensors, .pt, .th)")
        }
        XCTAssertThrowsError(try Checkpoint.load(URL(fileURLWithPath: "/dev/zero"))) {
            XCTAssertTrue("\($0)".hasPrefix("/dev/zero: is a character device, expected a checkpoint file"), "\($0)")
        }
    }

    func testModelFileOverTheSizeLimitIsRefusedBeforeReading() throws {
        let url = try sparseFile("huge.pt", size: Checkpoint.maxFileBytes + 1)
        XCTAssertThrowsError(try Checkpoint.load(url)) {
            XCTAssertEqual("\($0)", "\(url.path): is \(Checkpoint.maxFileBytes + 1) bytes, more than the "
                + "\(Checkpoint.maxFileBytes)-byte limit for a checkpoint file (.safetensors, .pt, .th)")
        }
    }

    func testSymbolicLinkToACheckpointIsFollowed() throws {
        let link = path("link.safetensors")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        XCTAssertEqual(try Checkpoint.load(link).count, 97)
    }

    func testModelCardThatIsADirectoryIsNamed() throws {
        try FileManager.default.createDirectory(at: path("model.json"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ModelCard.load(forWeights: path("model.safetensors"))) {
            XCTAssertEqual("\($0)", "model card \(path("model.json").path): is a directory, expected a model card (.json)")
        }
        XCTAssertNil(try ModelCard.load(forWeights: path("other.safetensors")))  // no card: not an error
    }

    // MARK: Datasets

    func testDatasetFileErrorsNameThePathAndTheProblem() throws {
        let pipe = try fifo("test_batch.bin")
        XCTAssertEqual(DatasetFiles.expectError { _ = try DatasetLoader.load(path: pipe.path, split: .test) },
                       .file(path: pipe.path, problem: "is a FIFO (named pipe), expected \(DatasetFile.expected)"))
        let huge = try sparseFile("huge.bin", size: DatasetFile.maxBytes + 1)
        let error = DatasetFiles.expectError { _ = try DatasetLoader.load(path: huge.path, split: .test) }
        XCTAssertEqual(error?.description, "\(huge.path): is \(DatasetFile.maxBytes + 1) bytes, more than the "
            + "\(DatasetFile.maxBytes)-byte limit for \(DatasetFile.expected)")
        XCTAssertEqual(DatasetFiles.expectError { _ = try DatasetLoader.load(path: self.path("none.bin").path, split: .test) },
                       .notFound(path: path("none.bin").path))
    }

    func testUnreadableDatasetFileSaysPermissionDenied() throws {
        let url = try unreadableFile("test_batch.bin")
        XCTAssertEqual(DatasetFiles.expectError { _ = try DatasetLoader.load(path: url.path, split: .test) }?.description,
                       "\(url.path): permission denied")
    }
}
