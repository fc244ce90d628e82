/*
 * emit.c -- the emitter: a checked nng_spec in, one self-contained C file
 * out (docs/generated-code.md describes that file).
 *
 * Shape of the output, in named sections written in this order:
 *   HEAD       where it came from, how to build it, the spec, a layer table
 *   INCLUDES   headers and the choice of ISA path (#if on predefined macros)
 *   CONSTANTS  sizes, parameter offsets, workspace offsets
 *   API        prototypes of the exported functions
 *   KERNELS    per ISA: one forward, dW and dX kernel per distinct layer
 *              shape, activation derivatives
 *   FORWARD    per ISA: forward over one chunk of rows; then <name>_forward
 *   BACKWARD   per ISA: backward over one chunk; then <name>_loss_grad
 *   UPDATE     per ISA: sgd, momentum, adam loops; then <name>_update
 *   MODEL      the nnrt_model descriptor and main()
 *
 * One emitter serves every ISA: the vector paths differ only by the rows
 * of em_isa_table (intrinsic spellings as templates, lane counts, tile
 * sizes, tail handling); the scalar path (lanes == 1) is the plain loops
 * each em_kernel_* writes first, the reference the vector paths are tested
 * against.  What is the same in every output (forward, the skeleton of
 * loss_grad, update, main) is C with holes in templates/generated.c.in,
 * copied by em_template.  Text is never indented by hand: em_line, em_cont,
 * em_open and em_close own the depth.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nngen.h"

/* Rows per chunk: loss_grad and forward walk the m samples in chunks of
 * CH rows, so the workspace is a constant.  CH is EM_CH, doubled up to
 * EM_CH_MAX while the workspace of a chunk stays within EM_WS_BUDGET
 * floats (em_layout): a narrow network gets longer chunks, so that its
 * first layer's W blocks (forward) and dW tiles (dW) serve more rows per
 * trip through the cache. */
#define EM_CH 32
#define EM_CH_MAX 128
#define EM_WS_BUDGET (16 * 1024)
/* dW kernels of layers with fan_in >= EM_PACK_MIN copy EM_KC columns of
 * the chunk's input at a time into a contiguous block (see em_kernel_dw). */
#define EM_PACK_MIN 256
#define EM_KC 48
/* ... unless the layer has at most EM_STREAM_MAX_UNITS units: one unit tile
 * would read the packed block once, so the copy cannot pay; those layers
 * stream the rows instead (em_dw_stream). */
#define EM_STREAM_MAX_UNITS 2
/* Forward kernels of layers with fan_in >= EM_KBLOCK_MIN go over fan_in in
 * blocks of EM_KBLOCK columns (see em_kernel_fwd). */
#define EM_KBLOCK_MIN 2048
#define EM_KBLOCK 1024

/* ------------------------------------------------------------------ */
/* Layout and cost                                                      */
/* ------------------------------------------------------------------ */

static size_t em_round16(size_t n)
{
    return (n + NNRT_ALIGN_FLOATS - 1) / NNRT_ALIGN_FLOATS * NNRT_ALIGN_FLOATS;
}

static long em_fan_in(const nng_spec *s, int l)
{
    return l == 0 ? s->n_in : s->layers[l - 1].units;
}

/* Layer l (0-based): W at offset_w, b right after W (rounded up to 16). */
size_t nng_param_offset_w(const nng_spec *s, int layer)
{
    size_t off = 0;
    for (int l = 0; l < layer && l < s->n_layers; l++) {
        size_t units = (size_t)s->layers[l].units;
        off += em_round16(units * (size_t)em_fan_in(s, l)) + em_round16(units);
    }
    return off;
}

size_t nng_param_offset_b(const nng_spec *s, int layer)
{
    size_t units = (size_t)s->layers[layer].units;
    return nng_param_offset_w(s, layer) + em_round16(units * (size_t)em_fan_in(s, layer));
}

size_t nng_param_count_padded(const nng_spec *s)
{
    return nng_param_offset_w(s, s->n_layers);
}

/* FLOPs: 2 per multiply-add of the matrix products only (bias adds,
 * activations, the loss and the update are not counted). */
double nng_flops_fwd(const nng_spec *s)
{
    double f = 0.0;
    for (int l = 0; l < s->n_layers; l++)
        f += 2.0 * (double)s->layers[l].units * (double)em_fan_in(s, l);
    return f;
}

/* Forward + backward: dW for every layer, dA_prev for every layer but the
 * first (the input needs no gradient). */
double nng_flops_train(const nng_spec *s)
{
    double f = 2.0 * nng_flops_fwd(s);
    for (int l = 1; l < s->n_layers; l++)
        f += 2.0 * (double)s->layers[l].units * (double)em_fan_in(s, l);
    return f;
}

/* 64-bit FNV-1a over the canonical text of the shape:
 * "nngen-shape-1 in=N dense=U:act ... loss=L" (endian-independent). */
unsigned long long nng_signature(const nng_spec *s)
{
    char buf[64];
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int part = -1; part <= s->n_layers; part++) {
        if (part < 0)
            snprintf(buf, sizeof buf, "nngen-shape-1 in=%d", s->n_in);
        else if (part < s->n_layers) {
            const nnrt_act_row *a = nnrt_act_of(s->layers[part].act);
            snprintf(buf, sizeof buf, " dense=%d:%s", s->layers[part].units, a ? a->name : "?");
        } else {
            const nnrt_loss_row *lr = nnrt_loss_of(s->loss);
            snprintf(buf, sizeof buf, " loss=%s", lr ? lr->name : "?");
        }
        for (const char *c = buf; *c; c++) {
            h ^= (unsigned char)*c;
            h *= 0x100000001b3ULL;
        }
    }
    return (unsigned long long)h;
}

/* ------------------------------------------------------------------ */
/* The ISA table                                                        */
/* ------------------------------------------------------------------ */
/* Templates: $1 $2 $3 are the operands, $P the model's C prefix.
 * fma is "$1 * $2 + $3" in every row; the row spells the argument order. */
typedef struct em_isa {
    const char *name;     /* "avx2": also the runtime's nnrt_<name>_ prefix */
    int bit;              /* NNG_ISA_* */
    const char *guard;    /* preprocessor condition for this path */
    const char *flags;    /* what to compile with, for the #error */
    const char *header;   /* intrinsics header */
    int lanes;            /* floats per vector; 1 = scalar */
    const char *vt;       /* vector type */
    const char *zero, *loadu, *storeu, *set1, *add, *sub, *mul, *div, *sqrt, *fma;
    const char *sel_gt0;  /* $1 > 0 ? $2 : $3, lane-wise */
    const char *hsum;     /* horizontal sum of one vector, as a float */
    const char *mask_decl; /* declares `tailmask` with lanes $1 on; NULL = scalar tails */
    const char *maskload, *maskstore; /* with `tailmask` */
    int fwd_r, fwd_c;     /* forward tile: rows x units of accumulators */
    int dw_c, dw_v;       /* dW tile: units x vectors along fan_in */
    int dx_r, dx_v;       /* dA_prev tile: rows x vectors along fan_in */
    const struct em_isa *half; /* a half-width vector of the same ISA, or NULL;
                                  only its lanes, vt, loadu, storeu, set1,
                                  fma and zero are used (narrow layers) */
    const char *prefetch; /* prefetch the line at $1 into L1, or NULL */
} em_isa;

enum { EM_AVX2, EM_NEON, EM_SCALAR, EM_NISA };

/* AVX2's 128-bit vectors (VEX-encoded SSE with FMA3): 4 units of a layer
 * narrower than 8 (em_units_fwd). */
static const em_isa em_avx2_half = {
    "avx2", NNG_ISA_AVX2, NULL, NULL, NULL, 4, "__m128", "_mm_setzero_ps()", "_mm_loadu_ps($1)",
    "_mm_storeu_ps($1, $2)", "_mm_set1_ps($1)", NULL, NULL, NULL, NULL, NULL,
    "_mm_fmadd_ps($1, $2, $3)", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL};

static const em_isa em_isa_table[EM_NISA] = {
    {"avx2", NNG_ISA_AVX2, "defined(__AVX2__) && defined(__FMA__)", "-mavx2 -mfma (or -march=native)",
     "<immintrin.h>", 8, "__m256", "_mm256_setzero_ps()", "_mm256_loadu_ps($1)",
     "_mm256_storeu_ps($1, $2)", "_mm256_set1_ps($1)", "_mm256_add_ps($1, $2)",
     "_mm256_sub_ps($1, $2)", "_mm256_mul_ps($1, $2)", "_mm256_div_ps($1, $2)",
     "_mm256_sqrt_ps($1)", "_mm256_fmadd_ps($1, $2, $3)",
     "_mm256_blendv_ps($3, $2, _mm256_cmp_ps($1, _mm256_setzero_ps(), _CMP_GT_OQ))",
     "$P_hsum8($1)", "const __m256i tailmask = _mm256_setr_epi32($1);",
     "_mm256_maskload_ps($1, tailmask)", "_mm256_maskstore_ps($1, tailmask, $2)", 4, 3, 4, 3, 4,
     2, &em_avx2_half, "_mm_prefetch((const char *)($1), _MM_HINT_T0)"},
    {"neon", NNG_ISA_NEON, "defined(__aarch64__) && defined(__ARM_NEON)",
     "an aarch64 compiler (NEON is part of its baseline)", "<arm_neon.h>", 4, "float32x4_t",
     "vdupq_n_f32(0.0f)", "vld1q_f32($1)", "vst1q_f32($1, $2)", "vdupq_n_f32($1)",
     "vaddq_f32($1, $2)", "vsubq_f32($1, $2)", "vmulq_f32($1, $2)", "vdivq_f32($1, $2)",
     "vsqrtq_f32($1)", "vfmaq_f32($3, $1, $2)",
     "vbslq_f32(vcgtq_f32($1, vdupq_n_f32(0.0f)), $2, $3)", "vaddvq_f32($1)", NULL, NULL, NULL,
     4, 4, 4, 4, 4, 4, NULL, NULL},
    {"scalar", NNG_ISA_SCALAR, NULL, NULL, NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 1, 1, NULL, NULL},
};

/* ------------------------------------------------------------------ */
/* Output: sections, indentation, small string helpers                  */
/* ------------------------------------------------------------------ */
enum {
    SEC_HEAD, SEC_INCLUDES, SEC_CONSTANTS, SEC_API, SEC_KERNELS, SEC_FORWARD, SEC_BACKWARD,
    SEC_UPDATE, SEC_MODEL, SEC_N
};

typedef struct em_buf {
    char *p;
    size_t n, cap;
} em_buf;

#define EM_RING 48
#define EM_STR 384

typedef struct emitter {
    const nng_spec *s;
    const nng_emit_opts *o;
    const char *P;              /* C prefix (the model name) */
    char U[NNG_MAX_NAME + 1];   /* upper-case prefix for macros */
    int dbl;                    /* --dtype double */
    const char *real;           /* "float" or "double" */
    int isas;                   /* selected NNG_ISA_* bits */
    int n_isas;
    em_buf sec[SEC_N];
    int cur, depth;
    int err;                    /* out of memory or a string too long */
    char ring[EM_RING][EM_STR];
    int ring_i;
    /* workspace, in reals from ws */
    int ch;                     /* rows per chunk (em_layout) */
    size_t ws_a[NNG_MAX_LAYERS], ws_zl, ws_d0, ws_d1, ws_total;
    int need_zl;                /* output logits kept for the loss */
    int maxu;                   /* widest dA buffer */
    char cstr[4 * 4096 + 8];    /* em_cstr's result: a path of up to 4096 bytes, escaped */
    char text[4096];            /* a line of the spec or command line, comment-safe */
} emitter;

