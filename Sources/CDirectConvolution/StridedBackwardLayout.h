#ifndef STRIDED_BACKWARD_LAYOUT_H
#define STRIDED_BACKWARD_LAYOUT_H
// The scratch layouts of StridedBackward.h's kernels (internal to this target), shared by the AVX2 and
// AVX-512 files. Needs SharedKernels.h (phase_layout, round_up).

// Guard floats after the planes and tiles: the last register block reads up to 15 floats past a run's end,
// the phase interleave up to 7 past a tile row.
enum { STRIDE2_GUARD = 32, STRIDE2_LANES = 16 };

// Input gradient, per image: the output gradient's O planes of (out_height + 1) x phase_width (row i at
// i * phase_width, column out_width and row out_height zero: l.phase floats each), the guard, then the
// four phases' tiles of up to 8 channels (each l.tile_stride), the guard, one interleaved row.
typedef struct { phase_layout l; long planes, tiles, row; } stride2_input_layout;

static inline stride2_input_layout stride2_measure_input(int out_channels, int height, int width) {
    stride2_input_layout s;
    s.l = measure_phases(height, width);
    s.planes = 0;
    s.tiles = (long)out_channels * s.l.phase + STRIDE2_GUARD;
    s.row = s.tiles + 4 * 8 * s.l.tile_stride + STRIDE2_GUARD;
    return s;
}

static inline long stride2_input_scratch(int out_channels, int height, int width) {
    const stride2_input_layout s = stride2_measure_input(out_channels, height, width);
    return s.row + 2 * (long)s.l.phase_width + STRIDE2_GUARD;
}

// Weight gradient: images in chunks of `chunk`. Per input channel, four phase stacks `stack` floats
// apart, image j's phase plane (l.phase floats, as the forward kernel's) at j * l.phase in each; per
// output channel a gradient stack of `run` floats, image j's plane (rows phase_width apart, column
// out_width and row out_height zero) at j * l.phase. Tap (dy, dx) of position i reads the phase stack
// (dy & 1, dx & 1) at i + (dy / 2) * phase_width + dx / 2. The 16-lane partial sums of dw come first.
typedef struct { phase_layout l; int chunk; long run, stack, sums, x, z; } stride2_weight_layout;

// Floats of phase and gradient stacks a chunk aims at (1 MB, Zen 4's L2): one output-channel block's
// gradient rows stay in L1 while every input channel's phase stacks stream past from L2, and the 16-lane
// sums are loaded and stored once a chunk. Measured on the loaded Zen 4 of 2026-12-07 (64 images of
// ResNet-20's strided layers, useful FLOPs): 256 KB chunks and 4 x 3 blocks 44-54 GFLOP/s, 1 MB chunks 52-55,
// with 4 x 6 blocks 57-60 (OpenBLAS's sgemm on the unfolded copy: 65-88, plus the copy).
enum { STRIDE2_TARGET_FLOATS = 256 * 1024 };

static inline stride2_weight_layout stride2_measure_weight(int in_channels, int out_channels, int height, int width) {
    stride2_weight_layout s;
    s.l = measure_phases(height, width);
    const long per_image = (4L * in_channels + out_channels) * s.l.phase;
    const long n = STRIDE2_TARGET_FLOATS / per_image;
    s.chunk = n < 1 ? 1 : (int)n;
    s.run = round_up((long)s.chunk * s.l.phase, STRIDE2_LANES);
    s.stack = round_up(s.run + s.l.phase_width + 1, STRIDE2_LANES);
    s.sums = 0;
    s.x = (long)out_channels * in_channels * 9 * STRIDE2_LANES;
    s.z = s.x + 4L * in_channels * s.stack;
    return s;
}

static inline long stride2_weight_scratch(int in_channels, int out_channels, int height, int width) {
    const stride2_weight_layout s = stride2_measure_weight(in_channels, out_channels, height, width);
    return s.z + (long)out_channels * s.run;
}

// Taps per input-gradient phase p = 2a + b (a the row parity, b the column parity) and where each phase's
// filters start in the packing, in units of O * C.
static const int stride2_phase_taps[4] = {1, 2, 2, 4};
static const int stride2_phase_start[4] = {0, 1, 3, 5};

