import Foundation
import Landscape

/// NumPy's `.npz`: a zip of `.npy` files, stored uncompressed (what `np.savez` writes).
/// Arrays: `x`, `y` (2D), and `loss`, `accuracy` (fraction), `loss_stderr`, `diverged`
/// shaped like `np.meshgrid(x, y)`, i.e. (len(y), len(x)), NaN where there is no value,
/// so `plt.contour(x, y, loss)` works as is.
enum NumpyArchive {
    enum Array {
        case float64([Double], shape: [Int])
        case bool([Bool], shape: [Int])
    }

    static func npz(_ surface: Surface) -> Data {
        let shape = surface.y == nil ? [surface.columns] : [surface.rows, surface.columns]
        func grid(_ values: [[Double?]]) -> Array {
            .float64(TextFormats.values(surface, values).map { $0 ?? .nan }, shape: shape)
        }
        var entries: [(String, Array)] = [("x", .float64(surface.x, shape: [surface.x.count]))]
        if let y = surface.y { entries.append(("y", .float64(y, shape: [y.count]))) }
        entries += [("loss", grid(surface.loss)), ("accuracy", grid(surface.accuracy)), ("loss_stderr", grid(surface.lossStderr)),
                    ("diverged", .bool((0..<(surface.rows * surface.columns)).map(surface.isDiverged), shape: shape))]
        return zip(entries.map { ("\($0.0).npy", npy($0.1)) })
    }

    /// Format version 1.0 (NEPs/npy-format): magic, header length, a Python dict literal
    /// padded with spaces to a multiple of 64 bytes and ended by "\n", then the raw little-endian data.
    static func npy(_ array: Array) -> Data {
        let (descr, shape): (String, [Int])
        var body = Data()
        switch array {
        case let .float64(values, s):
            (descr, shape) = ("<f8", s)
            body.reserveCapacity(values.count * 8)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        case let .bool(values, s):
            (descr, shape) = ("|b1", s)
            body = Data(values.map { $0 ? 1 : 0 })
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let preamble = 10
        let padded = ((preamble + header.utf8.count + 1 + 63) / 64) * 64
        header += String(repeating: " ", count: padded - preamble - header.utf8.count - 1) + "\n"
        var data = Data([0x93] + Swift.Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: header.utf8)
        data.append(body)
        return data
    }

    // MARK: zip (stored, APPNOTE 4.3)

    static func zip(_ files: [(name: String, data: Data)]) -> Data {
        var out = Data(), central = Data()
        func u16(_ v: Int, into d: inout Data) { d.append(contentsOf: [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)]) }
        func u32(_ v: UInt32, into d: inout Data) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        // 1980-01-01 00:00 (DOS time): the files carry no meaningful time, and a fixed one keeps exports reproducible.
        let (dosTime, dosDate) = (0, (0 << 9) | (1 << 5) | 1)
        for file in files {
            let offset = UInt32(out.count)
            let crc = crc32(file.data), size = UInt32(file.data.count)
            let name = Swift.Array(file.name.utf8)
            u32(0x0403_4b50, into: &out); u16(20, into: &out); u16(0, into: &out); u16(0, into: &out)
            u16(dosTime, into: &out); u16(dosDate, into: &out)
            u32(crc, into: &out); u32(size, into: &out); u32(size, into: &out)
            u16(name.count, into: &out); u16(0, into: &out)
            out.append(contentsOf: name); out.append(file.data)

            u32(0x0201_4b50, into: &central); u16(20, into: &central); u16(20, into: &central)
            u16(0, into: &central); u16(0, into: &central); u16(dosTime, into: &central); u16(dosDate, into: &central)
            u32(crc, into: &central); u32(size, into: &central); u32(size, into: &central)
            u16(name.count, into: &central); u16(0, into: &central); u16(0, into: &central)
            u16(0, into: &central); u16(0, into: &central); u32(0, into: &central); u32(offset, into: &central)
            central.append(contentsOf: name)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        u32(0x0605_4b50, into: &out); u16(0, into: &out); u16(0, into: &out)
        u16(files.count, into: &out); u16(files.count, into: &out)
        u32(UInt32(central.count), into: &out); u32(centralOffset, into: &out); u16(0, into: &out)
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO 3309, the zip checksum).
    static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for byte in data { c = crcTable[Int((c ^ UInt32(byte)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xffff_ffff
    }
}
