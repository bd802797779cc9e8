import CDirectConvolution

/// What an x86-64 CPU offers (CPUID) and what the OS saves for it (XCR0): the facts behind the
/// engine's choices of kernels and its check of OpenBLAS's core. A plain value so that tests can
/// describe CPUs this machine is not (`current` is this one).
public struct CPUFeatures: Sendable, Equatable {
    public enum Vendor: Sendable, Equatable { case intel, amd, other }

    public var vendor: Vendor
    public var family: Int
    public var model: Int
    public var avx: Bool
    public var fma: Bool
    public var avx2: Bool
    /// AVX-512 F, DQ, CD, BW and VL all present (what OpenBLAS's SkylakeX kernels need).
    public var avx512Core: Bool
    public var avx512BF16: Bool
    /// XCR0: bits 1-2 SSE/AVX state, 5-7 AVX-512 opmask/ZMM state (0 when the OS has no XSAVE).
    public var xcr0: UInt64

    public init(vendor: Vendor, family: Int = 0, model: Int = 0, avx: Bool, fma: Bool, avx2: Bool,
                avx512Core: Bool, avx512BF16: Bool = false, xcr0: UInt64) {
        self.vendor = vendor; self.family = family; self.model = model
        self.avx = avx; self.fma = fma; self.avx2 = avx2
        self.avx512Core = avx512Core; self.avx512BF16 = avx512BF16; self.xcr0 = xcr0
    }

    /// The OS saves YMM state (XCR0 bits 1 and 2): AVX instructions are usable.
    public var osSupportsAVX: Bool { xcr0 & 0x6 == 0x6 }
    /// The OS saves opmask and ZMM state too (XCR0 bits 5-7).
    public var osSupportsAVX512: Bool { xcr0 & 0xE6 == 0xE6 }

    public var usableAVX: Bool { avx && osSupportsAVX }
    public var usableAVX2FMA: Bool { usableAVX && avx2 && fma }
    public var usableAVX512: Bool { usableAVX2FMA && avx512Core && osSupportsAVX512 }

    /// This CPU, read once.
    public static let current: CPUFeatures = {
        var raw = landscape_cpu_features()
        landscape_cpu_features_read(&raw)
        let vendorName = withUnsafeBytes(of: raw.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let vendor: Vendor = vendorName == "GenuineIntel" ? .intel
            : (vendorName == "AuthenticAMD" || vendorName == "HygonGenuine") ? .amd : .other
        return CPUFeatures(vendor: vendor, family: Int(raw.family), model: Int(raw.model),
                           avx: raw.avx != 0, fma: raw.fma != 0, avx2: raw.avx2 != 0,
                           avx512Core: raw.avx512f != 0 && raw.avx512dq != 0 && raw.avx512cd != 0
                               && raw.avx512bw != 0 && raw.avx512vl != 0,
                           avx512BF16: raw.avx512_bf16 != 0, xcr0: raw.xcr0)
    }()

    /// The brand string CPUID reports ("AMD EPYC 9R14 96-Core Processor"), trimmed; "" when none.
    public static let brand: String = {
        var buffer = [CChar](repeating: 0, count: 49)
        buffer.withUnsafeMutableBufferPointer { landscape_cpu_brand($0.baseAddress!) }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " ")
    }()

    /// Short description: "AMD family 25 model 17: AVX-512 (BF16), AVX2, FMA".
    public var summary: String {
        let name = vendor == .intel ? "Intel" : vendor == .amd ? "AMD" : "x86"
        var isa: [String] = []
        if usableAVX512 { isa.append(avx512BF16 ? "AVX-512 (BF16)" : "AVX-512") }
        if usableAVX2FMA { isa.append("AVX2, FMA") } else if usableAVX { isa.append("AVX") }
        return "\(name) family \(family) model \(model): " + (isa.isEmpty ? "no AVX" : isa.joined(separator: ", "))
    }
}

private extension String {
    func trimmingCharacters(in character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice.removeFirst() }
        while slice.last == character { slice.removeLast() }
        return String(slice)
    }
}