static void em_append(emitter *e, const char *t, size_t len)
{
    em_buf *b = &e->sec[e->cur];
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            e->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, t, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void em_vline(emitter *e, const char *fmt, va_list ap)
{
    char small[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    for (int i = 0; i < e->depth; i++)
        em_append(e, "    ", 4);
    if (n < 0) {
        e->err = 1;
    } else if ((size_t)n < sizeof small) {
        em_append(e, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big)
            e->err = 1;
        else {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            em_append(e, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
    em_append(e, "\n", 1);
}

/* One line at the current depth. */
static void em_line(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void em_line(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_vline(e, fmt, ap);
    va_end(ap);
}

/* A line that opens a block ("... {"), and the matching close. */
static void em_open(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void em_open(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_vline(e, fmt, ap);
    va_end(ap);
    e->depth++;
}

static void em_close(emitter *e, const char *text)
{
    e->depth--;
    em_line(e, "%s", text);
}

/* The continuation of a statement or declaration: one level deeper. */
static void em_cont(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void em_cont(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->depth++;
    em_vline(e, fmt, ap);
    e->depth--;
    va_end(ap);
}

/* Preprocessor lines always start in column 0. */
static void em_pp(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void em_pp(emitter *e, const char *fmt, ...)
{
    int d = e->depth;
    e->depth = 0;
    va_list ap;
    va_start(ap, fmt);
    em_vline(e, fmt, ap);
    va_end(ap);
    e->depth = d;
}

static void em_blank(emitter *e)
{
    em_append(e, "\n", 1);
}

static void em_section(emitter *e, int sec)
{
    e->cur = sec;
    e->depth = 0;
}

/* A formatted string that lives until EM_RING more are made. */
static const char *S(emitter *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static const char *S(emitter *e, const char *fmt, ...)
{
    char *r = e->ring[e->ring_i++ % EM_RING];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r, EM_STR, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= EM_STR)
        e->err = 1;
    return r;
}

/* Expand an ISA template with up to three operands. */
static const char *T(emitter *e, const char *tmpl, const char *a, const char *b, const char *c)
{
    char *r = e->ring[e->ring_i++ % EM_RING];
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        const char *ins = NULL;
        if (p[0] == '$' && p[1] >= '1' && p[1] <= '3')
            ins = p[1] == '1' ? a : p[1] == '2' ? b : c;
        else if (p[0] == '$' && p[1] == 'P')
            ins = e->P;
        if (ins) {
            size_t l = strlen(ins);
            if (n + l >= EM_STR) {
                e->err = 1;
                break;
            }
            memcpy(r + n, ins, l);
            n += l;
            p++;
        } else if (n + 1 < EM_STR) {
            r[n++] = *p;
        } else {
            e->err = 1;
            break;
        }
    }
    r[n] = '\0';
    return r;
}

/* A real literal that is valid C for the dtype: 2 -> "2.0f" / "2.0". */
static const char *em_lit(emitter *e, double v)
{
    char t[64];
    snprintf(t, sizeof t, e->dbl ? "%.17g" : "%.9g", v);
    if (!strpbrk(t, ".eEni"))
        strcat(t, ".0");
    return S(e, "%s%s", t, e->dbl ? "" : "f");
}

/* var as a number if it is one ("18"), else -1. */
static long em_number(const char *var)
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
static const char *em_idx(emitter *e, const char *var, int off, long stride)
{
    long v = em_number(var);
    if (v >= 0)
        return S(e, "%ld * %ld", v + off, stride);
    if (off == 0)
        return S(e, "%s * %ld", var, stride);
    return S(e, "(%s + %d) * %ld", var, off, stride);
}

/* "k", "k + 8", or "20" when var is a number */
static const char *em_plus(emitter *e, const char *var, long off)
{
    long v = em_number(var);
    if (v >= 0)
        return S(e, "%ld", v + off);
    return off ? S(e, "%s + %ld", var, off) : var;
}

/* Copy `src` (len bytes) for use inside a C comment: no comment
 * delimiters, no trigraphs, no control characters. */
static void em_comment_text(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        char c = src[i];
        if ((unsigned char)c < 32 || c == 127)
            c = ' ';
        /* no comment delimiters, no trigraphs (-std=c11 has them) */
        if (n > 0 && ((dst[n - 1] == '*' && c == '/') || (dst[n - 1] == '/' && c == '*') ||
                      (dst[n - 1] == '?' && c == '?')))
            dst[n++] = ' ';
        dst[n++] = c;
    }
    dst[n] = '\0';
}

/* Line `line` (1-based) of the spec, trimmed and comment-safe; "" if none. */
static const char *em_spec_line(emitter *e, int line)
{
    const char *src = e->s->source;
    if (!src || line <= 0)
        return "";
    for (int l = 1; l < line && *src; src++)
        if (*src == '\n')
            l++;
    const char *end = strchr(src, '\n');
    size_t len = end ? (size_t)(end - src) : strlen(src);
    while (len > 0 && isspace((unsigned char)*src)) {
        src++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)src[len - 1]))
        len--;
    char *r = e->ring[e->ring_i++ % EM_RING];
    em_comment_text(r, EM_STR, src, len);
    return r;
}

/* Upper-case spelling of a kind for the nnrt enums: leaky_relu -> LEAKY_RELU. */
static const char *em_upper(emitter *e, const char *w)
{
    char *r = e->ring[e->ring_i++ % EM_RING];
    size_t n = 0;
    for (; w[n] && n + 1 < EM_STR; n++)
        r[n] = (char)toupper((unsigned char)w[n]);
    r[n] = '\0';
    return r;
}

/* Write `str` as a C string literal (into e->cstr: one at a time). */
static const char *em_cstr(emitter *e, const char *str)
{
    char *r = e->cstr;
    size_t n = 0;
    r[n++] = '"';
    for (const char *p = str ? str : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (n + 6 >= sizeof e->cstr) {
            e->err = 1;
            break;
        }
        if (c == '"' || c == '\\' || c == '?') { /* '?': no trigraphs */
            r[n++] = '\\';
            r[n++] = (char)c;
        } else if (c < 32 || c >= 127) {
            n += (size_t)snprintf(r + n, 6, "\\%03o", c);
        } else {
            r[n++] = (char)c;
        }
    }
    r[n++] = '"';
    r[n] = '\0';
    return r;
}

/* ------------------------------------------------------------------ */
/* Templates: the fixed parts of the output                             */
/* ------------------------------------------------------------------ */
/* compiler/templates/generated.c.in, embedded at build time (one string a
 * line, NULL-terminated) by compiler/templates/embed.cmake. */
extern const char *const nng_template[];

/* Fill the holes of one template line into out (cap bytes). */
static void em_fill(emitter *e, const char *l, char *out, size_t cap)
{
    size_t n = 0;
    while (*l) {
        const char *ins = NULL;
        size_t skip = 0;
        static const char *const holes[] = {"@P@", "@U@", "@REAL@", "@L@", "@LOSS_DENOM@"};
        for (int h = 0; h < 5 && !ins; h++) {
            size_t hl = strlen(holes[h]);
            if (strncmp(l, holes[h], hl) == 0) {
                skip = hl;
                ins = h == 0 ? e->P
                    : h == 1 ? e->U
                    : h == 2 ? e->real
                    : h == 3 ? S(e, "%d", e->s->n_layers)
                    : e->s->loss == NNRT_LOSS_MSE ? S(e, "((double)m * %s_N_OUT)", e->U)
                                                  : "(double)m";
            }
        }
        if (!ins) {
            ins = l;
            skip = 1;
        }
        size_t il = ins == l ? 1 : strlen(ins);
        if (n + il + 1 > cap) {
            e->err = 1;
            break;
        }
        memcpy(out + n, ins, il);
        n += il;
        l += skip;
    }
    out[n] = '\0';
}

/* Copy section `name` (from the line "@@name" to the next "@@" line) at the
 * current depth; a line holding only @LOSS_CHUNK@ calls `hook`. */
static void em_template(emitter *e, const char *name, void (*hook)(emitter *))
{
    const char *const *t = nng_template;
    while (*t && !((*t)[0] == '@' && (*t)[1] == '@' && strcmp(*t + 2, name) == 0))
        t++;
    if (!*t) {
        e->err = 1;
        return;
    }
    const int base = e->depth;
    char line[1024];
    for (t++; *t && !((*t)[0] == '@' && (*t)[1] == '@'); t++) {
        int sp = 0;
        while ((*t)[sp] == ' ')
            sp++;
        if ((*t)[sp] == '\0') {
            em_blank(e);
            continue;
        }
        e->depth = base + sp / 4;
        if (strcmp(*t + sp, "@LOSS_CHUNK@") == 0) {
            if (hook)
                hook(e);
            else
                e->err = 1;
            continue;
        }
        em_fill(e, *t + sp / 4 * 4, line, sizeof line);
        if (line[0] == '#')
            em_pp(e, "%s", line);
        else
            em_line(e, "%s", line);
    }
    e->depth = base;
}

/* ------------------------------------------------------------------ */
/* ISA guards                                                           */
/* ------------------------------------------------------------------ */

/* Open the code of ISA i in a section: with more than one ISA selected,
 * each gets an #if / #elif / #else branch on the macro INCLUDES defined. */
static int em_isa_begin(emitter *e, int i, int first)
{
    if (!(e->isas & em_isa_table[i].bit))
        return 0;
    if (e->n_isas > 1) {
        int last = 1;
        for (int j = i + 1; j < EM_NISA; j++)
            if (e->isas & em_isa_table[j].bit)
                last = 0;
        if (first) {
            em_blank(e);
            em_pp(e, "#if defined(%s_ISA_%s)", e->U, em_upper(e, em_isa_table[i].name));
        }
        else if (!last)
            em_pp(e, "#elif defined(%s_ISA_%s)", e->U, em_upper(e, em_isa_table[i].name));
        else
            em_pp(e, "#else /* %s */", em_isa_table[i].name);
    }
    return 1;
}

static void em_isa_end(emitter *e)
{
    if (e->n_isas > 1)
        em_pp(e, "#endif");
}

/* ------------------------------------------------------------------ */
/* HEAD                                                                 */
/* ------------------------------------------------------------------ */

static void em_head(emitter *e)
{
    const nng_spec *s = e->s;
    char *buf = e->text;
    const size_t cap = sizeof e->text;
    em_section(e, SEC_HEAD);
    em_line(e, "/*");
    em_line(e, " * %s -- generated by nngen %s: a dense network compiled ahead of time.", e->P,
            NNGEN_VERSION);
    em_comment_text(buf, cap, s->path ? s->path : "(no file)",
                    strlen(s->path ? s->path : "(no file)"));
    em_line(e, " *   spec:    %s", buf);
    if (e->o->cmdline) {
        em_comment_text(buf, cap, e->o->cmdline, strlen(e->o->cmdline));
        em_line(e, " *   command: %s", buf);
    }
    char paths[96] = "";
    for (int i = 0; i < EM_NISA; i++)
        if (e->isas & em_isa_table[i].bit) {
            strcat(paths, paths[0] ? " " : "");
            strcat(paths, em_isa_table[i].name);
        }
    em_line(e, " *   paths:   %s%s", paths,
            e->n_isas > 1 ? " (chosen by the compiler's predefined macros)" : "");
    em_line(e, " *   dtype:   %s", e->real);
    em_line(e, " * Do not edit: change the spec and run nngen again.");
    em_line(e, " *");
    if (e->dbl) {
        em_line(e, " * A double-precision build for verification: it defines %s_forward,",
                e->P);
        em_line(e, " * %s_loss_grad and %s_update over double and no descriptor or main().",
                e->P, e->P);
        em_line(e, " * Build: cc -std=c11 -O2 -c THIS_FILE.c $(pkg-config --cflags nnrt)");
    } else {
        em_line(e, " * Build a trainer (the driver is nnrt_main in libnnrt):");
        em_line(e, " *   cc -std=c11 -O2 -march=native -ffp-contract=off THIS_FILE.c \\");
        em_line(e, " *      $(pkg-config --cflags --libs nnrt) -o %s", e->P);
        em_line(e, " *   ./%s --train train.h5 --test test.h5        (./%s --help)", e->P, e->P);
        em_line(e, " * Embed: compile with -DNNGEN_NO_MAIN and call %s_model.forward(...)",
                e->P);
        em_line(e, " *   (docs/generated-code.md).");
    }
    em_line(e, " *");
    em_line(e, " * The spec:");
    if (s->source) {
        const char *p = s->source;
        while (*p) {
            const char *end = strchr(p, '\n');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            em_comment_text(buf, cap, p, len);
            em_line(e, " *   | %s", buf);
            p += len + (end ? 1 : 0);
        }
    }
    em_line(e, " *");
    em_line(e, " * Layers (W is units x fan_in, row-major; offsets in floats from params):");
    em_line(e, " *   layer  line   units  fan_in  activation    params    W offset  b offset");
    em_line(e, " *   input  %-5d  %d", s->input_pos.line, s->n_in);
    for (int l = 0; l < s->n_layers; l++) {
        const nnrt_act_row *a = nnrt_act_of(s->layers[l].act);
        long units = s->layers[l].units, fan = em_fan_in(s, l);
        em_line(e, " *   %-5d  %-5d  %-6ld %-7ld %-12s  %-9ld %-9zu %zu", l + 1,
                s->layers[l].pos.line, units, fan, a ? a->name : "?", units * (fan + 1),
                nng_param_offset_w(s, l), nng_param_offset_b(s, l));
    }
    const nnrt_loss_row *lr = nnrt_loss_of(s->loss);
    em_line(e, " *   loss   %-5d  %s", s->loss_pos.line, lr ? lr->name : "?");
    long nw = 0;
    for (int l = 0; l < s->n_layers; l++)
        nw += (long)s->layers[l].units * (em_fan_in(s, l) + 1);
    em_line(e, " * Parameters: %ld (%zu floats with 64-byte alignment padding).", nw,
            nng_param_count_padded(s));
    em_line(e, " * FLOPs per sample (2 per multiply-add of the matrix products):");
    em_line(e, " *   forward %.0f, forward + backward %.0f.", nng_flops_fwd(s), nng_flops_train(s));
    em_line(e, " */");
}

/* ------------------------------------------------------------------ */
/* INCLUDES, CONSTANTS, API                                             */
/* ------------------------------------------------------------------ */

static void em_includes(emitter *e)
{
    em_section(e, SEC_INCLUDES);
    em_line(e, "#include <math.h>");
    em_line(e, "#include <stddef.h>");
    em_line(e, "#include <string.h>");
    em_blank(e);
    em_line(e, "#include \"nnrt.h\"");
    em_blank(e);
    if (e->n_isas == 1) {
        for (int i = 0; i < EM_NISA; i++) {
            const em_isa *I = &em_isa_table[i];
            if (!(e->isas & I->bit))
                continue;
            if (I->guard) {
                em_pp(e, "#if !(%s)", I->guard);
                em_pp(e, "#error \"this file was generated with --isa %s: compile it with %s\"",
                      I->name, I->flags);
                em_pp(e, "#endif");
                em_pp(e, "#include %s", I->header);
            }
            em_pp(e, "#define %s_ISA \"%s\"", e->U, I->name);
        }
        return;
    }
    em_line(e, "/* The path compiled in: the first whose ISA the compiler targets. */");
    int first = 1;
    for (int i = 0; i < EM_NISA; i++) {
        const em_isa *I = &em_isa_table[i];
        if (!(e->isas & I->bit))
            continue;
        if (I->guard)
            em_pp(e, "#%s %s", first ? "if" : "elif", I->guard);
        else
            em_pp(e, "#else");
        if (I->header)
            em_pp(e, "#include %s", I->header);
        em_pp(e, "#define %s_ISA \"%s\"", e->U, I->name);
        em_pp(e, "#define %s_ISA_%s 1", e->U, em_upper(e, I->name));
        first = 0;
    }
    if (!(e->isas & NNG_ISA_SCALAR)) {
        em_pp(e, "#else");
        em_pp(e, "#error \"this file was generated without a scalar path: compile it for %s%s%s\"",
              (e->isas & NNG_ISA_AVX2) ? "AVX2+FMA (-mavx2 -mfma)" : "",
              (e->isas & NNG_ISA_AVX2) && (e->isas & NNG_ISA_NEON) ? " or " : "",
              (e->isas & NNG_ISA_NEON) ? "aarch64" : "");
    }
    em_pp(e, "#endif");
}

/* The workspace layout for chunks of ch rows; returns its size in reals. */
static size_t em_layout_ch(emitter *e, size_t ch)
{
    const nng_spec *s = e->s;
    size_t off = 0;
    int maxu = 0;
    for (int l = 0; l < s->n_layers; l++) {
        e->ws_a[l] = off;
        off += em_round16(ch * (size_t)s->layers[l].units);
        if (s->layers[l].units > maxu)
            maxu = s->layers[l].units;
    }
    int last = s->n_layers - 1;
    e->need_zl = s->loss != NNRT_LOSS_MSE;
    e->ws_zl = off;
    if (e->need_zl)
        off += em_round16(ch * (size_t)s->layers[last].units);
    e->maxu = maxu;
    e->ws_d0 = off;
    off += em_round16(ch * (size_t)maxu);
    e->ws_d1 = off;
    off += em_round16(ch * (size_t)maxu);
    e->ws_total = off;
    return off;
}

static void em_layout(emitter *e)
{
    size_t ch = EM_CH;
    while (ch < EM_CH_MAX && em_layout_ch(e, 2 * ch) <= EM_WS_BUDGET)
        ch *= 2;
    e->ch = (int)ch;
    em_layout_ch(e, ch);
}

static void em_constants(emitter *e)
{
    const nng_spec *s = e->s;
    const char *U = e->U;
    em_section(e, SEC_CONSTANTS);
    em_blank(e);
    em_line(e, "/* Sizes.  Parameters (floats from params; every tensor 64-byte aligned):");
    em_line(e, " * layer l has W<l> (units x fan_in, row-major) then b<l> (units). */");
    em_line(e, "#define %s_N_IN %d", U, s->n_in);
    em_line(e, "#define %s_N_OUT %d", U, s->layers[s->n_layers - 1].units);
    em_line(e, "#define %s_N_PARAMS %zu", U, nng_param_count_padded(s));
    em_line(e, "#define %s_CH %d /* rows per chunk */", U, e->ch);
    for (int l = 0; l < s->n_layers; l++) {
        em_line(e, "#define %s_W%d %zu", U, l + 1, nng_param_offset_w(s, l));
        em_line(e, "#define %s_B%d %zu", U, l + 1, nng_param_offset_b(s, l));
    }
    em_blank(e);
    em_line(e, "/* Workspace (%ss from ws, 64-byte aligned blocks): A<l> = activations", e->real);
    em_line(e, " * of layer l for one chunk (CH x units, Z overwritten by A in place),%s",
            e->need_zl ? "" : " D0/D1");
    if (e->need_zl)
        em_line(e, " * ZL = the output layer's logits (for the loss), D0/D1 = dL/dZ and");
    em_line(e, " * dL/dA_prev of the layer being differentiated (ping-pong). */");
    for (int l = 0; l < s->n_layers; l++)
        em_line(e, "#define %s_A%d %zu", U, l + 1, e->ws_a[l]);
    if (e->need_zl)
        em_line(e, "#define %s_ZL %zu", U, e->ws_zl);
    em_line(e, "#define %s_D0 %zu", U, e->ws_d0);
    em_line(e, "#define %s_D1 %zu", U, e->ws_d1);
    em_line(e, "#define %s_WS_REALS %zu", U, e->ws_total);
}

static void em_api(emitter *e)
{
    const char *R = e->real;
    em_section(e, SEC_API);
    em_blank(e);
    em_line(e, "/* Exported (see nnrt_model in nnrt.h for the contract). */");
    if (!e->dbl)
        em_line(e, "extern const nnrt_model %s_model;", e->P);
    em_line(e, "void %s_forward(const %s *params, const %s *x, long m, %s *out, void *ws);", e->P,
            R, R, R);
    em_line(e, "double %s_loss_grad(const %s *params, const %s *x, const %s *y, long m, %s *grad,",
            e->P, R, R, R, R);
    em_cont(e, "void *ws);");
    em_line(e, "void %s_update(%s *params, const %s *grad, %s *state, const nnrt_optim *opt, long t);",
            e->P, R, R, R);
    if (e->dbl) {
        em_line(e, "/* No descriptor in a double build: the sizes the caller needs. */");
        em_line(e, "extern const size_t %s_n_params, %s_ws_bytes;", e->P, e->P);
        em_line(e, "const size_t %s_n_params = %s_N_PARAMS;", e->P, e->U);
        em_line(e, "const size_t %s_ws_bytes = %s_WS_REALS * sizeof(double);", e->P, e->U);
    }
}

/* ------------------------------------------------------------------ */
/* KERNELS: forward, dW, dA_prev per distinct shape                     */
/* ------------------------------------------------------------------ */

/* The part of fan_in a forward tile covers. */
typedef struct em_krange {
    const char *from; /* first k of the vector loop ("0", "kb", "12288") */
    const char *to;   /* its end (exclusive), NULL: no vector loop */
    int tail;         /* then the last fan_in % lanes columns */
    int acc;          /* z += the partial sum (k blocks), instead of z = b + sum */
} em_krange;

/* Forward tile: R rows x C units at (i, jx), accumulating over k. */
static void em_fwd_tile(emitter *e, const em_isa *I, long K, long N, int R, int C, const char *jx_,
                        const em_krange *kr)
{
    char jx[32]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const long KV = K / V * V;
    const int tail = kr->tail && K % V;
    const int scalar_tail = tail && !I->maskload;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            em_line(e, "%s acc%d_%d = %s;", I->vt, r, c, I->zero);
    if (scalar_tail)
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                em_line(e, "%s t%d_%d = %s;", e->real, r, c, em_lit(e, 0));
    for (int pass = 0; pass < 2; pass++) {
        const char *ld = I->loadu;
        if (pass == 0) {
            if (!kr->to)
                continue;
            em_open(e, "for (long k = %s; k < %s; k += %d) {", kr->from, kr->to, V);
        } else {
            if (!tail || scalar_tail)
                continue;
            em_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
            em_line(e, "const long k = %ld;", KV);
            ld = I->maskload;
        }
        for (int c = 0; c < C; c++)
            em_line(e, "const %s w%d = %s;", I->vt, c,
                    T(e, ld, S(e, "W + %s + k", em_idx(e, jx, c, K)), NULL, NULL));
        for (int r = 0; r < R; r++) {
            em_line(e, "const %s x%d = %s;", I->vt, r,
                    T(e, ld, S(e, "x + %s + k", em_idx(e, "i", r, K)), NULL, NULL));
            for (int c = 0; c < C; c++) {
                const char *acc = S(e, "acc%d_%d", r, c);
                em_line(e, "%s = %s;", acc,
                        T(e, I->fma, S(e, "x%d", r), S(e, "w%d", c), acc));
            }
        }
        em_close(e, "}");
    }
    if (scalar_tail) {
        em_open(e, "for (long k = %ld; k < %ld; k++) {", KV, K);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                em_line(e, "t%d_%d += x[%s + k] * W[%s + k];", r, c, em_idx(e, "i", r, K),
                        em_idx(e, jx, c, K));
        em_close(e, "}");
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            const char *sum = S(e, "%s%s", T(e, I->hsum, S(e, "acc%d_%d", r, c), NULL, NULL),
                                scalar_tail ? S(e, " + t%d_%d", r, c) : "");
            if (kr->acc)
                em_line(e, "z[%s + %s] += %s;", em_idx(e, "i", r, N), em_plus(e, jx, c), sum);
            else
                em_line(e, "z[%s + %s] = b[%s] + %s;", em_idx(e, "i", r, N), em_plus(e, jx, c),
                        em_plus(e, jx, c), sum);
        }
}

static void em_fwd_units(emitter *e, const em_isa *I, long K, long N, int R, const em_krange *kr)
{
    const int C = I->fwd_c;
    const long NC = N / C * C;
    if (NC > 0) {
        em_open(e, "for (long j = 0; j < %ld; j += %d) {", NC, C);
        em_fwd_tile(e, I, K, N, R, C, "j", kr);
        em_close(e, "}");
    }
    if (N % C) {
        em_open(e, "{ /* units %ld..%ld */", NC, N - 1);
        em_fwd_tile(e, I, K, N, R, (int)(N % C), S(e, "%ld", NC), kr);
        em_close(e, "}");
    }
}

/* Row tiles of R rows, then the remaining rows one at a time. */
static void em_fwd_rows(emitter *e, const em_isa *I, long K, long N, const em_krange *kr)
{
    em_line(e, "long i = 0;");
    if (I->fwd_r > 1) {
        em_open(e, "for (; i + %d <= rows; i += %d) {", I->fwd_r, I->fwd_r);
        em_fwd_units(e, I, K, N, I->fwd_r, kr);
        em_close(e, "}");
    }
    em_open(e, "for (; i < rows; i++) {");
    em_fwd_units(e, I, K, N, 1, kr);
    em_close(e, "}");
}

static void em_mask_decl(emitter *e, const em_isa *I, long K)
{
    if (!(K % I->lanes) || !I->mask_decl)
        return;
    char lanes[EM_STR] = "";
    for (int v = 0; v < I->lanes; v++) {
        strcat(lanes, v < K % I->lanes ? "-1" : "0");
        if (v + 1 < I->lanes)
            strcat(lanes, ", ");
    }
    em_line(e, "%s", T(e, I->mask_decl, lanes, NULL, NULL));
}

/* The vector kernels above run over fan_in.  A layer whose fan_in is
 * narrower than one vector would fill K of its lanes through masked loads
 * and pay a horizontal sum per output for K multiply-adds, so on a vector
 * path such a layer's forward and dW kernels run over the units instead
 * when there are at least `lanes` of them, and are the plain loops
 * otherwise (docs/generated-code.md, "Narrow layers").  dA_prev of a
 * narrow fan_in is always the plain loops.  The C compiler unrolls plain
 * loops (the trip counts are constants). */
static int em_plain(const em_isa *I, long K)
{
    return I->lanes == 1 || K < I->lanes;
}

/* The narrowest vector of units a path has: its half width, or its own. */
static int em_min_lanes(const em_isa *I)
{
    return I->half ? I->half->lanes : I->lanes;
}

static int em_over_units(const em_isa *I, long K, long N)
{
    return I->lanes > 1 && K < I->lanes && N >= em_min_lanes(I);
}

/* The comment a vector path puts in a kernel it writes as plain loops. */
static void em_plain_note(emitter *e, const em_isa *I, long K)
{
    if (I->lanes > 1)
        em_line(e, "/* fan_in %ld < %d lanes: plain loops */", K, I->lanes);
}

/* z = b + x W^T for units [from, to) as plain loops. */
static void em_plain_fwd(emitter *e, long K, long N, long from, long to)
{
    em_open(e, "for (long i = 0; i < rows; i++) {");
    em_open(e, "for (long j = %ld; j < %ld; j++) {", from, to);
    em_line(e, "%s s = %s;", e->real, em_lit(e, 0));
    em_open(e, "for (long k = 0; k < %ld; k++) {", K);
    em_line(e, "s += x[i * %ld + k] * W[j * %ld + k];", K, K);
    em_close(e, "}");
    em_line(e, "z[i * %ld + j] = b[j] + s;", N);
    em_close(e, "}");
    em_close(e, "}");
}

/* dW += dz^T a for units [from, to) as plain loops. */
static void em_plain_dw(emitter *e, long K, long N, long from, long to)
{
    em_open(e, "for (long i = 0; i < rows; i++) {");
    em_open(e, "for (long j = %ld; j < %ld; j++) {", from, to);
    em_line(e, "const %s d = dz[i * %ld + j];", e->real, N);
    em_open(e, "for (long k = 0; k < %ld; k++) {", K);
    em_line(e, "dW[j * %ld + k] += d * a[i * %ld + k];", K, K);
    em_close(e, "}");
    em_close(e, "}");
    em_close(e, "}");
}

/* "p + off", or "p" when off is "0". */
static const char *em_offset(emitter *e, const char *p, const char *off)
{
    return strcmp(off, "0") == 0 ? p : S(e, "%s + %s", p, off);
}

/* Forward over the units (fan_in K < lanes <= N): a block of C vectors of
 * units at j0 (`jx`, a variable or a number), W^T of the block copied into
 * wt (K rows of C * lanes), then per row acc_c = b + sum_k x[i][k] wt[k]. */
static void em_units_fwd_block(emitter *e, const em_isa *I, long K, long N, int C,
                               const char *jx_)
{
    char jx[32]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const long BW = (long)C * V;
    em_open(e, "for (long j = 0; j < %ld; j++) {", BW);
    em_open(e, "for (long k = 0; k < %ld; k++) {", K);
    em_line(e, "wt[k * %ld + j] = W[%s * %ld + k];", BW,
            strcmp(jx, "0") == 0 ? "j" : S(e, "(%s + j)", jx), K);
    em_close(e, "}");
    em_close(e, "}");
    em_open(e, "for (long i = 0; i < rows; i++) {");
    for (int c = 0; c < C; c++)
        em_line(e, "%s acc%d = %s;", I->vt, c,
                T(e, I->loadu, em_offset(e, "b", em_plus(e, jx, (long)c * V)), NULL, NULL));
    for (long k = 0; k < K; k++) {
        em_line(e, "const %s x%ld = %s;", I->vt, k,
                T(e, I->set1, S(e, "x[i * %ld + %ld]", K, k), NULL, NULL));
        for (int c = 0; c < C; c++) {
            const char *acc = S(e, "acc%d", c);
            em_line(e, "%s = %s;", acc,
                    T(e, I->fma, S(e, "x%ld", k),
                      T(e, I->loadu, em_offset(e, "wt", S(e, "%ld", k * BW + (long)c * V)), NULL,
                        NULL),
                      acc));
        }
    }
    for (int c = 0; c < C; c++)
        em_line(e, "%s;", T(e, I->storeu,
                            em_offset(e, S(e, "z + i * %ld", N), em_plus(e, jx, (long)c * V)),
                            S(e, "acc%d", c), NULL));
    em_close(e, "}");
}

static void em_units_fwd(emitter *e, const em_isa *I, long K, long N)
{
    const int V = I->lanes;
    const long NV = N / V * V;
    const int C = NV / V < I->fwd_c ? (int)(NV / V) : I->fwd_c;
    const long BW = (long)C * V, NB = C ? NV / BW * BW : 0;
    const em_isa *H = I->half;
    const long NH = H && N - NV >= H->lanes ? NV + H->lanes : NV;
    em_line(e, "/* fan_in %ld < %d lanes: over the units, W^T of each block in wt */", K, V);
    em_line(e, "%s wt[%ld];", e->real, K * (BW > NH - NV ? BW : NH - NV));
    if (NB > 0) {
        em_open(e, "for (long j0 = 0; j0 < %ld; j0 += %ld) { /* %ld units at a time */", NB, BW,
                BW);
        em_units_fwd_block(e, I, K, N, C, "j0");
        em_close(e, "}");
    }
    if (NV > NB) {
        em_open(e, "{ /* units %ld..%ld */", NB, NV - 1);
        em_units_fwd_block(e, I, K, N, (int)((NV - NB) / V), S(e, "%ld", NB));
        em_close(e, "}");
    }
    if (NH > NV) {
        em_open(e, "{ /* units %ld..%ld, %s */", NV, NH - 1, H->vt);
        em_units_fwd_block(e, H, K, N, 1, S(e, "%ld", NV));
        em_close(e, "}");
    }
    if (N > NH) {
        em_open(e, "{ /* units %ld..%ld: plain loops */", NH, N - 1);
        em_plain_fwd(e, K, N, NH, N);
        em_close(e, "}");
    }
}

/* dW over the units (fan_in K < lanes <= N) for units [from, to), a
 * vector of I's lanes at a time: K accumulators acc_k = sum_i a[i][k]
 * dz[i][j0..], then added to dW's columns through t. */
static void em_units_dw_vectors(emitter *e, const em_isa *I, long K, long N, long from, long to)
{
    const int V = I->lanes;
    em_open(e, "for (long j0 = %ld; j0 < %ld; j0 += %d) {", from, to, V);
    for (long k = 0; k < K; k++)
        em_line(e, "%s acc%ld = %s;", I->vt, k, I->zero);
    em_open(e, "for (long i = 0; i < rows; i++) {");
    em_line(e, "const %s d = %s;", I->vt, T(e, I->loadu, S(e, "dz + i * %ld + j0", N), NULL, NULL));
    for (long k = 0; k < K; k++) {
        const char *acc = S(e, "acc%ld", k);
        em_line(e, "%s = %s;", acc,
                T(e, I->fma, T(e, I->set1, S(e, "a[i * %ld + %ld]", K, k), NULL, NULL), "d", acc));
    }
    em_close(e, "}");
    em_line(e, "%s t[%ld];", e->real, K * V);
    for (long k = 0; k < K; k++)
        em_line(e, "%s;", T(e, I->storeu, em_offset(e, "t", S(e, "%ld", k * V)), S(e, "acc%ld", k),
                            NULL));
    em_open(e, "for (long v = 0; v < %d; v++) {", V);
    em_open(e, "for (long k = 0; k < %ld; k++) {", K);
    em_line(e, "dW[(j0 + v) * %ld + k] += t[k * %d + v];", K, V);
    em_close(e, "}");
    em_close(e, "}");
    em_close(e, "}");
}

static void em_units_dw(emitter *e, const em_isa *I, long K, long N)
{
    const int V = I->lanes;
    const long NV = N / V * V;
    const em_isa *H = I->half;
    const long NH = H && N - NV >= H->lanes ? NV + H->lanes : NV;
    em_line(e, "/* fan_in %ld < %d lanes: over the units */", K, V);
    if (NV > 0)
        em_units_dw_vectors(e, I, K, N, 0, NV);
    if (NH > NV) {
        em_open(e, "{ /* units %ld..%ld, %s */", NV, NH - 1, H->vt);
        em_units_dw_vectors(e, H, K, N, NV, NH);
        em_close(e, "}");
    }
    if (N > NH) {
        em_open(e, "{ /* units %ld..%ld: plain loops */", NH, N - 1);
        em_plain_dw(e, K, N, NH, N);
        em_close(e, "}");
    }
}

static void em_kernel_fwd(emitter *e, const em_isa *I, long K, long N)
{
    const char *R = e->real;
    em_blank(e);
    em_line(e, "/* z[i][j] = b[j] + sum_k x[i][k] W[j][k]; fan_in %ld, %ld units, rows <= CH. */", K,
            N);
    em_line(e, "static void %s_fwd_%ldx%ld(const %s *restrict W, const %s *restrict b,", e->P, K,
            N, R, R);
    em_cont(e, "const %s *restrict x, long rows, %s *restrict z)", R, R);
    em_open(e, "{");
    if (em_over_units(I, K, N)) {
        em_units_fwd(e, I, K, N);
        em_close(e, "}");
        return;
    }
    if (em_plain(I, K)) {
        em_plain_note(e, I, K);
        em_plain_fwd(e, K, N, 0, N);
        em_close(e, "}");
        return;
    }
    em_mask_decl(e, I, K);
    const int V = I->lanes;
    const long KV = K / V * V;
    char kv[32], kf[32], kend[48];
    snprintf(kv, sizeof kv, "%ld", KV);
    if (K < EM_KBLOCK_MIN) {
        const em_krange all = {"0", KV > 0 ? kv : NULL, 1, 0};
        em_fwd_rows(e, I, K, N, &all);
        em_close(e, "}");
        return;
    }
    /* Wide fan_in: blocks of EM_KBLOCK columns, so that a block of W (units
     * x EM_KBLOCK floats) stays in cache while every row tile of the chunk
     * uses it; z collects the blocks' partial sums. */
    const long KF = K / EM_KBLOCK * EM_KBLOCK;
    snprintf(kf, sizeof kf, "%ld", KF);
    snprintf(kend, sizeof kend, "kb + %d", EM_KBLOCK);
    em_open(e, "for (long i = 0; i < rows; i++) {");
    em_open(e, "for (long j = 0; j < %ld; j++) {", N);
    em_line(e, "z[i * %ld + j] = b[j];", N);
    em_close(e, "}");
    em_close(e, "}");
    const em_krange block = {"kb", kend, 0, 1};
    em_open(e, "for (long kb = 0; kb < %ld; kb += %d) {", KF, EM_KBLOCK);
    em_fwd_rows(e, I, K, N, &block);
    em_close(e, "}");
    if (K > KF) {
        const em_krange last = {kf, KV > KF ? kv : NULL, 1, 1};
        em_open(e, "{ /* columns %ld..%ld */", KF, K - 1);
        em_fwd_rows(e, I, K, N, &last);
        em_close(e, "}");
    }
    em_close(e, "}");
}

/* dW tile: C units (from jx) x NV vectors (from k), summed over the rows. */
static void em_dw_tile(emitter *e, const em_isa *I, long K, long N, int C, int NV, const char *jx_,
                       int masked, int packed)
{
    char jx[32]; /* jx_ may live in the string ring */
    snprintf(jx, sizeof jx, "%s", jx_);
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    for (int c = 0; c < C; c++)
        for (int v = 0; v < NV; v++)
            em_line(e, "%s acc%d_%d = %s;", I->vt, c, v,
                    T(e, ld, S(e, "dW + %s + %s", em_idx(e, jx, c, K), em_plus(e, "k", v * V)),
                      NULL, NULL));
    em_open(e, "for (long i = 0; i < rows; i++) {");
    for (int v = 0; v < NV; v++)
        em_line(e, "const %s a%d = %s;", I->vt, v,
                T(e, ld,
                  packed ? S(e, "pack + i * %d + %s", EM_KC, em_plus(e, "kk", v * V))
                         : S(e, "a + i * %ld + %s", K, em_plus(e, "k", v * V)),
                  NULL, NULL));
    for (int c = 0; c < C; c++) {
        em_line(e, "const %s d%d = %s;", I->vt, c,
                T(e, I->set1, S(e, "dz[i * %ld + %s]", N, em_plus(e, jx, c)), NULL, NULL));
        for (int v = 0; v < NV; v++) {
            const char *acc = S(e, "acc%d_%d", c, v);
            em_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "d%d", c), S(e, "a%d", v), acc));
        }
    }
    em_close(e, "}");
    for (int c = 0; c < C; c++)
        for (int v = 0; v < NV; v++)
            em_line(e, "%s;",
                    T(e, st, S(e, "dW + %s + %s", em_idx(e, jx, c, K), em_plus(e, "k", v * V)),
                      S(e, "acc%d_%d", c, v), NULL));
}

static void em_dw_units(emitter *e, const em_isa *I, long K, long N, int NV, int masked,
                        int packed)
{
    const int C = I->dw_c;
    const long NC = N / C * C;
    if (NC > 0) {
        em_open(e, "for (long j = 0; j < %ld; j += %d) {", NC, C);
        em_dw_tile(e, I, K, N, C, NV, "j", masked, packed);
        em_close(e, "}");
    }
    if (N % C) {
        em_open(e, "{ /* units %ld..%ld */", NC, N - 1);
        em_dw_tile(e, I, K, N, (int)(N % C), NV, S(e, "%ld", NC), masked, packed);
        em_close(e, "}");
    }
}

/* dW's columns KV..K-1 (a tail shorter than a vector, on a path without
 * masked loads) as plain loops. */
static void em_dw_scalar_tail(emitter *e, long K, long N, long KV)
{
    em_open(e, "for (long k = %ld; k < %ld; k++) {", KV, K);
    em_open(e, "for (long j = 0; j < %ld; j++) {", N);
    em_line(e, "%s s = %s;", e->real, em_lit(e, 0));
    em_open(e, "for (long i = 0; i < rows; i++) {");
    em_line(e, "s += dz[i * %ld + j] * a[i * %ld + k];", N, K);
    em_close(e, "}");
    em_line(e, "dW[j * %ld + k] += s;", K);
    em_close(e, "}");
    em_close(e, "}");
}

/* One range of columns of em_dw_stream: for groups of R rows (4, then 1),
 * dW[j][k..k+V) += sum_r dz[i+r][j] a[i+r][k..k+V) for k from lo to hi
 * (or the one masked vector at k = `lo` when masked). */
static void em_dw_stream_cols(emitter *e, const em_isa *I, long K, long N, const char *lo_,
                              const char *hi_, int masked)
{
    char lo[32], hi[48];
    snprintf(lo, sizeof lo, "%s", lo_);
    snprintf(hi, sizeof hi, "%s", hi_ ? hi_ : "");
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    em_line(e, "long i = 0;");
    for (int R = 4; R >= 1; R -= 3) {
        em_open(e, R > 1 ? "for (; i + %d <= rows; i += %d) {" : "for (; i < rows; i++) {", R, R);
        for (int r = 0; r < R; r++)
            for (long c = 0; c < N; c++)
                em_line(e, "const %s d%d_%ld = %s;", I->vt, r, c,
                        T(e, I->set1, S(e, "dz[%s + %ld]", em_idx(e, "i", r, N), c), NULL, NULL));
        if (masked)
            em_open(e, "{ const long k = %s;", lo);
        else
            em_open(e, "for (long k = %s; k < %s; k += %d) {", lo, hi, V);
        for (int r = 0; r < R; r++)
            em_line(e, "const %s a%d = %s;", I->vt, r,
                    T(e, ld, S(e, "a + %s + k", em_idx(e, "i", r, K)), NULL, NULL));
        for (long c = 0; c < N; c++) {
            const char *at = c ? S(e, "dW + %ld + k", c * K) : "dW + k";
            em_line(e, "%s acc%ld = %s;", I->vt, c, T(e, ld, at, NULL, NULL));
            for (int r = 0; r < R; r++)
                em_line(e, "acc%ld = %s;", c,
                        T(e, I->fma, S(e, "d%d_%ld", r, c), S(e, "a%d", r), S(e, "acc%ld", c)));
            em_line(e, "%s;", T(e, st, at, S(e, "acc%ld", c), NULL));
        }
        em_close(e, "}");
        em_close(e, "}");
    }
}

/* dW of a wide layer with few units: dW (units x fan_in) is the sum over
 * the chunk's rows of dz[i][j] times row i of a.  Every row of a is read
 * once, front to back, four at a time, into a block of EM_KBLOCK columns of
 * dW that stays in L1 while the chunk's rows go through it (the packed tile
 * kernel would copy every row only to read it once: logistic regression on
 * the cat images is 12288 x 1). */
static void em_dw_stream(emitter *e, const em_isa *I, long K, long N)
{
    const int V = I->lanes;
    const long KF = K / EM_KBLOCK * EM_KBLOCK, KV = K / V * V;
    em_mask_decl(e, I, K);
    if (KF > 0) {
        em_open(e, "for (long kb = 0; kb < %ld; kb += %d) {", KF, EM_KBLOCK);
        em_dw_stream_cols(e, I, K, N, "kb", S(e, "kb + %d", EM_KBLOCK), 0);
        em_close(e, "}");
    }
    if (KV > KF) {
        em_open(e, "{ /* columns %ld..%ld */", KF, KV - 1);
        em_dw_stream_cols(e, I, K, N, S(e, "%ld", KF), S(e, "%ld", KV), 0);
        em_close(e, "}");
    }
    if (K % V && I->maskload) {
        em_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        em_dw_stream_cols(e, I, K, N, S(e, "%ld", KV), NULL, 1);
        em_close(e, "}");
    } else if (K % V) {
        em_dw_scalar_tail(e, K, N, KV);
    }
}

static void em_kernel_dw(emitter *e, const em_isa *I, long K, long N)
{
    const char *R = e->real;
    em_blank(e);
    em_line(e, "/* dW[j][k] += sum_i dz[i][j] a[i][k]; fan_in %ld, %ld units. */", K, N);
    em_line(e, "static void %s_dw_%ldx%ld(const %s *restrict dz, const %s *restrict a, long rows,",
            e->P, K, N, R, R);
    em_cont(e, "%s *restrict dW)", R);
    em_open(e, "{");
    if (em_over_units(I, K, N)) {
        em_units_dw(e, I, K, N);
        em_close(e, "}");
        return;
    }
    if (em_plain(I, K)) {
        em_plain_note(e, I, K);
        em_plain_dw(e, K, N, 0, N);
        em_close(e, "}");
        return;
    }
    if (K >= EM_PACK_MIN && N <= EM_STREAM_MAX_UNITS) {
        em_dw_stream(e, I, K, N);
        em_close(e, "}");
        return;
    }
    const int V = I->lanes, BW = V * I->dw_v;
    long k0 = 0;
    em_mask_decl(e, I, K);
    if (K >= EM_PACK_MIN) {
        /* Rows of a lie fan_in floats apart (often a multiple of 4 KiB, so
         * they share cache sets); copy a column block of the chunk into
         * contiguous memory once and let every unit tile read it there. */
        const long KP = K / EM_KC * EM_KC;
        const int kcv = EM_KC / V;
        em_line(e, "%s pack[%d * %d];", e->real, e->ch, EM_KC);
        em_open(e, "for (long k0 = 0; k0 < %ld; k0 += %d) {", KP, EM_KC);
        if (I->prefetch) /* the next block's rows, while this one is computed */
            em_line(e, "const int next = k0 + %d < %ld;", EM_KC, KP);
        em_open(e, "for (long i = 0; i < rows; i++) {");
        em_open(e, "for (long v = 0; v < %d; v++) {", kcv);
        em_line(e, "%s;", T(e, I->storeu, S(e, "pack + i * %d + v * %d", EM_KC, V),
                            T(e, I->loadu, S(e, "a + i * %ld + k0 + v * %d", K, V), NULL, NULL),
                            NULL));
        em_close(e, "}");
        if (I->prefetch) {
            em_open(e, "if (next) {");
            for (int c = 0; c < EM_KC; c += 16) /* a 64-byte line holds 16 floats */
                em_line(e, "%s;", T(e, I->prefetch,
                                    S(e, "a + i * %ld + k0 + %d", K, EM_KC + c), NULL, NULL));
            em_close(e, "}");
        }
        em_close(e, "}");
        em_open(e, "for (long kk = 0; kk < %d; kk += %d) {", EM_KC, BW);
        em_line(e, "const long k = k0 + kk;");
        em_dw_units(e, I, K, N, I->dw_v, 0, 1);
        em_close(e, "}");
        em_close(e, "}");
        k0 = KP;
    }
    const long KB = k0 + (K - k0) / BW * BW, KV = K / V * V;
    if (KB > k0) {
        em_open(e, "for (long k = %ld; k < %ld; k += %d) {", k0, KB, BW);
        em_dw_units(e, I, K, N, I->dw_v, 0, 0);
        em_close(e, "}");
    }
    if (KV > KB) {
        em_open(e, "for (long k = %ld; k < %ld; k += %d) {", KB, KV, V);
        em_dw_units(e, I, K, N, 1, 0, 0);
        em_close(e, "}");
    }
    if (K % V && I->maskload) {
        em_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        em_line(e, "const long k = %ld;", KV);
        em_dw_units(e, I, K, N, 1, 1, 0);
        em_close(e, "}");
    } else if (K % V) {
        em_dw_scalar_tail(e, K, N, KV);
    }
    em_close(e, "}");
}

/* dA_prev tile: R rows (from i) x NV vectors (from k), summed over units. */
static void em_dx_tile(emitter *e, const em_isa *I, long K, long N, int R, int NV, int masked)
{
    const int V = I->lanes;
    const char *ld = masked ? I->maskload : I->loadu;
    const char *st = masked ? I->maskstore : I->storeu;
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++)
            em_line(e, "%s acc%d_%d = %s;", I->vt, r, v, I->zero);
    em_open(e, "for (long j = 0; j < %ld; j++) {", N);
    for (int v = 0; v < NV; v++)
        em_line(e, "const %s w%d = %s;", I->vt, v,
                T(e, ld, S(e, "W + j * %ld + %s", K, em_plus(e, "k", v * V)), NULL, NULL));
    for (int r = 0; r < R; r++) {
        em_line(e, "const %s d%d = %s;", I->vt, r,
                T(e, I->set1, S(e, "dz[%s + j]", em_idx(e, "i", r, N)), NULL, NULL));
        for (int v = 0; v < NV; v++) {
            const char *acc = S(e, "acc%d_%d", r, v);
            em_line(e, "%s = %s;", acc, T(e, I->fma, S(e, "d%d", r), S(e, "w%d", v), acc));
        }
    }
    em_close(e, "}");
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++)
            em_line(e, "%s;",
                    T(e, st, S(e, "dx + %s + %s", em_idx(e, "i", r, K), em_plus(e, "k", v * V)),
                      S(e, "acc%d_%d", r, v), NULL));
}

