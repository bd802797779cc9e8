// The V_* names of the vector templates (KernelTemplate.h, Winograd4Template.h) on 8 lanes (AVX2 + FMA).
// No include guard: include it before each template; the template undefines them (VectorLanesEnd.h).
// Needs VECTOR and VECTORS_PER_BLOCK (SharedKernels.h) and <immintrin.h>.
//   V_TYPE, V_MASK          the vector and comparison-mask types
//   V_WIDTH, V_MAX_VECTORS  floats per vector; vectors per register block at most
//   V_NAME(name)            the name a function gets at this width
//   V_KERNEL                its attributes (target, always_inline, static inline)
//   V_CONSTANT(NAME)        a vector of the constant NAME (KernelTemplate.h's EXP_*, ACTIVATION_*)
//   V_ZERO(), V_LOADU, V_STOREU, V_SET1, V_ADD, V_SUB, V_MUL, V_DIV, V_FMA(a, b, c) = a * b + c, V_MIN,
//   V_UNPACKLO, V_UNPACKHI, V_SHUFFLE (within each 128-bit lane)   as the intrinsics
//   V_LESS(a, b)            the lanes where a < b (ordered: false for NaN)
//   V_ZERO_WHERE(mask, v)   v with the masked lanes set to +0
//   V_ADD_EXPONENT(p, s)    p's bits + (s's bits << 23) as 32-bit integers (2^k into p's exponent)
//   V_LOAD_QUARTERS(p, k, offset)   a vector whose 128-bit lane a holds the 4 floats at p[k + 4 a] + offset
//   V_STORE_QUARTERS(p, k, offset, v, count)  the inverse, for the lanes with k + 4 a < count
#define V_TYPE __m256
#define V_MASK __m256
#define V_WIDTH VECTOR
#define V_MAX_VECTORS VECTORS_PER_BLOCK
#define V_NAME(name) name
#define V_KERNEL __attribute__((target("avx2,fma"), always_inline)) static inline
#define V_ZERO _mm256_setzero_ps
#define V_LOADU _mm256_loadu_ps
#define V_STOREU _mm256_storeu_ps
#define V_SET1 _mm256_set1_ps
#define V_CONSTANT(name) _mm256_load_ps(activation_rows8_hidden() + 8 * ROW_##name)   // a foldable load
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_FMA _mm256_fmadd_ps
#define V_MIN _mm256_min_ps
#define V_UNPACKLO _mm256_unpacklo_ps
#define V_UNPACKHI _mm256_unpackhi_ps
#define V_SHUFFLE _mm256_shuffle_ps
#define V_LESS(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define V_ZERO_WHERE(mask, v) _mm256_andnot_ps(mask, v)
#define V_ADD_EXPONENT(p, s) _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), \
                                                                  _mm256_slli_epi32(_mm256_castps_si256(s), 23)))
#define V_LOAD_QUARTERS(p, k, offset) \
    _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps((p)[k] + (offset))), _mm_loadu_ps((p)[(k) + 4] + (offset)), 1)
#define V_STORE_QUARTERS(p, k, offset, v, count) do { \
        if ((k) < (count)) _mm_storeu_ps((p)[k] + (offset), _mm256_castps256_ps128(v)); \
        if ((k) + 4 < (count)) _mm_storeu_ps((p)[(k) + 4] + (offset), _mm256_extractf128_ps(v, 1)); \
    } while (0)
