/*
 * kernels.c -- the kernel generators: for one ISA row and one layer shape
 * (fan_in K, N units), the forward kernel z = b + x W^T, the dW kernel
 * dW += dz^T a and the dA_prev kernel dx = dz W, each written for rows <=
 * CH of one chunk; and the activation derivative d *= f'(a) from the
 * vocabulary's expression (expr.c).  The scalar row (lanes 1) gets the
 * plain loops, the reference every vector path is tested against; vector
 * rows get register tiles, masked or scalar tails, column blocks of wide
 * layers and the narrow-layer forms (docs/generated-code.md).
 */
#include <stdio.h>
#include <string.h>

#include "emit.h"

/* dW kernels of layers with fan_in >= KN_PACK_MIN copy KN_KC columns of
 * the chunk's input at a time into a contiguous block (see kn_dw). */
#define KN_PACK_MIN 256
#define KN_KC 48
/* ... unless the layer has at most KN_STREAM_MAX_UNITS units: one unit tile
 * would read the packed block once, so the copy cannot pay; those layers
 * stream the rows instead (kn_dw_stream). */
#define KN_STREAM_MAX_UNITS 2
/* Forward kernels of layers with fan_in >= KN_KBLOCK_MIN go over fan_in in
 * blocks of KN_KBLOCK columns (see kn_fwd). */
#define KN_KBLOCK_MIN 2048
#define KN_KBLOCK 1024

/* ------------------------------------------------------------------ */
/* Index arithmetic                                                     */
/* ------------------------------------------------------------------ */

/* var as a number if it is one ("18"), else -1. */
static long kn_number(const char *var)
{
    long v = 0;
    if (!*var)
        return -1;
    for (; *var; var++) {
        if (*var < '0' || *var > '9' || v > 100000000L)
            return -1;
        v = v * 10 + (*var - '0');
    }
    return v;
}

/* "i * 13", "(i + 2) * 13", or "20 * 13" when var is a number */
static const char *kn_idx(emitter *e, const char *var, int off, long stride)
{
    long v = kn_number(var);
    if (v >= 0)
        return S(e, "%ld * %ld", v + off, stride);
    if (off == 0)
        return S(e, "%s * %ld", var, stride);
    return S(e, "(%s + %d) * %ld", var, off, stride);
}

/* "k", "k + 8", or "20" when var is a number */
static const char *kn_plus(emitter *e, const char *var, long off)
{
    long v = kn_number(var);
    if (v >= 0)
        return S(e, "%ld", v + off);
    return off ? S(e, "%s + %ld", var, off) : var;
}

/* "p + off", or "p" when off is "0". */
static const char *kn_offset(emitter *e, const char *p, const char *off)
{
    return strcmp(off, "0") == 0 ? p : S(e, "%s + %s", p, off);
}

/* ------------------------------------------------------------------ */
/* Forward                                                              */
/* ------------------------------------------------------------------ */

/* The part of fan_in a forward tile covers. */
typedef struct kn_krange {
    const char *from; /* first k of the vector loop ("0", "kb", "12288") */
    const char *to;   /* its end (exclusive), NULL: no vector loop */
    int tail;         /* then the last fan_in % lanes columns */
    int acc;          /* z += the partial sum (k blocks), instead of z = b + sum */
} kn_krange;

/* Forward tile: R rows x C units at (i, jx), accumulating over k. */
static void kn_fwd_tile(emitter *e, const isa_row *I, long K, long N, int R, int C, const char *jx_,
                        const kn_krange *kr)
{
    char jx[32]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const long KV = K / V * V;
    const int tail = kr->tail && K % V;
    const int scalar_tail = tail && !I->maskload;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            tx_line(e, "%s acc%d_%d = %s;", I->vt, r, c, I->zero);
    if (scalar_tail)
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                tx_line(e, "%s t%d_%d = %s;", e->real, r, c, tx_lit(e, 0));
    for (int pass = 0; pass < 2; pass++) {
        const char *ld = I->loadu;
        if (pass == 0) {
            if (!kr->to)
                continue;
            tx_open(e, "for (long k = %s; k < %s; k += %d) {", kr->from, kr->to, V);
        } else {
            if (!tail || scalar_tail)
                continue;
            tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
            tx_line(e, "const long k = %ld;", KV);
            ld = I->maskload;
        }
        for (int c = 0; c < C; c++)
            tx_line(e, "const %s w%d = %s;", I->vt, c,
                    T(e, ld, S(e, "W + %s + k", kn_idx(e, jx, c, K)), NULL, NULL));
        for (int r = 0; r < R; r++) {
            tx_line(e, "const %s x%d = %s;", I->vt, r,
                    T(e, ld, S(e, "x + %s + k", kn_idx(e, "i", r, K)), NULL, NULL));
            for (int c = 0; c < C; c++) {
                const char *acc = S(e, "acc%d_%d", r, c);
                tx_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "x%d", r), S(e, "w%d", c), acc));
            }
        }
        tx_close(e, "}");
    }
    if (scalar_tail) {
        tx_open(e, "for (long k = %ld; k < %ld; k++) {", KV, K);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                tx_line(e, "t%d_%d += x[%s + k] * W[%s + k];", r, c, kn_idx(e, "i", r, K),
                        kn_idx(e, jx, c, K));
        tx_close(e, "}");
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            const char *sum = S(e, "%s%s", T(e, I->hsum, S(e, "acc%d_%d", r, c), NULL, NULL),
                                scalar_tail ? S(e, " + t%d_%d", r, c) : "");
            if (kr->acc)
                tx_line(e, "z[%s + %s] += %s;", kn_idx(e, "i", r, N), kn_plus(e, jx, c), sum);
            else
                tx_line(e, "z[%s + %s] = b[%s] + %s;", kn_idx(e, "i", r, N), kn_plus(e, jx, c),
                        kn_plus(e, jx, c), sum);
        }
}