static void em_dx_rows(emitter *e, const em_isa *I, long K, long N, int R)
{
    const int V = I->lanes, BW = V * I->dx_v;
    const long KB = K / BW * BW, KV = K / V * V;
    if (KB > 0) {
        em_open(e, "for (long k = 0; k < %ld; k += %d) {", KB, BW);
        em_dx_tile(e, I, K, N, R, I->dx_v, 0);
        em_close(e, "}");
    }
    if (KV > KB) {
        em_open(e, "for (long k = %ld; k < %ld; k += %d) {", KB, KV, V);
        em_dx_tile(e, I, K, N, R, 1, 0);
        em_close(e, "}");
    }
    if (K % V && I->maskload) {
        em_open(e, "{ /* the last %ld of fan_in, masked */", K % V);
        em_line(e, "const long k = %ld;", KV);
        em_dx_tile(e, I, K, N, R, 1, 1);
        em_close(e, "}");
    } else if (K % V) {
        em_open(e, "for (long k = %ld; k < %ld; k++) {", KV, K);
        for (int r = 0; r < R; r++)
            em_line(e, "%s s%d = %s;", e->real, r, em_lit(e, 0));
        em_open(e, "for (long j = 0; j < %ld; j++) {", N);
        for (int r = 0; r < R; r++)
            em_line(e, "s%d += dz[%s + j] * W[j * %ld + k];", r, em_idx(e, "i", r, N), K);
        em_close(e, "}");
        for (int r = 0; r < R; r++)
            em_line(e, "dx[%s + k] = s%d;", em_idx(e, "i", r, K), r);
        em_close(e, "}");
    }
}

