import Foundation

/// Why a distributed run stopped. Every message names the rank and its host
/// where one is to blame, and says that finished points are kept.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// Launched by mpirun/srun, but the MPI library could not be loaded or started.
    case libraryUnavailable(launch: String, detail: String)
    /// An MPI call returned an error code.
    case callFailed(call: String, code: Int32)
    /// A rank sent nothing (no result, no heartbeat) for longer than the rank timeout: dead or hung.
    case rankSilent(rank: Int, host: String, seconds: Double, working: String)
    /// A rank reported an error of its own (a file it could not read, an evaluation that failed).
    case rankFailed(rank: Int, host: String, message: String)
    /// A rank would compute something else than rank 0 (other files, another convolution algorithm).
    case rankMismatch(rank: Int, host: String, detail: String)
    /// Seen from a worker: rank 0 went silent.
    case coordinatorSilent(seconds: Double)
    /// A message that does not fit the protocol (a bug, or another program on the communicator).
    case protocolViolation(String)

    public var description: String {
        switch self {
        case let .libraryUnavailable(launch, detail):
            return "launched by an MPI launcher (\(launch)) but MPI cannot be used: \(detail); "
                + "install OpenMPI 4 (Debian: openmpi-bin), or set LANDSCAPE_MPI_LIBRARY to its libmpi.so, or run without mpirun"
        case let .callFailed(call, code):
            return "\(call) failed with MPI error code \(code)"
        case let .rankSilent(rank, host, seconds, working):
            return "rank \(rank) on host \(host) sent nothing for \(String(format: "%.1f", seconds)) s (--rank-timeout) while \(working): "
                + "it died or hangs; stopping the run. Finished points are saved: run the same command again to resume"
        case let .rankFailed(rank, host, message):
            return "rank \(rank) on host \(host) failed: \(message). Finished points are saved: run the same command again to resume"
        case let .rankMismatch(rank, host, detail):
            return "rank \(rank) on host \(host) does not compute what rank 0 computes: \(detail)"
        case let .coordinatorSilent(seconds):
            return "rank 0 sent nothing for \(String(format: "%.1f", seconds)) s (--rank-timeout): stopping this rank"
        case let .protocolViolation(detail):
            return "unexpected MPI message: \(detail)"
        }
    }
}