static void kn_fwd_units(emitter *e, const isa_row *I, long K, long N, int R, const kn_krange *kr)
{
    const int C = I->fwd_c;
    const long NC = N / C * C;
    if (NC > 0) {
        tx_open(e, "for (long j = 0; j < %ld; j += %d) {", NC, C);
        kn_fwd_tile(e, I, K, N, R, C, "j", kr);
        tx_close(e, "}");
    }
    if (N % C) {
        tx_open(e, "{ /* units %ld..%ld */", NC, N - 1);
        kn_fwd_tile(e, I, K, N, R, (int)(N % C), S(e, "%ld", NC), kr);
        tx_close(e, "}");
    }
}

/* Row tiles of R rows, then the remaining rows one at a time. */
static void kn_fwd_rows(emitter *e, const isa_row *I, long K, long N, const kn_krange *kr)
{
    tx_line(e, "long i = 0;");
    if (I->fwd_r > 1) {
        tx_open(e, "for (; i + %d <= rows; i += %d) {", I->fwd_r, I->fwd_r);
        kn_fwd_units(e, I, K, N, I->fwd_r, kr);
        tx_close(e, "}");
    }
    tx_open(e, "for (; i < rows; i++) {");
    kn_fwd_units(e, I, K, N, 1, kr);
    tx_close(e, "}");
}

static void kn_mask_decl(emitter *e, const isa_row *I, long K)
{
    if (!(K % I->lanes) || !I->mask_decl)
        return;
    char lanes[TX_STR] = "";
    for (int v = 0; v < I->lanes; v++) {
        strcat(lanes, v < K % I->lanes ? "-1" : "0");
        if (v + 1 < I->lanes)
            strcat(lanes, ", ");
    }
    tx_line(e, "%s", T(e, I->mask_decl, lanes, NULL, NULL));
}

/* The vector kernels above run over fan_in.  A layer whose fan_in is
 * narrower than one vector would fill K of its lanes through masked loads
 * and pay a horizontal sum per output for K multiply-adds, so on a vector
 * path such a layer's forward and dW kernels run over the units instead
 * when there are at least `lanes` of them, and are the plain loops
 * otherwise (docs/generated-code.md, "Narrow layers").  dA_prev of a
 * narrow fan_in is always the plain loops.  The C compiler unrolls plain
 * loops (the trip counts are constants). */
static int kn_plain(const isa_row *I, long K)
{
    return I->lanes == 1 || K < I->lanes;
}

int kn_vector_fan_in(const isa_row *I, long K)
{
    return !kn_plain(I, K);
}

/* The narrowest vector of units a path has: its half width, or its own. */
static int kn_min_lanes(const isa_row *I)
{
    return I->half ? I->half->lanes : I->lanes;
}

static int kn_over_units(const isa_row *I, long K, long N)
{
    return I->lanes > 1 && K < I->lanes && N >= kn_min_lanes(I);
}

/* The comment a vector path puts in a kernel it writes as plain loops. */
static void kn_plain_note(emitter *e, const isa_row *I, long K)
{
    if (I->lanes > 1)
        tx_line(e, "/* fan_in %ld < %d lanes: plain loops */", K, I->lanes);
}

