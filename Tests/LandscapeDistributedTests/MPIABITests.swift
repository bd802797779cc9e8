import Foundation
import XCTest

/// CMPI declares OpenMPI's ABI itself (MPI is loaded at run time, never compiled against):
/// the real <mpi.h>, through mpicc, checks every constant, the status layout and every
/// function pointer type against those declarations.
final class MPIABITests: XCTestCase {
    func testCMPIsDeclarationsMatchTheInstalledMPIHeader() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let mpicc = path.split(separator: ":").map({ "\($0)/mpicc" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("mpicc is not installed (scripts/install-deps --test installs libopenmpi-dev): the ABI check needs <mpi.h>")
        }
        let header = MPIFixture.repositoryRoot.appendingPathComponent("Sources/CMPI/include")
        let source = """
        #include <mpi.h>
        #include <stddef.h>
        #include "CMPI.h"
        _Static_assert((int)CMPI_SUCCESS == (int)MPI_SUCCESS, "MPI_SUCCESS");
        _Static_assert((int)CMPI_ANY_SOURCE == (int)MPI_ANY_SOURCE, "MPI_ANY_SOURCE");
        _Static_assert((int)CMPI_ANY_TAG == (int)MPI_ANY_TAG, "MPI_ANY_TAG");
        _Static_assert((int)CMPI_THREAD_FUNNELED == (int)MPI_THREAD_FUNNELED, "MPI_THREAD_FUNNELED");
        _Static_assert((int)CMPI_MAX_PROCESSOR_NAME == (int)MPI_MAX_PROCESSOR_NAME, "MPI_MAX_PROCESSOR_NAME");
        _Static_assert(sizeof(cmpi_status) == sizeof(MPI_Status), "MPI_Status size");
        _Static_assert(offsetof(cmpi_status, source) == offsetof(MPI_Status, MPI_SOURCE), "MPI_SOURCE");
        _Static_assert(offsetof(cmpi_status, tag) == offsetof(MPI_Status, MPI_TAG), "MPI_TAG");
        _Static_assert(offsetof(cmpi_status, error) == offsetof(MPI_Status, MPI_ERROR), "MPI_ERROR");
        int check(cmpi_library *l) {
            cmpi_comm world = MPI_COMM_WORLD;          /* &ompi_mpi_comm_world, what cmpi_load resolves */
            cmpi_datatype byte = MPI_BYTE;
            MPI_Request request = (cmpi_request)0;
            l->init_thread = MPI_Init_thread; l->comm_rank = MPI_Comm_rank; l->comm_size = MPI_Comm_size;
            l->get_processor_name = MPI_Get_processor_name; l->abort = MPI_Abort; l->finalize = MPI_Finalize;
            l->isend = MPI_Isend; l->request_free = MPI_Request_free;
            /* Status pointers differ in struct name only (the layout is asserted above): cast. */
            l->iprobe = (int (*)(int, int, cmpi_comm, int *, cmpi_status *))MPI_Iprobe;
            l->recv = (int (*)(void *, int, cmpi_datatype, int, int, cmpi_comm, cmpi_status *))MPI_Recv;
            l->test = (int (*)(cmpi_request *, int *, cmpi_status *))MPI_Test;
            l->get_count = (int (*)(const cmpi_status *, cmpi_datatype, int *))MPI_Get_count;
            return world != 0 && byte != 0 && request == 0;
        }
        """
        let directory = MPIFixture.temporaryDirectory()
        let file = directory.appendingPathComponent("abi.c")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let run = try Child(mpicc, ["-fsyntax-only", "-Werror", "-Wall", "-Wno-unused-function", "-I", header.path, file.path])
        XCTAssertEqual(run.wait(atMost: 60), 0, "mpicc rejected CMPI's declarations:\n\(run.output)")
    }
}
