import Foundation

/// The element types a checkpoint may store, all converted to Float on load
/// (the engine is float32). Integer tensors (`num_batches_tracked`) become
/// Float too: exact below 2^24, and the model ignores them anyway.
enum ScalarType: Sendable, Equatable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// safetensors' dtype strings (huggingface/safetensors `Dtype`).
    init?(safetensors name: String) {
        switch name {
        case "F32": self = .float32
        case "F64": self = .float64
        case "F16": self = .float16
        case "BF16": self = .bfloat16
        case "I64": self = .int64
        case "I32": self = .int32
        case "I16": self = .int16
        case "I8": self = .int8
        case "U8": self = .uint8
        case "BOOL": self = .bool
        default: return nil
        }
    }

    /// torch's typed storage classes (`torch.FloatStorage`, ...), as pickled.
    init?(torchStorage name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// Decodes little-endian elements; `bytes.count` must be a multiple of `byteSize`.
    func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        let count = bytes.count / byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch self {
            case .float32:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .float64:
                for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case .float16:
                for i in 0..<count { out[i] = ScalarType.halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bfloat16:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
            case .int64:
                for i in 0..<count { out[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            case .int32:
                for i in 0..<count { out[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            case .int16:
                for i in 0..<count { out[i] = Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
            case .int8:
                for i in 0..<count { out[i] = Float(Int8(bitPattern: bytes[i])) }
            case .uint8, .bool:
                for i in 0..<count { out[i] = Float(bytes[i]) }
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 → binary32, exact (every half is a float). Written
    /// out because `Float16` is unavailable on macOS/x86.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h >> 15) << 31
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h) & 0x3ff
        switch exponent {
        case 0:  // zero or subnormal: mantissa · 2^-24
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:  // infinity or NaN, payload kept
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        default:  // rebias 15 → 127
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }
}