/* z = b + x W^T for units [from, to) as plain loops. */
static void kn_plain_fwd(emitter *e, long K, long N, long from, long to)
{
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_open(e, "for (long j = %ld; j < %ld; j++) {", from, to);
    tx_line(e, "%s s = %s;", e->real, tx_lit(e, 0));
    tx_open(e, "for (long k = 0; k < %ld; k++) {", K);
    tx_line(e, "s += x[i * %ld + k] * W[j * %ld + k];", K, K);
    tx_close(e, "}");
    tx_line(e, "z[i * %ld + j] = b[j] + s;", N);
    tx_close(e, "}");
    tx_close(e, "}");
}

/* dW += dz^T a for units [from, to) as plain loops. */
static void kn_plain_dw(emitter *e, long K, long N, long from, long to)
{
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_open(e, "for (long j = %ld; j < %ld; j++) {", from, to);
    tx_line(e, "const %s d = dz[i * %ld + j];", e->real, N);
    tx_open(e, "for (long k = 0; k < %ld; k++) {", K);
    tx_line(e, "dW[j * %ld + k] += d * a[i * %ld + k];", K, K);
    tx_close(e, "}");
    tx_close(e, "}");
    tx_close(e, "}");
}

/* dx = dz W (units [from, to) of dz) as plain loops. */
static void kn_plain_dx(emitter *e, long K, long N, long from, long to)
{
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_open(e, "for (long k = 0; k < %ld; k++) {", K);
    tx_line(e, "dx[i * %ld + k] = %s;", K, tx_lit(e, 0));
    tx_close(e, "}");
    tx_open(e, "for (long j = %ld; j < %ld; j++) {", from, to);
    tx_line(e, "const %s d = dz[i * %ld + j];", e->real, N);
    tx_open(e, "for (long k = 0; k < %ld; k++) {", K);
    tx_line(e, "dx[i * %ld + k] += d * W[j * %ld + k];", K, K);
    tx_close(e, "}");
    tx_close(e, "}");
    tx_close(e, "}");
}

/* Forward over the units (fan_in K < lanes <= N): a block of C vectors of
 * units at j0 (`jx`, a variable or a number), W^T of the block copied into
 * wt (K rows of C * lanes), then per row acc_c = b + sum_k x[i][k] wt[k]. */
static void kn_units_fwd_block(emitter *e, const isa_row *I, long K, long N, int C, const char *jx_)
{
    char jx[32]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const long BW = (long)C * V;
    tx_open(e, "for (long j = 0; j < %ld; j++) {", BW);
    tx_open(e, "for (long k = 0; k < %ld; k++) {", K);
    tx_line(e, "wt[k * %ld + j] = W[%s * %ld + k];", BW,
            strcmp(jx, "0") == 0 ? "j" : S(e, "(%s + j)", jx), K);
    tx_close(e, "}");
    tx_close(e, "}");
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    for (int c = 0; c < C; c++)
        tx_line(e, "%s acc%d = %s;", I->vt, c,
                T(e, I->loadu, kn_offset(e, "b", kn_plus(e, jx, (long)c * V)), NULL, NULL));
    for (long k = 0; k < K; k++) {
        tx_line(e, "const %s x%ld = %s;", I->vt, k,
                T(e, I->set1, S(e, "x[i * %ld + %ld]", K, k), NULL, NULL));
        for (int c = 0; c < C; c++) {
            const char *acc = S(e, "acc%d", c);
            tx_line(
                e, "%s = %s;", acc,
                T(e, I->fma, S(e, "x%ld", k),
                  T(e, I->loadu, kn_offset(e, "wt", S(e, "%ld", k * BW + (long)c * V)), NULL, NULL),
                  acc));
        }
    }
    for (int c = 0; c < C; c++)
        tx_line(e, "%s;",
                T(e, I->storeu, kn_offset(e, S(e, "z + i * %ld", N), kn_plus(e, jx, (long)c * V)),
                  S(e, "acc%d", c), NULL));
    tx_close(e, "}");
}

