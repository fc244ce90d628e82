/*
 * emit.h -- what the modules of the emitter share (internal to compiler/;
 * nngen.h is the compiler's interface, nng_emit its entry point).
 *
 *   emit.c     the generated file's sections, in order         (nng_emit)
 *   isa.c      the ISA table: intrinsic spellings per path      (isa_)
 *   text.c     sections, indentation, templates, literals       (tx_, S, T)
 *   expr.c     the vocabulary's small expressions -> C/intrinsics (ex_)
 *   kernels.c  forward, dW, dA_prev and activation-derivative kernels (kn_)
 *   infer.c    the inference-only file, from emit.c's parts     (nng_emit_inference)
 */
#ifndef NNGEN_EMIT_H
#define NNGEN_EMIT_H

#include <stdarg.h>

#include "nngen.h"

#if defined(__GNUC__)
#define EM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EM_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ */
/* The ISA table (isa.c)                                                */
/* ------------------------------------------------------------------ */
/* Templates: $1 $2 $3 are the operands, $P the model's C prefix.
 * fma is "$1 * $2 + $3" in every row; the row spells the argument order. */
typedef struct isa_row {
    const char *name;      /* "avx2": also the runtime's nnrt_<name>_ prefix */
    int bit;               /* NNG_ISA_* */
    const char *guard;     /* --isa <name>: the compiler targets this ISA; NULL: none (scalar) */
    const char *flags;     /* what to compile with, for the #error of --isa <name> */
    const char *cflags;    /* the same as flags for the build line in the head: "-mavx2 -mfma" */
    const char *header;    /* intrinsics header */
    /* --isa all (several paths, chosen at run time): */
    const char *host;      /* the targets that can have the path; NULL: every one (scalar) */
    const char *target_attr; /* the path's functions' target attribute, or NULL: none needed */
    int lanes;             /* floats per vector; 1 = scalar (the plain loops) */
    const char *vt;        /* vector type */
    const char *zero, *loadu, *storeu, *set1, *add, *sub, *mul, *div, *sqrt, *fma;
    const char *sel_gt0;   /* $1 > 0 ? $2 : $3, lane-wise */
    const char *hsum;      /* horizontal sum of one vector, as a float */
    const char *hsum_helper; /* templates/generated.c.in section defining hsum, or NULL */
    const char *hsum4_helper; /* the section defining <F>_hsum4(z, add, a, b, c, d):
                                 z[0..3] = add[0..3] + the sums of four vectors, used by
                                 forward tiles of 4 units; NULL: hsum each */
    const char *mask_decl; /* declares `tailmask` with the first lanes on, given as $1
                              ("-1, -1, 0, ...") and $2 (a bit mask, "0x0003");
                              NULL = scalar tails */
    const char *maskload, *maskstore; /* with `tailmask` */
    const char *prefetch;  /* prefetch the line at $1 into L1, or NULL */
    int pack_ahead;        /* dW's packed blocks: copy the next while computing this one
                              (two buffers) instead of prefetching it */
    int fwd_r, fwd_c;      /* forward tile: rows x units of accumulators */
    int dw_c, dw_v;        /* dW tile: units x vectors along fan_in */
    int dx_r, dx_v;        /* dA_prev tile: rows x vectors along fan_in */
    const char *cpu;       /* the inference file's run-time test that the CPU runs the
                              path (it has no runtime), or NULL: always */
    const struct isa_row *half; /* a half-width vector of the same ISA, or NULL; only
                                   its lanes, vt, zero, loadu, storeu, set1, fma and
                                   own half are used (narrow layers, kernels.c) */
} isa_row;

/* Best first: the order of the paths a file of several carries (and of
 * its dispatch table); the scalar loops last. */
enum { ISA_AVX512, ISA_AVX2, ISA_NEON, ISA_SCALAR, ISA_N };
extern const isa_row isa_table[ISA_N];

/* ------------------------------------------------------------------ */
/* The emitter's state                                                  */
/* ------------------------------------------------------------------ */
/* Named sections of the output, written in this order. */
enum {
    SEC_HEAD, SEC_INCLUDES, SEC_CONSTANTS, SEC_API, SEC_KERNELS, SEC_FORWARD, SEC_BACKWARD,
    SEC_UPDATE, SEC_MODEL, SEC_N
};

typedef struct tx_buf {
    char *p;
    size_t n, cap;
} tx_buf;

#define TX_RING 48 /* strings from S() and T() live until TX_RING more are made */
#define TX_STR 384 /* their length limit */

