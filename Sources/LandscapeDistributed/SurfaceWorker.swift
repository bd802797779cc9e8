import Foundation
import Landscape
import LandscapeEngine

/// A rank other than 0: says hello, builds the computation from rank 0's directions,
/// then evaluates the points it is handed, one at a time with its own `--threads`,
/// sending a heartbeat while each runs so rank 0 can tell a slow point from a dead rank.
/// A run of several computations (a seed study: one per seed) sends new directions, with the
/// computation's index, before the next one's points: the worker builds that one and says ready again.
struct SurfaceWorker {
    let mpi: MPIProcess
    let rankTimeout: Double

    /// Seconds between heartbeats: a few per rank timeout, at most one a second.
    var heartbeatInterval: Double { min(1, rankTimeout / 4) }

    func serve(build: DistributedSurface.SeriesBuild) throws {
        try mpi.send(.hello(host: mpi.host, pid: Int(getpid())), to: 0)
        var computation: SurfaceComputation?
        while true {
            guard let (_, message) = try waitForCoordinator() else { return }
            switch message {
            case let .directions(index, x, y):
                computation = nil   // the previous computation's directions go before the next one's are built
                let shared = x.indices.map { (x: Direction(values: x[$0]), y: y.indices.contains($0) ? Direction(values: y[$0]) : nil) }
                let built: SurfaceComputation
                do { built = try build(index, shared) } catch {
                    try mpi.send(.failed("\(error)"), to: 0)
                    return
                }
                computation = built
                try mpi.send(.ready(keys: built.models.indices.map { built.key(for: $0) },
                                    algorithm: built.evaluator.convolutionSummary), to: 0)
            case .task(let task):
                guard let computation else { throw DistributedError.protocolViolation("rank 0 sent a point before the directions") }
                guard try evaluate(task, of: computation) else { return }
            case .heartbeat: continue
            case .stop: return
            default: throw DistributedError.protocolViolation("rank 0 sent tag \(message.tag) to a worker")
            }
        }
    }

    /// The next message from rank 0; throws when it stays silent past the rank timeout.
    private func waitForCoordinator() throws -> (Int, Message)? {
        guard let received = try mpi.receive(before: Date().addingTimeInterval(rankTimeout)) else {
            throw DistributedError.coordinatorSilent(seconds: rankTimeout)
        }
        return received
    }

    /// Evaluates one point on a thread while this one sends heartbeats and listens for stop.
    /// Returns false when told to stop.
    private func evaluate(_ task: SurfaceTask, of computation: SurfaceComputation) throws -> Bool {
        let slot = LocalSlot(computation: computation)
        slot.start(task)
        var lastBeat = Date()
        while true {
            if let (_, outcome) = slot.takeFinished() {
                switch outcome {
                case .success(let values): try mpi.send(.result(task, values), to: 0)
                case .failure(let error): try mpi.send(.failed("evaluating point \(task.point) of model \(task.model): \(error)"), to: 0)
                }
                return true
            }
            if let (_, message) = try mpi.receive(), message != .heartbeat {
                guard case .stop = message else {
                    throw DistributedError.protocolViolation("rank 0 sent tag \(message.tag) while point \(task.point) runs")
                }
                slot.cancelAndWait()
                return false
            }
            if Date().timeIntervalSince(lastBeat) >= heartbeatInterval {
                try mpi.send(.heartbeat, to: 0)
                lastBeat = Date()
            }
            usleep(MPIProcess.pollMicroseconds)
        }
    }
}
