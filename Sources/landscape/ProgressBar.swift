import Foundation
import Landscape

/// Draws `ProgressReport`s on stderr: a bar redrawn in place on a terminal,
/// a plain line every 5 % otherwise (logs, CI).
final class ProgressBar {
    private let unit: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastPrintedPercent = -5
    private var lastDraw = Date.distantPast

    init(unit: String) { self.unit = unit }

    func update(_ report: ProgressReport) {
        let percent = Int(report.fraction * 100)
        if interactive {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || report.done == report.total else { return }
            lastDraw = Date()
            let width = 30
            let filled = Int(report.fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(report.label) [\(bar)] \(percent)% \(report.done)/\(report.total) \(unit)  \(Self.rate(report.rate)) \(unit)/s  ETA \(Self.duration(report.etaSeconds))".utf8))
            if report.done == report.total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if percent >= lastPrintedPercent + 5 || report.done == report.total {
            lastPrintedPercent = percent
            FileHandle.standardError.write(Data("\(report.label): \(percent)% (\(report.done)/\(report.total) \(unit), \(Self.rate(report.rate)) \(unit)/s, ETA \(Self.duration(report.etaSeconds)))\n".utf8))
        }
    }

    func finish() { if interactive { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func rate(_ value: Double) -> String { value >= 10 ? String(format: "%.0f", value) : String(format: "%.2f", value) }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}

/// Turns SIGINT/SIGTERM into a cancellation flag, so long work stops at the
/// next point, saves what it has, and exits cleanly (resumable).
enum InterruptHandler {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(_ flag: CancellationFlag, message: String = "interrupted: saving finished points…") {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\n\(message)\n".utf8))
                flag.cancel()
            }
            source.resume()
            sources.append(source)
        }
    }
}