static void em_kernel_dx(emitter *e, const em_isa *I, long K, long N)
{
    const char *R = e->real;
    em_blank(e);
    em_line(e, "/* dx[i][k] = sum_j dz[i][j] W[j][k]; fan_in %ld, %ld units. */", K, N);
    em_line(e, "static void %s_dx_%ldx%ld(const %s *restrict W, const %s *restrict dz, long rows,",
            e->P, K, N, R, R);
    em_cont(e, "%s *restrict dx)", R);
    em_open(e, "{");
    if (em_plain(I, K)) {
        em_plain_note(e, I, K);
        em_open(e, "for (long i = 0; i < rows; i++) {");
        em_open(e, "for (long k = 0; k < %ld; k++) {", K);
        em_line(e, "dx[i * %ld + k] = %s;", K, em_lit(e, 0));
        em_close(e, "}");
        em_open(e, "for (long j = 0; j < %ld; j++) {", N);
        em_line(e, "const %s d = dz[i * %ld + j];", R, N);
        em_open(e, "for (long k = 0; k < %ld; k++) {", K);
        em_line(e, "dx[i * %ld + k] += d * W[j * %ld + k];", K, K);
        em_close(e, "}");
        em_close(e, "}");
        em_close(e, "}");
        em_close(e, "}");
        return;
    }
    em_mask_decl(e, I, K);
    em_line(e, "long i = 0;");
    if (I->dx_r > 1) {
        em_open(e, "for (; i + %d <= rows; i += %d) {", I->dx_r, I->dx_r);
        em_dx_rows(e, I, K, N, I->dx_r);
        em_close(e, "}");
    }
    em_open(e, "for (; i < rows; i++) {");
    em_dx_rows(e, I, K, N, 1);
    em_close(e, "}");
    em_close(e, "}");
}