static void kn_units_fwd(emitter *e, const isa_row *I, long K, long N)
{
    const int V = I->lanes;
    const long NV = N / V * V;
    const int C = NV / V < I->fwd_c ? (int)(NV / V) : I->fwd_c;
    const long BW = (long)C * V, NB = C ? NV / BW * BW : 0;
    const isa_row *H = I->half;
    const long NH = H && N - NV >= H->lanes ? NV + H->lanes : NV;
    tx_line(e, "/* fan_in %ld < %d lanes: over the units, W^T of each block in wt */", K, V);
    tx_line(e, "%s wt[%ld];", e->real, K * (BW > NH - NV ? BW : NH - NV));
    if (NB > 0) {
        tx_open(e, "for (long j0 = 0; j0 < %ld; j0 += %ld) { /* %ld units at a time */", NB, BW,
                BW);
        kn_units_fwd_block(e, I, K, N, C, "j0");
        tx_close(e, "}");
    }
    if (NV > NB) {
        tx_open(e, "{ /* units %ld..%ld */", NB, NV - 1);
        kn_units_fwd_block(e, I, K, N, (int)((NV - NB) / V), S(e, "%ld", NB));
        tx_close(e, "}");
    }
    if (NH > NV) {
        tx_open(e, "{ /* units %ld..%ld, %s */", NV, NH - 1, H->vt);
        kn_units_fwd_block(e, H, K, N, 1, S(e, "%ld", NV));
        tx_close(e, "}");
    }
    if (N > NH) {
        tx_open(e, "{ /* units %ld..%ld: plain loops */", NH, N - 1);
        kn_plain_fwd(e, K, N, NH, N);
        tx_close(e, "}");
    }
}

/* dW over the units (fan_in K < lanes <= N) for units [from, to), a
 * vector of I's lanes at a time: K accumulators acc_k = sum_i a[i][k]
 * dz[i][j0..], then added to dW's columns through t. */
static void kn_units_dw_vectors(emitter *e, const isa_row *I, long K, long N, long from, long to)
{
    const int V = I->lanes;
    tx_open(e, "for (long j0 = %ld; j0 < %ld; j0 += %d) {", from, to, V);
    for (long k = 0; k < K; k++)
        tx_line(e, "%s acc%ld = %s;", I->vt, k, I->zero);
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_line(e, "const %s d = %s;", I->vt, T(e, I->loadu, S(e, "dz + i * %ld + j0", N), NULL, NULL));
    for (long k = 0; k < K; k++) {
        const char *acc = S(e, "acc%ld", k);
        tx_line(e, "%s = %s;", acc,
                T(e, I->fma, T(e, I->set1, S(e, "a[i * %ld + %ld]", K, k), NULL, NULL), "d", acc));
    }
    tx_close(e, "}");
    tx_line(e, "%s t[%ld];", e->real, K * V);
    for (long k = 0; k < K; k++)
        tx_line(e, "%s;",
                T(e, I->storeu, kn_offset(e, "t", S(e, "%ld", k * V)), S(e, "acc%ld", k), NULL));
    tx_open(e, "for (long v = 0; v < %d; v++) {", V);
    tx_open(e, "for (long k = 0; k < %ld; k++) {", K);
    tx_line(e, "dW[(j0 + v) * %ld + k] += t[k * %d + v];", K, V);
    tx_close(e, "}");
    tx_close(e, "}");
    tx_close(e, "}");
}

static void kn_units_dw(emitter *e, const isa_row *I, long K, long N)
{
    const int V = I->lanes;
    const long NV = N / V * V;
    const isa_row *H = I->half;
    const long NH = H && N - NV >= H->lanes ? NV + H->lanes : NV;
    tx_line(e, "/* fan_in %ld < %d lanes: over the units */", K, V);
    if (NV > 0)
        kn_units_dw_vectors(e, I, K, N, 0, NV);
    if (NH > NV) {
        tx_open(e, "{ /* units %ld..%ld, %s */", NV, NH - 1, H->vt);
        kn_units_dw_vectors(e, H, K, N, NV, NH);
        tx_close(e, "}");
    }
    if (N > NH) {
        tx_open(e, "{ /* units %ld..%ld: plain loops */", NH, N - 1);
        kn_plain_dw(e, K, N, NH, N);
        tx_close(e, "}");
    }
}

/* A kernel of one layer shape: <P>_<name>_<K>x<N>(args), its formula for
 * the comment above it, and its forms for a narrow fan_in: over the units
 * (NULL: none) and the plain loops over units [from, to). */
typedef struct kn_kind {
    const char *name, *formula, *note;
    const char *args[2]; /* $1: the real type; the second line is a continuation */
    void (*units)(emitter *e, const isa_row *I, long K, long N);
    void (*plain)(emitter *e, long K, long N, long from, long to);
} kn_kind;

static const kn_kind kn_fwd_kind = {"fwd",
                                    "z[i][j] = b[j] + sum_k x[i][k] W[j][k]",
                                    ", rows <= CH",
                                    {"const $1 *restrict W, const $1 *restrict b,",
                                     "const $1 *restrict x, long rows, $1 *restrict z)"},
                                    kn_units_fwd,
                                    kn_plain_fwd};
