#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LandscapeEngine

/// Runs this executable once more with the environment the engine asks for when it finds that the
/// loaded OpenBLAS picked kernels below what this CPU offers (issue 20, item 4b; the decision is
/// `BLASCore.coreTypeToForce`). OpenBLAS reads the variable only while it loads, before `main`,
/// so setting `OPENBLAS_CORETYPE` here would be too late: exec replaces the process (same PID, same arguments,
/// same descriptors) and the new image loads the library with the variable set. Runs before
/// anything else, so no thread, file or MPI connection exists yet. If exec fails the command
/// runs on with the kernels it has.
enum BLASCoreReexec {
    static func runIfNeeded() {
        #if os(Linux)
        guard let variables = BLASCore.reexecutionEnvironment(environment: ProcessInfo.processInfo.environment)
        else { return }
        for (name, value) in variables { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: leave the environment as it was for child processes.
        for (name, _) in variables { unsetenv(name) }
        #endif
    }
}
