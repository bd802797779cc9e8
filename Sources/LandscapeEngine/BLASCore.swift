import COpenBLAS

/// Which OpenBLAS kernels run, and whether they are the ones this CPU deserves.
///
/// OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels ("core") from CPUID when the
/// library loads, or from `OPENBLAS_CORETYPE` when that is set. 0.3.21 does not know every CPU:
/// on a Sapphire Rapids Xeon it falls back to "Prescott" (SSE3) and its sgemm runs 5-7x slower
/// (issue 20: 14.6 GFLOP/s on one thread at 1024³, against 77 with SkylakeX and 101 with
/// Cooperlake). The core cannot be changed once the library has loaded, so the `landscape`
/// executable asks `coreTypeToForce` first thing and, when it names a core, runs itself again with
/// `OPENBLAS_CORETYPE` set (once: `reexecGuardVariable` marks the second run).
public enum BLASCore {
    /// Set in the environment of the re-executed run; its value is the core OpenBLAS had picked.
    public static let reexecGuardVariable = "LANDSCAPE_OPENBLAS_CORE_WAS"

    /// OpenBLAS's kernel families on x86-64 by the widest vectors their sgemm uses.
    public enum Level: Int, Comparable, Sendable {
        case sse = 0, avx, avx2, avx512
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// The level of an OpenBLAS core name (as `openblas_get_corename()` reports it, any case);
    /// nil for names this table does not know (then nothing is forced).
    public static func level(ofCore name: String) -> Level? {
        switch name.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
             "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            return .sse
        case "sandybridge", "bulldozer", "piledriver", "steamroller":
            return .avx
        case "haswell", "excavator", "zen":
            return .avx2
        case "skylakex", "cooperlake", "sapphirerapids":
            return .avx512
        default:
            return nil
        }
    }

    /// The core this CPU justifies: Cooperlake (AVX-512 with BF16) or SkylakeX on Intel CPUs whose
    /// OS saves the AVX-512 state; Zen on AMD (and Hygon) CPUs with AVX2, even with AVX-512 (Zen 4
    /// runs 512-bit FMAs at half rate, and OpenBLAS 0.3.21 itself calls some of them Zen), Haswell
    /// on others with AVX2 and FMA; Sandybridge with AVX only; nil without AVX (nothing to gain).
    public static func bestCore(for cpu: CPUFeatures) -> (name: String, level: Level)? {
        if cpu.vendor == .intel, cpu.usableAVX512 { return (cpu.avx512BF16 ? "Cooperlake" : "SkylakeX", .avx512) }
        if cpu.usableAVX2FMA { return (cpu.vendor == .amd ? "Zen" : "Haswell", .avx2) }
        if cpu.usableAVX { return ("Sandybridge", .avx) }
        return nil
    }

    /// The pure decision: the `OPENBLAS_CORETYPE` to re-execute with, or nil to run as is.
    /// - Parameters:
    ///   - reportedCore: what the loaded library picked (`openblas_get_corename()`).
    ///   - dynamicArch: whether the library was built with DYNAMIC_ARCH (otherwise the variable does nothing).
    ///   - environment: the process environment; a user's own `OPENBLAS_CORETYPE` (even empty) is
    ///     respected, and the guard variable stops a second re-execution.
    public static func coreTypeToForce(cpu: CPUFeatures, reportedCore: String, dynamicArch: Bool,
                                       environment: [String: String]) -> String? {
        guard dynamicArch, environment["OPENBLAS_CORETYPE"] == nil, environment[reexecGuardVariable] == nil,
              let reported = level(ofCore: reportedCore), let best = bestCore(for: cpu), reported < best.level
        else { return nil }
        return best.name
    }

    /// The core the loaded OpenBLAS uses ("Haswell", "Cooperlake", ...).
    public static var loadedCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The loaded library's build line ("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64").
    public static var loadedConfiguration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// `coreTypeToForce` for this process: this CPU, the loaded library, the given environment.
    public static func coreTypeToForce(environment: [String: String]) -> String? {
        coreTypeToForce(cpu: .current, reportedCore: loadedCore,
                        dynamicArch: loadedConfiguration.split(separator: " ").contains("DYNAMIC_ARCH"),
                        environment: environment)
    }

    /// What to add to the environment before re-executing this program (the guard, holding the core
    /// the library picked, and `OPENBLAS_CORETYPE`), or nil to run as is. The caller only sets them and
    /// execs: which variables and values stay the engine's business.
    public static func reexecutionEnvironment(environment: [String: String]) -> [(name: String, value: String)]? {
        guard let core = coreTypeToForce(environment: environment) else { return nil }
        return [(reexecGuardVariable, loadedCore), ("OPENBLAS_CORETYPE", core)]
    }

    /// One line for `landscape bench`/`inspect`: "OpenBLAS 0.3.21, core Cooperlake (as detected)".
    public static func summary(environment: [String: String]) -> String {
        let words = loadedConfiguration.split(separator: " ")
        let version = words.count >= 2 && words[0] == "OpenBLAS" ? "OpenBLAS \(words[1])" : "BLAS"
        let how: String
        if let was = environment[reexecGuardVariable] {
            how = "set by landscape with OPENBLAS_CORETYPE; the library had picked \(was)"
        } else if let user = environment["OPENBLAS_CORETYPE"] {
            how = "OPENBLAS_CORETYPE=\(user) from the environment"
        } else {
            how = "as the library detected it"
        }
        return "\(version), core \(loadedCore) (\(how))"
    }
}
