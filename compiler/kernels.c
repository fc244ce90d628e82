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
/* Index arithmetic and loops: nothing degenerate is written            */
/* ------------------------------------------------------------------ */
/* Indices are C expressions built from a loop's variable or, where the
 * loop runs once or the value is known, a number: "+ 0", "* 1" and loops
 * of one trip never reach the output. */

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

/* a + b: "0" vanishes, two numbers add up. */
static const char *kn_add(emitter *e, const char *a, const char *b)
{
    long x = kn_number(a), y = kn_number(b);
    if (x >= 0 && y >= 0)
        return S(e, "%ld", x + y);
    if (x == 0)
        return b;
    if (y == 0)
        return a;
    return S(e, "%s + %s", a, b);
}

/* var + off: "k", "k + 8", or "20" when var is a number. */
static const char *kn_plus(emitter *e, const char *var, long off)
{
    return kn_add(e, var, S(e, "%ld", off));
}

/* The offset of row (var + off) of a matrix `stride` wide: "i * 13",
 * "(i + 2) * 13", "20 * 13", "0", or "i + 2" when stride is 1. */
static const char *kn_row(emitter *e, const char *var, long off, long stride)
{
    const char *v = kn_plus(e, var, off);
    if (stride == 1 || kn_number(v) == 0)
        return v;
    return strchr(v, ' ') ? S(e, "(%s) * %ld", v, stride) : S(e, "%s * %ld", v, stride);
}

/* The offset of [var + off][col] in a matrix `stride` wide. */
static const char *kn_at(emitter *e, const char *var, long off, long stride, const char *col)
{
    return kn_add(e, kn_row(e, var, off, stride), col);
}

/* base + off: "W + 12", or "W" when off is "0". */
static const char *kn_ptr(emitter *e, const char *base, const char *off)
{
    return strcmp(off, "0") == 0 ? base : S(e, "%s + %s", base, off);
}

/* "units 4..7", "unit 4" */
static const char *kn_units(emitter *e, long from, long to)
{
    return from == to ? S(e, "unit %ld", from) : S(e, "units %ld..%ld", from, to);
}

/* A loop of the generated code. */
typedef struct kn_loop {
    char var[48]; /* what its body calls the index: the variable, or a number */
    int open;     /* a brace to close */
} kn_loop;

/* Opens `for (long v = from; v < to; v += step) {` and returns what the
 * body calls the index.  A loop that runs once is not written: the body
 * gets the number `from`, in a block whose comment is `once` ("v = from"
 * if NULL), or in no block at all when `flat` (the body declares nothing,
 * so it needs no scope of its own). */
static const char *kn_for(emitter *e, kn_loop *L, const char *v, const char *from, const char *to,
                          long step, int flat, const char *once)
{
    long f = kn_number(from), t = kn_number(to);
    if (f >= 0 && t > f && t - f <= step) {
        snprintf(L->var, sizeof L->var, "%ld", f);
        L->open = !flat;
        if (L->open)
            tx_open(e, "{ /* %s */", once ? once : S(e, "%s = %ld", v, f));
        return L->var;
    }
    snprintf(L->var, sizeof L->var, "%s", v);
    L->open = 1;
    if (step == 1)
        tx_open(e, "for (long %s = %s; %s < %s; %s++) {", v, from, v, to, v);
    else
        tx_open(e, "for (long %s = %s; %s < %s; %s += %ld) {", v, from, v, to, v, step);
    return L->var;
}

/* kn_for over numbers. */
static const char *kn_forn(emitter *e, kn_loop *L, const char *v, long from, long to, long step,
                           int flat, const char *once)
{
    char f[24], t[24];
    snprintf(f, sizeof f, "%ld", from);
    snprintf(t, sizeof t, "%ld", to);
    return kn_for(e, L, v, f, t, step, flat, once);
}

