// The handful of MPI calls LandscapeDistributed makes, declared here and
// resolved with dlopen at run time (see CMPI.c for why), in OpenMPI 4's ABI:
// handles are pointers to the library's predefined global structs
// (MPI_COMM_WORLD is &ompi_mpi_comm_world, MPI_BYTE is &ompi_mpi_byte) and
// MPI_Status is { int MPI_SOURCE, MPI_TAG, MPI_ERROR, _cancelled; size_t _ucount }.
// The struct tags below are OpenMPI's own, so `mpicc` can check these
// declarations against the real <mpi.h> (Tests: MPIABITests).
#ifndef CMPI_H
#define CMPI_H

#include <stddef.h>

typedef struct ompi_communicator_t *cmpi_comm;
typedef struct ompi_datatype_t *cmpi_datatype;
typedef struct ompi_request_t *cmpi_request;

typedef struct cmpi_status {
    int source;
    int tag;
    int error;
    int cancelled;
    size_t ucount;
} cmpi_status;

enum {
    CMPI_SUCCESS = 0,
    CMPI_ANY_SOURCE = -1,
    CMPI_ANY_TAG = -1,
    CMPI_THREAD_FUNNELED = 1,
    CMPI_MAX_PROCESSOR_NAME = 256,
};

/// The loaded library: every function pointer resolved, or `cmpi_load` failed.
typedef struct cmpi_library {
    cmpi_comm comm_world;
    cmpi_datatype byte;
    int (*init_thread)(int *argc, char ***argv, int required, int *provided);
    int (*comm_rank)(cmpi_comm comm, int *rank);
    int (*comm_size)(cmpi_comm comm, int *size);
    int (*get_processor_name)(char *name, int *length);
    int (*isend)(const void *buffer, int count, cmpi_datatype type, int destination, int tag, cmpi_comm comm,
                 cmpi_request *request);
    int (*iprobe)(int source, int tag, cmpi_comm comm, int *flag, cmpi_status *status);
    int (*get_count)(const cmpi_status *status, cmpi_datatype type, int *count);
    int (*recv)(void *buffer, int count, cmpi_datatype type, int source, int tag, cmpi_comm comm, cmpi_status *status);
    int (*test)(cmpi_request *request, int *flag, cmpi_status *status);
    int (*request_free)(cmpi_request *request);
    int (*abort)(cmpi_comm comm, int code);
    int (*finalize)(void);
} cmpi_library;

/// Loads `path` (e.g. "libmpi.so.40") with RTLD_NOW | RTLD_GLOBAL and resolves
/// every symbol. Returns 0, or -1 with a message in `error` (what failed, and dlerror's words).
int cmpi_load(const char *path, cmpi_library *library, char *error, size_t error_size);

#endif
