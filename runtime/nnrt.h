/*
 * nnrt.h -- the public interface of libnnrt, the runtime that nngen's
 * generated C links against.
 *
 * One header, one prefix (nnrt_).  It holds:
 *   1. the model descriptor a generated file fills in (nnrt_model);
 *   2. vector math: activations over arrays, per ISA (scalar, avx2, neon);
 *   3. losses and their derivatives;
 *   4. random numbers and weight initialisation;
 *   5. data sets (HDF5, CSV, IDX/IDX.gz, numpy .npy/.npz);
 *   6. weights files (save/load, atomic);
 *   7. the training driver (nnrt_main).
 *
 * Errors: every function that can fail on user input returns 0 on success
 * and -1 on failure, and fills an nnrt_err with ONE line that names the file
 * or flag and the problem ("data/x.csv:12: expected 4 columns, found 3").
 * Nothing in the runtime calls exit() or abort() on bad input.
 *
 * Floating point: tensors are nnrt_real, float32 unless a program defines
 * NNRT_DOUBLE before it includes this header: then they are double and the
 * names carry _d (nnrt_real.h; `nngen --dtype double`, docs/double.md).
 */
#ifndef NNRT_H
#define NNRT_H

#include <stddef.h>
#include <stdint.h>

#include "nnrt_real.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NNRT_ABI_VERSION 3

/* Every tensor in a parameter array starts at a multiple of this many
 * floats (64 bytes), and the whole array is padded to a multiple of it. */
#define NNRT_ALIGN_FLOATS 16
#define NNRT_ALIGN_BYTES 64

/* ------------------------------------------------------------------ */
/* 0. Errors                                                            */
/* ------------------------------------------------------------------ */

typedef struct nnrt_err {
    char msg[512]; /* one line, no trailing newline; "" when no error */
} nnrt_err;

