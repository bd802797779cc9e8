// The transforms of Winograd F(4x4, 3x3) (Winograd4Convolution.c has the matrices), written once for 8 lanes
// (AVX2: Winograd4Convolution.c) and 16 (AVX-512: Winograd4Convolution512.c), each file including this after
// VectorLanes8.h or VectorLanes16.h and defining W4_ENTRY (the attributes of the entry points) and the W4_*
// masked-load names (W4_LOAD_MASK, W4_NO_LANES, W4_COLUMN_MASK(column, width): the lanes of a V_WIDTH-float row
// starting at `column` that lie in [0, width), W4_MASKED_LOAD(p, mask): masked-off lanes zero, never read,
// W4_STORE_FIRST(p, v, n, mask): only the first n (0 < n < V_WIDTH) floats written, `mask` their W4_COLUMN_MASK; W4_LOAD_QUARTERS_MASKED(p, k, n) and
// W4_STORE_QUARTERS_MASKED(p, k, v, n): V_LOAD_QUARTERS / V_STORE_QUARTERS with only the first n[k + 4 a] floats
// of quarter a read (the rest zero) or written). No include
// guard; it undefines the V_* names at its end. Both widths run the same operations in the same order on
// every lane, so both ISAs give the same bits (the tests check it).
//
// A vector holds one value of V_WIDTH tiles. Two ways to fill it (and back):
//   gathered    from the zero-bordered padded planes, lane k = tile t + k: each tile's 4 floats of a row read
//               as a 128-bit piece and transposed in each 128-bit lane (any plane: tiles of one vector may
//               come from several rows and images);
//   contiguous  straight from the input planes, when a plane's tiles are numbered in rows of lane_columns, a
//               multiple of 4 (tile_columns, rounded up where measure4 finds it pays): the 4-tile groups
//               t + 4q.. of a vector start at multiples of 4 of a tile row, so their rows are contiguous
//               (16 floats): one full-width masked load gives V_WIDTH / 4 tiles' 4 columns (positions outside
//               the plane zero), and the in-lane 4x4 transpose of 4 such loads gives the columns of V_WIDTH
//               tiles in a permuted order: lane 4 a + q holds tile t + (V_WIDTH / 4) q + a.
// The element-wise stage treats every tile alike, so the permutation goes through it unchanged and the output
// transform undoes it by the same transpose, then stores full vectors (masked at the plane's right edge). Lanes
// past the chunk's tiles read offset 0 (gathered: the first padded image's first window, finite and in bounds;
// contiguous: every lane masked off) and are never stored; neither are the tiles numbered past tile_columns.

#if defined(__x86_64__) || defined(__i386__)

// The input transforms write V a 64-byte line (16 tiles) at a time: on 8 lanes both vectors of a line for one
// channel before the next channel, not one vector for every channel and then the other. One 8-tile vector's
// 36 stores of each channel go to 36 different lines, and at C = 16 a vector's 36 x C half lines (36 KiB of
// lines) pushed the first half out of the 32 KiB L1 before the second came. Measured on Zen 3 (AMD EPYC
// family 25 model 1, loaded; the input transform alone over a call of 8 images, binaries alternated, 20
// rounds, paired medians): 32x32 C=16, 16x16 C=32, 28x28 C=16, 14x14 C=32 0.91-0.95 of the time, 8x8 and
// 7x7 C=64 (gathered) 0.95-0.96; the whole layer 0.97-0.98. One vector per line on 16 lanes, as before.
// `lanes` is a multiple of 16.
#define W4_LINE_TILES 16
#define W4_LINE_VECTORS (W4_LINE_TILES / V_WIDTH)

