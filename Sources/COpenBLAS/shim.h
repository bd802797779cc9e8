#include <cblas.h>
// Declared by OpenBLAS's cblas.h on Debian; repeated so the shim also builds against other cblas headers.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