// The tap rows (dy) an input row of parity a takes, in order, and the output-row offset each reads.
static inline int stride2_taps_of(int a, int taps[2], int shifts[2]) {
    if (a == 0) {
        taps[0] = 1; shifts[0] = 0;
        return 1;
    }
    taps[0] = 0; shifts[0] = 1;
    taps[1] = 2; shifts[1] = 0;
    return 2;
}

#if defined(__x86_64__) || defined(__i386__)
// target[s] += the interleaved phase rows (even[0], odd[0], even[1], odd[1], ...)[s] for s < width, through
// `row` (2 * phase_width + 16 floats). Reads up to 7 floats past each phase row's (width + 1) / 2. AVX2
// only (inlined into either ISA's kernel): the same adds on both.
__attribute__((target("avx2,fma"), always_inline))
static inline void stride2_interleave_add(float *target, const float *even, const float *odd, float *row, int width) {
    const int half = (width + 1) / 2;
    for (int j = 0; j < half; j += 8) {
        const __m256 e = _mm256_loadu_ps(even + j), o = _mm256_loadu_ps(odd + j);
        const __m256 low = _mm256_unpacklo_ps(e, o), high = _mm256_unpackhi_ps(e, o);
        _mm256_storeu_ps(row + 2 * j, _mm256_permute2f128_ps(low, high, 0x20));
        _mm256_storeu_ps(row + 2 * j + 8, _mm256_permute2f128_ps(low, high, 0x31));
    }
    int s = 0;
    for (; s + 8 <= width; s += 8)
        _mm256_storeu_ps(target + s, _mm256_add_ps(_mm256_loadu_ps(target + s), _mm256_loadu_ps(row + s)));
    for (; s < width; s++) target[s] += row[s];
}

// The four phase planes of one image channel into stacks `stack` floats apart (split_phases' planes, the
// columns split by vector shuffles): Q_ab(i, j) = image(2i + a - 1, 2j + b - 1), zero outside. Each row is
// written whole, its vector stores running up to 8 floats into the next row (written after it) or past the
// last plane (the caller zeroes the stack's tail after the chunk). Reads stay inside the image rows (masked).
__attribute__((target("avx2,fma"), always_inline))
static inline void stride2_split_phases(const float *image, int height, int width, const phase_layout *l,
                                        long stack, float *phases) {
    const int pw = l->phase_width;
    const int evens = (width + 1) / 2, odds = width / 2;   // columns 2j and 2j + 1 inside the row
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int a = 0; a < 2; a++) {
        float *q0 = phases + (2 * a) * stack, *q1 = phases + (2 * a + 1) * stack;
        for (int i = 0; i <= l->out_height; i++) {
            const int r = 2 * i + a - 1;
            float *row0 = q0 + (long)i * pw, *row1 = q1 + (long)i * pw;
            if (r < 0 || r >= height) {
                for (int j = 0; j < pw; j++) row0[j] = row1[j] = 0;
                continue;
            }
            const float *from = image + (long)r * width;
            // b = 1: Q(i, j) = row[2j]; b = 0: Q(i, 0) = 0, Q(i, j + 1) = row[2j + 1].
            for (int k = 0; 2 * k < width; k += 8) {
                const int left = width - 2 * k;
                __m256 low, high;
                if (left >= 16) {
                    low = _mm256_loadu_ps(from + 2 * k);
                    high = _mm256_loadu_ps(from + 2 * k + 8);
                } else {
                    low = _mm256_maskload_ps(from + 2 * k, _mm256_cmpgt_epi32(_mm256_set1_epi32(left), lanes));
                    high = _mm256_maskload_ps(from + 2 * k + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32(left - 8), lanes));
                }
                const __m256 even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(low, high, 0x88)), 0xD8));
                const __m256 odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(low, high, 0xDD)), 0xD8));
                _mm256_storeu_ps(row1 + k, even);
                _mm256_storeu_ps(row0 + 1 + k, odd);
            }
            for (int j = evens; j < pw; j++) row1[j] = 0;
            row0[0] = 0;
            for (int j = odds + 1; j < pw; j++) row0[j] = 0;
        }
    }
}
#endif

#endif