static const kn_kind kn_dw_kind = {
    "dw",        "dW[j][k] += sum_i dz[i][j] a[i][k]",
    "",          {"const $1 *restrict dz, const $1 *restrict a, long rows,", "$1 *restrict dW)"},
    kn_units_dw, kn_plain_dw};
static const kn_kind kn_dx_kind = {
    "dx", "dx[i][k] = sum_j dz[i][j] W[j][k]",
    "",   {"const $1 *restrict W, const $1 *restrict dz, long rows,", "$1 *restrict dx)"},
    NULL, kn_plain_dx};

/* The kernel's comment, signature and "{"; then, for a narrow fan_in, its
 * whole body (over the units or the plain loops) and "}": returns 1 if
 * the kernel is written, 0 if the caller writes the vector body. */
static int kn_begin(emitter *e, const isa_row *I, const kn_kind *k, long K, long N)
{
    tx_blank(e);
    tx_line(e, "/* %s; fan_in %ld, %ld units%s. */", k->formula, K, N, k->note);
    tx_line(e, "static void %s_%s_%ldx%ld(%s", e->P, k->name, K, N,
            T(e, k->args[0], e->real, NULL, NULL));
    tx_cont(e, "%s", T(e, k->args[1], e->real, NULL, NULL));
    tx_open(e, "{");
    if (k->units && kn_over_units(I, K, N)) {
        k->units(e, I, K, N);
    } else if (kn_plain(I, K)) {
        kn_plain_note(e, I, K);
        k->plain(e, K, N, 0, N);
    } else {
        return 0;
    }
    tx_close(e, "}");
    return 1;
}

void kn_fwd(emitter *e, const isa_row *I, long K, long N)
{
    if (kn_begin(e, I, &kn_fwd_kind, K, N))
        return;
    kn_mask_decl(e, I, K);
    const int V = I->lanes;
    const long KV = K / V * V;
    char kv[32], kf[32], kend[48];
    snprintf(kv, sizeof kv, "%ld", KV);
    if (K < KN_KBLOCK_MIN) {
        const kn_krange all = {"0", KV > 0 ? kv : NULL, 1, 0};
        kn_fwd_rows(e, I, K, N, &all);
        tx_close(e, "}");
        return;
    }
    /* Wide fan_in: blocks of KN_KBLOCK columns, so that a block of W (units
     * x KN_KBLOCK floats) stays in cache while every row tile of the chunk
     * uses it; z collects the blocks' partial sums. */
    const long KF = K / KN_KBLOCK * KN_KBLOCK;
    snprintf(kf, sizeof kf, "%ld", KF);
    snprintf(kend, sizeof kend, "kb + %d", KN_KBLOCK);
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_open(e, "for (long j = 0; j < %ld; j++) {", N);
    tx_line(e, "z[i * %ld + j] = b[j];", N);
    tx_close(e, "}");
    tx_close(e, "}");
    const kn_krange block = {"kb", kend, 0, 1};
    tx_open(e, "for (long kb = 0; kb < %ld; kb += %d) {", KF, KN_KBLOCK);
    kn_fwd_rows(e, I, K, N, &block);
    tx_close(e, "}");
    if (K > KF) {
        const kn_krange last = {kf, KV > KF ? kv : NULL, 1, 1};
        tx_open(e, "{ /* columns %ld..%ld */", KF, K - 1);
        kn_fwd_rows(e, I, K, N, &last);
        tx_close(e, "}");
    }
    tx_close(e, "}");
}

/* dW tile: C units (from jx) x NV vectors (from k), summed over the rows. */
static void kn_dw_tile(emitter *e, const isa_row *I, long K, long N, int C, int NV, const char *jx_,
                       int masked, int packed)
{
    char jx[32]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    for (int c = 0; c < C; c++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s acc%d_%d = %s;", I->vt, c, v,
                    T(e, ld, S(e, "dW + %s + %s", kn_idx(e, jx, c, K), kn_plus(e, "k", v * V)),
                      NULL, NULL));
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    for (int v = 0; v < NV; v++)
        tx_line(e, "const %s a%d = %s;", I->vt, v,
                T(e, ld,
                  packed ? S(e, "pack + i * %d + %s", KN_KC, kn_plus(e, "kk", v * V))
                         : S(e, "a + i * %ld + %s", K, kn_plus(e, "k", v * V)),
                  NULL, NULL));
    for (int c = 0; c < C; c++) {
        tx_line(e, "const %s d%d = %s;", I->vt, c,
                T(e, I->set1, S(e, "dz[i * %ld + %s]", N, kn_plus(e, jx, c)), NULL, NULL));
        for (int v = 0; v < NV; v++) {
            const char *acc = S(e, "acc%d_%d", c, v);
            tx_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "d%d", c), S(e, "a%d", v), acc));
        }
    }
    tx_close(e, "}");
    for (int c = 0; c < C; c++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s;",
                    T(e, st, S(e, "dW + %s + %s", kn_idx(e, jx, c, K), kn_plus(e, "k", v * V)),
                      S(e, "acc%d_%d", c, v), NULL));
}

