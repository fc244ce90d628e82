/*
 * nngen.h -- the compiler's internal interface (one header for the modules
 * of compiler/; nothing here is installed).
 *
 *   spec.c    lexer + parser + semantic checks: text -> nng_spec  (nng_parse_*)
 *   diag.c    the one diagnostic routine                           (nng_diag_*)
 *   ../runtime/nnrt_vocab.c  the vocabulary, shared with the runtime  (nnrt_*_rows)
 *   layout.c  parameter and workspace layout, FLOPs, signature     (nng_param_*,
 *             nng_flops_*, nng_ws_*, nng_signature)
 *   emit.c    nng_spec -> C text                                   (nng_emit), with
 *             isa.c, text.c, expr.c and kernels.c behind emit.h
 *   infer.c   nng_spec + weights -> inference-only C   (nng_emit_inference,
 *             nng_weights_read)
 *   main.c    the command line
 *
 * Enum values are shared with the runtime (runtime/nnrt.h) so that a spec's
 * words become the descriptor's fields with no second mapping.
 */
#ifndef NNGEN_H
#define NNGEN_H

#include <stddef.h>
#include <stdio.h>

#include "nnrt.h"
#include "nnrt_vocab.h" /* the vocabulary: activations, losses, optimizers, inits, hyper-parameters */

#define NNGEN_VERSION "0.1.0"

/* Documented limits (docs/spec.md). */
#define NNG_MAX_LAYERS 64
#define NNG_MAX_UNITS 1000000L       /* per layer, and for the input */
#define NNG_MAX_PARAMS 100000000L    /* total real parameters (400 MB of float32) */
#define NNG_MAX_NAME 63
/* train epochs=, iterations=, batch=: NNRT_MAX_* in runtime/nnrt_vocab.h */

/* ------------------------------------------------------------------ */
/* The parsed spec                                                      */
/* ------------------------------------------------------------------ */
typedef struct nng_pos {
    int line, col; /* 1-based; 0 = not given in the spec (a default) */
} nng_pos;

typedef struct nng_layer {
    int units;
    nnrt_act act;
    float param; /* the activation's parameter (nnrt_act_row.param: leaky_relu's slope); 0 if none */
    nng_pos pos; /* of the `dense` word */
    /* Weights written in the spec (`weights` and `bias` lines), in the
     * parameter layout's order: w is units x fan_in, row-major (row j =
     * unit j), b is units; both NULL when the layer has none.  Owned by
     * the spec (nng_spec_free). */
    float *w, *b;
    nng_pos w_pos; /* of its first `weights` word */
} nng_layer;

typedef struct nng_spec {
    const char *path;             /* as given on the command line */
    char name[NNG_MAX_NAME + 1];  /* C identifier; default from the file's base name */
    nng_pos name_pos;
    int n_in;
    int input_rank;               /* 1, or 2..4 for HxW, HxWxC, ... */
    int input_shape[4];
    nng_pos input_pos;
    int n_layers;
    nng_layer layers[NNG_MAX_LAYERS];
    nnrt_loss loss;
    nng_pos loss_pos;
    nnrt_train_cfg train;         /* defaults filled in where the spec is silent */
    nng_pos train_pos;
    long n_weights;               /* sum of units * (fan_in + 1) */
    int n_literal;                /* layers with weights written in the spec */
    char *source;                 /* the whole spec text (for the generated header); owned */
} nng_spec;

/* ------------------------------------------------------------------ */
/* Diagnostics: `file:line:col: error: message`, one line each.          */
/* ------------------------------------------------------------------ */
typedef struct nng_diag {
    const char *path;
    FILE *out;     /* stderr normally; a memstream in tests */
    int errors;    /* count; the run fails if > 0 */
} nng_diag;

