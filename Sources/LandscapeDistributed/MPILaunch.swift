import Foundation

/// How this process was started by an MPI launcher, read from the environment
/// the launcher sets (nothing is loaded to find out): OpenMPI's mpirun sets
/// OMPI_COMM_WORLD_RANK/SIZE, PMIx launchers (srun --mpi=pmix, prterun) set
/// PMIX_RANK, PMI-1/2 launchers (srun --mpi=pmi2, MPICH's hydra) PMI_RANK/PMI_SIZE.
/// No such variable: a plain run, and MPI is never loaded.
public struct MPILaunch: Sendable, Equatable {
    /// This process's rank as the launcher numbered it.
    public var rank: Int
    /// Number of ranks, when the launcher says (PMIx alone does not: MPI_Comm_size tells).
    public var size: Int?
    /// The variable that gave the launch away, for messages.
    public var detectedBy: String

    /// The shared library to load: LANDSCAPE_MPI_LIBRARY, or OpenMPI 4's soname.
    public var library: String

    public static let defaultLibrary = "libmpi.so.40"

    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> MPILaunch? {
        let library = environment["LANDSCAPE_MPI_LIBRARY"] ?? defaultLibrary
        let candidates: [(rank: String, size: String?)] = [
            ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMIX_RANK", nil), ("PMI_RANK", "PMI_SIZE"),
        ]
        for (rankVariable, sizeVariable) in candidates {
            guard let text = environment[rankVariable], let rank = Int(text), rank >= 0 else { continue }
            let size = sizeVariable.flatMap { environment[$0] }.flatMap { Int($0) }
            return MPILaunch(rank: rank, size: size, detectedBy: "\(rankVariable)=\(text)", library: library)
        }
        return nil
    }
}
