import Foundation
import Landscape

/// What rank 0 and the workers say to each other; each kind travels under its own MPI tag
/// as little-endian bytes. Per point: a task (16 bytes of payload) out, a result (48) back,
/// and a heartbeat (0) per interval while a point runs.
enum Message: Equatable {
    /// worker → 0, first thing: who and where it is.
    case hello(host: String, pid: Int)
    /// 0 → worker: the directions of every model, x then y (empty when 1D), generated once on rank 0,
    /// for computation `index` of the run (0 for one surface; a seed study's seed position): a worker
    /// builds that computation, again whenever rank 0 sends the next one's directions.
    case directions(index: Int, [[Float]], [[Float]])
    /// worker → 0: built the same computation; its surfaces' content keys and its effective
    /// convolution algorithm, for rank 0 to compare with its own.
    case ready(keys: [String], algorithm: String)
    /// 0 → worker: evaluate this point.
    case task(SurfaceTask)
    /// worker → 0: the point's values.
    case result(SurfaceTask, PointValues)
    /// worker → 0 while a point runs, and 0 → a worker it has no point for: still alive.
    case heartbeat
    /// worker → 0: could not set up or evaluate; the message says why.
    case failed(String)
    /// 0 → worker: no more work (or the run stops): cancel any point and leave.
    case stop(reason: String)
    /// 0 → worker (`landscape hessian`): compute this unit of model `model`'s spectrum.
    case unit(model: Int, SpectrumUnit)
    /// worker → 0: the unit's numbers (`SpectrumUnitResult.flattened`), the loss and gradient norm its
    /// products measured at the weights, and how many products it took.
    case unitResult(model: Int, SpectrumUnit, values: [Double], loss: Double, gradientNorm: Double, products: Int)

    var tag: Int32 {
        switch self {
        case .hello: return 1
        case .directions: return 2
        case .ready: return 3
        case .task: return 4
        case .result: return 5
        case .heartbeat: return 6
        case .failed: return 7
        case .stop: return 8
        case .unit: return 9
        case .unitResult: return 10
        }
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .hello(host, pid):
            w.string(host); w.int(pid)
        case let .directions(index, x, y):
            w.int(index)
            w.int(x.count)
            for values in x { w.floats(values) }
            w.int(y.count)
            for values in y { w.floats(values) }
        case let .ready(keys, algorithm):
            w.int(keys.count)
            for key in keys { w.string(key) }
            w.string(algorithm)
        case .task(let task):
            w.int(task.model); w.int(task.point)
        case let .result(task, values):
            w.int(task.model); w.int(task.point)
            w.double(values.meanLoss); w.double(values.accuracy); w.double(values.lossStandardError); w.double(values.seconds)
        case .heartbeat: break
        case .failed(let message): w.string(message)
        case .stop(let reason): w.string(reason)
        case let .unit(model, unit):
            w.int(model); w.unit(unit)
        case let .unitResult(model, unit, values, loss, gradientNorm, products):
            w.int(model); w.unit(unit); w.doubles(values); w.double(loss); w.double(gradientNorm); w.int(products)
        }
        return w.bytes
    }

    init(tag: Int32, bytes: [UInt8]) throws {
        var r = ByteReader(bytes: bytes, tag: tag)
        switch tag {
        case 1: self = .hello(host: try r.string(), pid: try r.int())
        case 2:
            let index = try r.int()
            guard index >= 0 else { throw DistributedError.protocolViolation("tag 2: computation index \(index)") }
            let x = try (0..<r.count()).map { _ in try r.floats() }
            let y = try (0..<r.count()).map { _ in try r.floats() }
            self = .directions(index: index, x, y)
        case 3: self = .ready(keys: try (0..<r.count()).map { _ in try r.string() }, algorithm: try r.string())
        case 4: self = .task(SurfaceTask(model: try r.int(), point: try r.int()))
        case 5:
            let task = SurfaceTask(model: try r.int(), point: try r.int())
            self = .result(task, PointValues(meanLoss: try r.double(), accuracy: try r.double(),
                                             lossStandardError: try r.double(), seconds: try r.double()))
        case 6: self = .heartbeat
        case 7: self = .failed(try r.string())
        case 8: self = .stop(reason: try r.string())
        case 9: self = .unit(model: try r.int(), try r.unit())
        case 10:
            self = .unitResult(model: try r.int(), try r.unit(), values: try r.doubles(), loss: try r.double(),
                               gradientNorm: try r.double(), products: try r.int())
        default: throw DistributedError.protocolViolation("tag \(tag) is not one of landscape's (1–10)")
        }
        guard r.atEnd else { throw DistributedError.protocolViolation("tag \(tag): \(bytes.count - r.offset) bytes left over") }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func int(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
    mutating func double(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    mutating func string(_ value: String) { int(value.utf8.count); bytes += value.utf8 }
    mutating func floats(_ values: [Float]) {
        int(values.count)
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    }
    mutating func doubles(_ values: [Double]) {
        int(values.count)
        for value in values { double(value) }
    }
    /// A spectrum unit: its kind (0 eigenvalues, 1 probe, 2 density run) and index.
    mutating func unit(_ unit: SpectrumUnit) {
        switch unit {
        case .eigenvalues: int(0); int(0)
        case .probe(let index): int(1); int(index)
        case .densityRun(let index): int(2); int(index)
        }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    let tag: Int32
    var offset = 0
    var atEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - offset else {
            throw DistributedError.protocolViolation("tag \(tag): \(bytes.count) bytes end before the \(count) expected at offset \(offset)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }
    private mutating func word() throws -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func int() throws -> Int { Int(Int64(bitPattern: try word())) }
    mutating func double() throws -> Double { Double(bitPattern: try word()) }
    /// A length, checked against what is left (each element takes at least one byte).
    mutating func count() throws -> Int {
        let value = try int()
        guard value >= 0, value <= bytes.count - offset else {
            throw DistributedError.protocolViolation("tag \(tag): a count of \(value) with \(bytes.count - offset) bytes left")
        }
        return value
    }
    mutating func string() throws -> String { String(decoding: try take(try count()), as: UTF8.self) }
    mutating func doubles() throws -> [Double] {
        let n = try int()
        guard n >= 0, n <= (bytes.count - offset) / 8 else {
            throw DistributedError.protocolViolation("tag \(tag): \(n) doubles with \(bytes.count - offset) bytes left")
        }
        return try (0..<n).map { _ in try double() }
    }
    mutating func unit() throws -> SpectrumUnit {
        let kind = try int(), index = try int()
        guard index >= 0 else { throw DistributedError.protocolViolation("tag \(tag): unit index \(index)") }
        switch kind {
        case 0: return .eigenvalues
        case 1: return .probe(index)
        case 2: return .densityRun(index)
        default: throw DistributedError.protocolViolation("tag \(tag): unit kind \(kind) is not 0, 1 or 2")
        }
    }
    mutating func floats() throws -> [Float] {
        let n = try int()
        guard n >= 0, n <= (bytes.count - offset) / 4 else {
            throw DistributedError.protocolViolation("tag \(tag): \(n) floats with \(bytes.count - offset) bytes left")
        }
        let slice = try take(n * 4)
        return slice.withUnsafeBytes { raw in
            (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
