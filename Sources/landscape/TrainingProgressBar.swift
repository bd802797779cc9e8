import Foundation
import LandscapeEngine

/// One epoch's progress on stderr: batch, running loss and accuracy, img/s
/// and ETA, redrawn in place on a terminal, a line every 10 % otherwise.
final class TrainingProgressBar {
    private let epochs: Int
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var lastPrintedPercent = -10
    private var epoch = -1
    private var epochStart = Date()
    private var lossSum = 0.0, accuracySum = 0.0, batches = 0
    private var drawn = false

    init(epochs: Int) { self.epochs = epochs }

    func update(_ report: TrainingProgress) {
        if report.epoch != epoch {
            epoch = report.epoch
            lossSum = 0; accuracySum = 0; batches = 0
            lastPrintedPercent = -10
        }
        lossSum += report.loss
        accuracySum += report.accuracy
        batches += 1
        let done = report.batch + 1
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = Double(batches) / max(elapsed, 1e-9)           // batches per second this session
        let eta = Double(report.batchesPerEpoch - done) / rate
        let percent = done * 100 / report.batchesPerEpoch
        let speed = report.imagesPerSecond
        let line = String(format: "epoch %d/%d batch %d/%d  loss %.4f  acc %5.1f %%  %.0f img/s  ETA ",
                          report.epoch + 1, epochs, done, report.batchesPerEpoch, lossSum / Double(batches),
                          accuracySum / Double(batches) * 100, speed) + ProgressBar.duration(eta)
        if interactive {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || done == report.batchesPerEpoch else { return }
            lastDraw = Date()
            let width = 24
            let filled = done * width / report.batchesPerEpoch
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(bar)] \(line)".utf8))
            drawn = true
        } else if percent >= lastPrintedPercent + 10 || done == report.batchesPerEpoch {
            lastPrintedPercent = percent
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Ends the in-place line so stdout starts on a fresh one; the next
    /// epoch's clock starts here (creation starts the first one).
    func finish() {
        epochStart = Date()
        if interactive && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
