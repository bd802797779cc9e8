#include <cblas.h>
// Declared by OpenBLAS's cblas.h on Debian; repeated so the shim also builds against other cblas headers.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

// LAPACK (float64) from the LAPACK that libopenblas ships (Debian's libopenblas0 exports the
// Fortran symbols; no lapacke.h comes with libopenblas-dev). Fortran calling convention: every
// argument by pointer, then the hidden lengths of the character arguments (gfortran: size_t).
#include <stddef.h>
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_length, size_t uplo_length);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info, size_t jobz_length);
// Eigenvalues (ascending) and eigenvectors of a real symmetric tridiagonal matrix (Lanczos).
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz, double *work,
            int *info, size_t jobz_length);
