import CDirectConvolution

/// The instruction set the register convolution kernels (CDirectConvolution) run on: AVX-512 where
/// CPUID and XCR0 allow it, else AVX2+FMA, else none (`portable`: every convolution by im2col and
/// BLAS). AVX2 and AVX-512 take every sum in the same order and give the same bits; `portable`
/// rounds differently (about 1e-6). `LANDSCAPE_KERNEL=avx2|avx512|portable` forces one for a
/// whole run (tests, benchmarks); `landscape bench --kernels` compares them.
public enum KernelISA: String, Sendable, CaseIterable, Codable {
    case portable
    case avx2
    case avx512

    /// The environment variable `applyEnvironment` reads.
    public static let environmentVariable = "LANDSCAPE_KERNEL"

    var code: Int32 {
        switch self {
        case .portable: return Int32(CONVOLUTION_ISA_NONE)
        case .avx2: return Int32(CONVOLUTION_ISA_AVX2)
        case .avx512: return Int32(CONVOLUTION_ISA_AVX512)
        }
    }

    /// Whether this CPU and its OS can run the kernels on this ISA (`portable` always can).
    public var isSupported: Bool { self == .portable || convolution_isa_supported(code) != 0 }

    /// The ISA the kernels run on now.
    public static var current: KernelISA {
        switch convolution_isa() {
        case Int32(CONVOLUTION_ISA_AVX512): return .avx512
        case Int32(CONVOLUTION_ISA_AVX2): return .avx2
        default: return .portable
        }
    }

    /// The best this CPU offers (what runs unless something was selected).
    public static var best: KernelISA { allCases.last { $0.isSupported } ?? .portable }

    /// Runs the kernels on `isa` from now on. Networks (`InferenceNetwork`) pack their weights for the
    /// kernels when they are built: select `portable` before building the networks it should apply to.
    /// Not while an evaluation runs.
    public static func select(_ isa: KernelISA) throws(KernelISAError) {
        guard isa.isSupported, convolution_select_isa(isa.code) == 0 else {
            throw .unsupported(isa, cpu: CPUFeatures.current.summary)
        }
    }

    /// `text` as an ISA name; `source` names where it came from for the error.
    public static func parse(_ text: String, source: String) throws(KernelISAError) -> KernelISA {
        guard let isa = KernelISA(rawValue: text.lowercased()) else { throw .unknown(value: text, source: source) }
        return isa
    }

    /// Selects the ISA `LANDSCAPE_KERNEL` names, if it is set and not empty; returns it.
    @discardableResult
    public static func applyEnvironment(_ environment: [String: String]) throws(KernelISAError) -> KernelISA? {
        guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
        let isa = try parse(value, source: environmentVariable)
        try select(isa)
        return isa
    }
}

public enum KernelISAError: Error, CustomStringConvertible, Equatable {
    /// `value` (from `source`: an environment variable or option) names no ISA.
    case unknown(value: String, source: String)
    /// This CPU or OS cannot run `isa`.
    case unsupported(KernelISA, cpu: String)

    public var description: String {
        switch self {
        case let .unknown(value, source):
            return "\(source): '\(value)' is not a convolution kernel ISA; expected one of "
                + KernelISA.allCases.map(\.rawValue).joined(separator: ", ")
        case let .unsupported(isa, cpu):
            let needs = isa == .avx512
                ? "AVX-512 F, BW, DQ and VL, and an OS that saves opmask and ZMM state (XCR0 bits 5-7)"
                : "AVX2 and FMA, and an OS that saves YMM state (XCR0 bits 1-2)"
            return "kernel ISA \(isa.rawValue) needs \(needs); this CPU offers: \(cpu)"
        }
    }
}
