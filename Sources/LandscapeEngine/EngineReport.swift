/// What the engine runs on, for `landscape bench` and benchmark scripts: the CPU, the ISA the
/// convolution kernels were dispatched to, and the BLAS core.
public enum EngineReport {
    /// "avx2+fma" when the register kernels run (direct, Winograd), "portable" when every
    /// convolution goes through im2col and BLAS.
    public static var convolutionISA: String { DirectConvolution.isAvailable ? "avx2+fma" : "portable" }

    public static func fields(environment: [String: String]) -> [(key: String, value: String)] {
        [("cpu", CPUFeatures.brand.isEmpty ? "unknown" : CPUFeatures.brand),
         ("cpu_features", CPUFeatures.current.summary),
         ("convolution_isa", convolutionISA),
         ("blas", BLASCore.summary(environment: environment)),
         ("blas_core", BLASCore.loadedCore)]
    }
}