static void kn_end(emitter *e, const kn_loop *L)
{
    if (L->open)
        tx_close(e, "}");
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

/* Does a forward tile of C units end in the row's four-at-once sums? */
static int kn_hsum4(const isa_row *I, int C)
{
    return I->hsum4_helper && C == 4;
}

int kn_uses_hsum4(const isa_row *I, long K, long N)
{
    return kn_vector_fan_in(I, K) && kn_row_for(I, K) == I && kn_hsum4(I, I->fwd_c) &&
           N >= I->fwd_c;
}

/* Forward tile: R rows x C units at (i, jx), accumulating over k. */
static void kn_fwd_tile(emitter *e, const isa_row *I, long K, long N, int R, int C, const char *jx_,
                        const kn_krange *kr)
{
    char jx[48]; /* jx_ may live in the string ring */
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
        kn_loop L = {"", 1};
        const char *k;
        if (pass == 0) {
            if (!kr->to)
                continue;
            k = kn_for(e, &L, "k", kr->from, kr->to, V, 0, NULL);
        } else {
            if (!tail || scalar_tail)
                continue;
            tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
            snprintf(L.var, sizeof L.var, "%ld", KV);
            k = L.var;
            ld = I->maskload;
        }
        for (int c = 0; c < C; c++)
            tx_line(e, "const %s w%d = %s;", I->vt, c,
                    T(e, ld, kn_ptr(e, "W", kn_at(e, jx, c, K, k)), NULL, NULL));
        for (int r = 0; r < R; r++) {
            tx_line(e, "const %s x%d = %s;", I->vt, r,
                    T(e, ld, kn_ptr(e, "x", kn_at(e, "i", r, K, k)), NULL, NULL));
            for (int c = 0; c < C; c++) {
                const char *acc = S(e, "acc%d_%d", r, c);
                tx_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "x%d", r), S(e, "w%d", c), acc));
            }
        }
        kn_end(e, &L);
    }
    if (scalar_tail) {
        kn_loop L;
        const char *k = kn_forn(e, &L, "k", KV, K, 1, 1, NULL);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                tx_line(e, "t%d_%d += x[%s] * W[%s];", r, c, kn_at(e, "i", r, K, k),
                        kn_at(e, jx, c, K, k));
        kn_end(e, &L);
    }
    if (kn_hsum4(I, C) && !scalar_tail) { /* four units of a row at once */
        for (int r = 0; r < R; r++) {
            const char *z = kn_ptr(e, "z", kn_at(e, "i", r, N, jx));
            tx_line(e, "%s_hsum4(%s, %s, acc%d_0, acc%d_1, acc%d_2, acc%d_3);", e->F, z,
                    kr->acc ? z : kn_ptr(e, "b", jx), r, r, r, r);
        }
        return;
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            const char *sum = S(e, "%s%s", T(e, I->hsum, S(e, "acc%d_%d", r, c), NULL, NULL),
                                scalar_tail ? S(e, " + t%d_%d", r, c) : "");
            const char *j = kn_plus(e, jx, c);
            if (kr->acc)
                tx_line(e, "z[%s] += %s;", kn_at(e, "i", r, N, j), sum);
            else
                tx_line(e, "z[%s] = b[%s] + %s;", kn_at(e, "i", r, N, j), j, sum);
        }
}

