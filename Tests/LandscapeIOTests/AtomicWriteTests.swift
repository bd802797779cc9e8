import Foundation
import LandscapeIO
import XCTest
import LandscapeCore

/// `Safetensors.write` goes through a temporary file and a rename: a failed
/// write leaves the previous file as it was and leaves no temporary behind.
final class AtomicWriteTests: XCTestCase {
    let big = StateDict([("w", Tensor(shape: [64, 1024], scalars: (0..<65_536).map { Float($0) }))], metadata: ["v": "2"])
    let small = StateDict([("w", Tensor(shape: [2], scalars: [1, 2]))], metadata: ["v": "1"])

    func testWriteReplacesTheOldFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try Safetensors.write(small, to: url)
        try Safetensors.write(big, to: url)
        XCTAssertEqual(try Safetensors.read(url), big)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.safetensors"])
    }

    /// A write that fails half-way (file size limit → EFBIG, as a full disk would).
    func testFailedWriteKeepsOldFileAndRemovesTemporary() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try Safetensors.write(small, to: url)
        let before = try Data(contentsOf: url)

        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)  // get EFBIG instead of being killed
        var limited = saved
        limited.rlim_cur = 16_384  // bytes; the big dict needs 256 KiB
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        let result = Result { try Safetensors.write(big, to: url) }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, previousHandler)

        guard case .failure(let error) = result else { return XCTFail("the write should have failed") }
        XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try Safetensors.read(url), small)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.safetensors"])
    }

    /// The rename fails (the destination is a non-empty directory): nothing changes.
    func testFailedRenameKeepsDestinationAndRemovesTemporary() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: url.appendingPathComponent("inside"))
        assertAtomicFileError(try Safetensors.write(small, to: url), mentions: [url.path, "rename"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.safetensors"])
        XCTAssertEqual(try Data(contentsOf: url.appendingPathComponent("inside")), Data("keep".utf8))
    }

    func testWriteIntoMissingDirectoryFailsClearly() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/m.safetensors")
        assertAtomicFileError(try Safetensors.write(small, to: url), mentions: [url.path, "temporary"], code: ENOENT)
    }

    /// The writer's own error: the path, the step that failed and errno (the store tells a full disk by it).
    private func assertAtomicFileError(_ body: @autoclosure () throws -> Void, mentions phrases: [String], code: Int32? = nil,
                                       line: UInt = #line) {
        do {
            try body()
            XCTFail("the write should have failed", line: line)
        } catch let error as AtomicFileError {
            for phrase in phrases { XCTAssertTrue(error.description.contains(phrase), "'\(error)' lacks '\(phrase)'", line: line) }
            if let code { XCTAssertEqual(error.code, code, line: line) }
        } catch {
            XCTFail("expected an AtomicFileError, got \(error)", line: line)
        }
    }
}
