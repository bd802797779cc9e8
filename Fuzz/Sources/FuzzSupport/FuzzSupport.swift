import CLibFuzzer
import Foundation

/// What every fuzz target shares: the libFuzzer driver, the input as bytes,
/// temporary files for readers that only take a path, and a tiny ZIP writer.
public enum FuzzSupport {
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer with the process's arguments (`-max_total_time=60 corpus/` ...).
    public static func runDriver(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                 _ test: TestOneInput) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, test)
    }

    /// FUZZ_VERBOSE=1: `attempt` prints what each input gave (to check seeds:
    /// `FUZZ_VERBOSE=1 fuzz-zip -runs=0 Fuzz/seeds/zip`).
    public static let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"].map { $0 != "0" && !$0.isEmpty } ?? false

    /// Runs a parse; the errors it throws are the expected outcome for most inputs.
    @discardableResult
    public static func attempt<T>(_ label: String, _ body: () throws -> T) -> T? {
        do {
            let value = try body()
            if verbose { print("  \(label): ok") }
            return value
        } catch {
            if verbose { print("  \(label): \(error)") }
            return nil
        }
    }

    /// The input as an array (empty input: libFuzzer may pass a null pointer).
    public static func bytes(_ start: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
        guard let start, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: start, count: count))
    }

    /// A directory of this process's own, removed when the process exits normally
    /// (a crash leaves it; scripts/fuzz points TMPDIR into the scratch path).
    public static let scratchDirectory: String = {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/landscape-fuzz.XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let made = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp in \(base) failed: errno \(errno)") }
            return String(cString: made)
        }
        atexit { try? FileManager.default.removeItem(atPath: FuzzSupport.scratchDirectory) }
        return path
    }()

    /// Writes `bytes` to `name` (a relative path, its folders created) in the
    /// scratch directory, replacing what an earlier input left there.
    @discardableResult
    public static func writeFile(_ name: String, _ bytes: [UInt8]) -> String {
        let path = scratchDirectory + "/" + name
        let folder = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: folder) {
            try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        // Plain open/write: FileManager.createFile writes atomically with an
        // fsync, which made the file-based targets a hundred times slower.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { fatalError("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { fatalError("cannot write \(path): errno \(errno)") }
        return path
    }

    /// One member of `storedZip`; the CRC is computed once, here, so constant
    /// members cost nothing per run.
    public struct ZipMember: Sendable {
        public let name: [UInt8], data: [UInt8], crc: UInt32
        public init(_ name: String, _ data: [UInt8]) { (self.name, self.data, crc) = (Array(name.utf8), data, FuzzSupport.crc32(data)) }
    }

    /// A ZIP archive of stored (uncompressed) members with correct CRC-32s,
    /// the way `torch.save` writes them (without zip64 records).
    public static func storedZip(_ members: [ZipMember]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ into: inout [UInt8]) { into += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func u32(_ v: Int, _ into: inout [UInt8]) { for s in stride(from: 0, to: 32, by: 8) { into.append(UInt8(v >> s & 0xff)) } }
        for member in members {
            let (name, size, crc, offset) = (member.name, member.data.count, Int(member.crc), out.count)
            // Local header: signature, version 2.0, flags, method 0, time, date, crc, sizes, name length, extra length.
            u32(0x0403_4b50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(size, &out); u32(size, &out); u16(name.count, &out); u16(0, &out)
            out += name; out += member.data
            // Central header: + version made by, comment length, disk, attributes, local header offset.
            u32(0x0201_4b50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(crc, &central); u32(size, &central); u32(size, &central)
            u16(name.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(0, &central); u32(offset, &central)
            central += name
        }
        let directoryOffset = out.count
        out += central
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(members.count, &out); u16(members.count, &out)
        u32(central.count, &out); u32(directoryOffset, &out); u16(0, &out)
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crcTable[Int(($0 ^ UInt32($1)) & 0xff)] ^ ($0 >> 8) }
    }
}