static void kn_fwd_units(emitter *e, const isa_row *I, long K, long N, int R, const kn_krange *kr)
{
    const int C = I->fwd_c;
    const long NC = N / C * C;
    if (NC > 0) {
        kn_loop L;
        const char *j = kn_forn(e, &L, "j", 0, NC, C, 0, kn_units(e, 0, C - 1));
        kn_fwd_tile(e, I, K, N, R, C, j, kr);
        kn_end(e, &L);
    }
    if (N % C) {
        tx_open(e, "{ /* %s */", kn_units(e, NC, N - 1));
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

/* `tailmask` with the first K % lanes lanes on, as a list of lanes and as
 * a bit mask (the row's mask_decl takes the one it needs). */
static void kn_mask_decl(emitter *e, const isa_row *I, long K)
{
    if (!(K % I->lanes) || !I->mask_decl)
        return;
    char lanes[TX_STR] = "", bits[32];
    for (int v = 0; v < I->lanes; v++) {
        strcat(lanes, v < K % I->lanes ? "-1" : "0");
        if (v + 1 < I->lanes)
            strcat(lanes, ", ");
    }
    snprintf(bits, sizeof bits, "0x%lx", (1ul << K % I->lanes) - 1);
    tx_line(e, "%s", T(e, I->mask_decl, lanes, bits, NULL));
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

const isa_row *kn_row_for(const isa_row *I, long K)
{
    /* a half with a horizontal sum is a row of the table, not a bare vector */
    while (I->half && I->half->hsum && K < I->lanes && K >= I->half->lanes)
        I = I->half;
    return I;
}

int kn_vector_fan_in(const isa_row *I, long K)
{
    return !kn_plain(kn_row_for(I, K), K);
}

/* The narrowest vector of units a path has: its last half width, or its own. */
static int kn_min_lanes(const isa_row *I)
{
    while (I->half)
        I = I->half;
    return I->lanes;
}

/* The narrower vectors of units [from, N) of a layer over the units: from
 * the widest half down (AVX-512: 8, then 4), one of each that fits, into
 * H[] with their first units in at[]; at[n] = the first unit left over
 * for the plain loops.  Returns n. */
static int kn_halves(const isa_row *I, long N, long from, const isa_row *H[4], long at[5])
{
    int n = 0;
    at[0] = from;
    for (const isa_row *h = I->half; h && n < 4; h = h->half)
        if (N - at[n] >= h->lanes) {
            H[n] = h;
            at[n + 1] = at[n] + h->lanes;
            n++;
        }
    return n;
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
    kn_loop Lj, Lk;
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    const char *j = kn_forn(e, &Lj, "j", from, to, 1, 0, kn_units(e, from, to - 1));
    tx_line(e, "%s s = %s;", e->real, tx_lit(e, 0));
    const char *k = kn_forn(e, &Lk, "k", 0, K, 1, 1, NULL);
    tx_line(e, "s += x[%s] * W[%s];", kn_at(e, "i", 0, K, k), kn_at(e, j, 0, K, k));
    kn_end(e, &Lk);
    tx_line(e, "z[%s] = b[%s] + s;", kn_at(e, "i", 0, N, j), j);
    kn_end(e, &Lj);
    tx_close(e, "}");
}

/* dW += dz^T a for units [from, to) as plain loops. */
static void kn_plain_dw(emitter *e, long K, long N, long from, long to)
{
    kn_loop Lj, Lk;
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    const char *j = kn_forn(e, &Lj, "j", from, to, 1, 0, kn_units(e, from, to - 1));
    tx_line(e, "const %s d = dz[%s];", e->real, kn_at(e, "i", 0, N, j));
    const char *k = kn_forn(e, &Lk, "k", 0, K, 1, 1, NULL);
    tx_line(e, "dW[%s] += d * a[%s];", kn_at(e, j, 0, K, k), kn_at(e, "i", 0, K, k));
    kn_end(e, &Lk);
    kn_end(e, &Lj);
    tx_close(e, "}");
}

/* dx = dz W (units [from, to) of dz) as plain loops. */
static void kn_plain_dx(emitter *e, long K, long N, long from, long to)
{
    kn_loop Lj, Lk;
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    const char *k = kn_forn(e, &Lk, "k", 0, K, 1, 1, NULL);
    tx_line(e, "dx[%s] = %s;", kn_at(e, "i", 0, K, k), tx_lit(e, 0));
    kn_end(e, &Lk);
    const char *j = kn_forn(e, &Lj, "j", from, to, 1, 0, kn_units(e, from, to - 1));
    tx_line(e, "const %s d = dz[%s];", e->real, kn_at(e, "i", 0, N, j));
    k = kn_forn(e, &Lk, "k", 0, K, 1, 1, NULL);
    tx_line(e, "dx[%s] += d * W[%s];", kn_at(e, "i", 0, K, k), kn_at(e, j, 0, K, k));
    kn_end(e, &Lk);
    kn_end(e, &Lj);
    tx_close(e, "}");
}

/* Forward over the units (fan_in K < lanes <= N): a block of C vectors of
 * units at j0 (`jx`, a variable or a number), W^T of the block copied into
 * wt (K rows of C * lanes), then per row acc_c = b + sum_k x[i][k] wt[k]. */
static void kn_units_fwd_block(emitter *e, const isa_row *I, long K, long N, int C, const char *jx_)
{
    char jx[48]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const long BW = (long)C * V;
    kn_loop Lj, Lk;
    const char *j = kn_forn(e, &Lj, "j", 0, BW, 1, 1, NULL);
    const char *k = kn_forn(e, &Lk, "k", 0, K, 1, 1, NULL);
    tx_line(e, "wt[%s] = W[%s];", kn_at(e, k, 0, BW, j), kn_at(e, kn_add(e, jx, j), 0, K, k));
    kn_end(e, &Lk);
    kn_end(e, &Lj);
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    for (int c = 0; c < C; c++)
        tx_line(e, "%s acc%d = %s;", I->vt, c,
                T(e, I->loadu, kn_ptr(e, "b", kn_plus(e, jx, (long)c * V)), NULL, NULL));
    for (long kc = 0; kc < K; kc++) {
        tx_line(e, "const %s x%ld = %s;", I->vt, kc,
                T(e, I->set1, S(e, "x[%s]", kn_at(e, "i", 0, K, S(e, "%ld", kc))), NULL, NULL));
        for (int c = 0; c < C; c++) {
            const char *acc = S(e, "acc%d", c);
            const char *w = kn_ptr(e, "wt", S(e, "%ld", kc * BW + (long)c * V));
            tx_line(e, "%s = %s;", acc,
                    T(e, I->fma, S(e, "x%ld", kc), T(e, I->loadu, w, NULL, NULL), acc));
        }
    }
    for (int c = 0; c < C; c++)
        tx_line(e, "%s;",
                T(e, I->storeu, kn_ptr(e, "z", kn_at(e, "i", 0, N, kn_plus(e, jx, (long)c * V))),
                  S(e, "acc%d", c), NULL));
    tx_close(e, "}");
}

long kn_fma_units(const isa_row *I, long K, long N)
{
    I = kn_row_for(I, K);
    if (!kn_over_units(I, K, N))
        return 0;
    const isa_row *H[4];
    long at[5];
    return at[kn_halves(I, N, N / I->lanes * I->lanes, H, at)];
}

static void kn_units_fwd(emitter *e, const isa_row *I, long K, long N)
{
    const int V = I->lanes;
    const long NV = N / V * V;
    const int C = NV / V < I->fwd_c ? (int)(NV / V) : I->fwd_c;
    const long BW = (long)C * V, NB = C ? NV / BW * BW : 0;
    const isa_row *H[4];
    long at[5];
    const int nh = kn_halves(I, N, NV, H, at);
    const long NH = at[nh], HW = nh ? H[0]->lanes : 0; /* the widest half block */
    tx_line(e, "/* fan_in %ld < %d lanes: over the units, %sW^T of each block in wt */", K, V,
            NB > BW ? S(e, "%ld at a time, ", BW) : "");
    tx_line(e, "%s wt[%ld];", e->real, K * (BW > HW ? BW : HW));
    if (NB > 0) {
        kn_loop L;
        const char *j0 = kn_forn(e, &L, "j0", 0, NB, BW, 0, kn_units(e, 0, BW - 1));
        kn_units_fwd_block(e, I, K, N, C, j0);
        kn_end(e, &L);
    }
    if (NV > NB) {
        tx_open(e, "{ /* %s */", kn_units(e, NB, NV - 1));
        kn_units_fwd_block(e, I, K, N, (int)((NV - NB) / V), S(e, "%ld", NB));
        tx_close(e, "}");
    }
    for (int h = 0; h < nh; h++) {
        tx_open(e, "{ /* %s, %s */", kn_units(e, at[h], at[h + 1] - 1), H[h]->vt);
        kn_units_fwd_block(e, H[h], K, N, 1, S(e, "%ld", at[h]));
        tx_close(e, "}");
    }
    if (N > NH) {
        tx_open(e, "{ /* %s: plain loops */", kn_units(e, NH, N - 1));
        kn_plain_fwd(e, K, N, NH, N);
        tx_close(e, "}");
    }
}

/* dW over the units (fan_in K < lanes <= N) for units [from, to), a
 * vector of I's lanes at a time: K accumulators acc_k = sum_i a[i][k]
 * dz[i][j0..], then added to dW's columns through t. */
static void kn_units_dw_vectors(emitter *e, const isa_row *I, long K, long N, long from, long to,
                                const char *once)
{
    const int V = I->lanes;
    kn_loop L0, Lv, Lk;
    const char *j0 = kn_forn(e, &L0, "j0", from, to, V, 0, once);
    for (long kc = 0; kc < K; kc++)
        tx_line(e, "%s acc%ld = %s;", I->vt, kc, I->zero);
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_line(e, "const %s d = %s;", I->vt,
            T(e, I->loadu, kn_ptr(e, "dz", kn_at(e, "i", 0, N, j0)), NULL, NULL));
    for (long kc = 0; kc < K; kc++) {
        const char *acc = S(e, "acc%ld", kc);
        const char *a = S(e, "a[%s]", kn_at(e, "i", 0, K, S(e, "%ld", kc)));
        tx_line(e, "%s = %s;", acc, T(e, I->fma, T(e, I->set1, a, NULL, NULL), "d", acc));
    }
    tx_close(e, "}");
    tx_line(e, "%s t[%ld];", e->real, K * V);
    for (long kc = 0; kc < K; kc++)
        tx_line(e, "%s;",
                T(e, I->storeu, kn_ptr(e, "t", S(e, "%ld", kc * V)), S(e, "acc%ld", kc), NULL));
    const char *v = kn_forn(e, &Lv, "v", 0, V, 1, 1, NULL);
    const char *k = kn_forn(e, &Lk, "k", 0, K, 1, 1, NULL);
    tx_line(e, "dW[%s] += t[%s];", kn_at(e, kn_add(e, j0, v), 0, K, k), kn_at(e, k, 0, V, v));
    kn_end(e, &Lk);
    kn_end(e, &Lv);
    kn_end(e, &L0);
}

static void kn_units_dw(emitter *e, const isa_row *I, long K, long N)
{
    const int V = I->lanes;
    const long NV = N / V * V;
    const isa_row *H[4];
    long at[5];
    const int nh = kn_halves(I, N, NV, H, at);
    const long NH = at[nh];
    tx_line(e, "/* fan_in %ld < %d lanes: over the units */", K, V);
    if (NV > 0)
        kn_units_dw_vectors(e, I, K, N, 0, NV, kn_units(e, 0, NV - 1));
    for (int h = 0; h < nh; h++) /* one narrower vector of each width that fits */
        kn_units_dw_vectors(e, H[h], K, N, at[h], at[h + 1],
                            S(e, "%s, %s", kn_units(e, at[h], at[h + 1] - 1), H[h]->vt));
    if (N > NH) {
        tx_open(e, "{ /* %s: plain loops */", kn_units(e, NH, N - 1));
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

static const kn_kind kn_fwd_kind = {
    .name = "fwd",
    .formula = "Z = X W^T + b: z[i][j] = b[j] + sum_k x[i][k] W[j][k]",
    .note = ", rows <= CH",
    .args = {"const $1 *restrict W, const $1 *restrict b,",
             "const $1 *restrict x, long rows, $1 *restrict z)"},
    .units = kn_units_fwd,
    .plain = kn_plain_fwd,
};
static const kn_kind kn_dw_kind = {
    .name = "dw",
    .formula = "dW += dZ^T A: dW[j][k] += sum_i dz[i][j] a[i][k]",
    .note = "",
    .args = {"const $1 *restrict dz, const $1 *restrict a, long rows,", "$1 *restrict dW)"},
    .units = kn_units_dw,
    .plain = kn_plain_dw,
};
static const kn_kind kn_dx_kind = {
    .name = "dx",
    .formula = "dX = dZ W: dx[i][k] = sum_j dz[i][j] W[j][k]",
    .note = "",
    .args = {"const $1 *restrict W, const $1 *restrict dz, long rows,", "$1 *restrict dx)"},
    .plain = kn_plain_dx,
};

/* The kernel's comment, signature and "{"; then, for a narrow fan_in, its
 * whole body (over the units or the plain loops) and "}": returns 1 if
 * the kernel is written, 0 if the caller writes the vector body with the
 * row *Ip (the path's, or its half's: kn_row_for). */
static int kn_begin(emitter *e, const isa_row **Ip, const kn_kind *k, long K, long N)
{
    const isa_row *I = kn_row_for(*Ip, K);
    tx_blank(e);
    tx_line(e, "/* %s; fan_in %ld, %ld unit%s%s. */", k->formula, K, N, N == 1 ? "" : "s", k->note);
    tx_line(e, "%sstatic void %s_%s_%ldx%ld(%s", e->tgt, e->F, k->name, K, N,
            T(e, k->args[0], e->real, NULL, NULL));
    tx_cont(e, "%s", T(e, k->args[1], e->real, NULL, NULL));
    tx_open(e, "{");
    if (I != *Ip)
        tx_line(e, "/* fan_in %ld < %d lanes: %d-float vectors, as on the %s path */", K,
                (*Ip)->lanes, I->lanes, I->name);
    *Ip = I;
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
    if (kn_begin(e, &I, &kn_fwd_kind, K, N))
        return;
    kn_mask_decl(e, I, K);
    const int V = I->lanes;
    const long KV = K / V * V;
    char kv[32], kf[32], kend[64];
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
    kn_loop L;
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    const char *j = kn_forn(e, &L, "j", 0, N, 1, 1, NULL);
    tx_line(e, "z[%s] = b[%s];", kn_at(e, "i", 0, N, j), j);
    kn_end(e, &L);
    tx_close(e, "}");
    const char *kb = kn_forn(e, &L, "kb", 0, KF, KN_KBLOCK, 0, NULL);
    snprintf(kend, sizeof kend, "%s", kn_plus(e, kb, KN_KBLOCK));
    const kn_krange block = {kb, kend, 0, 1};
    kn_fwd_rows(e, I, K, N, &block);
    kn_end(e, &L);
    if (K > KF) {
        const kn_krange last = {kf, KV > KF ? kv : NULL, 1, 1};
        tx_open(e, "{ /* columns %ld..%ld */", KF, K - 1);
        kn_fwd_rows(e, I, K, N, &last);
        tx_close(e, "}");
    }
    tx_close(e, "}");
}

/* ------------------------------------------------------------------ */
/* dW                                                                   */
/* ------------------------------------------------------------------ */

/* Row i of the chunk's input, KN_KC columns from column `col` (a C
 * expression), into the block `dst` (pack or pack_next). */
static void kn_pack_row(emitter *e, const isa_row *I, long K, const char *dst, const char *col)
{
    kn_loop Lv;
    const int V = I->lanes;
    const char *v = kn_forn(e, &Lv, "v", 0, KN_KC / V, 1, 1, NULL);
    tx_line(e, "%s;",
            T(e, I->storeu, kn_ptr(e, dst, kn_at(e, "i", 0, KN_KC, kn_row(e, v, 0, V))),
              T(e, I->loadu, kn_ptr(e, "a", kn_at(e, "i", 0, K, kn_add(e, col, kn_row(e, v, 0, V)))),
                NULL, NULL),
              NULL));
    kn_end(e, &Lv);
}

/* What a dW tile does besides its own work (kn_dw, a row with pack_ahead):
 * if there is a next column block, and on the first trip of the loops over
 * kk and j when they are loops, copy its row i, from column `col`, into
 * pack_next. */
typedef struct kn_copy {
    int kk_loop, j_loop;
    char col[64]; /* a copy: the string ring is reused meanwhile */
} kn_copy;

/* dW tile: C units (from jx) x NV vectors of columns (from kx), summed
 * over the rows; a is read from `pack` at column kkx when packed. */
static void kn_dw_tile(emitter *e, const isa_row *I, long K, long N, int C, int NV, const char *jx_,
                       const char *kx_, const char *kkx_, int masked, const kn_copy *copy)
{
    char jx[48], kx[48], kkx[48]; /* they may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    snprintf(kx, sizeof kx, "%s", kx_);
    snprintf(kkx, sizeof kkx, "%s", kkx_ ? kkx_ : "");
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    for (int c = 0; c < C; c++)
        for (int v = 0; v < NV; v++)
            tx_line(
                e, "%s acc%d_%d = %s;", I->vt, c, v,
                T(e, ld, kn_ptr(e, "dW", kn_at(e, jx, c, K, kn_plus(e, kx, v * V))), NULL, NULL));
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    if (copy) {
        tx_open(e, "if (next%s%s) { /* the next block's row i, while this one is computed */",
                copy->kk_loop ? " && kk == 0" : "", copy->j_loop ? " && j == 0" : "");
        kn_pack_row(e, I, K, "pack_next", copy->col);
        tx_close(e, "}");
    }
    for (int v = 0; v < NV; v++)
        tx_line(e, "const %s a%d = %s;", I->vt, v,
                T(e, ld,
                  kkx_ ? kn_ptr(e, "pack", kn_at(e, "i", 0, KN_KC, kn_plus(e, kkx, v * V)))
                       : kn_ptr(e, "a", kn_at(e, "i", 0, K, kn_plus(e, kx, v * V))),
                  NULL, NULL));
    for (int c = 0; c < C; c++) {
        tx_line(e, "const %s d%d = %s;", I->vt, c,
                T(e, I->set1, S(e, "dz[%s]", kn_at(e, "i", 0, N, kn_plus(e, jx, c))), NULL, NULL));
        for (int v = 0; v < NV; v++) {
            const char *acc = S(e, "acc%d_%d", c, v);
            tx_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "d%d", c), S(e, "a%d", v), acc));
        }
    }
    tx_close(e, "}");
    for (int c = 0; c < C; c++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s;",
                    T(e, st, kn_ptr(e, "dW", kn_at(e, jx, c, K, kn_plus(e, kx, v * V))),
                      S(e, "acc%d_%d", c, v), NULL));
}

