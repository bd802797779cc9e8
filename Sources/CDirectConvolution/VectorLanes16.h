// The V_* names of the vector templates on 16 lanes (AVX-512 F/BW/DQ/VL): VectorLanes8.h lists them.
// Needs VECTOR512, MAX_VECTORS512 and AVX512_INLINE (Avx512Kernels.h).
#define V_TYPE __m512
#define V_MASK __mmask16
#define V_WIDTH VECTOR512
#define V_MAX_VECTORS MAX_VECTORS512
#define V_NAME(name) name##512
#define V_KERNEL AVX512_INLINE
#define V_ZERO _mm512_setzero_ps
#define V_LOADU _mm512_loadu_ps
#define V_STOREU _mm512_storeu_ps
#define V_SET1 _mm512_set1_ps
#define V_CONSTANT(name) _mm512_set1_ps(name)   // AVX-512 folds it as an embedded broadcast {1to16}
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_FMA _mm512_fmadd_ps
#define V_MIN _mm512_min_ps
#define V_UNPACKLO _mm512_unpacklo_ps
#define V_UNPACKHI _mm512_unpackhi_ps
#define V_SHUFFLE _mm512_shuffle_ps
#define V_LESS(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define V_ZERO_WHERE(mask, v) _mm512_maskz_mov_ps((__mmask16)~(mask), v)
#define V_ADD_EXPONENT(p, s) _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), \
                                                                  _mm512_slli_epi32(_mm512_castps_si512(s), 23)))
#define V_LOAD_QUARTERS(p, k, offset) \
    _mm512_insertf32x4(_mm512_insertf32x4(_mm512_insertf32x4(_mm512_castps128_ps512(_mm_loadu_ps((p)[k] + (offset))), \
                                                             _mm_loadu_ps((p)[(k) + 4] + (offset)), 1), \
                                          _mm_loadu_ps((p)[(k) + 8] + (offset)), 2), \
                       _mm_loadu_ps((p)[(k) + 12] + (offset)), 3)
#define V_STORE_QUARTERS(p, k, offset, v, count) do { \
        if ((k) < (count)) _mm_storeu_ps((p)[k] + (offset), _mm512_castps512_ps128(v)); \
        if ((k) + 4 < (count)) _mm_storeu_ps((p)[(k) + 4] + (offset), _mm512_extractf32x4_ps(v, 1)); \
        if ((k) + 8 < (count)) _mm_storeu_ps((p)[(k) + 8] + (offset), _mm512_extractf32x4_ps(v, 2)); \
        if ((k) + 12 < (count)) _mm_storeu_ps((p)[(k) + 12] + (offset), _mm512_extractf32x4_ps(v, 3)); \
    } while (0)
