import Foundation

/// What rank 0 knows of the other ranks, shared by the surface and the Hessian coordinators:
/// each rank's host, when it was last heard from, which were told to stop; the set-up
/// handshake (every worker says hello and ready, or is named when silent past the timeout)
/// and the best-effort stop.
final class RankRoster {
    let mpi: MPIProcess
    let rankTimeout: Double
    private var hosts: [Int: String] = [:]
    var lastHeard: [Int: Date] = [:]
    private var stopped = Set<Int>()

    init(mpi: MPIProcess, rankTimeout: Double) {
        self.mpi = mpi
        self.rankTimeout = rankTimeout
        hosts[0] = mpi.host
    }

    var workers: [Int] { Array(1..<mpi.size) }

    func host(_ rank: Int) -> String { hosts[rank] ?? "unknown (it never reported)" }

    /// "host-a, host-b": every host of the run, for the summary line.
    var hostList: String { Set(hosts.values).sorted().joined(separator: ", ") }

    /// Waits until every worker has said it is ready; `accept` checks what a worker reports
    /// (its keys and convolution algorithm) and throws naming the mismatch. `working` says
    /// what a silent rank was doing.
    func waitForReady(working: String, accept: (_ rank: Int, _ keys: [String], _ algorithm: String) throws -> Void) throws {
        var ready = Set<Int>()
        let begun = Date()
        for rank in workers { lastHeard[rank] = begun }
        while ready.count < workers.count {
            guard let (source, message) = try mpi.receive(before: Date().addingTimeInterval(0.05)) else {
                for rank in workers where !ready.contains(rank) && Date().timeIntervalSince(lastHeard[rank]!) > rankTimeout {
                    throw DistributedError.rankSilent(rank: rank, host: host(rank), seconds: Date().timeIntervalSince(lastHeard[rank]!),
                                                      working: working)
                }
                continue
            }
            lastHeard[source] = Date()
            switch message {
            case let .hello(host, _):
                hosts[source] = host
            case .heartbeat:
                break   // a worker's last beat of the previous computation (a run of several)
            case let .ready(keys, algorithm):
                try accept(source, keys, algorithm)
                ready.insert(source)
            case .failed(let why):
                throw DistributedError.rankFailed(rank: source, host: host(source), message: why)
            default:
                throw DistributedError.protocolViolation("rank \(source) sent tag \(message.tag) while setting up")
            }
        }
    }

    /// Tells every worker not yet told to stop (best effort: a dead rank cannot be told).
    func stopAll(reason: String) {
        for rank in workers where !stopped.contains(rank) {
            stopped.insert(rank)
            try? mpi.send(.stop(reason: reason), to: rank)
        }
        let deadline = Date().addingTimeInterval(2)
        while !mpi.sendsComplete, Date() < deadline {
            try? mpi.progress()
            usleep(MPIProcess.pollMicroseconds)
        }
    }
}
