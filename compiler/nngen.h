/*
 * nngen.h -- the compiler's internal interface (one header for the modules
 * of compiler/; nothing here is installed).
 *
 *   spec.c   lexer + parser + semantic checks: text -> nng_spec   (nng_parse_*)
 *   diag.c   the one diagnostic routine                            (nng_diag_*)
 *   ../runtime/nnrt_vocab.c  the vocabulary, shared with the runtime  (nnrt_*_rows)
 *   emit*.c  nng_spec -> C text                                    (nng_emit*)
 *   main.c   the command line
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
/* The emitter                                                          */
/* ------------------------------------------------------------------ */
enum { NNG_ISA_SCALAR = 1, NNG_ISA_AVX2 = 2, NNG_ISA_NEON = 4, NNG_ISA_ALL = 7 };

typedef struct nng_emit_opts {
    int isas;            /* bit set of NNG_ISA_*; ALL = pick by predefined macros */
    int dtype_double;    /* scalar path in double (verification); no descriptor */
    const char *cmdline; /* the nngen command line, for the header comment */
} nng_emit_opts;

/* Layout and cost, shared by the emitter and `nngen --summary`. */
size_t nng_param_offset_w(const nng_spec *s, int layer);
size_t nng_param_offset_b(const nng_spec *s, int layer);
size_t nng_param_count_padded(const nng_spec *s);
double nng_flops_fwd(const nng_spec *s);
double nng_flops_train(const nng_spec *s);
unsigned long long nng_signature(const nng_spec *s);

/* Write the whole C file.  Returns 0, or -1 if writing failed. */
int nng_emit(const nng_spec *s, const nng_emit_opts *o, FILE *out);

#endif /* NNGEN_H */