/* printf-style: fills e->msg (truncating safely) and returns -1. */
int nnrt_errorf(nnrt_err *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ------------------------------------------------------------------ */
/* 1. The model descriptor                                              */
/* ------------------------------------------------------------------ */

typedef enum nnrt_act {
    NNRT_ACT_IDENTITY = 0,
    NNRT_ACT_SIGMOID,
    NNRT_ACT_TANH,
    NNRT_ACT_RELU,
    NNRT_ACT_LEAKY_RELU,
    NNRT_ACT_SOFTMAX,
    NNRT_ACT_ELU,
    NNRT_ACT_STEP /* z > 0 ? 1 : 0, the perceptron's threshold (docs/perceptron.md) */
} nnrt_act;

typedef enum nnrt_loss {
    NNRT_LOSS_BCE = 0, /* binary cross-entropy; sigmoid output (multi-label if >1 unit) */
    NNRT_LOSS_MSE,     /* mean squared error, mean over samples AND output units */
    NNRT_LOSS_CCE,     /* categorical cross-entropy; softmax output, one-hot targets */
    NNRT_LOSS_PERCEPTRON /* the perceptron rule: step output, 0/1 labels, error signal
                            dZ = a - y (no derivative); the loss is the error rate */
} nnrt_loss;

typedef enum nnrt_opt_kind {
    NNRT_OPT_SGD = 0,
    NNRT_OPT_MOMENTUM, /* v = beta1*v + (1-beta1)*g; p -= lr*v   (the course's form) */
    NNRT_OPT_ADAM      /* Kingma & Ba, with bias correction */
} nnrt_opt_kind;

typedef enum nnrt_init {
    NNRT_INIT_ZEROS = 0, /* all zero (logistic regression) */
    NNRT_INIT_SMALL,     /* W ~ N(0,1) * 0.01 */
    NNRT_INIT_COURSE,    /* W ~ N(0,1) / sqrt(fan_in)  (deeplearning.ai course 1) */
    NNRT_INIT_XAVIER,    /* W ~ N(0,1) * sqrt(2 / (fan_in + fan_out))  (Glorot normal) */
    NNRT_INIT_HE,        /* W ~ N(0,1) * sqrt(2 / fan_in) */
    /* numpy's legacy generator, number for number (np.random.seed(seed),
     * then np.random.randn for W1, W2, ...; nnrt_np_init_weight): */
    NNRT_INIT_NUMPY,        /* randn(n, n_prev) / np.sqrt(n_prev): course 1, L-layer notebook */
    NNRT_INIT_NUMPY_SMALL,  /* randn(n, n_prev) * 0.01: course 1, 2-layer notebook */
    NNRT_INIT_NUMPY_XAVIER, /* randn(n, n_prev) * np.sqrt(2. / (n_prev + n)) */
    NNRT_INIT_NUMPY_HE      /* randn(n, n_prev) * np.sqrt(2. / n_prev) */
} nnrt_init;
/* Biases always start at zero. */

/* Optimizer hyper-parameters handed to a generated update function. */
typedef struct nnrt_optim {
    nnrt_opt_kind kind;
    nnrt_real lr;
    nnrt_real beta1; /* momentum / Adam first moment (default 0.9) */
    nnrt_real beta2; /* Adam second moment (default 0.999) */
    nnrt_real eps;   /* Adam epsilon (default 1e-8) */
} nnrt_optim;

/* Training defaults, from the spec's `train` line; the driver's flags
 * override them.  The reals are double in either build: the values as
 * written, each build rounding them to nnrt_real once (nnrt_optim). */
typedef struct nnrt_train_cfg {
    double lr;
    long epochs;     /* passes over the data; 0 when `iterations` is given */
    long iterations; /* parameter updates; 0 when `epochs` is given */
    long batch;      /* samples per update; 0 = full batch; 1 = per-sample SGD */
    nnrt_opt_kind optimizer;
    double beta1, beta2, eps;
    nnrt_init init;
    uint64_t seed;
} nnrt_train_cfg;

typedef struct nnrt_layer_info {
    int units;         /* n_out of this layer */
    int fan_in;        /* n_in of this layer */
    nnrt_act act;
    float slope;       /* the activation's parameter (leaky_relu's slope, elu's alpha);
                          0 when it has none */
    size_t w_offset;   /* W: units x fan_in, row-major (row j = unit j), floats from params[0] */
    size_t b_offset;   /* b: units floats */
    int spec_line;     /* the line of the spec that declared it */
    int literal;       /* 1: W and b are written in the spec (nnrt_model.literal holds them) */
} nnrt_layer_info;

/* The fused step of a tiny model (docs/generated-code.md, "The fused
 * step"): n updates of per-sample SGD with learning rate lr, update s on
 * row idx[s] of x (n_in floats a row) and y (n_out), the same weights to
 * the last bit as loss_grad over that row and update(NNRT_OPT_SGD) each
 * time.  Each update's loss is added to *loss_sum in turn.  Returns the
 * updates done: n, or s < n when the loss of row idx[s] is NaN or inf
 * (that update is not applied). */
typedef long (*nnrt_train_samples_fn)(nnrt_real *params, const nnrt_real *x, const nnrt_real *y,
                                      const long *idx, long n, nnrt_real lr, double *loss_sum);

/* One path of a generated model: its functions for one ISA. */
typedef struct nnrt_path {
    const char *isa; /* "avx512", "avx2", "neon" or "scalar" */
    void (*forward)(const nnrt_real *params, const nnrt_real *x, long m, nnrt_real *out, void *ws);
    double (*loss_grad)(const nnrt_real *params, const nnrt_real *x, const nnrt_real *y, long m,
                        nnrt_real *grad, void *ws);
    void (*update)(nnrt_real *params, const nnrt_real *grad, nnrt_real *state, const nnrt_optim *opt,
                   long t);
    nnrt_train_samples_fn train_samples; /* NULL: no fused step on this path */
    void (*update_range)(nnrt_real *params, const nnrt_real *grad, nnrt_real *state, const nnrt_optim *opt,
                         long t, long i0, long i1);
} nnrt_path;

/* Which path of a file generated with --isa all runs (its <name>_dispatch;
 * docs/generated-code.md, "Choosing the path").  The file's constructor
 * calls nnrt_dispatch_init at start-up; the model's exported functions call
 * `path`'s.  Changed only by nnrt_dispatch_init and nnrt_model_select,
 * before any thread runs the model. */
typedef struct nnrt_dispatch {
    const nnrt_path *paths; /* every path compiled in, best first; the last is scalar */
    int n_paths;
    const nnrt_path *path;  /* the one that runs */
    char isa[16];           /* path->isa: the descriptor's isa points here */
    char why[48];           /* "best this CPU has", "forced by NNGEN_ISA", "forced by --isa" */
    nnrt_err refused;       /* NNGEN_ISA named a path that cannot run here: why ("" if not) */
} nnrt_dispatch;

/*
 * A generated model.  Filled in by the generated file as
 *     const nnrt_model <name>_model;
 * All pointers point to static data.  The three functions never allocate;
 * `ws` is caller-owned scratch of `ws_bytes` bytes, aligned to
 * NNRT_ALIGN_BYTES (nnrt_alloc gives such memory), that may not be shared
 * between threads running at the same time.
 *
 * x: m rows of n_in floats (one row per sample, contiguous).
 * y: m rows of n_out floats (targets; one-hot rows for NNRT_LOSS_CCE).
 */
typedef struct nnrt_model {
    unsigned abi;              /* NNRT_ABI_VERSION */
    const char *name;          /* C prefix, from the spec's `model` line or its file name */
    const char *spec_file;     /* as given to nngen */
    const char *isa;           /* the path that runs: "avx512", "avx2", "neon" or "scalar" */
    const char *nngen_version;
    int n_in, n_out, n_layers;
    int input_rank;            /* 1 for `input N`, 3 for `input 64x64x3` */
    int input_shape[4];
    const nnrt_layer_info *layers; /* n_layers rows */
    nnrt_loss loss;
    size_t n_params;           /* floats in the parameter array, padding included */
    size_t n_weights;          /* real parameters (no padding): sum of units*(fan_in+1) */
    size_t ws_bytes;           /* scratch for forward / loss_grad, any m */
    uint64_t signature;        /* FNV-1a over the shape (n_in, units, activations, loss) */
    double flops_fwd;          /* per sample, forward pass */
    double flops_train;        /* per sample, forward + backward (update excluded) */
    nnrt_train_cfg defaults;

    /* out: m rows of n_out floats (probabilities for sigmoid/softmax). */
    void (*forward)(const nnrt_real *params, const nnrt_real *x, long m, nnrt_real *out, void *ws);
    /* Mean loss over the m samples; grad (n_params floats) is OVERWRITTEN
     * with the gradient of that mean loss.  Padding entries of grad are 0. */
    double (*loss_grad)(const nnrt_real *params, const nnrt_real *x, const nnrt_real *y, long m,
                        nnrt_real *grad, void *ws);
    /* One optimizer step.  state: 0 floats (sgd), n_params (momentum) or
     * 2*n_params (adam), zero before the first step; t counts steps from 1. */
    void (*update)(nnrt_real *params, const nnrt_real *grad, nnrt_real *state, const nnrt_optim *opt,
                   long t);
    /* --isa all: the paths and which one runs (forward, loss_grad and update
     * above call its functions); NULL for a file generated with one --isa. */
    nnrt_dispatch *dispatch;
    /* The weights written in the spec (`weights` and `bias` lines,
     * docs/spec.md): n_params floats in the parameter layout, the layers
     * with literal == 1 filled, the rest 0; NULL when no layer has them.
     * nnrt_init_params copies them over the init rule's values. */
    const nnrt_real *literal;
    /* The fused step, for models of at most 128 parameters (NULL: none).
     * With a dispatch, the chosen path's (dispatch->path->train_samples;
     * this returns -1 when that is NULL). */
    nnrt_train_samples_fn train_samples;
    /* update over parameters [i0, i1) alone, multiples of NNRT_ALIGN_FLOATS:
     * ranges that cover [0, n_params), in any order or at once on several
     * threads, make exactly the update of `update` (each parameter's step
     * is its own). */
    void (*update_range)(nnrt_real *params, const nnrt_real *grad, nnrt_real *state, const nnrt_optim *opt,
                         long t, long i0, long i1);
} nnrt_model;

/* Optimizer state size in floats for a given optimizer. */
size_t nnrt_state_floats(const nnrt_model *m, nnrt_opt_kind kind);

/* 64-byte aligned, zero-filled; NULL on failure.  Free with nnrt_free. */
void *nnrt_alloc(size_t bytes);
void nnrt_free(void *p);

/* ------------------------------------------------------------------ */
/* 2. Vector math, in place over n contiguous floats                    */
/* ------------------------------------------------------------------ */
/* Each function exists for every ISA the runtime was built with, all from
 * one source (runtime/nnrt_math_impl.h over a layer per ISA):
 *   nnrt_scalar_*  always (plain C loops, libm);
 *   nnrt_avx2_*    on x86-64 (SLEEF Sleef_*f8_u10, AVX2+FMA; the caller
 *                  must only call them on a CPU with AVX2 and FMA);
 *   nnrt_avx512_*  on x86-64 (SLEEF Sleef_*f16_u10, AVX-512F; only on a
 *                  CPU with nnrt_cpu_has("avx512"));
 *   nnrt_neon_*    on aarch64 (SLEEF Sleef_*f4_u10).
 * Sigmoid is 1/(1+exp(-x)) computed without overflow: -1000 -> 0, 1000 -> 1,
 * never NaN for finite input.  Softmax rows are max-shifted. */
#define NNRT_DECLARE_MATH(isa)                                                  \
    void nnrt_##isa##_sigmoid(float *x, long n);                                \
    void nnrt_##isa##_tanh(float *x, long n);                                   \
    void nnrt_##isa##_relu(float *x, long n);                                   \
    void nnrt_##isa##_leaky_relu(float *x, long n, float slope);                \
    void nnrt_##isa##_elu(float *x, long n, float alpha);                       \
    void nnrt_##isa##_step(float *x, long n);                                   \
    void nnrt_##isa##_exp(float *x, long n);                                    \
    void nnrt_##isa##_log(float *x, long n);                                    \
    void nnrt_##isa##_softmax_rows(float *x, long rows, long cols);             \
    void nnrt_##isa##_log_softmax_rows(float *x, long rows, long cols);
NNRT_DECLARE_MATH(scalar)
#if defined(__x86_64__) || defined(_M_X64)
NNRT_DECLARE_MATH(avx2)
NNRT_DECLARE_MATH(avx512)
#endif
#if defined(__aarch64__)
NNRT_DECLARE_MATH(neon)
#endif
#undef NNRT_DECLARE_MATH

/* tanh over a few floats: for the units of a layer narrower than one
 * vector (generated code calls it when units < lanes).  Computed in double
 * (4 lanes on AVX2, 8 on AVX-512, 2 on NEON) with a lower latency than
 * SLEEF's tanhf on a whole vector, and rounded to float once: within
 * 0.50001 ulp (docs/runtime-math.md).  Any n; the same result for an
 * element wherever it sits, and the same bits on every ISA. */
#if defined(__x86_64__) || defined(_M_X64)
void nnrt_avx2_tanh_short(float *x, long n);
void nnrt_avx512_tanh_short(float *x, long n);
#endif
#if defined(__aarch64__)
void nnrt_neon_tanh_short(float *x, long n);
#endif

/* Double versions of the scalar activations, used by code nngen emits
 * with --dtype double (gradient verification). */
void nnrt_scalar_sigmoid_d(double *x, long n);
void nnrt_scalar_tanh_d(double *x, long n);
void nnrt_scalar_relu_d(double *x, long n);
void nnrt_scalar_leaky_relu_d(double *x, long n, double slope);
void nnrt_scalar_elu_d(double *x, long n, double alpha);
void nnrt_scalar_step_d(double *x, long n);
void nnrt_scalar_softmax_rows_d(double *x, long rows, long cols);

/* The best path this CPU runs: "avx512", "avx2", "neon" or "scalar". */
const char *nnrt_best_isa(void);
/* 1 if the running CPU (and its OS, which must save the vector registers)
 * can run path `isa`: "scalar" always; "avx2" with AVX2 and FMA; "avx512"
 * with AVX-512F, AVX2 and FMA (x86-64 only); "neon" on aarch64.  0 for
 * any other name. */
int nnrt_cpu_has(const char *isa);
/* The CPU feature path `isa` needs that this CPU lacks ("avx512f", "fma",
 * "neon"; an unknown name itself), or NULL when nnrt_cpu_has(isa). */
const char *nnrt_cpu_lacks(const char *isa);
/* nnrt_cpu_has("avx2"). */
int nnrt_cpu_has_avx2(void);

/* Start-up choice of a generated file's path (its constructor calls it):
 * the path the environment's NNGEN_ISA names (why "forced by NNGEN_ISA")
 * if the file has it and the CPU runs it, else the first the CPU runs
 * ("best this CPU has"), and then d->refused.msg says why NNGEN_ISA's
 * could not run. */
void nnrt_dispatch_init(nnrt_dispatch *d);
/* Model m runs path `isa` from now on (NULL: the one chosen at start-up),
 * forced by `by` ("--isa"): 0, or -1 with one line in e when m has no such
 * path, the CPU cannot run it, or NNGEN_ISA was refused at start-up; a
 * file of one path accepts only its own.  Call it before any thread runs
 * the model. */
int nnrt_model_select(const nnrt_model *m, const char *isa, const char *by, nnrt_err *e);
/* Why m runs the path it does: "best this CPU has", "forced by NNGEN_ISA",
 * ..., or "the only path compiled in" for a file of one --isa. */
const char *nnrt_model_why(const nnrt_model *m);

/* ------------------------------------------------------------------ */
/* 3. Losses                                                            */
/* ------------------------------------------------------------------ */
/* Elementwise, finite for outputs of exactly 0 or 1 (probabilities are
 * clamped to [1e-7, 1 - 1e-7] for the log).  Sums, not means. */
double nnrt_bce_sum(const nnrt_real *p, const nnrt_real *y, long n);
/* From logits z (p = sigmoid(z)): log(1+exp(z)) - y*z, stable for any z. */
double nnrt_bce_logits_sum(const float *z, const float *y, long n);
double nnrt_mse_sum(const nnrt_real *p, const nnrt_real *y, long n); /* sum (p-y)^2 */
/* rows x cols probabilities vs one-hot (or soft) targets: -sum y*log p. */
double nnrt_cce_sum(const nnrt_real *p, const nnrt_real *y, long rows, long cols);
/* Double twins for --dtype double. */
double nnrt_bce_sum_d(const double *p, const double *y, long n);
double nnrt_mse_sum_d(const double *p, const double *y, long n);
double nnrt_cce_sum_d(const double *p, const double *y, long rows, long cols);

/* ------------------------------------------------------------------ */
/* 4. Random numbers and initialisation                                 */
/* ------------------------------------------------------------------ */
typedef struct nnrt_rng {
    uint64_t s[4]; /* xoshiro256** */
} nnrt_rng;

void nnrt_rng_seed(nnrt_rng *r, uint64_t seed); /* splitmix64 expansion */
uint64_t nnrt_rng_next(nnrt_rng *r);
double nnrt_rng_uniform(nnrt_rng *r);            /* [0, 1) */
double nnrt_rng_normal(nnrt_rng *r);             /* N(0, 1) */
long nnrt_rng_below(nnrt_rng *r, long n);        /* [0, n), unbiased */
void nnrt_rng_shuffle(nnrt_rng *r, long *idx, long n); /* Fisher-Yates */

/* Fill params (n_params floats) by the rule `init`, then the layers whose
 * weights the spec writes (m->literal) with those; padding stays 0.
 * The numpy rules take the seed as np.random.seed does, in [0, 2^32): a
 * larger seed is cut to its low 32 bits (the trainer refuses one). */
void nnrt_init_params(const nnrt_model *m, nnrt_real *params, nnrt_init init, uint64_t seed);

/* numpy's legacy global generator (runtime/nnrt_np_random.c): MT19937 as
 * np.random.seed(seed) seeds it, np.random.random_sample() and
 * np.random.randn(), the same numbers as numpy on the same C library. */
typedef struct nnrt_np_rng {
    uint32_t mt[624];
    int pos;
    int has_gauss; /* randn's polar method makes two normals, keeps one */
    double gauss;
} nnrt_np_rng;
void nnrt_np_seed(nnrt_np_rng *r, uint32_t seed); /* np.random.seed(seed) */
uint32_t nnrt_np_next32(nnrt_np_rng *r);          /* the raw 32-bit draw */
double nnrt_np_double(nnrt_np_rng *r);            /* np.random.random_sample() */
double nnrt_np_gauss(nnrt_np_rng *r);             /* np.random.randn() */
/* 1 for the NNRT_INIT_NUMPY* rules. */
int nnrt_init_is_numpy(nnrt_init init);
/* The next initial weight of a numpy rule, in double, computed as its
 * notebook does (NNRT_INIT_NUMPY: randn() / sqrt(fan_in)). */
double nnrt_np_init_weight(nnrt_np_rng *r, nnrt_init init, int fan_in, int fan_out);
/* nnrt_init_params for a numpy rule. */
void nnrt_np_init_params(const nnrt_model *m, nnrt_real *params, nnrt_init init, uint64_t seed);

/* ------------------------------------------------------------------ */
/* 5. Data sets                                                         */
/* ------------------------------------------------------------------ */
typedef struct nnrt_dataset {
    long m;           /* samples */
    int n_features;   /* floats per sample in x */
    int label_cols;   /* floats per sample in y: 1 for a class label, k for regression */
    nnrt_real *x;     /* m x n_features, the only copy of the features */
    nnrt_real *y;     /* m x label_cols */
    char path[256];   /* where it came from, for messages */
} nnrt_dataset;

typedef enum nnrt_format {
    NNRT_FMT_AUTO = 0, /* by magic bytes, then by extension */
    NNRT_FMT_HDF5,
    NNRT_FMT_CSV,
    NNRT_FMT_IDX,
    NNRT_FMT_NPY,      /* numpy .npy (features; labels in a second .npy) */
    NNRT_FMT_NPZ,      /* numpy .npz (arrays x_name, y_name) */
    NNRT_FMT_TSV       /* CSV with tabs between the columns */
} nnrt_format;

typedef struct nnrt_load_opts {
    nnrt_format format;
    const char *labels_path; /* IDX, .npy: the labels file; NULL = derive from the features' name */
    const char *x_name;      /* HDF5 dataset or .npz array of features; NULL = first of
                                train_set_x, test_set_x, x, X */
    const char *y_name;      /* HDF5 dataset or .npz array of labels; NULL = likewise *_set_y, y, Y */
    nnrt_real scale;         /* multiply uint8 features by this; 0 = default: divide by 255 */
    int label_col;           /* CSV: column of the label, -1 = last */
    int label_cols;          /* CSV: number of target columns (regression); 0 = 1 */
    int header;              /* CSV: -1 = auto-detect, 0 = none, 1 = first line is a header */
    int features;            /* CSV: a file of exactly this many columns holds features only
                                (label_cols 0, y NULL), unless label_col is given; 0 = never.
                                .npy/.npz: when > 0, no labels are read unless named */
    const nnrt_model *model; /* if set: samples that are not model->n_in features are refused
                                before the data is read or memory allocated for it */
    size_t max_bytes;        /* the data set's arrays (x and y, as float) may take at most this
                                many bytes; 0 = NNRT_DATA_MAX_BYTES */
    int threads;             /* gzip'd IDX bytes: 2 or more turns them into floats on this
                                many threads, and makes the floats' pages present while
                                the file is inflated; 0 or 1 = one thread (docs/data.md) */
} nnrt_load_opts;

/* The loaders' limits (docs/limits.md), each checked before anything is
 * allocated: a file beyond them gets one line.  Besides max_bytes, no
 * data set takes more than the machine's physical memory. */
#define NNRT_DATA_MAX_BYTES ((size_t)8 << 30) /* 8 GiB of floats */
#define NNRT_MAX_VALUES (1 << 24)             /* values per sample: features, label columns */
#define NNRT_CSV_MAX_LINE (64L << 20)         /* bytes in one CSV line */

void nnrt_load_opts_default(nnrt_load_opts *o);
int nnrt_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e);
void nnrt_dataset_free(nnrt_dataset *d);
/* Checks n_features == model n_in, labels fit the loss/output layer
 * (0/1 for bce, 0..k-1 integers for cce, finite everywhere), m > 0. */