/* d[i] *= f'(a[i]) (in terms of the activation's output a). */
static const char *em_dact_scalar(emitter *e, nnrt_act act)
{
    switch (act) {
    case NNRT_ACT_SIGMOID:
        return S(e, "d[i] * (a[i] * (%s - a[i]))", em_lit(e, 1));
    case NNRT_ACT_TANH:
        return S(e, "d[i] * (%s - a[i] * a[i])", em_lit(e, 1));
    case NNRT_ACT_RELU:
        return S(e, "a[i] > %s ? d[i] : %s", em_lit(e, 0), em_lit(e, 0));
    case NNRT_ACT_LEAKY_RELU:
        return S(e, "a[i] > %s ? d[i] : slope * d[i]", em_lit(e, 0));
    default:
        return "d[i]";
    }
}

static const char *em_dact_vector(emitter *e, const em_isa *I, nnrt_act act)
{
    switch (act) {
    case NNRT_ACT_SIGMOID:
        return T(e, I->mul, "dv", T(e, I->mul, "av", T(e, I->sub, "one", "av", NULL), NULL), NULL);
    case NNRT_ACT_TANH:
        return T(e, I->mul, "dv", T(e, I->sub, "one", T(e, I->mul, "av", "av", NULL), NULL), NULL);
    case NNRT_ACT_RELU:
        return T(e, I->sel_gt0, "av", "dv", I->zero);
    case NNRT_ACT_LEAKY_RELU:
        return T(e, I->sel_gt0, "av", "dv", T(e, I->mul, "vslope", "dv", NULL));
    default:
        return "dv";
    }
}

