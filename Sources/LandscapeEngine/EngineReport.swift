/// What the engine runs on, for `landscape bench` and benchmark scripts: the CPU, the ISA the
/// convolution kernels were dispatched to, and the BLAS core.
public enum EngineReport {
    /// The ISA the register kernels (direct, Winograd) run on: "avx512" or "avx2", or "portable" when
    /// every convolution goes through im2col and BLAS (`KernelISA`).
    public static var convolutionISA: String { KernelISA.current.rawValue }

    public static func fields(environment: [String: String]) -> [(key: String, value: String)] {
        [("cpu", CPUFeatures.brand.isEmpty ? "unknown" : CPUFeatures.brand),
         ("cpu_features", CPUFeatures.current.summary),
         ("convolution_isa", convolutionISA),
         ("onednn", "\(OneDNN.version) (\(OneDNN.isa))"),
         ("blas", BLASCore.summary(environment: environment)),
         ("blas_core", BLASCore.loadedCore)]
    }
}
