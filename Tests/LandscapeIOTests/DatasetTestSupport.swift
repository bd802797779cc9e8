import CZlib
import Foundation
import XCTest
@testable import LandscapeIO

/// Writes small dataset files in the published formats, byte by byte, so the
/// loaders are checked against the format descriptions and not themselves.
enum DatasetFiles {
    static func temporaryDirectory(_ name: String = "data") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("landscape-io-tests-\(UUID().uuidString)").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A pixel value that depends on image, channel and position, so any
    /// reordering shows up.
    static func pixel(image: Int, channel: Int, offset: Int) -> UInt8 {
        UInt8((image * 37 + channel * 101 + offset * 7) % 256)
    }

    /// CIFAR-10 records: label byte, then 1024 R, 1024 G, 1024 B.
    static func cifarRecords(labels: [UInt8], firstImage: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        for (n, label) in labels.enumerated() {
            bytes.append(label)
            for c in 0..<3 { for p in 0..<1024 { bytes.append(pixel(image: firstImage + n, channel: c, offset: p)) } }
        }
        return bytes
    }

    /// An IDX file: 00 00 08 NDIM, big-endian sizes, payload.
    static func idx(sizes: [Int], payload: [UInt8], magic: UInt32? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        func be(_ v: UInt32) { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        be(magic ?? (0x0800 | UInt32(sizes.count)))
        sizes.forEach { be(UInt32($0)) }
        return bytes + payload
    }

    static func idxImages(count: Int, height: Int, width: Int) -> [UInt8] {
        let payload = (0..<count).flatMap { n in (0..<(height * width)).map { pixel(image: n, channel: 0, offset: $0) } }
        return idx(sizes: [count, height, width], payload: payload)
    }

    /// gzip with zlib's deflate (windowBits 15 + 16 writes a gzip wrapper).
    static func gzip(_ input: [UInt8]) throws -> [UInt8] {
        zlibCompress(input, level: Z_DEFAULT_COMPRESSION, windowBits: 15 + 16)
    }

    static func write(_ bytes: [UInt8], to url: URL) throws { try Data(bytes).write(to: url) }

    /// Runs `body`, expecting a DatasetError, and returns it.
    static func expectError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> DatasetError? {
        do {
            try body()
            XCTFail("expected a DatasetError, got none", file: file, line: line)
        } catch let error as DatasetError {
            return error
        } catch {
            XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