static void em_kernel_dact(emitter *e, const em_isa *I, nnrt_act act)
{
    const nnrt_act_row *row = nnrt_act_of(act);
    const char *R = e->real;
    int leaky = act == NNRT_ACT_LEAKY_RELU;
    em_blank(e);
    em_line(e, "/* d *= f'(a) for %s: %s */", row->name, row->derivative);
    em_line(e, "static void %s_dact_%s(const %s *restrict a, %s *restrict d, long n%s)", e->P,
            row->name, R, R, leaky ? S(e, ", %s slope", R) : "");
    em_open(e, "{");
    em_line(e, "long i = 0;");
    if (I->lanes > 1) {
        if (act == NNRT_ACT_SIGMOID || act == NNRT_ACT_TANH)
            em_line(e, "const %s one = %s;", I->vt, T(e, I->set1, em_lit(e, 1), NULL, NULL));
        if (leaky)
            em_line(e, "const %s vslope = %s;", I->vt, T(e, I->set1, "slope", NULL, NULL));
        em_open(e, "for (; i + %d <= n; i += %d) {", I->lanes, I->lanes);
        em_line(e, "const %s av = %s;", I->vt, T(e, I->loadu, "a + i", NULL, NULL));
        em_line(e, "const %s dv = %s;", I->vt, T(e, I->loadu, "d + i", NULL, NULL));
        em_line(e, "%s;", T(e, I->storeu, "d + i", em_dact_vector(e, I, act), NULL));
        em_close(e, "}");
    }
    em_open(e, "for (; i < n; i++) {");
    em_line(e, "d[i] = %s;", em_dact_scalar(e, act));
    em_close(e, "}");
    em_close(e, "}");
}

static int em_seen_shape(const nng_spec *s, int l, int upto, int need_first)
{
    for (int p = need_first ? 0 : 1; p < upto; p++)
        if (s->layers[p].units == s->layers[l].units && em_fan_in(s, p) == em_fan_in(s, l))
            return 1;
    return 0;
}

static int em_act_needs_dact(const emitter *e, int l)
{
    const nng_spec *s = e->s;
    nnrt_act a = s->layers[l].act;
    if (a == NNRT_ACT_IDENTITY || a == NNRT_ACT_SOFTMAX)
        return 0;
    if (l < s->n_layers - 1)
        return 1;
    return s->loss == NNRT_LOSS_MSE; /* bce/cce: dZ = a - y directly */
}

static void em_kernels(emitter *e)
{
    const nng_spec *s = e->s;
    em_section(e, SEC_KERNELS);
    int first = 1;
    for (int i = 0; i < EM_NISA; i++) {
        const em_isa *I = &em_isa_table[i];
        if (!em_isa_begin(e, i, first))
            continue;
        first = 0;
        em_blank(e);
        em_line(e, "/* ---- kernels: %s%s ---- */", I->name,
                I->lanes > 1 ? S(e, ", %d floats per vector", I->lanes) : " loops");
        int vector_fwd = 0; /* a forward kernel that ends in horizontal sums */
        for (int l = 0; l < s->n_layers; l++)
            vector_fwd |= !em_plain(I, em_fan_in(s, l));
        if (I->hsum && I->hsum[0] == '$' && vector_fwd) {
            em_blank(e);
            em_template(e, "avx2_hsum", NULL);
        }
        for (int l = 0; l < s->n_layers; l++) {
            long K = em_fan_in(s, l), N = s->layers[l].units;
            if (!em_seen_shape(s, l, l, 1))
                em_kernel_fwd(e, I, K, N);
            if (!em_seen_shape(s, l, l, 1))
                em_kernel_dw(e, I, K, N);
            if (l > 0 && !em_seen_shape(s, l, l, 0))
                em_kernel_dx(e, I, K, N);
        }
        /* Activation derivatives, each once. */
        for (int l = 0; l < s->n_layers; l++) {
            if (!em_act_needs_dact(e, l))
                continue;
            int seen = 0;
            for (int p = 0; p < l; p++)
                if (em_act_needs_dact(e, p) && s->layers[p].act == s->layers[l].act)
                    seen = 1;
            if (!seen)
                em_kernel_dact(e, I, s->layers[l].act);
        }
    }
    em_isa_end(e);
}

/* ------------------------------------------------------------------ */
/* FORWARD                                                              */
/* ------------------------------------------------------------------ */

static const char *em_act_call(emitter *e, const em_isa *I, int l)
{
    const nng_layer *L = &e->s->layers[l];
    const nnrt_act_row *row = nnrt_act_of(L->act);
    const char *isa = e->dbl ? "scalar" : I->name;
    const char *sfx = e->dbl ? "_d" : "";
    const char *A = S(e, "ws + %s_A%d", e->U, l + 1);
    if (!row || !row->rt)
        return NULL;
    /* A layer narrower than one vector (docs/generated-code.md, "Narrow
     * layers"): the row's short routine, else the scalar one. */
    if (!e->dbl && L->units < I->lanes) {
        if (row->rt_short)
            return S(e, "nnrt_%s_%s(%s, rows * %d);", I->name, row->rt_short, A, L->units);
        isa = "scalar";
    }
    if (L->act == NNRT_ACT_SOFTMAX)
        return S(e, "nnrt_%s_%s%s(%s, rows, %d);", isa, row->rt, sfx, A, L->units);
    if (L->act == NNRT_ACT_LEAKY_RELU)
        return S(e, "nnrt_%s_%s%s(%s, rows * %d, %s);", isa, row->rt, sfx, A, L->units,
                 em_lit(e, (double)L->param));
    return S(e, "nnrt_%s_%s%s(%s, rows * %d);", isa, row->rt, sfx, A, L->units);
}

