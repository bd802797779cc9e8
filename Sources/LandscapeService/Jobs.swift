import Foundation
import Landscape
import LandscapeEngine
import LandscapeCore

/// The work of a job: the surfaces of one request (progress in grid points) or
/// the spectra of one Hessian request (progress in Hessian-vector products).
/// Both run on the same queue, with the same progress, events and cancel.
enum JobWork {
    case surfaces(SurfaceComputation)
    case hessian(HessianJobWork)
    /// Every seed's surfaces of a seed study, then the study (progress in grid points over all seeds).
    case study(StudyJobWork)
}

/// One request being computed (surfaces or a Hessian run): its state, progress and the events an
/// SSE client replays. Reference type: a job has identity and is shared
/// between the worker thread and HTTP connections.
public final class Job: @unchecked Sendable {
    public enum State: String, Codable, Sendable { case queued, running, done, failed, cancelled }
    /// What the job computes: `surface_ids` name a surface job's results, `hessian_id` a Hessian job's,
    /// `study_id` a seed study's (whose `surface_ids` are every seed's surfaces).
    public enum Kind: String, Codable, Sendable { case surface, hessian, study }

    /// What GET /api/jobs/{id} answers.
    public struct Snapshot: Codable, Sendable, Equatable {
        public var id: String
        public var kind: Kind
        public var state: State
        public var surfaceIds: [String]
        public var hessianId: String?
        public var studyId: String?
        public var progress: ProgressInfo
        public var error: String?
        public var created: String
        public var isFinished: Bool { state == .done || state == .failed || state == .cancelled }
    }

    public struct ProgressInfo: Codable, Sendable, Equatable {
        public var done: Int
        public var total: Int
        /// Points per second since the job started running.
        public var rate: Double?
        public var etaSeconds: Double?
        /// What is being computed now (a Hessian job: "<model> eigenvalues", "<model> trace", "<model> density").
        public var phase: String?
    }

    /// One Server-Sent Event, already encoded.
    struct Event { let sequence: Int; let name: String; let data: Data }

    public let id: String
    public let kind: Kind
    public let surfaceIDs: [String]
    public let hessianID: String?
    public let studyID: String?
    /// What identifies the results: two requests with the same key are one computation.
    var resultKey: [String] { Self.resultKey(kind: kind, surfaceIDs: surfaceIDs, hessianID: hessianID, studyID: studyID) }

    static func resultKey(kind: Kind, surfaceIDs: [String], hessianID: String?, studyID: String?) -> [String] {
        switch kind {
        case .surface: return surfaceIDs
        case .hessian: return [hessianID ?? ""]
        case .study: return [studyID ?? ""]
        }
    }
    /// The work to do; released when the job finishes (models, data and directions are megabytes).
    var computation: JobWork? { condition.lock(); defer { condition.unlock() }; return work }
    private var work: JobWork?
    /// Events dropped from the front of `events` after the job finished (sequence numbers stay valid).
    private var droppedEvents = 0
    private var finishedAt: Date?
    let cancelFlag = CancellationFlag()
    private let created = ISO8601DateFormatter().string(from: Date())
    private let condition = NSCondition()
    private var state: State
    private var progress: ProgressInfo
    private var error: String?
    private var events: [Event] = []

    init(id: String, computation: JobWork?, kind: Kind = .surface, surfaceIDs: [String], hessianID: String? = nil,
         studyID: String? = nil, alreadyDone: Int, total: Int) {
        self.id = id
        work = computation
        self.kind = kind
        self.surfaceIDs = surfaceIDs
        self.hessianID = hessianID
        self.studyID = studyID
        state = computation == nil ? .done : .queued
        progress = ProgressInfo(done: alreadyDone, total: total, rate: nil, etaSeconds: nil)
    }

    public var snapshot: Snapshot {
        condition.lock(); defer { condition.unlock() }
        return snapshotLocked()
    }

    // MARK: Updates from the worker

    func markRunning() { update { $0.state = .running } }