/* The unit tiles of one range of columns; `copy` (or NULL) goes into the
 * first tile written, for its first unit (j == 0). */
static void kn_dw_units(emitter *e, const isa_row *I, long K, long N, int NV, const char *kx_,
                        const char *kkx_, int masked, const kn_copy *copy)
{
    char kx[48], kkx[48];
    snprintf(kx, sizeof kx, "%s", kx_);
    snprintf(kkx, sizeof kkx, "%s", kkx_ ? kkx_ : "");
    const char *kk = kkx_ ? kkx : NULL;
    const int C = I->dw_c;
    const long NC = N / C * C;
    if (NC > 0) {
        kn_loop L;
        const char *j = kn_forn(e, &L, "j", 0, NC, C, 0, kn_units(e, 0, C - 1));
        kn_copy first;
        if (copy) {
            first = *copy;
            first.j_loop = kn_number(j) < 0;
        }
        kn_dw_tile(e, I, K, N, C, NV, j, kx, kk, masked, copy ? &first : NULL);
        kn_end(e, &L);
    }
    if (N % C) {
        tx_open(e, "{ /* %s */", kn_units(e, NC, N - 1));
        kn_dw_tile(e, I, K, N, (int)(N % C), NV, S(e, "%ld", NC), kx, kk, masked,
                   NC > 0 ? NULL : copy);
        tx_close(e, "}");
    }
}

