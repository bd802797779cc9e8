// MPI is loaded at run time, not linked: a plain `landscape surface` or `serve`
// must start on a machine with no MPI installed (a linked libmpi.so.40 would stop
// the dynamic loader before main), and only a run launched by mpirun/srun needs
// it. OpenMPI's mca plugins are themselves dlopened and resolve symbols of
// libmpi/libopen-pal, hence RTLD_GLOBAL (what mpi4py does too).
#include "CMPI.h"
#include <dlfcn.h>
#include <stdio.h>

int cmpi_load(const char *path, cmpi_library *library, char *error, size_t error_size) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        snprintf(error, error_size, "cannot load %s: %s", path, dlerror());
        return -1;
    }
#define RESOLVE(field, symbol)                                                                         \
    do {                                                                                               \
        void *address = dlsym(handle, symbol);                                                         \
        if (!address) {                                                                                \
            snprintf(error, error_size, "%s has no symbol %s (expected OpenMPI 4's ABI): %s", path,  \
                     symbol, dlerror());                                                               \
            return -1;                                                                                 \
        }                                                                                              \
        *(void **)&library->field = address;                                                           \
    } while (0)
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(byte, "ompi_mpi_byte");
    RESOLVE(init_thread, "MPI_Init_thread");
    RESOLVE(comm_rank, "MPI_Comm_rank");
    RESOLVE(comm_size, "MPI_Comm_size");
    RESOLVE(get_processor_name, "MPI_Get_processor_name");
    RESOLVE(isend, "MPI_Isend");
    RESOLVE(iprobe, "MPI_Iprobe");
    RESOLVE(get_count, "MPI_Get_count");
    RESOLVE(recv, "MPI_Recv");
    RESOLVE(test, "MPI_Test");
    RESOLVE(request_free, "MPI_Request_free");
    RESOLVE(abort, "MPI_Abort");
    RESOLVE(finalize, "MPI_Finalize");
#undef RESOLVE
    return 0;
}