static void kn_dw_units(emitter *e, const isa_row *I, long K, long N, int NV, int masked,
                        int packed)
{
    const int C = I->dw_c;
    const long NC = N / C * C;
    if (NC > 0) {
        tx_open(e, "for (long j = 0; j < %ld; j += %d) {", NC, C);
        kn_dw_tile(e, I, K, N, C, NV, "j", masked, packed);
        tx_close(e, "}");
    }
    if (N % C) {
        tx_open(e, "{ /* units %ld..%ld */", NC, N - 1);
        kn_dw_tile(e, I, K, N, (int)(N % C), NV, S(e, "%ld", NC), masked, packed);
        tx_close(e, "}");
    }
}

/* dW's columns KV..K-1 (a tail shorter than a vector, on a path without
 * masked loads) as plain loops. */
static void kn_dw_scalar_tail(emitter *e, long K, long N, long KV)
{
    tx_open(e, "for (long k = %ld; k < %ld; k++) {", KV, K);
    tx_open(e, "for (long j = 0; j < %ld; j++) {", N);
    tx_line(e, "%s s = %s;", e->real, tx_lit(e, 0));
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_line(e, "s += dz[i * %ld + j] * a[i * %ld + k];", N, K);
    tx_close(e, "}");
    tx_line(e, "dW[j * %ld + k] += s;", K);
    tx_close(e, "}");
    tx_close(e, "}");
}

/* One range of columns of kn_dw_stream: for groups of R rows (4, then 1),
 * dW[j][k..k+V) += sum_r dz[i+r][j] a[i+r][k..k+V) for k from lo to hi
 * (or the one masked vector at k = `lo` when masked). */
static void kn_dw_stream_cols(emitter *e, const isa_row *I, long K, long N, const char *lo_,
                              const char *hi_, int masked)
{
    char lo[32], hi[48];
    snprintf(lo, sizeof lo, "%s", lo_);
    snprintf(hi, sizeof hi, "%s", hi_ ? hi_ : "");
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    tx_line(e, "long i = 0;");
    for (int R = 4; R >= 1; R -= 3) {
        tx_open(e, R > 1 ? "for (; i + %d <= rows; i += %d) {" : "for (; i < rows; i++) {", R, R);
        for (int r = 0; r < R; r++)
            for (long c = 0; c < N; c++)
                tx_line(e, "const %s d%d_%ld = %s;", I->vt, r, c,
                        T(e, I->set1, S(e, "dz[%s + %ld]", kn_idx(e, "i", r, N), c), NULL, NULL));
        if (masked)
            tx_open(e, "{ const long k = %s;", lo);
        else
            tx_open(e, "for (long k = %s; k < %s; k += %d) {", lo, hi, V);
        for (int r = 0; r < R; r++)
            tx_line(e, "const %s a%d = %s;", I->vt, r,
                    T(e, ld, S(e, "a + %s + k", kn_idx(e, "i", r, K)), NULL, NULL));
        for (long c = 0; c < N; c++) {
            const char *at = c ? S(e, "dW + %ld + k", c * K) : "dW + k";
            tx_line(e, "%s acc%ld = %s;", I->vt, c, T(e, ld, at, NULL, NULL));
            for (int r = 0; r < R; r++)
                tx_line(e, "acc%ld = %s;", c,
                        T(e, I->fma, S(e, "d%d_%ld", r, c), S(e, "a%d", r), S(e, "acc%ld", c)));
            tx_line(e, "%s;", T(e, st, at, S(e, "acc%ld", c), NULL));
        }
        tx_close(e, "}");
        tx_close(e, "}");
    }
}

/* dW of a wide layer with few units: dW (units x fan_in) is the sum over
 * the chunk's rows of dz[i][j] times row i of a.  Every row of a is read
 * once, front to back, four at a time, into a block of KN_KBLOCK columns of
 * dW that stays in L1 while the chunk's rows go through it (the packed tile
 * kernel would copy every row only to read it once: logistic regression on
 * the cat images is 12288 x 1). */