/* dW's columns KV..K-1 (a tail shorter than a vector, on a path without
 * masked loads) as plain loops. */
static void kn_dw_scalar_tail(emitter *e, long K, long N, long KV)
{
    kn_loop Lk, Lj;
    const char *k = kn_forn(e, &Lk, "k", KV, K, 1, 1, NULL);
    const char *j = kn_forn(e, &Lj, "j", 0, N, 1, 0, kn_units(e, 0, N - 1));
    tx_line(e, "%s s = %s;", e->real, tx_lit(e, 0));
    tx_open(e, "for (long i = 0; i < rows; i++) {");
    tx_line(e, "s += dz[%s] * a[%s];", kn_at(e, "i", 0, N, j), kn_at(e, "i", 0, K, k));
    tx_close(e, "}");
    tx_line(e, "dW[%s] += s;", kn_at(e, j, 0, K, k));
    kn_end(e, &Lj);
    kn_end(e, &Lk);
}

/* One range of columns of kn_dw_stream: for groups of R rows (4, then 1),
 * dW[j][k..k+V) += sum_r dz[i+r][j] a[i+r][k..k+V) for k from lo to hi
 * (or the one masked vector at k = `lo` when masked). */
static void kn_dw_stream_cols(emitter *e, const isa_row *I, long K, long N, const char *lo_,
                              const char *hi_, int masked)
{
    char lo[48], hi[64];
    snprintf(lo, sizeof lo, "%s", lo_);
    snprintf(hi, sizeof hi, "%s", hi_ ? hi_ : "");
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    tx_line(e, "long i = 0;");
    for (int R = 4; R >= 1; R -= 3) {
        if (R > 1)
            tx_open(e, "for (; i + %d <= rows; i += %d) {", R, R);
        else
            tx_open(e, "for (; i < rows; i++) {");
        for (int r = 0; r < R; r++)
            for (long c = 0; c < N; c++)
                tx_line(
                    e, "const %s d%d_%ld = %s;", I->vt, r, c,
                    T(e, I->set1, S(e, "dz[%s]", kn_at(e, "i", r, N, S(e, "%ld", c))), NULL, NULL));
        kn_loop L = {"", 0};
        const char *k = lo; /* the masked vector: no loop */
        if (!masked)
            k = kn_for(e, &L, "k", lo, hi, V, 0, NULL);
        for (int r = 0; r < R; r++)
            tx_line(e, "const %s a%d = %s;", I->vt, r,
                    T(e, ld, kn_ptr(e, "a", kn_at(e, "i", r, K, k)), NULL, NULL));
        for (long c = 0; c < N; c++) {
            const char *at = kn_ptr(e, "dW", kn_at(e, S(e, "%ld", c), 0, K, k));
            tx_line(e, "%s acc%ld = %s;", I->vt, c, T(e, ld, at, NULL, NULL));
            for (int r = 0; r < R; r++)
                tx_line(e, "acc%ld = %s;", c,
                        T(e, I->fma, S(e, "d%d_%ld", r, c), S(e, "a%d", r), S(e, "acc%ld", c)));
            tx_line(e, "%s;", T(e, st, at, S(e, "acc%ld", c), NULL));
        }
        kn_end(e, &L);
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
        kn_loop L;
        const char *kb = kn_forn(e, &L, "kb", 0, KF, KN_KBLOCK, 0, NULL);
        kn_dw_stream_cols(e, I, K, N, kb, kn_plus(e, kb, KN_KBLOCK), 0);
        kn_end(e, &L);
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
    if (kn_begin(e, &I, &kn_dw_kind, K, N))
        return;
    if (K >= KN_PACK_MIN && N <= KN_STREAM_MAX_UNITS) {
        kn_dw_stream(e, I, K, N);
        tx_close(e, "}");
        return;
    }
    const int V = I->lanes, BW = V * I->dw_v;
    long k0 = 0;
    kn_loop L, Lkk;
    const char *k;
    kn_mask_decl(e, I, K);
    if (K >= KN_PACK_MIN && I->pack_ahead) {
        /* As below, with two blocks: the unit tiles of one read `pack` while
         * the first of them copies the next block into `pack_next`, so that
         * the copy's loads (from L3: the chunk's input is megabytes) overlap
         * the multiply-adds instead of stalling before them. */
        const long KP = K / KN_KC * KN_KC;
        char kb[48];
        tx_line(e, "%s packs[2][%d * %d];", e->real, e->ws.ch, KN_KC);
        tx_open(e, "for (long i = 0; i < rows; i++) { /* the first block */");
        kn_pack_row(e, I, K, "packs[0]", "0");
        tx_close(e, "}");
        snprintf(kb, sizeof kb, "%s", kn_forn(e, &L, "k0", 0, KP, KN_KC, 0, NULL));
        const int one = kn_number(kb) >= 0;
        tx_line(e, "const %s *pack = packs[%s];", e->real, one ? "0" : S(e, "k0 / %d & 1", KN_KC));
        tx_line(e, "%s *pack_next = packs[%s];", e->real, one ? "1" : S(e, "(k0 / %d + 1) & 1", KN_KC));
        tx_line(e, "const int next = %s < %ld;", kn_plus(e, kb, KN_KC), KP);
        const char *kk = kn_forn(e, &Lkk, "kk", 0, KN_KC, BW, 0, NULL);
        tx_line(e, "const long k = %s;", kn_add(e, kb, kk));
        kn_copy copy = {kn_number(kk) < 0, 0, ""};
        snprintf(copy.col, sizeof copy.col, "%s", kn_plus(e, kb, KN_KC));
        kn_dw_units(e, I, K, N, I->dw_v, "k", kk, 0, &copy);
        kn_end(e, &Lkk);
        kn_end(e, &L);
        k0 = KP;
    } else if (K >= KN_PACK_MIN) {
        /* Rows of a lie fan_in floats apart (often a multiple of 4 KiB, so
         * they share cache sets); copy a column block of the chunk into
         * contiguous memory once and let every unit tile read it there. */
        const long KP = K / KN_KC * KN_KC;
        char kb[48];
        tx_line(e, "%s pack[%d * %d];", e->real, e->ws.ch, KN_KC);
        snprintf(kb, sizeof kb, "%s", kn_forn(e, &L, "k0", 0, KP, KN_KC, 0, NULL));
        if (I->prefetch) /* the next block's rows, while this one is computed */
            tx_line(e, "const int next = %s < %ld;", kn_plus(e, kb, KN_KC), KP);
        tx_open(e, "for (long i = 0; i < rows; i++) {");
        kn_pack_row(e, I, K, "pack", kb);
        if (I->prefetch) {
            tx_open(e, "if (next) {");
            for (int c = 0; c < KN_KC; c += 16) /* a 64-byte line holds 16 floats */
                tx_line(e, "%s;",
                        T(e, I->prefetch,
                          kn_ptr(e, "a", kn_at(e, "i", 0, K, kn_plus(e, kb, KN_KC + c))), NULL,
                          NULL));
            tx_close(e, "}");
        }
        tx_close(e, "}");
        const char *kk = kn_forn(e, &Lkk, "kk", 0, KN_KC, BW, 0, NULL);
        tx_line(e, "const long k = %s;", kn_add(e, kb, kk));
        kn_dw_units(e, I, K, N, I->dw_v, "k", kk, 0, NULL);
        kn_end(e, &Lkk);
        kn_end(e, &L);
        k0 = KP;
    }
    const long KB = k0 + (K - k0) / BW * BW, KV = K / V * V;
    if (KB > k0) {
        k = kn_forn(e, &L, "k", k0, KB, BW, 0, NULL);
        kn_dw_units(e, I, K, N, I->dw_v, k, NULL, 0, NULL);
        kn_end(e, &L);
    }
    if (KV > KB) {
        k = kn_forn(e, &L, "k", KB, KV, V, 0, NULL);
        kn_dw_units(e, I, K, N, 1, k, NULL, 0, NULL);
        kn_end(e, &L);
    }
    if (K % V && I->maskload) {
        tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        kn_dw_units(e, I, K, N, 1, S(e, "%ld", KV), NULL, 1, NULL);
        tx_close(e, "}");
    } else if (K % V) {
        kn_dw_scalar_tail(e, K, N, KV);
    }
    tx_close(e, "}");
}

/* ------------------------------------------------------------------ */
/* dA_prev                                                              */
/* ------------------------------------------------------------------ */

/* dA_prev tile: R rows (from i) x NV vectors (from kx), summed over units. */
static void kn_dx_tile(emitter *e, const isa_row *I, long K, long N, int R, int NV, const char *kx_,
                       int masked)
{
    char kx[48]; /* kx_ may live in the string ring */
    snprintf(kx, sizeof kx, "%s", kx_);
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s acc%d_%d = %s;", I->vt, r, v, I->zero);
    kn_loop L;
    const char *j = kn_forn(e, &L, "j", 0, N, 1, 0, kn_units(e, 0, N - 1));
    for (int v = 0; v < NV; v++)
        tx_line(e, "const %s w%d = %s;", I->vt, v,
                T(e, ld, kn_ptr(e, "W", kn_at(e, j, 0, K, kn_plus(e, kx, v * V))), NULL, NULL));
    for (int r = 0; r < R; r++) {
        tx_line(e, "const %s d%d = %s;", I->vt, r,
                T(e, I->set1, S(e, "dz[%s]", kn_at(e, "i", r, N, j)), NULL, NULL));
        for (int v = 0; v < NV; v++) {
            const char *acc = S(e, "acc%d_%d", r, v);
            tx_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "d%d", r), S(e, "w%d", v), acc));
        }
    }
    kn_end(e, &L);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++)
            tx_line(e, "%s;",
                    T(e, st, kn_ptr(e, "dx", kn_at(e, "i", r, K, kn_plus(e, kx, v * V))),
                      S(e, "acc%d_%d", r, v), NULL));
}