    func recordPoint(_ step: SurfaceComputation.Step) {
        let grid = step.surface.grid
        let (row, column) = (step.point / grid.columns, step.point % grid.columns)
        let point = PointEvent(surfaceId: step.surface.id, index: step.point,
                               x: step.surface.x[column], y: step.surface.y?[row],
                               loss: step.surface.loss[row][column], accuracy: step.surface.accuracy[row][column],
                               lossStderr: step.surface.lossStderr[row][column],
                               diverged: step.surface.isDiverged(step.point))
        condition.lock()
        progress = ProgressInfo(done: step.report.done, total: step.report.total,
                                rate: step.report.rate, etaSeconds: step.report.etaSeconds)
        append("point", point)
        append("progress", ["job": snapshotLocked()])
        condition.broadcast()
        condition.unlock()
    }

    /// One Hessian-vector product done: the job's progress (rate and ETA in products) as a progress event.
    func recordProgress(_ report: ProgressReport) {
        condition.lock()
        progress = ProgressInfo(done: report.done, total: report.total, rate: report.rate, etaSeconds: report.etaSeconds,
                                phase: report.label)
        append("progress", ["job": snapshotLocked()])
        condition.broadcast()
        condition.unlock()
    }

    func finish(_ final: State, error: String? = nil) {
        update {
            $0.state = final
            $0.error = error
            if final == .done { $0.progress.done = $0.progress.total; $0.progress.etaSeconds = 0 }
            // A finished job is history: the computation goes now; its events once readers are done.
            $0.work = nil
            $0.finishedAt = Date()
        }
    }

    /// Readers of a finished job's stream get its last events within seconds; after
    /// `eventGrace` only the final event is kept (the points are in the stored surfaces).
    static let eventGrace: TimeInterval = 60

    /// Drops all but the final event of a job that finished more than `eventGrace` ago.
    func compactEvents(now: Date = Date()) {
        condition.lock(); defer { condition.unlock() }
        guard let finishedAt, now.timeIntervalSince(finishedAt) > Self.eventGrace, events.count > 1 else { return }
        droppedEvents += events.count - 1
        events.removeFirst(events.count - 1)
    }

    private func update(_ change: (Job) -> Void) {
        condition.lock()
        change(self)
        append(state == .running || state == .queued ? "progress" : state.rawValue, ["job": snapshotLocked()])
        condition.broadcast()
        condition.unlock()
    }

    private func snapshotLocked() -> Snapshot {
        Snapshot(id: id, kind: kind, state: state, surfaceIds: surfaceIDs, hessianId: hessianID, studyId: studyID, progress: progress, error: error,
                 created: created)
    }

    private func append<T: Encodable>(_ name: String, _ value: T) {
        let data = (try? LandscapeJSON.encode(value)) ?? Data("{}".utf8)
        events.append(Event(sequence: droppedEvents + events.count, name: name, data: data))
    }

    /// Blocks until the job is done, failed or cancelled, or `timeout` passes.
    func waitUntilFinished(timeout: TimeInterval) {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while !isTerminal { if !condition.wait(until: deadline) { break } }
    }

    // MARK: Reading events

    /// The sequence number the next event will get: a late subscriber starts here.
    var nextSequence: Int { condition.lock(); defer { condition.unlock() }; return droppedEvents + events.count }

    /// Events from `sequence` on, waiting up to `timeout` for the first one.
    /// Empty when nothing arrived; `finished` once the job is over and every event was returned.
    func events(from sequence: Int, timeout: TimeInterval) -> (events: [Event], finished: Bool) {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while droppedEvents + events.count <= sequence && !isTerminal {
            if !condition.wait(until: deadline) { break }
        }
        // A reader behind what a finished job dropped continues with what is left (the final event).
        let first = max(0, sequence - droppedEvents)
        let new = first < events.count ? Array(events[first...]) : []
        return (new, isTerminal && first + new.count >= events.count)
    }

    private var isTerminal: Bool { state == .done || state == .failed || state == .cancelled }
}

/// A point as the event stream sends it.
struct PointEvent: Encodable {
    let surfaceId: String
    let index: Int
    let x: Double
    let y: Double?
    let loss: Double?
    let accuracy: Double?
    let lossStderr: Double?
    /// Computed, but the loss was not finite (loss, accuracy and stderr are null).
    let diverged: Bool
}
