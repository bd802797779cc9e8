#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LandscapeEngine

/// Runs this executable once more with `OPENBLAS_CORETYPE` set when the engine finds that the
/// loaded OpenBLAS picked kernels below what this CPU offers (issue 20, item 4b; the decision is
/// `BLASCore.coreTypeToForce`). OpenBLAS reads the variable only while it loads, before `main`,
/// so setting it here would be too late: exec replaces the process (same PID, same arguments,
/// same descriptors) and the new image loads the library with the variable set. Runs before
/// anything else, so no thread, file or MPI connection exists yet. If exec fails the command
/// runs on with the kernels it has.
enum BLASCoreReexec {
    static func runIfNeeded() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        guard let core = BLASCore.coreTypeToForce(environment: environment) else { return }
        let detected = BLASCore.loadedCore
        setenv(BLASCore.reexecGuardVariable, detected, 1)
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: leave the environment as it was for child processes.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(BLASCore.reexecGuardVariable)
        #endif
    }
}