static void kn_dx_rows(emitter *e, const isa_row *I, long K, long N, int R)
{
    const int V = I->lanes, BW = V * I->dx_v;
    const long KB = K / BW * BW, KV = K / V * V;
    kn_loop L, Lj;
    if (KB > 0) {
        const char *k = kn_forn(e, &L, "k", 0, KB, BW, 0, NULL);
        kn_dx_tile(e, I, K, N, R, I->dx_v, k, 0);
        kn_end(e, &L);
    }
    if (KV > KB) {
        const char *k = kn_forn(e, &L, "k", KB, KV, V, 0, NULL);
        kn_dx_tile(e, I, K, N, R, 1, k, 0);
        kn_end(e, &L);
    }
    if (K % V && I->maskload) {
        tx_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        kn_dx_tile(e, I, K, N, R, 1, S(e, "%ld", KV), 1);
        tx_close(e, "}");
    } else if (K % V) {
        const char *k = kn_forn(e, &L, "k", KV, K, 1, 0, NULL);
        for (int r = 0; r < R; r++)
            tx_line(e, "%s s%d = %s;", e->real, r, tx_lit(e, 0));
        const char *j = kn_forn(e, &Lj, "j", 0, N, 1, 1, NULL);
        for (int r = 0; r < R; r++)
            tx_line(e, "s%d += dz[%s] * W[%s];", r, kn_at(e, "i", r, N, j), kn_at(e, j, 0, K, k));
        kn_end(e, &Lj);
        for (int r = 0; r < R; r++)
            tx_line(e, "dx[%s] = s%d;", kn_at(e, "i", r, K, k), r);
        kn_end(e, &L);
    }
}

void kn_dx(emitter *e, const isa_row *I, long K, long N)
{
    if (kn_begin(e, &I, &kn_dx_kind, K, N))
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
    tx_line(e, "%sstatic void %s_dact_%s(const %s *restrict a, %s *restrict d, long n%s)", e->tgt,
            e->F, row->name, R, R, row->param ? S(e, ", %s %s", R, row->param) : "");
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