// y = B^T x over 6 vectors (a row or a column of a tile's 6x6 values, V_WIDTH tiles at once).
V_KERNEL void V_NAME(input_transform6)(const V_TYPE x[6], V_TYPE y[6]) {
    const V_TYPE four = V_SET1(4), minus_four = V_SET1(-4), minus_five = V_SET1(-5);
    const V_TYPE p = V_FMA(minus_four, x[2], x[4]);   // x4 - 4 x2
    const V_TYPE q = V_FMA(minus_four, x[1], x[3]);   // x3 - 4 x1
    const V_TYPE r = V_SUB(x[4], x[2]);
    const V_TYPE s = V_ADD(V_SUB(x[3], x[1]), V_SUB(x[3], x[1]));   // 2 (x3 - x1)
    y[0] = V_FMA(four, x[0], V_FMA(minus_five, x[2], x[4]));
    y[1] = V_ADD(p, q);
    y[2] = V_SUB(p, q);
    y[3] = V_ADD(r, s);
    y[4] = V_SUB(r, s);
    y[5] = V_FMA(four, x[1], V_FMA(minus_five, x[3], x[5]));
}

// y = A^T x: 6 vectors to 4.
V_KERNEL void V_NAME(output_transform6)(const V_TYPE x[6], V_TYPE y[4]) {
    const V_TYPE a = V_ADD(x[1], x[2]), b = V_SUB(x[1], x[2]);
    const V_TYPE c = V_ADD(x[3], x[4]), d = V_SUB(x[3], x[4]);
    y[0] = V_ADD(V_ADD(x[0], a), c);
    y[1] = V_FMA(V_SET1(2), d, b);
    y[2] = V_FMA(V_SET1(4), c, a);
    y[3] = V_ADD(V_FMA(V_SET1(8), d, b), x[5]);
}

// The column pass of the input transform: V = B^T (d B) from e[i] = (d B) row i, column j stored at
// out + (i * 6 + j) * xi_stride (one V row per transformed position). Shared by both ways of reading tiles.
V_KERNEL void V_NAME(input_columns6)(V_TYPE e[6][6], float *out, long xi_stride) {
    for (int j = 0; j < 6; j++) {   // B^T (d B), column j
        const V_TYPE column[6] = {e[0][j], e[1][j], e[2][j], e[3][j], e[4][j], e[5][j]};
        V_TYPE y[6];
        V_NAME(input_transform6)(column, y);
        for (int i = 0; i < 6; i++) V_STOREU(out + (i * 6 + j) * xi_stride, y[i]);
    }
}

