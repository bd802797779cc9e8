// The HDF5 C library (Debian libhdf5-dev, serial build; pkg-config name `hdf5`).
// Its type and property-list identifiers are macros over global variables
// (H5T_NATIVE_DOUBLE is `(H5OPEN H5T_NATIVE_DOUBLE_g)`) that Swift cannot
// import, so the few that LandscapeExport uses are wrapped here.
#include <hdf5.h>

static inline hid_t landscape_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t landscape_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t landscape_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t landscape_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t landscape_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t landscape_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t landscape_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t landscape_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t landscape_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t landscape_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline unsigned landscape_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned landscape_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t landscape_h5t_variable(void) { return H5T_VARIABLE; }

/// Stops HDF5 from printing its error stack to stderr: callers turn failures into typed errors.
static inline void landscape_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