int nnrt_dataset_check(const nnrt_dataset *d, const nnrt_model *m, nnrt_err *e);
/* Target rows for samples idx[0..n) (idx NULL = 0..n): y_out is n x m->n_out
 * (one-hot for cce, the label(s) otherwise). */
void nnrt_make_targets(const nnrt_dataset *d, const nnrt_model *m, const long *idx, long n,
                       nnrt_real *y_out);

/* ------------------------------------------------------------------ */
/* 6. Weights files (docs/weights.md)                                   */
/* ------------------------------------------------------------------ */
typedef struct nnrt_checkpoint {
    long step;           /* updates done so far */
    long epoch;          /* epochs done so far */
    nnrt_opt_kind optimizer;
    const nnrt_real *state; /* save: optimizer state or NULL; */
    size_t state_floats;
} nnrt_checkpoint;

/* Written atomically: PATH.tmp.XXXXXX, fsync, rename over PATH. */
int nnrt_weights_save(const char *path, const nnrt_model *m, const nnrt_real *params,
                      const nnrt_checkpoint *ck, nnrt_err *e);
/* params: n_params floats.  state_out may be NULL; if the file holds
 * optimizer state of a matching kind it is copied there and *ck says so. */
int nnrt_weights_load(const char *path, const nnrt_model *m, nnrt_real *params, nnrt_real *state_out,
                      size_t state_cap, nnrt_checkpoint *ck, nnrt_err *e);

/* ------------------------------------------------------------------ */
/* 7. The training driver                                               */
/* ------------------------------------------------------------------ */
/* The whole command-line program (train / predict / gradcheck); see
 * `--help`.  Returns the process exit status. */
int nnrt_main(const nnrt_model *m, int argc, char **argv);

/* Gradient check on samples x/y (m of them): compares m->loss_grad with
 * central differences of the loss over up to `max_params` parameters
 * (chosen evenly).  Returns the largest relative error
 * |g - fd| / max(|g| + |fd|, floor).  */
double nnrt_gradcheck(const nnrt_model *m, const nnrt_real *params, const nnrt_real *x, const nnrt_real *y,
                      long n, long max_params, double h, double floor, nnrt_err *e);

#ifdef __cplusplus
}
#endif
#endif /* NNRT_H */
