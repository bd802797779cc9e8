// oneDNN (Debian's libdnnl-dev, 2.6: the C API, CPU engine, OpenMP runtime) for LandscapeEngine's
// `--convolution onednn`, plus a few helpers that are awkward from Swift: descriptors with
// dnnl_dims_t arrays, and loops that address a tensor in whatever layout oneDNN chose
// (plain or blocked, e.g. nChw16c) through its blocking descriptor.
#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <string.h>

// libgomp (oneDNN's threading runtime here): the calling thread's team size for the parallel
// regions it starts. Declared here (omp.h is GCC's header, not on clang's path).
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);

// Execution-argument ids as plain constants (DNNL_ARG_SRC and friends are macros of macros).
static const int CDNNL_ARG_SRC = DNNL_ARG_SRC;
static const int CDNNL_ARG_WEIGHTS = DNNL_ARG_WEIGHTS;
static const int CDNNL_ARG_BIAS = DNNL_ARG_BIAS;
static const int CDNNL_ARG_DST = DNNL_ARG_DST;
static const int CDNNL_ARG_FROM = DNNL_ARG_FROM;
static const int CDNNL_ARG_TO = DNNL_ARG_TO;
static const int CDNNL_ARG_SCRATCHPAD = DNNL_ARG_SCRATCHPAD;

/// A 4-D float32 descriptor (N, C, H, W) with `tag` (dnnl_format_tag_any lets a primitive choose).
static inline dnnl_status_t cdnnl_md4(dnnl_memory_desc_t *md, int64_t n, int64_t c, int64_t h, int64_t w,
                                      dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {n, c, h, w};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

/// A 1-D float32 descriptor of `n` elements.
static inline dnnl_status_t cdnnl_md1(dnnl_memory_desc_t *md, int64_t n) {
    dnnl_dims_t dims = {n};
    return dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_x);
}

/// Inference 3x3 convolution, padding 1, `stride`, from `src` to `dst` (fixed layouts, or dnnl_format_tag_any:
/// a oneDNN layer between ours reads and writes the engine's CNHW activations directly),
/// with bias (plain) and weights in the layouts oneDNN prefers, and post-ops: a sum (dst += the destination's
/// previous content) when `sum` is set, then the eltwise `eltwise` (alpha, beta) unless it is
/// dnnl_alg_kind_undef. The scratchpad is the caller's (dnnl_scratchpad_mode_user), so that threads sharing
/// the primitive never share scratch memory.
static inline dnnl_status_t cdnnl_convolution_between(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                                      const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
                                                      int64_t stride, int sum, dnnl_alg_kind_t eltwise, float alpha,
                                                      float beta) {
    int64_t c = src->dims[1], out_channels = dst->dims[1];
    dnnl_memory_desc_t weights_md, bias_md;
    dnnl_status_t s;
    if ((s = cdnnl_md4(&weights_md, out_channels, c, 3, 3, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = cdnnl_md1(&bias_md, out_channels)) != dnnl_success) return s;
    dnnl_dims_t strides = {stride, stride}, padding_l = {1, 1}, padding_r = {1, 1};
    dnnl_convolution_desc_t desc;
    if ((s = dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_auto, src,
                                                &weights_md, &bias_md, dst, strides, padding_l, padding_r))
        != dnnl_success) return s;
    dnnl_primitive_attr_t attr;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) return s;
    dnnl_post_ops_t ops;
    if ((s = dnnl_post_ops_create(&ops)) != dnnl_success) { dnnl_primitive_attr_destroy(attr); return s; }
    if (sum) s = dnnl_post_ops_append_sum(ops, 1.0f);
    if (s == dnnl_success && eltwise != dnnl_alg_kind_undef) s = dnnl_post_ops_append_eltwise(ops, 1.0f, eltwise, alpha, beta);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    return s;
}

/// `cdnnl_convolution_between` from `src` (a fixed layout, or any when `src_any`) to a destination of
/// `out_channels` in the layout oneDNN prefers.
static inline dnnl_status_t cdnnl_convolution(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                              const dnnl_memory_desc_t *src, int64_t out_channels, int64_t stride,
                                              int src_any, int sum, dnnl_alg_kind_t eltwise, float alpha, float beta) {
    int64_t n = src->dims[0], c = src->dims[1], h = src->dims[2], w = src->dims[3];
    int64_t oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
    dnnl_memory_desc_t src_md = *src, dst_md;
    dnnl_status_t s;
    if (src_any && (s = cdnnl_md4(&src_md, n, c, h, w, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = cdnnl_md4(&dst_md, n, out_channels, oh, ow, dnnl_format_tag_any)) != dnnl_success) return s;
    return cdnnl_convolution_between(pd, engine, &src_md, &dst_md, stride, sum, eltwise, alpha, beta);
}

/// The descriptor a primitive descriptor holds for `what` (dnnl_query_src_md, ..._weights_md, ..._dst_md,
/// ..._scratchpad_md), copied out.
static inline dnnl_memory_desc_t cdnnl_query_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
    dnnl_memory_desc_t copy;
    if (md) copy = *md; else memset(&copy, 0, sizeof copy);
    return copy;
}

