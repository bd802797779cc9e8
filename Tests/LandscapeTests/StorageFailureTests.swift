import XCTest
import Landscape

/// A small tmpfs of our own, so "disk full" and "read-only" are real kernel
/// answers, not mocks. Needs root (CI and the dev machines run as root); skipped elsewhere.
final class ScratchMount {
    let directory: URL

    init(kilobytes: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-mount-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", directory.path]) else {
            try? FileManager.default.removeItem(at: directory)
            throw XCTSkip("cannot mount a tmpfs here (not root?)")
        }
    }

    /// Fills the file system to the last block.
    func fill() {
        let handle = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: $0, contents: nil); return $0 }(
            directory.appendingPathComponent("filler").path))
        let block = Data(count: 4096)
        while (try? handle?.write(contentsOf: block)) != nil {}
        try? handle?.close()
    }

    func remountReadOnly() { _ = Self.run("/bin/mount", ["-o", "remount,ro", directory.path]) }

    func unmount() {
        _ = Self.run("/bin/umount", [directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

final class StorageFailureTests: XCTestCase {
    func testAFullDiskIsReportedAsFullAndLeavesNoTemporaryFile() throws {
        let mount = try ScratchMount(kilobytes: 64)
        defer { mount.unmount() }
        let store = try SurfaceStore(directory: mount.directory.appendingPathComponent("surfaces"))
        mount.fill()
        let target = store.directory.appendingPathComponent("s.json")
        XCTAssertThrowsError(try SurfaceStore.writeAtomically(Data(count: 256 << 10), to: target)) { error in
            guard case .storeUnavailable(_, let detail, let full)? = error as? LandscapeError else {
                return XCTFail("expected storeUnavailable, got \(error)")
            }
            XCTAssertTrue(full, detail)
            XCTAssertTrue(detail.contains("no space left"), detail)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory.path), [], "nothing half-written")
    }

    func testAReadOnlyStoreIsReportedAsUnavailableNotFull() throws {
        let mount = try ScratchMount(kilobytes: 64)
        defer { mount.unmount() }
        let store = try SurfaceStore(directory: mount.directory.appendingPathComponent("surfaces"))
        mount.remountReadOnly()
        XCTAssertThrowsError(try SurfaceStore.writeAtomically(Data("{}".utf8), to: store.directory.appendingPathComponent("s.json"))) { error in
            guard case .storeUnavailable(_, let detail, let full)? = error as? LandscapeError else {
                return XCTFail("expected storeUnavailable, got \(error)")
            }
            XCTAssertFalse(full, detail)
            XCTAssertTrue(detail.contains("read-only"), detail)
        }
    }

    /// A `.json.tmp-PID` left by a killed server was never cleaned.
    func testTemporaryFilesOfDeadWritersAreRemovedWhenTheStoreOpens() throws {
        let directory = SurfaceComputationTests.temporaryDirectory()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier   // exited and reaped: no such process now
        let names = [".a-0123.json.tmp-\(dead)", ".a-0123.json.tmp-\(dead)-77", ".directions-x.safetensors.\(dead)-12.tmp",
                     ".a-0123.json.tmp-\(getppid())-5", "a-0123.json", ".keep"]
        for name in names { FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data()) }
        _ = try SurfaceStore(directory: directory)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        XCTAssertEqual(left, [".a-0123.json.tmp-\(getppid())-5", "a-0123.json", ".keep"], "a live writer's file stays")
    }
}
