import Foundation
import XCTest
import LandscapeEngine

/// The OpenBLAS core check (issue 20, item 4b): the decision as a table of CPUs and reported cores,
/// and this machine's CPUID reading against the kernel's own view in /proc/cpuinfo.
final class BLASCoreDecisionTests: XCTestCase {
    // XCR0 values: SSE+AVX state (0x7), plus opmask/ZMM state (0xE7).
    private let avxState: UInt64 = 0x7, avx512State: UInt64 = 0xE7

    private var sapphireRapids: CPUFeatures {
        CPUFeatures(vendor: .intel, family: 6, model: 0x8F, avx: true, fma: true, avx2: true,
                    avx512Core: true, avx512BF16: true, xcr0: avx512State)
    }
    private var skylakeX: CPUFeatures {
        CPUFeatures(vendor: .intel, family: 6, model: 0x55, avx: true, fma: true, avx2: true,
                    avx512Core: true, avx512BF16: false, xcr0: avx512State)
    }
    private var zen4: CPUFeatures {
        CPUFeatures(vendor: .amd, family: 25, model: 0x11, avx: true, fma: true, avx2: true,
                    avx512Core: true, avx512BF16: true, xcr0: avx512State)
    }
    private var zen3: CPUFeatures {
        CPUFeatures(vendor: .amd, family: 25, model: 0x01, avx: true, fma: true, avx2: true,
                    avx512Core: false, xcr0: avxState)
    }
    private var haswell: CPUFeatures {
        CPUFeatures(vendor: .intel, family: 6, model: 0x3F, avx: true, fma: true, avx2: true,
                    avx512Core: false, xcr0: avxState)
    }

    private func decide(_ cpu: CPUFeatures, _ core: String, dynamicArch: Bool = true,
                        environment: [String: String] = [:]) -> String? {
        BLASCore.coreTypeToForce(cpu: cpu, reportedCore: core, dynamicArch: dynamicArch, environment: environment)
    }

    func testSapphireRapidsReportedAsPrescottGetsAnAVX512Core() {
        XCTAssertEqual(decide(sapphireRapids, "Prescott"), "Cooperlake")
        XCTAssertEqual(decide(skylakeX, "Prescott"), "SkylakeX")
        XCTAssertEqual(decide(sapphireRapids, "Haswell"), "Cooperlake")
    }

    func testCorrectDetectionsAreLeftAlone() {
        XCTAssertNil(decide(sapphireRapids, "Cooperlake"))
        XCTAssertNil(decide(sapphireRapids, "SapphireRapids"))
        XCTAssertNil(decide(skylakeX, "SkylakeX"))
        XCTAssertNil(decide(haswell, "Haswell"))
        XCTAssertNil(decide(zen3, "Zen"))
    }

    func testZen4IsNotPushedToAVX512Kernels() {
        XCTAssertNil(decide(zen4, "Zen"))
        XCTAssertNil(decide(zen4, "Cooperlake"), "what 0.3.21 reports on this project's Zen 4 machines")
        XCTAssertEqual(decide(zen4, "Prescott"), "Zen")
        XCTAssertEqual(decide(zen3, "Nehalem"), "Zen")
    }

    func testTheUsersOwnCoreTypeIsRespected() {
        XCTAssertNil(decide(sapphireRapids, "Prescott", environment: ["OPENBLAS_CORETYPE": "Prescott"]))
        XCTAssertNil(decide(sapphireRapids, "Prescott", environment: ["OPENBLAS_CORETYPE": ""]))
    }

    func testTheGuardStopsASecondReexecution() {
        XCTAssertNil(decide(sapphireRapids, "Prescott", environment: [BLASCore.reexecGuardVariable: "Prescott"]))
    }

    func testNothingIsForcedWithoutDynamicArchOrForUnknownCores() {
        XCTAssertNil(decide(sapphireRapids, "Prescott", dynamicArch: false))
        XCTAssertNil(decide(sapphireRapids, "SomeFutureCore"))
    }

    func testAVX512WithoutOSSupportOnlyJustifiesAVX2() {
        var cpu = sapphireRapids
        cpu.xcr0 = avxState  // the OS does not save ZMM state (e.g. a hypervisor masking it)
        XCTAssertEqual(decide(cpu, "Prescott"), "Haswell")
        cpu.xcr0 = 0         // no XSAVE at all: AVX unusable
        XCTAssertNil(decide(cpu, "Prescott"))
    }

    func testCoreLevelsIgnoreCase() {
        XCTAssertEqual(BLASCore.level(ofCore: "PRESCOTT"), .sse)
        XCTAssertEqual(BLASCore.level(ofCore: "skylakex"), .avx512)
        XCTAssertEqual(BLASCore.level(ofCore: "Zen"), .avx2)
    }

    /// The CPUID reading agrees with the flags the Linux kernel derives from CPUID itself.
    func testThisCPUsFeaturesMatchProcCpuinfo() throws {
        #if os(Linux) && arch(x86_64)
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let lines = text.split(separator: "\n")
        func field(_ name: String) throws -> String {
            let line = try XCTUnwrap(lines.first { $0.hasPrefix(name) && $0.contains(":") }, name)
            return line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        }
        let flags = Set(try field("flags").split(separator: " ").map(String.init))
        let cpu = CPUFeatures.current
        XCTAssertEqual(cpu.avx2, flags.contains("avx2"))
        XCTAssertEqual(cpu.fma, flags.contains("fma"))
        // The kernel lists avx/avx512* only when the OS saves their state, so compare the usable sets.
        XCTAssertEqual(cpu.usableAVX, flags.contains("avx"))
        XCTAssertEqual(cpu.usableAVX512,
                       ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains))
        if cpu.usableAVX512 { XCTAssertEqual(cpu.avx512BF16, flags.contains("avx512_bf16")) }
        XCTAssertEqual(cpu.family, Int(try field("cpu family")))
        XCTAssertEqual(cpu.model, Int(try field("model\t")))
        let brand = try field("model name")
        XCTAssertEqual(CPUFeatures.brand, brand)
        #else
        throw XCTSkip("CPUID is read on x86-64 Linux only")
        #endif
    }

    /// The library loaded into this test process reports a core this table knows, and on this
    /// machine (as built, with no OPENBLAS_CORETYPE) the check finds nothing to force or says what.
    func testTheLoadedLibraryReportsAKnownCore() {
        XCTAssertNotNil(BLASCore.level(ofCore: BLASCore.loadedCore), BLASCore.loadedCore)
        XCTAssertTrue(BLASCore.loadedConfiguration.hasPrefix("OpenBLAS"), BLASCore.loadedConfiguration)
        let summary = BLASCore.summary(environment: [:])
        XCTAssertTrue(summary.contains("core \(BLASCore.loadedCore)"), summary)
    }
}