/// The name of the implementation oneDNN picked (e.g. "jit:avx512_core"), or "".
static inline const char *cdnnl_implementation(const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name) return "";
    return name;
}

/// Whether a 4-D descriptor is in a layout the loops below address: blocked format, no padding
/// beyond the dimensions, no offset.
static inline int cdnnl_addressable(const dnnl_memory_desc_t *md) {
    if (md->ndims != 4 || md->format_kind != dnnl_blocked || md->offset0 != 0) return 0;
    for (int d = 0; d < 4; d++) if (md->padded_dims[d] != md->dims[d] || md->padded_offsets[d] != 0) return 0;
    return 1;
}

/// The element offset of (n, c, h, w) in a blocked descriptor (plain, or with inner blocks such as nChw16c).
static inline int64_t cdnnl_offset(const dnnl_memory_desc_t *md, int64_t n, int64_t c, int64_t h, int64_t w) {
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int64_t index[4] = {n, c, h, w}, block[4] = {1, 1, 1, 1};
    for (int i = 0; i < b->inner_nblks; i++) block[b->inner_idxs[i]] *= b->inner_blks[i];
    int64_t offset = 0, inner = 0, rest[4];
    for (int d = 0; d < 4; d++) {
        offset += (index[d] / block[d]) * b->strides[d];
        rest[d] = index[d] % block[d];
    }
    for (int i = 0; i < b->inner_nblks; i++) {
        int d = (int)b->inner_idxs[i];
        block[d] /= b->inner_blks[i];
        inner = inner * b->inner_blks[i] + rest[d] / block[d];
        rest[d] %= block[d];
    }
    return offset + inner;
}

/// He et al.'s option-A shortcut into `dst` (N, O, Ho, Wo; its layout): dst[n][o][y][x] = src[n][o - pad][2y][2x]
/// where 0 <= o - pad < C (pad = O/4, C the source's channels), else 0. A convolution with a sum post-op
/// then adds its result onto it.
static inline void cdnnl_option_a_shortcut(const dnnl_memory_desc_t *src_md, const float *src,
                                           const dnnl_memory_desc_t *dst_md, float *dst) {
    int64_t n = dst_md->dims[0], o = dst_md->dims[1], oh = dst_md->dims[2], ow = dst_md->dims[3];
    int64_t c = src_md->dims[1], pad = o / 4;
    for (int64_t b = 0; b < n; b++)
        for (int64_t k = 0; k < o; k++) {
            int64_t from = k - pad;
            for (int64_t y = 0; y < oh; y++)
                for (int64_t x = 0; x < ow; x++)
                    dst[cdnnl_offset(dst_md, b, k, y, x)] =
                        from >= 0 && from < c ? src[cdnnl_offset(src_md, b, from, 2 * y, 2 * x)] : 0.0f;
        }
}

/// Global average pool of `src` (N, C, H, W; its layout) into pooled[c·N + n] (the engine's CNHW
/// pooled batch), summed in row-major order within each plane.
static inline void cdnnl_average_pool(const dnnl_memory_desc_t *md, const float *src, float *pooled) {
    int64_t n = md->dims[0], c = md->dims[1], h = md->dims[2], w = md->dims[3];
    float scale = 1.0f / (float)(h * w);
    for (int64_t k = 0; k < c; k++)
        for (int64_t b = 0; b < n; b++) {
            float sum = 0;
            for (int64_t y = 0; y < h; y++)
                for (int64_t x = 0; x < w; x++) sum += src[cdnnl_offset(md, b, k, y, x)];
            pooled[k * n + b] = sum * scale;
        }
}

/// Runs a primitive with up to five (argument, memory) pairs (a NULL memory ends the list early).
static inline dnnl_status_t cdnnl_execute(const_dnnl_primitive_t primitive, dnnl_stream_t stream,
                                          int a0, dnnl_memory_t m0, int a1, dnnl_memory_t m1, int a2, dnnl_memory_t m2,
                                          int a3, dnnl_memory_t m3, int a4, dnnl_memory_t m4) {
    dnnl_exec_arg_t args[5];
    int count = 0;
    int ids[5] = {a0, a1, a2, a3, a4};
    dnnl_memory_t mems[5] = {m0, m1, m2, m3, m4};
    for (int i = 0; i < 5 && mems[i]; i++) { args[i].arg = ids[i]; args[i].memory = mems[i]; count++; }
    dnnl_status_t s = dnnl_primitive_execute(primitive, stream, count, args);
    if (s != dnnl_success) return s;
    return dnnl_stream_wait(stream);
}
#endif
