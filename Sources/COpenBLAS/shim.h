#include <cblas.h>
// Declared by OpenBLAS's cblas.h on Debian; repeated so the shim also builds against other cblas headers.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// LAPACK (OpenBLAS ships it): eigenvalues (ascending) and eigenvectors of a real symmetric
// tridiagonal matrix. Fortran calling convention; the trailing length of the character argument.
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz, double *work,
            int *info, size_t jobz_length);