static void kn_dw_stream(emitter *e, const isa_row *I, long K, long N)
{
    const int V = I->lanes;
    const long KF = K / KN_KBLOCK * KN_KBLOCK, KV = K / V * V;
    kn_mask_decl(e, I, K);
    if (KF > 0) {
        tx_open(e, "for (long kb = 0; kb < %ld; kb += %d) {", KF, KN_KBLOCK);
        kn_dw_stream_cols(e, I, K, N, "kb", S(e, "kb + %d", KN_KBLOCK), 0);
        tx_close(e, "}");
    }
    if (KV > KF) {
        tx_open(e, "{ /* columns %ld..%ld */", KF, KV - 1);
        kn_dw_stream_cols(e, I, K, N, S(e, "%ld", KF), S(e, "%ld", KV), 0);
        tx_close(e, "}");
    }
    if (K % V && I->maskload) {
        tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        kn_dw_stream_cols(e, I, K, N, S(e, "%ld", KV), NULL, 1);
        tx_close(e, "}");
    } else if (K % V) {
        kn_dw_scalar_tail(e, K, N, KV);
    }
}

void kn_dw(emitter *e, const isa_row *I, long K, long N)
{
    if (kn_begin(e, I, &kn_dw_kind, K, N))
        return;
    if (K >= KN_PACK_MIN && N <= KN_STREAM_MAX_UNITS) {
        kn_dw_stream(e, I, K, N);
        tx_close(e, "}");
        return;
    }
    const int V = I->lanes, BW = V * I->dw_v;
    long k0 = 0;
    kn_mask_decl(e, I, K);
    if (K >= KN_PACK_MIN) {
        /* Rows of a lie fan_in floats apart (often a multiple of 4 KiB, so
         * they share cache sets); copy a column block of the chunk into
         * contiguous memory once and let every unit tile read it there. */
        const long KP = K / KN_KC * KN_KC;
        const int kcv = KN_KC / V;
        tx_line(e, "%s pack[%d * %d];", e->real, e->ws.ch, KN_KC);
        tx_open(e, "for (long k0 = 0; k0 < %ld; k0 += %d) {", KP, KN_KC);
        if (I->prefetch) /* the next block's rows, while this one is computed */
            tx_line(e, "const int next = k0 + %d < %ld;", KN_KC, KP);
        tx_open(e, "for (long i = 0; i < rows; i++) {");
        tx_open(e, "for (long v = 0; v < %d; v++) {", kcv);
        tx_line(e, "%s;",
                T(e, I->storeu, S(e, "pack + i * %d + v * %d", KN_KC, V),
                  T(e, I->loadu, S(e, "a + i * %ld + k0 + v * %d", K, V), NULL, NULL), NULL));
        tx_close(e, "}");
        if (I->prefetch) {
            tx_open(e, "if (next) {");
            for (int c = 0; c < KN_KC; c += 16) /* a 64-byte line holds 16 floats */
                tx_line(e, "%s;",
                        T(e, I->prefetch, S(e, "a + i * %ld + k0 + %d", K, KN_KC + c), NULL, NULL));
            tx_close(e, "}");
        }
        tx_close(e, "}");
        tx_open(e, "for (long kk = 0; kk < %d; kk += %d) {", KN_KC, BW);
        tx_line(e, "const long k = k0 + kk;");
        kn_dw_units(e, I, K, N, I->dw_v, 0, 1);
        tx_close(e, "}");
        tx_close(e, "}");
        k0 = KP;
    }
    const long KB = k0 + (K - k0) / BW * BW, KV = K / V * V;
    if (KB > k0) {
        tx_open(e, "for (long k = %ld; k < %ld; k += %d) {", k0, KB, BW);
        kn_dw_units(e, I, K, N, I->dw_v, 0, 0);
        tx_close(e, "}");
    }
    if (KV > KB) {
        tx_open(e, "for (long k = %ld; k < %ld; k += %d) {", KB, KV, V);
        kn_dw_units(e, I, K, N, 1, 0, 0);
        tx_close(e, "}");
    }
    if (K % V && I->maskload) {
        tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        tx_line(e, "const long k = %ld;", KV);
        kn_dw_units(e, I, K, N, 1, 1, 0);
        tx_close(e, "}");
    } else if (K % V) {
        kn_dw_scalar_tail(e, K, N, KV);
    }
    tx_close(e, "}");
}

