import Foundation
import LandscapeEngine
import XCTest

/// `landscape bench` as a researcher runs it (the built binary): activations alternated in one process and
/// reported against the first, and the multiplies it divides by the FMA peak. No speed is asserted.
final class BenchCommandTests: XCTestCase {
    func testActivationsAlternateAndReportAgainstTheFirst() throws {
        let child = try Child(try MPIFixture.binary(), ["bench", "--activation", "relu,mish", "--algorithms", "winograd4",
                                                        "--threads", "1", "--batches", "8", "--images", "16", "--repeats", "2", "--json"])
        XCTAssertEqual(child.wait(atMost: 300), 0, child.output)
        let json = try XCTUnwrap(child.output.firstIndex(of: "{").map { String(child.output[$0...]) })
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(document["activations"] as? [String], ["relu", "mish"])
        let rows = try XCTUnwrap(document["results"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["activation"] as? String }, ["relu", "mish"])
        XCTAssertEqual(rows[0]["against_first_activation"] as? Double, 1, "relu against itself, run by run")
        let mish = try XCTUnwrap(rows[1]["against_first_activation"] as? Double)
        XCTAssertTrue(mish.isFinite && mish > 0, "\(mish)")
        let arch = try ResNetArchitecture(depth: 20)
        let expected = ConvolutionPlan.uniform(.winograd4).multiplyFLOPs(arch, height: 32, width: 32)
        XCTAssertEqual(rows.map { $0["multiply_flops_per_image"] as? Double }, [expected, expected])
    }

    /// One timed run: its share of the FMA peak is its multiplies per CPU-second over the peak measured after it.
    func testTheShareIsTheRunsMultipliesOverThePeakBesideIt() throws {
        guard FMAPeak.isa != nil else { throw XCTSkip("no AVX2 + FMA: bench measures no peak here") }
        let child = try Child(try MPIFixture.binary(), ["bench", "--algorithms", "direct", "--threads", "1", "--batches", "8",
                                                        "--images", "16", "--repeats", "1", "--json"])
        XCTAssertEqual(child.wait(atMost: 300), 0, child.output)
        let json = try XCTUnwrap(child.output.firstIndex(of: "{").map { String(child.output[$0...]) })
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(document["fma_peak_isa"] as? String, FMAPeak.isa?.rawValue)
        let row = try XCTUnwrap((document["results"] as? [[String: Any]])?.first)
        let flops = try XCTUnwrap(row["multiply_flops_per_image"] as? Double)
        XCTAssertEqual(flops, Double(try ResNetArchitecture(depth: 20).forwardFLOPs(height: 32, width: 32)), "direct: every multiply")
        let rate = try XCTUnwrap(row["images_per_cpu_second"] as? Double)
        let peak = try XCTUnwrap(row["fma_peak_gflops"] as? Double)
        let share = try XCTUnwrap(row["fma_peak_share"] as? Double)
        XCTAssertEqual(share, rate * flops / 1e9 / peak, accuracy: 1e-12 * share)
        XCTAssertEqual(row["multiply_gflops_per_cpu_second"] as? Double ?? 0, rate * flops / 1e9, accuracy: 1e-9 * rate * flops / 1e9)
    }

    func testARepeatedActivationIsRefused() throws {
        let child = try Child(try MPIFixture.binary(), ["bench", "--activation", "relu,relu", "--images", "8"])
        XCTAssertNotEqual(child.wait(atMost: 60), 0)
        XCTAssertTrue(child.output.contains("--activation"), child.output)
    }

    /// `--input 1x28x28`: the shipped Fashion-MNIST models' network (1-channel stem, 28, 14 and 7-pixel planes),
    /// its FLOPs counted on that shape, not CIFAR's.
    func testTheInputShapeSetsTheNetworkAndItsFLOPs() throws {
        let child = try Child(try MPIFixture.binary(), ["bench", "--input", "1x28x28", "--algorithms", "direct", "--threads", "1",
                                                        "--batches", "8", "--images", "16", "--repeats", "1", "--json"])
        XCTAssertEqual(child.wait(atMost: 300), 0, child.output)
        let json = try XCTUnwrap(child.output.firstIndex(of: "{").map { String(child.output[$0...]) })
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(document["input"] as? String, "1x28x28")
        XCTAssertEqual(document["architecture"] as? String, try ResNetArchitecture(depth: 20, inputChannels: 1).description)
        let row = try XCTUnwrap((document["results"] as? [[String: Any]])?.first)
        // Written out: stem 1→16 at 28x28, 6 convolutions 16→16 at 28x28, 16→32 to 14x14, 5 of 32→32 at 14x14,
        // 32→64 to 7x7, 5 of 64→64 at 7x7 (9 taps each), and the 64→10 classifier; 2 FLOPs per multiply-add.
        let macs = 9 * (16 * 1 * 784 + 6 * 16 * 16 * 784 + 32 * 16 * 196 + 5 * 32 * 32 * 196 + 64 * 32 * 49 + 5 * 64 * 64 * 49)
            + 64 * 10
        XCTAssertEqual(row["multiply_flops_per_image"] as? Double, Double(2 * macs))
    }

    func testAMalformedInputShapeIsRefusedWithWhatIsExpected() throws {
        for bad in ["28x28", "2x28x28", "1x28x4", "1x28xa"] {
            let child = try Child(try MPIFixture.binary(), ["bench", "--input", bad, "--images", "8"])
            XCTAssertNotEqual(child.wait(atMost: 60), 0, bad)
            XCTAssertTrue(child.output.contains("--input") && child.output.contains(bad), child.output)
        }
    }
}