void nng_diag_init(nng_diag *d, const char *path, FILE *out);
/* pos.line == 0 prints `file: error: msg`. */
void nng_error(nng_diag *d, nng_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ------------------------------------------------------------------ */
/* The parser                                                           */
/* ------------------------------------------------------------------ */
/* Parse spec text (len bytes, need not be NUL-terminated).  Returns 0 and
 * fills *out, or -1 after reporting through d (d->errors > 0).  `path` is
 * used for messages and the default model name. */
int nng_parse_text(const char *text, size_t len, const char *path, nng_spec *out, nng_diag *d);
/* Read and parse a file (missing/unreadable files are reported too);
 * "-" reads standard input, reported as "<stdin>", default name "stdin". */
int nng_parse_file(const char *path, nng_spec *out, nng_diag *d);
void nng_spec_free(nng_spec *s);
/* NULL if name[0..len) may be a model name (a C identifier of at most
 * NNG_MAX_NAME chars, not a C keyword, not reserved: `__x`, `_X`, `nnrt...`);
 * else why not, as a phrase: "is not a C identifier". */
const char *nng_name_problem(const char *name, size_t len);
/* Write the spec back as canonical spec text (round-trip tests). */
void nng_spec_print(const nng_spec *s, FILE *out);

/* ------------------------------------------------------------------ */
/* Layout and cost (layout.c), shared by the emitter and --summary      */
/* ------------------------------------------------------------------ */
/* Layer l's fan_in (the input's width for l = 0) and its real parameters,
 * units * (fan_in + 1); their sum over the layers is nng_spec.n_weights. */
long nng_fan_in(const nng_spec *s, int layer);
long long nng_layer_weights(const nng_spec *s, int layer);
/* Floats from params: layer l's W (units x fan_in, row-major), then b, each
 * rounded up to NNRT_ALIGN_FLOATS; the padded total. */
size_t nng_param_offset_w(const nng_spec *s, int layer);
size_t nng_param_offset_b(const nng_spec *s, int layer);
size_t nng_param_count_padded(const nng_spec *s);
/* The spec's literal weights in that layout (the rest 0); malloc'ed, NULL: no memory. */
float *nng_literal_params(const nng_spec *s);
/* FLOPs per sample, 2 per multiply-add of the matrix products: of layer l
 * alone, and of the network (forward; forward + backward). */
double nng_flops_fwd_layer(const nng_spec *s, int layer);
double nng_flops_train_layer(const nng_spec *s, int layer);
double nng_flops_fwd(const nng_spec *s);
double nng_flops_train(const nng_spec *s);
/* The shape's 64-bit hash, stored in the descriptor and in weights files. */
unsigned long long nng_signature(const nng_spec *s);

/* The workspace of one chunk of `ch` rows, in reals from ws (each block
 * rounded up to NNRT_ALIGN_FLOATS): the layers' activations A<l>, the
 * output logits ZL (kept for the loss unless it is mse), and the two
 * gradient buffers D0/D1, each ch x the widest layer. */
typedef struct nng_ws {
    int ch;                      /* rows per chunk */
    size_t a[NNG_MAX_LAYERS];
    int need_zl;
    size_t zl, d0, d1, total;
} nng_ws;
void nng_ws_layout(const nng_spec *s, nng_ws *ws);

/* ------------------------------------------------------------------ */
/* The emitter                                                          */
/* ------------------------------------------------------------------ */
enum { NNG_ISA_SCALAR = 1, NNG_ISA_AVX2 = 2, NNG_ISA_NEON = 4, NNG_ISA_AVX512 = 8,
       NNG_ISA_ALL = 15 };

typedef struct nng_emit_opts {
    int isas;            /* bit set of NNG_ISA_*; several (ALL): every one the target can
                            have, and the scalar loops, chosen at run time */
    int dtype_double;    /* scalar path in double (verification); no descriptor */
    const char *cmdline; /* the nngen command line, for the header comment */
} nng_emit_opts;

/* Write the whole C file (emit.c).  Returns 0, or -1 if writing failed. */
int nng_emit(const nng_spec *s, const nng_emit_opts *o, FILE *out);

/* --inference (infer.c): the inference-only file of s with the trained
 * parameters params (nng_param_count_padded(s) floats, the layout above),
 * which came from the file `weights` (named in its head).  float only
 * (o->dtype_double is refused).  Returns 0, or -1. */
int nng_emit_inference(const nng_spec *s, const nng_emit_opts *o, const float *params,
                       const char *weights, FILE *out);
/* The parameters of weights file `path` (nngen's own or .npz: the runtime's
 * reader, runtime/nnrt_weights.c) for the shape of s, checked against its
 * signature and for finite values: a malloc'ed array of
 * nng_param_count_padded(s) floats, or NULL and one line in e. */
float *nng_weights_read(const nng_spec *s, const char *path, nnrt_err *e);

#endif /* NNGEN_H */