/* dA_prev tile: R rows (from i) x NV vectors (from k), summed over units. */
static void kn_dx_tile(emitter *e, const isa_row *I, long K, long N, int R, int NV, int masked)
{
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s acc%d_%d = %s;", I->vt, r, v, I->zero);
    tx_open(e, "for (long j = 0; j < %ld; j++) {", N);
    for (int v = 0; v < NV; v++)
        tx_line(e, "const %s w%d = %s;", I->vt, v,
                T(e, ld, S(e, "W + j * %ld + %s", K, kn_plus(e, "k", v * V)), NULL, NULL));
    for (int r = 0; r < R; r++) {
        tx_line(e, "const %s d%d = %s;", I->vt, r,
                T(e, I->set1, S(e, "dz[%s + j]", kn_idx(e, "i", r, N)), NULL, NULL));
        for (int v = 0; v < NV; v++) {
            const char *acc = S(e, "acc%d_%d", r, v);
            tx_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "d%d", r), S(e, "w%d", v), acc));
        }
    }
    tx_close(e, "}");
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s;",
                    T(e, st, S(e, "dx + %s + %s", kn_idx(e, "i", r, K), kn_plus(e, "k", v * V)),
                      S(e, "acc%d_%d", r, v), NULL));
}

static void kn_dx_rows(emitter *e, const isa_row *I, long K, long N, int R)
{
    const int V = I->lanes, BW = V * I->dx_v;
    const long KB = K / BW * BW, KV = K / V * V;
    if (KB > 0) {
        tx_open(e, "for (long k = 0; k < %ld; k += %d) {", KB, BW);
        kn_dx_tile(e, I, K, N, R, I->dx_v, 0);
        tx_close(e, "}");
    }
    if (KV > KB) {
        tx_open(e, "for (long k = %ld; k < %ld; k += %d) {", KB, KV, V);
        kn_dx_tile(e, I, K, N, R, 1, 0);
        tx_close(e, "}");
    }
    if (K % V && I->maskload) {
        tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        tx_line(e, "const long k = %ld;", KV);
        kn_dx_tile(e, I, K, N, R, 1, 1);
        tx_close(e, "}");
    } else if (K % V) {
        tx_open(e, "for (long k = %ld; k < %ld; k++) {", KV, K);
        for (int r = 0; r < R; r++)
            tx_line(e, "%s s%d = %s;", e->real, r, tx_lit(e, 0));
        tx_open(e, "for (long j = 0; j < %ld; j++) {", N);
        for (int r = 0; r < R; r++)
            tx_line(e, "s%d += dz[%s + j] * W[j * %ld + k];", r, kn_idx(e, "i", r, N), K);
        tx_close(e, "}");
        for (int r = 0; r < R; r++)
            tx_line(e, "dx[%s + k] = s%d;", kn_idx(e, "i", r, K), r);
        tx_close(e, "}");
    }
}

void kn_dx(emitter *e, const isa_row *I, long K, long N)
{
    if (kn_begin(e, I, &kn_dx_kind, K, N))
        return;
    kn_mask_decl(e, I, K);
    tx_line(e, "long i = 0;");
    if (I->dx_r > 1) {
        tx_open(e, "for (; i + %d <= rows; i += %d) {", I->dx_r, I->dx_r);
        kn_dx_rows(e, I, K, N, I->dx_r);
        tx_close(e, "}");
    }
    tx_open(e, "for (; i < rows; i++) {");
    kn_dx_rows(e, I, K, N, 1);
    tx_close(e, "}");
    tx_close(e, "}");
}

/* ------------------------------------------------------------------ */
/* Activation derivatives                                               */
/* ------------------------------------------------------------------ */

/* d[i] *= f'(a[i]), in terms of the activation's output a: the row's dact
 * expression, with its parameter (if it has one) as an argument. */
void kn_dact(emitter *e, const isa_row *I, const nnrt_act_row *row)
{
    const char *R = e->real;
    char stmt[128];
    snprintf(stmt, sizeof stmt, "d = %s", row->dact ? row->dact : "d");
    const ex_loop body = {.arrays = "a d", .loads = "a d", .p = row->param, .stmts = {stmt, NULL}};
    tx_blank(e);
    tx_line(e, "/* d *= f'(a) for %s: %s */", row->name, row->derivative);
    tx_line(e, "static void %s_dact_%s(const %s *restrict a, %s *restrict d, long n%s)", e->P,
            row->name, R, R, row->param ? S(e, ", %s %s", R, row->param) : "");
    tx_open(e, "{");
    tx_line(e, "long i = 0;");
    if (I->lanes > 1) {
        ex_hoist(e, I, &body);
        tx_open(e, "for (; i + %d <= n; i += %d) {", I->lanes, I->lanes);
        ex_body(e, I, &body);
        tx_close(e, "}");
    }
    tx_open(e, "for (; i < n; i++) {");
    ex_body(e, &isa_table[ISA_SCALAR], &body);
    tx_close(e, "}");
    tx_close(e, "}");
}
