import CMPI
import Foundation

/// This process as a member of MPI_COMM_WORLD: the library loaded at run time
/// (CMPI: dlopen, never linked), initialized with MPI_THREAD_FUNNELED (only the
/// thread that made this object calls MPI), and point-to-point byte messages.
/// Sends are non-blocking and receives are polled, so no call ever waits on a
/// dead or hung peer: every wait in LandscapeDistributed has a deadline of its own.
final class MPIProcess {
    private var library = cmpi_library()
    let rank: Int
    let size: Int
    let host: String
    /// Sends not yet completed, with the buffers MPI reads from until then.
    private var pending: [(request: cmpi_request?, buffer: UnsafeMutableRawPointer)] = []
    /// Bytes handed to MPI_Isend, for the benchmark's bytes-per-point figure.
    private(set) var bytesSent = 0
    /// Bytes received, likewise.
    private(set) var bytesReceived = 0

    init(launch: MPILaunch) throws {
        var error = [CChar](repeating: 0, count: 1024)
        guard cmpi_load(launch.library, &library, &error, error.count) == 0 else {
            throw DistributedError.libraryUnavailable(launch: launch.detectedBy,
                                                      detail: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        var provided: Int32 = 0
        try Self.check("MPI_Init_thread", library.init_thread!(nil, nil, Int32(CMPI_THREAD_FUNNELED), &provided))
        guard provided >= Int32(CMPI_THREAD_FUNNELED) else {
            throw DistributedError.libraryUnavailable(launch: launch.detectedBy,
                                                      detail: "the library offers thread level \(provided), MPI_THREAD_FUNNELED (1) is needed")
        }
        var value: Int32 = 0
        try Self.check("MPI_Comm_rank", library.comm_rank!(library.comm_world, &value))
        rank = Int(value)
        try Self.check("MPI_Comm_size", library.comm_size!(library.comm_world, &value))
        size = Int(value)
        var name = [CChar](repeating: 0, count: Int(CMPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        try Self.check("MPI_Get_processor_name", library.get_processor_name!(&name, &length))
        host = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func check(_ call: String, _ code: Int32) throws {
        guard code == Int32(CMPI_SUCCESS) else { throw DistributedError.callFailed(call: call, code: code) }
    }

    /// Starts sending `message` to `destination`; completes in the background (see `progress`).
    func send(_ message: Message, to destination: Int) throws {
        let bytes = message.encoded()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        var request: cmpi_request?
        try Self.check("MPI_Isend", library.isend!(buffer, Int32(bytes.count), library.byte, Int32(destination),
                                                  message.tag, library.comm_world, &request))
        bytesSent += bytes.count
        pending.append((request, buffer))
        try progress()
    }

    /// Frees the buffers of sends that have completed.
    func progress() throws {
        var index = 0
        while index < pending.count {
            var flag: Int32 = 0
            var status = cmpi_status()
            try Self.check("MPI_Test", library.test!(&pending[index].request, &flag, &status))
            if flag != 0 {
                pending[index].buffer.deallocate()
                pending.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    /// Whether every send has completed.
    var sendsComplete: Bool { pending.isEmpty }

    /// The next message that has arrived from anyone, or nil at once when none has.
    func receive() throws -> (source: Int, message: Message)? {
        try progress()
        var flag: Int32 = 0
        var status = cmpi_status()
        try Self.check("MPI_Iprobe", library.iprobe!(Int32(CMPI_ANY_SOURCE), Int32(CMPI_ANY_TAG), library.comm_world, &flag, &status))
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        try Self.check("MPI_Get_count", library.get_count!(&status, library.byte, &count))
        var bytes = [UInt8](repeating: 0, count: Int(count))
        var received = cmpi_status()
        try bytes.withUnsafeMutableBytes { raw in
            try Self.check("MPI_Recv", library.recv!(raw.baseAddress, count, library.byte, status.source, status.tag,
                                                    library.comm_world, &received))
        }
        bytesReceived += bytes.count
        return (Int(status.source), try Message(tag: status.tag, bytes: bytes))
    }

    /// Waits (polling, sleeping between polls) for the next message until `deadline`; nil when it passes.
    func receive(before deadline: Date) throws -> (source: Int, message: Message)? {
        while Date() < deadline {
            if let received = try receive() { return received }
            usleep(Self.pollMicroseconds)
        }
        return nil
    }

    /// Sleep between polls: short against a point's seconds, long enough that an idle rank
    /// costs no measurable CPU (OpenMPI's own blocking receive would spin a core).
    static let pollMicroseconds: UInt32 = 500

    /// Waits up to `seconds` for outstanding sends, then MPI_Finalize.
    func finalize(waitingAtMost seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while !sendsComplete, Date() < deadline {
            try? progress()
            usleep(Self.pollMicroseconds)
        }
        _ = library.finalize!()
    }

    /// A worker rank's whole part: `serve` until rank 0 says stop, then MPI_Finalize; on a failure (rank 0
    /// has been told where it could be) the message on standard error, naming this rank and host, and
    /// MPI_Abort.
    func runWorker(_ serve: () throws -> Void) {
        do {
            try serve()
            finalize()
        } catch {
            FileHandle.standardError.write(Data("landscape: rank \(rank) on \(host): \(error)\n".utf8))
            abort(code: 1)
        }
    }

    /// MPI_Abort: the launcher ends every rank.
    func abort(code: Int32) -> Never {
        _ = library.abort!(library.comm_world, code)
        exit(code)
    }
}