static void em_layer_comment(emitter *e, int l, const char *what)
{
    const nng_layer *L = &e->s->layers[l];
    const nnrt_act_row *row = nnrt_act_of(L->act);
    em_line(e, "/* layer %d, spec line %d: \"%s\"%s */", l + 1, L->pos.line,
            em_spec_line(e, L->pos.line), what);
    if (what[0] == '\0')
        em_line(e, "/*   z = W%d a%d + b%d;  %s */", l + 1, l, l + 1, row ? row->formula : "");
}

static void em_fwd_chunk(emitter *e, const em_isa *I)
{
    const nng_spec *s = e->s;
    const char *R = e->real, *U = e->U;
    em_blank(e);
    em_line(e, "/* Forward over one chunk of rows <= CH samples: A1..A%d in ws. */", s->n_layers);
    em_line(e, "static void %s_forward_chunk(const %s *restrict params, const %s *restrict x,", e->P,
            R, R);
    em_cont(e, "long rows, %s *restrict ws)", R);
    em_open(e, "{");
    for (int l = 0; l < s->n_layers; l++) {
        long K = em_fan_in(s, l), N = s->layers[l].units;
        em_layer_comment(e, l, "");
        em_line(e, "%s_fwd_%ldx%ld(params + %s_W%d, params + %s_B%d, %s, rows, ws + %s_A%d);", e->P,
                K, N, U, l + 1, U, l + 1, l == 0 ? "x" : S(e, "ws + %s_A%d", U, l), U, l + 1);
        if (l == s->n_layers - 1 && e->need_zl)
            em_line(e, "memcpy(ws + %s_ZL, ws + %s_A%d, sizeof(%s) * (size_t)(rows * %ld));", U, U,
                    l + 1, R, N);
        const char *call = em_act_call(e, I, l);
        if (call)
            em_line(e, "%s", call);
    }
    em_close(e, "}");
}

static void em_forward(emitter *e)
{
    em_section(e, SEC_FORWARD);
    int first = 1;
    for (int i = 0; i < EM_NISA; i++) {
        if (!em_isa_begin(e, i, first))
            continue;
        first = 0;
        em_fwd_chunk(e, &em_isa_table[i]);
    }
    em_isa_end(e);
    em_blank(e);
    em_template(e, "forward", NULL);
}

/* ------------------------------------------------------------------ */
/* BACKWARD                                                             */
/* ------------------------------------------------------------------ */

static void em_bwd_chunk(emitter *e, const em_isa *I)
{
    const nng_spec *s = e->s;
    const char *R = e->real, *U = e->U;
    int last = s->n_layers - 1;
    em_blank(e);
    em_line(e, "/* Backward over one chunk: D0 holds dL/dZ%d of the output layer (or dL/dA%d",
            last + 1, last + 1);
    em_line(e, " * for mse); adds this chunk's dW, db into grad (unscaled sums). */");
    em_line(e, "static void %s_backward_chunk(const %s *restrict params, const %s *restrict x,", e->P,
            R, R);
    em_cont(e, "long rows, %s *restrict grad, %s *restrict ws)", R, R);
    em_open(e, "{");
    int cur = 0; /* 0: dZ in D0, 1: in D1 */
    if (s->n_layers == 1)
        em_line(e, "(void)params; /* one layer: no dA_prev to compute */");
    if (em_act_needs_dact(e, last)) {
        const nnrt_act_row *row = nnrt_act_of(s->layers[last].act);
        em_line(e, "/* output activation: %s */", row->derivative);
        em_line(e, "%s_dact_%s(ws + %s_A%d, ws + %s_D0, rows * %d%s);", e->P, row->name, U, last + 1,
                U, s->layers[last].units,
                s->layers[last].act == NNRT_ACT_LEAKY_RELU
                    ? S(e, ", %s", em_lit(e, (double)s->layers[last].param))
                    : "");
    }
    for (int l = last; l >= 0; l--) {
        long K = em_fan_in(s, l), N = s->layers[l].units;
        char D[128], Dn[128];
        snprintf(D, sizeof D, "ws + %s_D%d", U, cur);
        snprintf(Dn, sizeof Dn, "ws + %s_D%d", U, 1 - cur);
        em_layer_comment(e, l, S(e, ": dW%d += dZ%d^T A%d, db%d += sum dZ%d%s", l + 1, l + 1, l,
                                 l + 1, l + 1, l > 0 ? S(e, ", dA%d = dZ%d W%d", l, l + 1, l + 1) : ""));
        em_line(e, "%s_dw_%ldx%ld(%s, %s, rows, grad + %s_W%d);", e->P, K, N, D,
                l == 0 ? "x" : S(e, "ws + %s_A%d", U, l), U, l + 1);
        em_line(e, "%s_bias_grad(%s, rows, %ld, grad + %s_B%d);", e->P, D, N, U, l + 1);
        if (l == 0)
            break;
        em_line(e, "%s_dx_%ldx%ld(params + %s_W%d, %s, rows, %s);", e->P, K, N, U, l + 1, D, Dn);
        if (em_act_needs_dact(e, l - 1)) {
            const nng_layer *P = &s->layers[l - 1];
            const nnrt_act_row *row = nnrt_act_of(P->act);
            em_line(e, "%s_dact_%s(ws + %s_A%d, %s, rows * %d%s); /* %s */", e->P, row->name, U, l,
                    Dn, P->units,
                    P->act == NNRT_ACT_LEAKY_RELU ? S(e, ", %s", em_lit(e, (double)P->param)) : "",
                    row->derivative);
        }
        cur = 1 - cur;
    }
    em_close(e, "}");

    em_blank(e);
    em_line(e, "/* g *= s over all N_PARAMS (a multiple of 16). */");
    em_line(e, "static void %s_scale(%s *restrict g, %s s)", e->P, R, R);
    em_open(e, "{");
    if (I->lanes > 1) {
        em_line(e, "const %s vs = %s;", I->vt, T(e, I->set1, "s", NULL, NULL));
        em_open(e, "for (long i = 0; i < %s_N_PARAMS; i += %d) {", U, I->lanes);
        em_line(e, "%s;", T(e, I->storeu, "g + i", T(e, I->mul, T(e, I->loadu, "g + i", NULL, NULL), "vs", NULL), NULL));
    } else {
        em_open(e, "for (long i = 0; i < %s_N_PARAMS; i++) {", U);
        em_line(e, "g[i] *= s;");
    }
    em_close(e, "}");
    em_close(e, "}");
}

/* The loss of one chunk and dL/dZ (dL/dA for mse) of the output layer
 * into D0, as sums over the chunk (the 1/m comes at the end). */
static void em_loss_chunk(emitter *e)
{
    const nng_spec *s = e->s;
    const char *R = e->real, *U = e->U;
    int last = s->n_layers - 1;
    const nnrt_loss_row *lr = nnrt_loss_of(s->loss);
    em_line(e, "/* loss %s: %s */", lr ? lr->name : "?", lr ? lr->formula : "");
    switch (s->loss) {
    case NNRT_LOSS_BCE:
        em_line(e, "/* from the logits z: log(1 + exp(z)) - y z, stable for any z; dZ = a - y */");
        em_line(e, "const %s *z = ws + %s_ZL;", R, U);
        em_open(e, "for (long i = 0; i < rows * %s_N_OUT; i++) {", U);
        if (e->dbl) {
            em_line(e, "const double zi = z[i], yi = yc[i];");
            em_line(e, "loss += (zi > 0.0 ? zi : 0.0) - zi * yi + log1p(exp(-fabs(zi)));");
        } else {
            /* In float (docs/floating-point.md): max(z,0) - z y as a product
             * that cannot cancel, log1p(e) by Goldberg's trick (glibc's
             * log1pf is 3x its logf): a few ulp, summed in double. */
            em_line(e, "const float zi = z[i], yi = yc[i];");
            em_line(e, "const float ez = expf(-fabsf(zi)), u = 1.0f + ez;");
            em_line(e, "const float l1p = u == 1.0f ? ez : logf(u) * (ez / (u - 1.0f));");
            em_line(e, "loss += (double)((zi > 0.0f ? zi * (1.0f - yi) : -zi * yi) + l1p);");
        }
        em_line(e, "d[i] = a[i] - yc[i];");
        em_close(e, "}");
        break;
    case NNRT_LOSS_CCE:
        em_line(e, "/* from the logits z: -sum_j y_j (z_j - logsumexp z); dZ = a - y */");
        em_line(e, "const %s *z = ws + %s_ZL;", R, U);
        em_open(e, "for (long i = 0; i < rows; i++) {");
        em_line(e, "const %s *zi = z + i * %s_N_OUT, *yi = yc + i * %s_N_OUT;", R, U, U);
        em_line(e, "double mx = (double)zi[0], se = 0.0;");
        em_open(e, "for (long j = 1; j < %s_N_OUT; j++) {", U);
        em_line(e, "mx = (double)zi[j] > mx ? (double)zi[j] : mx;");
        em_close(e, "}");
        em_open(e, "for (long j = 0; j < %s_N_OUT; j++) {", U);
        em_line(e, "se += exp((double)zi[j] - mx);");
        em_close(e, "}");
        em_line(e, "const double lse = mx + log(se);");
        em_open(e, "for (long j = 0; j < %s_N_OUT; j++) {", U);
        em_line(e, "loss -= (double)yi[j] * ((double)zi[j] - lse);");
        em_line(e, "d[i * %s_N_OUT + j] = a[i * %s_N_OUT + j] - yi[j];", U, U);
        em_close(e, "}");
        em_close(e, "}");
        break;
    case NNRT_LOSS_MSE: {
        const char *two_n = em_lit(e, 2.0 / s->layers[last].units);
        em_line(e, "/* sum (a - y)^2 here, / (m N_OUT) at the end; dA = 2 (a - y) / N_OUT;");
        em_line(e, " * four partial sums: one would be a chain of dependent additions */");
        em_line(e, "double part[4] = {0.0, 0.0, 0.0, 0.0};");
        em_line(e, "long i = 0;");
        em_open(e, "for (; i + 4 <= rows * %s_N_OUT; i += 4) {", U);
        em_open(e, "for (long u = 0; u < 4; u++) {");
        em_line(e, "const %s diff = a[i + u] - yc[i + u];", R);
        em_line(e, "part[u] += (double)diff * (double)diff;");
        em_line(e, "d[i + u] = %s * diff;", two_n);
        em_close(e, "}");
        em_close(e, "}");
        em_open(e, "for (; i < rows * %s_N_OUT; i++) {", U);
        em_line(e, "const %s diff = a[i] - yc[i];", R);
        em_line(e, "part[0] += (double)diff * (double)diff;");
        em_line(e, "d[i] = %s * diff;", two_n);
        em_close(e, "}");
        em_line(e, "loss += (part[0] + part[1]) + (part[2] + part[3]);");
        break;
    }
    }
}

static void em_backward(emitter *e)
{
    em_section(e, SEC_BACKWARD);
    em_blank(e);
    em_template(e, "bias_grad", NULL);
    int first = 1;
    for (int i = 0; i < EM_NISA; i++) {
        if (!em_isa_begin(e, i, first))
            continue;
        first = 0;
        em_bwd_chunk(e, &em_isa_table[i]);
    }
    em_isa_end(e);

    em_blank(e);
    em_template(e, "loss_grad", em_loss_chunk);
}

