/*
 * nnrt_vocab.h -- nngen's vocabulary, one table per kind: activations,
 * losses, optimizers, initialisations, and the training hyper-parameters.
 *
 * Every part of the project that names one of these reads it here: the spec
 * parser and the emitter (compiler/), the trainer's flags, --help and --info,
 * and the weights file's messages (runtime/).  Adding an activation is one row
 * of nnrt_act_rows[] plus its math (runtime/nnrt_math_impl.h) and its tests.
 *
 * Internal: not installed.  nnrt_vocab.c is compiled into libnnrt and into
 * the compiler, and depends on nothing but the C library.
 *
 * ORDER: rows are listed in the order users see them (messages, --help,
 * docs).  The enum values of runtime/nnrt.h are what weights files and
 * generated descriptors store; a new kind gets the next enum value, never a
 * reused one.
 */
#ifndef NNRT_VOCAB_H
#define NNRT_VOCAB_H

#include <stddef.h>

#include "nnrt.h"

/* ------------------------------------------------------------------ */
/* Activations                                                          */
/* ------------------------------------------------------------------ */
/*
 * dact: da/dz times the incoming gradient, as an expression the emitter
 * turns into scalar C or into the ISA table's intrinsics (compiler/):
 *   a      the activation's output (the derivative is written in terms of a:
 *          the forward pass keeps A, not Z)
 *   d      the incoming gradient dL/da
 *   p      the activation's parameter (param below)
 *   numbers, and the operations add(x,y) sub(x,y) mul(x,y) sel_gt0(c,t,f)
 *   (t where c > 0, else f).
 * NULL: no derivative kernel (identity passes d through; softmax is only an
 * output with cce, where dL/dz = a - y is formed by the loss; step's is zero
 * almost everywhere: it is only the output of loss perceptron, whose error
 * signal a - y replaces the derivative, and the parser refuses it elsewhere).
 */
typedef struct nnrt_act_row {
    const char *name;       /* spec word */
    nnrt_act act;
    const char *formula;    /* for comments and docs: "a = 1 / (1 + exp(-z))" */
    const char *derivative; /* in terms of a, for comments: "da/dz = a * (1 - a)" */
    const char *dact;       /* see above */
    const char *rt;         /* runtime routine nnrt_<isa>_<rt>; NULL = inline (identity) */
    const char *rt_short;   /* for layers narrower than a vector on a vector path:
                               nnrt_<isa>_<rt_short>; NULL = nnrt_scalar_<rt> */
    const char *param;      /* the parameter's spec word ("slope"), or NULL */
    float param_default;
    double param_lo, param_hi; /* the parameter lies in [lo, hi) */
    const char *help;       /* one line for docs and --help */
} nnrt_act_row;

typedef struct nnrt_loss_row {
    const char *name;  /* spec word */
    const char *alias; /* a second accepted word, or NULL */
    nnrt_loss loss;
    const char *formula;
} nnrt_loss_row;

/* Optimizers and initialisations: a word and its enum value. */
typedef struct nnrt_word_row {
    const char *name;
    int value;
    const char *doc;
} nnrt_word_row;

extern const nnrt_act_row nnrt_act_rows[];   /* ends with name == NULL */
extern const nnrt_loss_row nnrt_loss_rows[]; /* ends with name == NULL */
extern const nnrt_word_row nnrt_opt_rows[];  /* sgd, momentum, adam; ends with NULL */
extern const nnrt_word_row nnrt_init_rows[]; /* zeros ... he, numpy ... numpy_he; ends with NULL */

/* The row of a kind, or NULL for a value no row has (a damaged file). */
const nnrt_act_row *nnrt_act_of(nnrt_act a);
const nnrt_loss_row *nnrt_loss_of(nnrt_loss l);
/* The word of a value of nnrt_opt_rows / nnrt_init_rows, or NULL. */
const char *nnrt_word_of(const nnrt_word_row *rows, int value);
/* The name of an activation, loss, optimizer or initialisation; "?" for a
 * value no row has. */
const char *nnrt_act_name(nnrt_act a);
const char *nnrt_loss_name(nnrt_loss l);
const char *nnrt_opt_name(nnrt_opt_kind k);
const char *nnrt_init_name(nnrt_init i);

/* ------------------------------------------------------------------ */
/* Training hyper-parameters: the spec's `train KEY=VALUE` and the      */
/* trainer's `--KEY VALUE` read the same rows                           */
/* ------------------------------------------------------------------ */
#define NNRT_MAX_EPOCHS 1000000L        /* epochs=N */
#define NNRT_MAX_ITERATIONS 1000000000L /* iterations=N */
#define NNRT_MAX_BATCH 1000000000L      /* batch=N */

typedef enum nnrt_hp_kind {
    NNRT_HP_REAL,  /* float in the row's interval */
    NNRT_HP_COUNT, /* long in [lo, hi] */
    NNRT_HP_BATCH, /* a count, or "full" (stored as 0) */
    NNRT_HP_SEED,  /* unsigned 64-bit */
    NNRT_HP_OPT,   /* a word of nnrt_opt_rows */
    NNRT_HP_INIT   /* a word of nnrt_init_rows */
} nnrt_hp_kind;

typedef struct nnrt_hparam {
    const char *name;   /* spec key; the trainer's flag is "--" name */
    nnrt_hp_kind kind;
    size_t offset;      /* of the field in nnrt_train_cfg */
    double lo, hi;      /* REAL: the interval; counts: [lo, hi] */
    int lo_open, hi_open;
    const char *limit;  /* counts: the name of the limit, for messages */
    const char *meta;   /* the flag's value in --help: "F", "N", "N|full", "NAME" */
    const char *help;   /* one line for --help and docs */
} nnrt_hparam;

#define NNRT_N_HPARAMS 10
extern const nnrt_hparam nnrt_hparams[NNRT_N_HPARAMS + 1]; /* ends with name == NULL */
/* The row named name[0..len), or NULL. */
const nnrt_hparam *nnrt_hparam_find(const char *name, size_t len);
/* What a spec that says nothing gets. */
extern const nnrt_train_cfg nnrt_train_defaults;
/* The value of row h in cfg as its words ("0.0075", "full", "adam"),
 * "" for an unset count (epochs when iterations are given). */
void nnrt_hparam_format(const nnrt_hparam *h, const nnrt_train_cfg *cfg, char *buf, size_t cap);
/* Is x inside the interval of REAL or count row h? */
int nnrt_hparam_in_range(const nnrt_hparam *h, double x);
/* "(0, 100]", "[1, 1000000]" (counts in full) */
void nnrt_hparam_range_text(const nnrt_hparam *h, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Suggestions                                                          */
/* ------------------------------------------------------------------ */
/* The closest of `words` (NULL-terminated) to `w` by edit distance
 * (adjacent transpositions count as one edit; `w` a prefix of a word, and
 * at least NNRT_DYM_PREFIX characters long, counts as one edit too), or
 * NULL if none is close enough to suggest: at most 2 edits, and fewer than
 * half the word.  The compiler's spec words and options and the trainer's
 * flags all use it. */
#define NNRT_DYM_PREFIX 4
const char *nnrt_did_you_mean(const char *w, const char *const *words);

#endif /* NNRT_VOCAB_H */