typedef struct emitter {
    /* the model */
    const nng_spec *s;
    const nng_emit_opts *o;
    const char *P;              /* C prefix (the model name) */
    char U[NNG_MAX_NAME + 1];   /* upper-case prefix for macros */
    int dbl;                    /* --dtype double */
    int infer;                  /* --inference (infer.c): forward only, no runtime */
    const char *real;           /* "float" or "double" */
    int isas;                   /* selected NNG_ISA_* bits */
    int n_isas;                 /* more than one: the paths are chosen at run time */
    /* the path being written (em_each_isa) */
    char F[NNG_MAX_NAME + 16];  /* its functions' prefix: "cat", or "cat_avx2" when several */
    char tgt[NNG_MAX_NAME + 24]; /* what opens its functions: "" or "CAT_PATH_AVX2 " */
    char exp[8];                /* its forward, loss_grad, update: "" exported, "static " */
    nng_ws ws;                  /* the workspace of a chunk (layout.c) */
    /* the text (text.c) */
    tx_buf sec[SEC_N];
    int cur, depth;
    int err;                    /* out of memory, a string too long, a bad template */
    char ring[TX_RING][TX_STR];
    int ring_i;
    const char *holes[12][2];   /* template holes: "@P@" -> its text; ends with NULL */
    char n_layers_text[16], loss_denom[NNG_MAX_NAME + 32]; /* two holes' texts */
    char cstr[4 * 4096 + 8];    /* tx_cstr's result: a path of up to 4096 bytes, escaped */
    char text[4096];            /* a line of the spec or command line, comment-safe */
} emitter;

/* ------------------------------------------------------------------ */
/* Text (text.c): never indented by hand                                */
/* ------------------------------------------------------------------ */
void tx_section(emitter *e, int sec);
void tx_line(emitter *e, const char *fmt, ...) EM_PRINTF(2, 3);  /* one line at the depth */
void tx_open(emitter *e, const char *fmt, ...) EM_PRINTF(2, 3);  /* "... {", then deeper */
void tx_close(emitter *e, const char *text);                     /* shallower, then text */
void tx_cont(emitter *e, const char *fmt, ...) EM_PRINTF(2, 3);  /* a continuation line */
void tx_pp(emitter *e, const char *fmt, ...) EM_PRINTF(2, 3);    /* a line in column 0 */
void tx_blank(emitter *e);
/* Copy section `name` of templates/generated.c.in at the current depth,
 * holes filled; a line holding only @LOSS_CHUNK@ calls `hook`. */
void tx_template(emitter *e, const char *name, void (*hook)(emitter *));
/* The sections, in order, to out; frees them.  0, or -1 on any error. */
int tx_write(emitter *e, FILE *out);

/* S(): a formatted string; T(): an ISA template with operands $1..$3 ($P:
 * the current path's function prefix, e->F).
 * Both live in a ring of TX_RING strings (e->err if one is too long). */
const char *tx_fmt(emitter *e, const char *fmt, ...) EM_PRINTF(2, 3);
const char *tx_expand(emitter *e, const char *tmpl, const char *a, const char *b, const char *c);
#define S tx_fmt
#define T tx_expand

const char *tx_lit(emitter *e, double v);          /* a real literal of the dtype: "2.0f" */
const char *tx_upper(emitter *e, const char *w);   /* leaky_relu -> LEAKY_RELU */
/* static const float name[size] = { v[0..n) } (%.9g: each reads back the same) */
const char *tx_cstr(emitter *e, const char *str);  /* a C string literal (one at a time) */
const char *tx_spec_line(emitter *e, int line);    /* spec line `line`, comment-safe */
/* src[0..len) made safe inside a C comment, into dst (cap bytes). */
void tx_comment_text(char *dst, size_t cap, const char *src, size_t len);

/* ------------------------------------------------------------------ */
/* Expressions (expr.c)                                                 */
/* ------------------------------------------------------------------ */
/* The body of an elementwise loop over arrays, as statements `x = expr`
 * in the vocabulary's expression language (runtime/nnrt_vocab.h: numbers,
 * names, add sub mul div sqrt sel_gt0).  A target that is one of `arrays`
 * is stored, any other is a temporary.  The scalar path writes x[i] = ...
 * with temporaries inlined; a vector path loads `loads` first, keeps each
 * assignment in a vector named after its target, stores the arrays, and
 * stores the last statement's value directly.  The same operations in the
 * same order on both paths, so they agree to the last bit. */