/* ------------------------------------------------------------------ */
/* UPDATE                                                               */
/* ------------------------------------------------------------------ */

/* One optimizer loop: scalar statements, or the same operations in the
 * same order on vectors (so the two paths agree to the last bit). */
static void em_update_loop(emitter *e, const em_isa *I, int kind)
{
    const char *U = e->U;
    if (I->lanes == 1) {
        em_open(e, "for (long i = 0; i < %s_N_PARAMS; i++) {", U);
        if (kind == NNRT_OPT_SGD) {
            em_line(e, "p[i] = p[i] - lr * g[i];");
        } else if (kind == NNRT_OPT_MOMENTUM) {
            em_line(e, "v[i] = b1 * v[i] + ob1 * g[i];");
            em_line(e, "p[i] = p[i] - lr * v[i];");
        } else {
            em_line(e, "mo[i] = b1 * mo[i] + ob1 * g[i];");
            em_line(e, "v[i] = b2 * v[i] + ob2 * (g[i] * g[i]);");
            em_line(e, "p[i] = p[i] - (lr * (mo[i] * ic1)) / (%s(v[i] * ic2) + eps);",
                    e->dbl ? "sqrt" : "sqrtf");
        }
        em_close(e, "}");
        return;
    }
    const char *vt = I->vt;
#define SET1(x) em_line(e, "const %s v" x " = %s;", vt, T(e, I->set1, x, NULL, NULL))
    SET1("lr");
    if (kind != NNRT_OPT_SGD) {
        SET1("b1");
        SET1("ob1");
    }
    if (kind == NNRT_OPT_ADAM) {
        SET1("b2");
        SET1("ob2");
        SET1("ic1");
        SET1("ic2");
        SET1("eps");
    }
#undef SET1
    em_open(e, "for (long i = 0; i < %s_N_PARAMS; i += %d) {", U, I->lanes);
    em_line(e, "const %s gv = %s;", vt, T(e, I->loadu, "g + i", NULL, NULL));
    em_line(e, "const %s pv = %s;", vt, T(e, I->loadu, "p + i", NULL, NULL));
    if (kind == NNRT_OPT_SGD) {
        em_line(e, "%s;", T(e, I->storeu, "p + i", T(e, I->sub, "pv", T(e, I->mul, "vlr", "gv", NULL), NULL), NULL));
    } else if (kind == NNRT_OPT_MOMENTUM) {
        em_line(e, "const %s vv = %s;", vt,
                T(e, I->add, T(e, I->mul, "vb1", T(e, I->loadu, "v + i", NULL, NULL), NULL),
                  T(e, I->mul, "vob1", "gv", NULL), NULL));
        em_line(e, "%s;", T(e, I->storeu, "v + i", "vv", NULL));
        em_line(e, "%s;", T(e, I->storeu, "p + i", T(e, I->sub, "pv", T(e, I->mul, "vlr", "vv", NULL), NULL), NULL));
    } else {
        em_line(e, "const %s mv = %s;", vt,
                T(e, I->add, T(e, I->mul, "vb1", T(e, I->loadu, "mo + i", NULL, NULL), NULL),
                  T(e, I->mul, "vob1", "gv", NULL), NULL));
        em_line(e, "const %s vv = %s;", vt,
                T(e, I->add, T(e, I->mul, "vb2", T(e, I->loadu, "v + i", NULL, NULL), NULL),
                  T(e, I->mul, "vob2", T(e, I->mul, "gv", "gv", NULL), NULL), NULL));
        em_line(e, "const %s step = %s;", vt,
                T(e, I->div, T(e, I->mul, "vlr", T(e, I->mul, "mv", "vic1", NULL), NULL),
                  T(e, I->add, T(e, I->sqrt, T(e, I->mul, "vv", "vic2", NULL), NULL, NULL), "veps",
                    NULL),
                  NULL));
        em_line(e, "%s;", T(e, I->storeu, "mo + i", "mv", NULL));
        em_line(e, "%s;", T(e, I->storeu, "v + i", "vv", NULL));
        em_line(e, "%s;", T(e, I->storeu, "p + i", T(e, I->sub, "pv", "step", NULL), NULL));
    }
    em_close(e, "}");
}

static void em_update(emitter *e)
{
    const char *R = e->real;
    em_section(e, SEC_UPDATE);
    int first = 1;
    for (int i = 0; i < EM_NISA; i++) {
        const em_isa *I = &em_isa_table[i];
        if (!em_isa_begin(e, i, first))
            continue;
        first = 0;
        em_blank(e);
        em_line(e, "/* sgd: p -= lr g */");
        em_line(e, "static void %s_sgd(%s *restrict p, const %s *restrict g, %s lr)", e->P, R, R, R);
        em_open(e, "{");
        em_update_loop(e, I, NNRT_OPT_SGD);
        em_close(e, "}");
        em_blank(e);
        em_line(e, "/* momentum: v = b1 v + (1 - b1) g; p -= lr v */");
        em_line(e, "static void %s_momentum(%s *restrict p, const %s *restrict g, %s *restrict v,",
                e->P, R, R, R);
        em_cont(e, "%s lr, %s b1, %s ob1)", R, R, R);
        em_open(e, "{");
        em_update_loop(e, I, NNRT_OPT_MOMENTUM);
        em_close(e, "}");
        em_blank(e);
        em_line(e, "/* adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;");
        em_line(e, " *       p -= lr (m ic1) / (sqrt(v ic2) + eps), ic = 1 / (1 - beta^t) */");
        em_line(e, "static void %s_adam(%s *restrict p, const %s *restrict g, %s *restrict mo,",
                e->P, R, R, R);
        em_cont(e, "%s *restrict v, %s lr, %s b1, %s ob1, %s b2, %s ob2, %s ic1, %s ic2, %s eps)",
                R, R, R, R, R, R, R, R, R);
        em_open(e, "{");
        em_update_loop(e, I, NNRT_OPT_ADAM);
        em_close(e, "}");
    }
    em_isa_end(e);

    em_blank(e);
    em_template(e, "update", NULL);
}

/* ------------------------------------------------------------------ */
/* MODEL: the descriptor and main()                                     */
/* ------------------------------------------------------------------ */

static void em_model(emitter *e)
{
    const nng_spec *s = e->s;
    const char *U = e->U;
    if (e->dbl)
        return;
    em_section(e, SEC_MODEL);
    em_blank(e);
    em_open(e, "static const nnrt_layer_info %s_layers[%d] = {", e->P, s->n_layers);
    em_line(e, "/* units, fan_in, activation, slope, W offset, b offset, spec line */");
    for (int l = 0; l < s->n_layers; l++) {
        const nng_layer *L = &s->layers[l];
        const nnrt_act_row *row = nnrt_act_of(L->act);
        em_line(e, "{%d, %ld, NNRT_ACT_%s, %s, %s_W%d, %s_B%d, %d},", L->units, em_fan_in(s, l),
                em_upper(e, row ? row->name : "IDENTITY"),
                L->act == NNRT_ACT_LEAKY_RELU ? em_lit(e, (double)L->param) : "0.0f", U, l + 1, U,
                l + 1, L->pos.line);
    }
    em_close(e, "};");
    em_blank(e);
    const nnrt_loss_row *lr = nnrt_loss_of(s->loss);
    const nnrt_train_cfg *t = &s->train;
    long nw = 0;
    for (int l = 0; l < s->n_layers; l++)
        nw += (long)s->layers[l].units * (em_fan_in(s, l) + 1);
    em_open(e, "const nnrt_model %s_model = {", e->P);
    em_line(e, ".abi = NNRT_ABI_VERSION,");
    em_line(e, ".name = %s,", em_cstr(e, e->P));
    em_line(e, ".spec_file = %s,", em_cstr(e, s->path));
    em_line(e, ".isa = %s_ISA,", U);
    em_line(e, ".nngen_version = \"%s\",", NNGEN_VERSION);
    em_line(e, ".n_in = %s_N_IN,", U);
    em_line(e, ".n_out = %s_N_OUT,", U);
    em_line(e, ".n_layers = %d,", s->n_layers);
    em_line(e, ".input_rank = %d,", s->input_rank);
    em_line(e, ".input_shape = {%d, %d, %d, %d},", s->input_shape[0], s->input_shape[1],
            s->input_shape[2], s->input_shape[3]);
    em_line(e, ".layers = %s_layers,", e->P);
    em_line(e, ".loss = NNRT_LOSS_%s,", em_upper(e, lr ? lr->name : "MSE"));
    em_line(e, ".n_params = %s_N_PARAMS,", U);
    em_line(e, ".n_weights = %ld,", nw);
    em_line(e, ".ws_bytes = sizeof(float) * %s_WS_REALS,", U);
    em_line(e, ".signature = 0x%016llxULL,", nng_signature(s));
    em_line(e, ".flops_fwd = %.1f,", nng_flops_fwd(s));
    em_line(e, ".flops_train = %.1f,", nng_flops_train(s));
    em_open(e, ".defaults = {");
    em_line(e, ".lr = %s,", em_lit(e, (double)t->lr));
    em_line(e, ".epochs = %ld,", t->epochs);
    em_line(e, ".iterations = %ld,", t->iterations);
    em_line(e, ".batch = %ld,", t->batch);
    em_line(e, ".optimizer = NNRT_OPT_%s,", em_upper(e, nnrt_opt_name(t->optimizer)));
    em_line(e, ".beta1 = %s,", em_lit(e, (double)t->beta1));
    em_line(e, ".beta2 = %s,", em_lit(e, (double)t->beta2));
    em_line(e, ".eps = %s,", em_lit(e, (double)t->eps));
    em_line(e, ".init = NNRT_INIT_%s,", em_upper(e, nnrt_init_name(t->init)));
    em_line(e, ".seed = %lluULL,", (unsigned long long)t->seed);
    em_close(e, "},");
    em_line(e, ".forward = %s_forward,", e->P);
    em_line(e, ".loss_grad = %s_loss_grad,", e->P);
    em_line(e, ".update = %s_update,", e->P);
    em_close(e, "};");
    em_blank(e);
    em_template(e, "main", NULL);
}

/* ------------------------------------------------------------------ */
/* nng_emit                                                             */
/* ------------------------------------------------------------------ */

int nng_emit(const nng_spec *s, const nng_emit_opts *o, FILE *out)
{
    if (!s || !o || !out || s->n_layers <= 0 || s->n_layers > NNG_MAX_LAYERS || s->n_in <= 0 ||
        !s->name[0])
        return -1;
    emitter *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    e->s = s;
    e->o = o;
    e->P = s->name;
    for (size_t i = 0; s->name[i] && i < NNG_MAX_NAME; i++)
        e->U[i] = (char)toupper((unsigned char)s->name[i]);
    e->dbl = o->dtype_double != 0;
    e->real = e->dbl ? "double" : "float";
    e->isas = e->dbl ? NNG_ISA_SCALAR : (o->isas & NNG_ISA_ALL);
    if (!e->isas)
        e->isas = NNG_ISA_ALL;
    for (int i = 0; i < EM_NISA; i++)
        e->n_isas += (e->isas & em_isa_table[i].bit) != 0;
    em_layout(e);

    em_head(e);
    em_includes(e);
    em_constants(e);
    em_api(e);
    em_kernels(e);
    em_forward(e);
    em_backward(e);
    em_update(e);
    em_model(e);

    int rc = e->err ? -1 : 0;
    for (int i = 0; i < SEC_N; i++) {
        if (rc == 0 && e->sec[i].n && fwrite(e->sec[i].p, 1, e->sec[i].n, out) != e->sec[i].n)
            rc = -1;
        free(e->sec[i].p);
    }
    free(e);
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = -1;
    return rc;
}