// The 4x4 transpose within each 128-bit lane: out[j] lane 4 a + k = in[k] lane 4 a + j. Its own inverse.
V_KERNEL void V_NAME(transpose4)(const V_TYPE in[4], V_TYPE out[4]) {
    const V_TYPE u0 = V_UNPACKLO(in[0], in[1]), u1 = V_UNPACKHI(in[0], in[1]);
    const V_TYPE u2 = V_UNPACKLO(in[2], in[3]), u3 = V_UNPACKHI(in[2], in[3]);
    out[0] = V_SHUFFLE(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
    out[1] = V_SHUFFLE(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    out[2] = V_SHUFFLE(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    out[3] = V_SHUFFLE(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
}

// Columns 0..3 of one row of V_WIDTH gathered tiles (`offset` floats past each tile's address).
V_KERNEL void V_NAME(load_row4)(const float *const p[V_WIDTH], long offset, V_TYPE out[4]) {
    V_TYPE w[4];
    for (int k = 0; k < 4; k++) w[k] = V_LOAD_QUARTERS(p, k, offset);
    V_NAME(transpose4)(w, out);
}

// The epilogue on the values of V_WIDTH output positions, as epilogue_row: with a bias, activation(sums + bias
// (+ residual)); without, existing + sums (`other` is the residual or the existing output). The destination's
// fields come as arguments, read once per call of the output transform (a float store may alias them, so the
// compiler reloaded them for every group of every row), and constants where it specializes on them.
V_KERNEL V_TYPE V_NAME(epilogue4_values)(V_TYPE sums, V_TYPE other, int has_bias, V_TYPE bias, int has_residual,
                                         int activation) {
    if (!has_bias) return V_ADD(other, sums);
    V_TYPE value = V_ADD(sums, bias);
    if (has_residual) value = V_ADD(value, other);
    return V_NAME(activate)(value, activation);
}

// Whether the epilogue applies Swish or Mish, whose exp chains epilogue4_vectors interleaves (ReLU's code stays
// as it was: a constant false where the output transform is specialized on ReLU).
V_KERNEL int V_NAME(activation_has_exp)(int has_bias, int activation) {
    return has_bias && (activation == DIRECT_CONVOLUTION_SWISH || activation == DIRECT_CONVOLUTION_MISH);
}

// epilogue4_values on 4 vectors, in place (values[k] the sums, others[k] what is added): the activation through
// activate4, which issues the four vectors' exp chains together. The same operations, so the same bits.
V_KERNEL void V_NAME(epilogue4_vectors)(V_TYPE values[4], const V_TYPE others[4], int has_bias, V_TYPE bias,
                                        int has_residual, int activation) {
    for (int k = 0; k < 4; k++) {
        if (!has_bias) { values[k] = V_ADD(others[k], values[k]); continue; }
        values[k] = V_ADD(values[k], bias);
        if (has_residual) values[k] = V_ADD(values[k], others[k]);
    }
    if (has_bias) V_NAME(activate4)(values, activation);
}

// Gathered: V[xi][c][t] (at v + xi * xi_stride + c * tile_stride + t) for the `lanes` tiles (a multiple of 16)
// at `offsets` (each tile's 6x6 input from the start of its padded image's channel 0; lanes past the chunk's
// tiles at offset 0). Tiles outermost: their addresses are computed once for all channels.
W4_ENTRY void V_NAME(winograd4_transform_input)(const float *padded, int channels, const geometry4 *g,
                                                const long *offsets, long lanes, float *v, long xi_stride) {
    const long pw = g->padded_width;
    for (long line = 0; line < lanes; line += W4_LINE_TILES) {
        const float *base[W4_LINE_VECTORS][V_WIDTH];
        for (int h = 0; h < W4_LINE_VECTORS; h++)
            for (int k = 0; k < V_WIDTH; k++) base[h][k] = padded + offsets[line + h * V_WIDTH + k];
        for (int c = 0; c < channels; c++) {
            const long channel = c * g->plane;
            for (int h = 0; h < W4_LINE_VECTORS; h++) {   // each 64-byte V line written whole while in L1
                V_TYPE e[6][6];   // e[i] = B^T applied along row i of d: (d B)[i][.]
                for (int i = 0; i < 6; i++) {
                    V_TYPE d[6], upper[4];
                    V_NAME(load_row4)(base[h], channel + i * pw, d);           // columns 0..3
                    V_NAME(load_row4)(base[h], channel + i * pw + 2, upper);   // columns 2..5
                    d[4] = upper[2];
                    d[5] = upper[3];
                    V_NAME(input_transform6)(d, e[i]);
                }
                V_NAME(input_columns6)(e, v + c * g->tile_stride + line + h * V_WIDTH, xi_stride);
            }
        }
    }
}

// Contiguous: the same V as winograd4_transform_input (the tiles in the contiguous order), read straight from
// the input planes (channel c of a tile's image at input + offsets[t] + c * channel_stride,
// where offsets[t] points at the 6x6 window's corner, row rows[t] = 4 ty - 1 and column columns[t] - 1 =
// 4 tx - 1, possibly outside the plane; rows[t] far below zero for lanes past the chunk's tiles). Window
// positions outside the plane are masked off (W4_MASKED_LOAD: zero, never read), so the values, the
// operations and the bits are those the padded planes gave. Tiles numbered past a row's tile_columns (lane
// columns rounded up to 4) read what their masks let through: finite values, never stored. Each group's
// masks (its row inside or not, its columns inside) are worked out once per vector, for all channels.
W4_ENTRY void V_NAME(winograd4_transform_input_direct)(const float *input, long channel_stride, int channels,
                                                       const geometry4 *g, const long *offsets, const long *rows,
                                                       const long *columns, long lanes, float *v, long xi_stride) {
    const int height = g->height, width = g->width;
    for (long line = 0; line < lanes; line += W4_LINE_TILES) {
        const float *base[W4_LINE_VECTORS][4];
        W4_LOAD_MASK left[W4_LINE_VECTORS][6][4], right[W4_LINE_VECTORS][6][4];   // row i of group q: columns 0..3, 2..5
        for (int h = 0; h < W4_LINE_VECTORS; h++)
            for (int q = 0; q < 4; q++) {
                const long k = line + h * V_WIDTH + q * (V_WIDTH / 4);
                base[h][q] = input + offsets[k];
                const int column = (int)columns[k] - 1;
                const W4_LOAD_MASK a = W4_COLUMN_MASK(column, width), b = W4_COLUMN_MASK(column + 2, width);
                for (int i = 0; i < 6; i++) {
                    const int inside = rows[k] + i >= 0 && rows[k] + i < height;
                    left[h][i][q] = inside ? a : W4_NO_LANES;
                    right[h][i][q] = inside ? b : W4_NO_LANES;
                }
            }
        for (int c = 0; c < channels; c++) {
            const long channel = c * channel_stride;
            for (int h = 0; h < W4_LINE_VECTORS; h++) {   // each 64-byte V line written whole while in L1
                V_TYPE e[6][6];   // e[i] = B^T applied along row i of d: (d B)[i][.]
                for (int i = 0; i < 6; i++) {
                    V_TYPE w[4], d[6], upper[4];
                    for (int q = 0; q < 4; q++)
                        w[q] = W4_MASKED_LOAD(base[h][q] + channel + (long)i * width, left[h][i][q]);
                    V_NAME(transpose4)(w, d);                                            // columns 0..3
                    for (int q = 0; q < 4; q++)
                        w[q] = W4_MASKED_LOAD(base[h][q] + channel + (long)i * width + 2, right[h][i][q]);
                    V_NAME(transpose4)(w, upper);                                        // columns 2..5
                    d[4] = upper[2];
                    d[5] = upper[3];
                    V_NAME(input_transform6)(d, e[i]);
                }
                V_NAME(input_columns6)(e, v + c * g->tile_stride + line + h * V_WIDTH, xi_stride);
            }
        }
    }
}

// Y = (A^T M) A of V_WIDTH contiguous tiles, row by row, through the epilogue into the plane: group q's row r
// where r < depth[q] and span[q] > 0, full-width where span[q] >= V_WIDTH, else masked. `inside`: every group's
// 4 rows and V_WIDTH columns in the plane (whole planes' full vectors), stored without a test.
V_KERNEL void V_NAME(output_rows_contiguous)(V_TYPE s[6][4], const long corner[4], const int depth[4],
                                             const int span[4], int inside, long rs, float *out, const float *other,
                                             int has_bias, V_TYPE bias, int has_residual, int activation) {
    for (int r = 0; r < 4; r++) {   // (A^T M) A, row r
        const V_TYPE row[6] = {s[0][r], s[1][r], s[2][r], s[3][r], s[4][r], s[5][r]};
        V_TYPE y[4], w[4];
        V_NAME(output_transform6)(row, y);
        V_NAME(transpose4)(y, w);   // w[q]: group q's row r, as in memory
        if (inside && V_NAME(activation_has_exp)(has_bias, activation)) {   // whole rows: 4 exps together
            V_TYPE more[4];
            for (int q = 0; q < 4; q++) more[q] = !has_bias || has_residual ? V_LOADU(other + corner[q] + r * rs) : w[q];
            V_NAME(epilogue4_vectors)(w, more, has_bias, bias, has_residual, activation);
            for (int q = 0; q < 4; q++) V_STOREU(out + corner[q] + r * rs, w[q]);
            continue;
        }
        for (int q = 0; q < 4; q++) {
            const long at = corner[q] + r * rs;
            if (!inside && (r >= depth[q] || span[q] <= 0)) continue;
            if (inside || span[q] >= V_WIDTH) {
                const V_TYPE more = !has_bias || has_residual ? V_LOADU(other + at) : w[q];
                V_STOREU(out + at, V_NAME(epilogue4_values)(w[q], more, has_bias, bias, has_residual, activation));
            } else {
                const W4_LOAD_MASK mask = W4_COLUMN_MASK(0, span[q]);
                const V_TYPE more = !has_bias || has_residual ? W4_MASKED_LOAD(other + at, mask) : w[q];
                W4_STORE_FIRST(out + at, V_NAME(epilogue4_values)(w[q], more, has_bias, bias, has_residual, activation),
                               span[q], mask);
            }
        }
    }
}

// Y = (A^T M) A of V_WIDTH gathered tiles, row by row, through the epilogue into the plane: 128-bit pieces at each
// tile's corner, the first n[r][k] floats of tile k's row r where not `whole`.
V_KERNEL void V_NAME(output_rows_gathered)(V_TYPE s[6][4], const long corner[V_WIDTH], int n[4][V_WIDTH], int whole,
                                           int count, long rs, float *out, const float *other, int has_bias,
                                           V_TYPE bias, int has_residual, int activation) {
    for (int r = 0; r < 4; r++) {   // (A^T M) A, row r
        const V_TYPE row[6] = {s[0][r], s[1][r], s[2][r], s[3][r], s[4][r], s[5][r]};
        V_TYPE y[4], w[4];
        V_NAME(output_transform6)(row, y);
        float *p[V_WIDTH];
        for (int k = 0; k < V_WIDTH; k++) p[k] = out + corner[k] + r * rs;
        V_TYPE more[4] = {y[0], y[1], y[2], y[3]};
        if (!has_bias || has_residual) {
            const float *a[V_WIDTH];
            for (int k = 0; k < V_WIDTH; k++) a[k] = other + corner[k] + r * rs;
            V_TYPE loaded[4];
            if (whole)
                for (int k = 0; k < 4; k++) loaded[k] = V_LOAD_QUARTERS(a, k, 0);
            else
                for (int k = 0; k < 4; k++) loaded[k] = W4_LOAD_QUARTERS_MASKED(a, k, n[r]);
            V_NAME(transpose4)(loaded, more);   // lane = tile, as y
        }
        if (V_NAME(activation_has_exp)(has_bias, activation)) {
            V_NAME(epilogue4_vectors)(y, more, has_bias, bias, has_residual, activation);
        } else {
            for (int j = 0; j < 4; j++)
                y[j] = V_NAME(epilogue4_values)(y[j], more[j], has_bias, bias, has_residual, activation);
        }
        V_NAME(transpose4)(y, w);
        if (whole)
            for (int k = 0; k < 4; k++) V_STORE_QUARTERS(p, k, 0, w[k], count);
        else
            for (int k = 0; k < 4; k++) W4_STORE_QUARTERS_MASKED(p, k, w[k], n[r]);
    }
}

// The row stores (output_rows_contiguous, output_rows_gathered: W4_ROWS) specialized on the common epilogues: the
// fields of the destination, tested for every row and group, become constants.
#define W4_SPECIALIZED \
    if (!has_bias) W4_ROWS(0, 0, DIRECT_CONVOLUTION_IDENTITY); \
    else if (has_residual && activation == DIRECT_CONVOLUTION_RELU) W4_ROWS(1, 1, DIRECT_CONVOLUTION_RELU); \
    else if (activation == DIRECT_CONVOLUTION_RELU) W4_ROWS(1, 0, DIRECT_CONVOLUTION_RELU); \
    else if (has_residual && activation == DIRECT_CONVOLUTION_IDENTITY) W4_ROWS(1, 1, DIRECT_CONVOLUTION_IDENTITY); \
    else if (activation == DIRECT_CONVOLUTION_IDENTITY) W4_ROWS(1, 0, DIRECT_CONVOLUTION_IDENTITY); \
    else W4_ROWS(1, has_residual, activation);

// Channel o's 4x4 tiles Y = A^T M A of the chunk's `tiles` tiles through the epilogue onto the output plane:
// tile t's top-left corner at d->to + corners[t] (rows g->width apart), at plane row rows[t] + 1 and column
// columns[t]; d->residual, when given, at the same corners. Output positions outside the plane (ragged
// planes' last tile row and column, the tiles numbered past tile_columns) are neither read nor written: rows
// past the plane skipped, columns masked (W4_STORE_FIRST, W4_STORE_QUARTERS_MASKED); the values stored are
// the same operations on the same values, so the same bits, as a sums buffer through epilogue_row gave.
// The tiles as the input transform read them (g->contiguous: 4-tile groups, `tiles` a multiple of 4).
W4_ENTRY void V_NAME(winograd4_transform_output)(const float *m, long xi_stride, int o, const geometry4 *g,
                                                 long tiles, const long *corners, const long *rows,
                                                 const long *columns, const winograd4_destination *d) {
    const float *source = m + (long)o * g->tile_stride;
    const long rs = g->width;
    float *out = d->to;
    const int has_bias = d->bias != 0, has_residual = d->residual != 0, activation = d->activation;
    const V_TYPE bias = has_bias ? V_SET1(d->bias[d->channel]) : V_ZERO();
    const float *other = has_bias ? d->residual : out;   // what the epilogue adds
    for (long t = 0; t < tiles; t += V_WIDTH) {
        V_TYPE s[6][4];   // A^T M: s[j] = rows 0..3 of column j
        for (int j = 0; j < 6; j++) {
            V_TYPE column[6];
            for (int i = 0; i < 6; i++) column[i] = V_LOADU(source + (i * 6 + j) * xi_stride + t);
            V_NAME(output_transform6)(column, s[j]);
        }
        const int count = tiles - t < V_WIDTH ? (int)(tiles - t) : V_WIDTH;
        if (g->contiguous) {
            // Group q: its first tile's corner, the plane rows below its top (at most 4 used) and the plane
            // columns from its left edge (a full vector when at least V_WIDTH); `inside`: every group whole.
            long corner[4];
            int depth[4], span[4], inside = 1;
            for (int q = 0; q < 4; q++) {
                const long k = t + q * (V_WIDTH / 4);
                corner[q] = k < tiles ? corners[k] : 0;
                depth[q] = k < tiles ? g->height - (int)rows[k] - 1 : 0;
                span[q] = k < tiles ? g->width - (int)columns[k] : 0;
                inside &= depth[q] >= 4 && span[q] >= V_WIDTH;
            }
#define W4_ROWS(has_bias, has_residual, activation) \
    V_NAME(output_rows_contiguous)(s, corner, depth, span, inside, rs, out, other, has_bias, bias, has_residual, \
                                   activation)
            W4_SPECIALIZED
#undef W4_ROWS
        } else {
            // Each tile's corner; on ragged planes, unless every tile of the vector is whole, the columns of each
            // tile's row r inside the plane (0..4; 0 past the plane's rows and for lanes past the chunk's tiles).
            long corner[V_WIDTH];
            for (int k = 0; k < V_WIDTH; k++) corner[k] = corners[t + k < tiles ? t + k : t];
            int n[4][V_WIDTH], whole = g->whole;
            if (!whole) {
                whole = 1;
                for (int k = 0; k < V_WIDTH; k++) {
                    const int inside = k < count;
                    const int depth = inside ? g->height - (int)rows[t + k] - 1 : 0;
                    const int right = inside ? g->width - (int)columns[t + k] : 0;
                    for (int r = 0; r < 4; r++) n[r][k] = r < depth ? (right < 4 ? right : 4) : 0;
                    whole &= !inside || (depth >= 4 && right >= 4);
                }
            }
#define W4_ROWS(has_bias, has_residual, activation) \
    V_NAME(output_rows_gathered)(s, corner, n, whole, count, rs, out, other, has_bias, bias, has_residual, activation)
            W4_SPECIALIZED
#undef W4_ROWS
        }
    }
}

#undef W4_SPECIALIZED
#undef W4_LINE_TILES
#undef W4_LINE_VECTORS

#endif

#include "VectorLanesEnd.h"