typedef struct ex_loop {
    const char *arrays; /* "a d": names that are arrays (indexed by i) */
    const char *loads;  /* vector paths: the arrays loaded first, in order */
    const char *consts; /* vector paths: scalars broadcast first, in this order
                           (then any other scalar or number, as they appear) */
    const char *p;      /* what the name p spells (an activation's parameter), or NULL */
    const char *stmts[5]; /* ends with NULL */
} ex_loop;

/* Vector paths: the broadcasts of the loop's scalars, before the loop. */
void ex_hoist(emitter *e, const isa_row *I, const ex_loop *x);
/* The loop's body for element i (lanes == 1) or the vector at i. */
void ex_body(emitter *e, const isa_row *I, const ex_loop *x);

/* ------------------------------------------------------------------ */
/* Kernels (kernels.c): one per distinct layer shape and ISA            */
/* ------------------------------------------------------------------ */
/* The row whose vectors path I's kernels for fan_in K use: I, or, when K
 * is narrower than I's vectors but fills its half row's (AVX-512 and
 * 8 <= K < 16: AVX2's), that row, so that the layer computes exactly what
 * it computes on that row's path. */
const isa_row *kn_row_for(const isa_row *I, long K);
/* Does path I's forward kernel for fan_in K run over fan_in in vectors
 * (and so end in horizontal sums)? */
int kn_vector_fan_in(const isa_row *I, long K);
/* ... and its K x N forward kernel in I's four-at-once sums (hsum4_helper)? */
int kn_uses_hsum4(const isa_row *I, long K, long N);
void kn_fwd(emitter *e, const isa_row *I, long K, long N); /* <P>_fwd_<K>x<N> */
void kn_dw(emitter *e, const isa_row *I, long K, long N);  /* <P>_dw_<K>x<N> */
void kn_dx(emitter *e, const isa_row *I, long K, long N);  /* <P>_dx_<K>x<N> */
void kn_dact(emitter *e, const isa_row *I, const nnrt_act_row *row); /* <P>_dact_<name> */
/* For one row of a K x N layer whose forward kernel on path I runs over
 * the units or in plain loops (not kn_vector_fan_in): how many of its
 * first units the kernel computes as fma chains from b (vectors over the
 * units); the others are the plain loops' sums. */
long kn_fma_units(const isa_row *I, long K, long N);

/* ------------------------------------------------------------------ */
/* What the fused step (fused.c) takes from emit.c                      */
/* ------------------------------------------------------------------ */
/* Layer l's activation row if the backward pass multiplies by its derivative. */
const nnrt_act_row *em_dact_of(const emitter *e, int l);
/* The runtime call applying layer l's activation to `rows` rows at A, or NULL. */
const char *em_act_call_at(emitter *e, const isa_row *I, int l, const char *A);
void em_layer_comment(emitter *e, int l);
/* The loss of `rows` rows (logits at zl) into `loss`, dL/dZ into d. */
void em_loss_rows(emitter *e, const char *zl);

/* ------------------------------------------------------------------ */
/* The fused per-sample step (fused.c)                                  */
/* ------------------------------------------------------------------ */
/* Has path I a fused step (<F>_train_samples)? */
int fu_path_has(const emitter *e, const isa_row *I);
/* ... any selected path? */
int fu_any(const emitter *e);
/* <F>_train_samples of path I, or a comment saying why it has none. */
void fu_step(emitter *e, const isa_row *I);

/* ------------------------------------------------------------------ */
/* emit.c's parts that the inference file (infer.c) reuses              */
/* ------------------------------------------------------------------ */
/* The emitter for spec s and options o (e zeroed by the caller). */
void em_init(emitter *e, const nng_spec *s, const nng_emit_opts *o);
/* CAT_PATH_AVX2: the macro that says path I is compiled in (several paths). */
const char *em_path_macro(emitter *e, const isa_row *I);
/* body once per selected ISA row (under its prefix, attribute and #if),
 * then template section `then` (NULL: none) with `hook`. */
void em_each_isa(emitter *e, void (*body)(emitter *, const isa_row *), const char *then,
                 void (*hook)(emitter *));
/* The intrinsics headers and the path macros of the selected paths. */
void em_isa_includes(emitter *e);
void em_constants(emitter *e);                      /* the CONSTANTS section */
void em_kernels(emitter *e);                        /* the KERNELS section */
void em_fwd_chunk(emitter *e, const isa_row *I);    /* <F>_forward_chunk of path I */
void em_param_array(emitter *e, const char *name, const char *size, const float *v,
                    size_t n);                     /* a static const parameter array */

#endif /* NNGEN_EMIT_H */
