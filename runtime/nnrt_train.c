/*
 * nnrt_train.c -- nnrt_main, the command-line program every generated
 * model becomes: train, evaluate, save/load/resume, predict, gradcheck.
 * The user's guide is docs/trainer.md; `PROG --help` lists every flag.
 *
 * Flow:  parse flags -> load weights (--load/--resume) or initialise ->
 *        load data -> train (full batch straight from the data set, or
 *        shuffled mini-batches gathered into one batch buffer) with
 *        evaluations every --eval-every -> summary -> --save -> --predict.
 *
 * Exit status: 0 ok, 1 data or file error (and a failed --gradcheck),
 * 2 usage error, 3 training diverged, 130 interrupted (SIGINT/SIGTERM).
 *
 * Memory: the data sets' one float copy each, the training targets (built
 * once), a batch buffer (mini-batches of 2 or more), parameters and
 * optimizer state twice (the last checked copy, for divergence), gradient,
 * the model's workspace and an evaluation buffer of at most TR_EVAL_CHUNK
 * rows.
 *
 * Per step the loop does no more than it must: the batch is a pointer into
 * the data set (full batch, batch 1) or rows gathered from it, the clock is
 * read once per chunk of steps (TR_CHUNK_SECS), and the parameters are
 * checked for NaN/inf only every so often (tr_train explains why that
 * reports exactly what a check after every step would).
 *
 * Determinism: the initial weights come from nnrt_init_params(seed), and
 * the order of epoch e from a generator seeded by (seed, e) alone, so the
 * same flags give the same weights bit for bit, and a run resumed from a
 * checkpoint continues exactly as the uninterrupted run would have.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nnrt.h"
#include "nnrt_file.h"

enum {
    TR_EXIT_OK = 0,
    TR_EXIT_DATA = 1,
    TR_EXIT_USAGE = 2,
    TR_EXIT_DIVERGED = 3,
    TR_EXIT_INTERRUPTED = 130
};

#define TR_EVAL_CHUNK 4096L      /* rows per forward call when evaluating */
#define TR_GC_SAMPLES 16L        /* --gradcheck: the first this many samples */
#define TR_GC_PARAMS 200L        /* --gradcheck: at most this many parameters */
#define TR_GC_H 1e-3             /* --gradcheck: finite-difference step */
#define TR_GC_FLOOR 1e-2         /* --gradcheck: denominator floor */
#define TR_GC_LIMIT 1e-2         /* --gradcheck: pass if the error is at most this */
#define TR_LIVE_PERIOD 0.1       /* seconds between live-line refreshes */
#define TR_CHUNK_SECS 0.01       /* seconds of steps between clock readings */
#define TR_CHECK_SHARE 0.01      /* at most this share of training time checks parameters */

#if defined(__GNUC__)
#define TR_NOINLINE __attribute__((noinline))
#else
#define TR_NOINLINE
#endif

/* ------------------------------------------------------------------ */
/* Options: one table, one row per flag                                 */
/* ------------------------------------------------------------------ */

typedef enum tr_kind {
    TK_FLAG,  /* no value */
    TK_STR,   /* a file or a name */
    TK_COUNT, /* integer >= 1 */
    TK_INDEX, /* integer >= 0 */
    TK_POS,   /* finite float > 0 */
    TK_FRAC,  /* finite float in [0, 1) */
    TK_BATCH, /* integer >= 1 or "full" */
    TK_OPT,   /* sgd | momentum | adam */
    TK_INIT,  /* zeros | small | course | xavier | he */
    TK_SEED   /* unsigned 64-bit integer */
} tr_kind;

typedef struct tr_opts {
    const char *train, *test, *train_labels, *test_labels, *x_name, *y_name;
    long label_col;
    float scale;
    long epochs, iterations, batch, eval_every;
    float lr, beta1, beta2, eps;
    long optimizer, init;
    uint64_t seed;
    const char *save, *load, *resume, *predict, *out, *log;
    long gradcheck, quiet, json, help, info;
    unsigned long long given; /* bit i: row i of tr_flags was given */
} tr_opts;

typedef struct tr_flag {
    const char *name;
    tr_kind kind;
    size_t off; /* of the field in tr_opts */
    const char *meta;
    const char *help;
} tr_flag;

#define TR_OFF(f) offsetof(tr_opts, f)

static const tr_flag tr_flags[] = {
    {"--train", TK_STR, TR_OFF(train), "FILE", "training data (HDF5, CSV, IDX or IDX.gz)"},
    {"--test", TK_STR, TR_OFF(test), "FILE", "test data, evaluated alongside"},
    {"--train-labels", TK_STR, TR_OFF(train_labels), "FILE",
     "IDX labels of --train (default: derived from its name)"},
    {"--test-labels", TK_STR, TR_OFF(test_labels), "FILE", "IDX labels of --test"},
    {"--x-name", TK_STR, TR_OFF(x_name), "NAME", "HDF5 dataset of the features"},
    {"--y-name", TK_STR, TR_OFF(y_name), "NAME", "HDF5 dataset of the labels"},
    {"--label-col", TK_INDEX, TR_OFF(label_col), "N", "CSV: column of the label, from 0 (default: last)"},
    {"--scale", TK_POS, TR_OFF(scale), "F", "multiply uint8 features by F (default 1/255)"},
    {"--epochs", TK_COUNT, TR_OFF(epochs), "N", "train for N passes over the data"},
    {"--iterations", TK_COUNT, TR_OFF(iterations), "N", "train for N parameter updates"},
    {"--lr", TK_POS, TR_OFF(lr), "F", "learning rate"},
    {"--batch", TK_BATCH, TR_OFF(batch), "N|full", "samples per update (1 = per-sample SGD)"},
    {"--optimizer", TK_OPT, TR_OFF(optimizer), "NAME", "sgd, momentum or adam"},
    {"--beta1", TK_FRAC, TR_OFF(beta1), "F", "momentum / Adam first-moment decay"},
    {"--beta2", TK_FRAC, TR_OFF(beta2), "F", "Adam second-moment decay"},
    {"--eps", TK_POS, TR_OFF(eps), "F", "Adam epsilon"},
    {"--init", TK_INIT, TR_OFF(init), "NAME", "zeros, small, course, xavier or he"},
    {"--seed", TK_SEED, TR_OFF(seed), "N", "seed of the initial weights and the shuffle"},
    {"--eval-every", TK_COUNT, TR_OFF(eval_every), "N",
     "evaluate every N epochs (--epochs) or steps (--iterations); default: ~20 per run"},
    {"--save", TK_STR, TR_OFF(save), "FILE", "write weights + optimizer state at the end"},
    {"--load", TK_STR, TR_OFF(load), "FILE", "start from these weights (step 0)"},
    {"--resume", TK_STR, TR_OFF(resume), "FILE",
     "continue a saved run: weights, optimizer state and step"},
    {"--predict", TK_STR, TR_OFF(predict), "FILE",
     "write the outputs and class of each sample of FILE"},
    {"--out", TK_STR, TR_OFF(out), "FILE", "--predict output file (default: stdout)"},
    {"--gradcheck", TK_FLAG, TR_OFF(gradcheck), NULL,
     "compare backprop with finite differences on --train; exit 1 if off"},
    {"--log", TK_STR, TR_OFF(log), "FILE.csv", "one CSV row per evaluation"},
    {"--json", TK_FLAG, TR_OFF(json), NULL, "end with a one-line JSON summary"},
    {"--quiet", TK_FLAG, TR_OFF(quiet), NULL, "no progress output"},
    {"--info", TK_FLAG, TR_OFF(info), NULL, "describe the model and exit"},
    {"--help", TK_FLAG, TR_OFF(help), NULL, "this text"},
};
#define TR_NFLAGS ((int)(sizeof tr_flags / sizeof tr_flags[0]))

static const char *const tr_opt_names[] = {"sgd", "momentum", "adam", NULL};
static const char *const tr_init_names[] = {"zeros", "small", "course", "xavier", "he", NULL};
static const char *const tr_act_names[] = {"identity", "sigmoid", "tanh",
                                           "relu",     "leaky_relu", "softmax"};
static const char *const tr_loss_names[] = {"bce", "mse", "cce"};

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

static const char *tr_prog = "nnrt";

static void tr_msg(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* One line on stderr: "PROG: message". */
static void tr_msg(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", tr_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *tr_basename(const char *p)
{
    if (!p || !*p)
        return "nnrt";
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

static size_t tr_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (lb >= 63 || la >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The flag closest to `w`, or NULL if none is close. */
static const char *tr_did_you_mean(const char *w)
{
    const char *best = NULL;
    size_t bd = (size_t)-1, wl = strlen(w);
    for (int i = 0; i < TR_NFLAGS; i++) {
        const char *n = tr_flags[i].name;
        size_t d = tr_edit_distance(w, n);
        /* a unique-looking prefix ("--pred") counts as close */
        if (wl >= 4 && strncmp(n, w, wl) == 0)
            d = 1;
        if (d < bd) {
            bd = d;
            best = n;
        }
    }
    size_t limit = wl / 3 > 2 ? wl / 3 : 2;
    return bd <= limit ? best : NULL;
}

/* ------------------------------------------------------------------ */
/* Parsing values                                                       */
/* ------------------------------------------------------------------ */

static int tr_word(const char *flag, const char *v, const char *const *words, long *out)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(v, words[i]) == 0) {
            *out = i;
            return 0;
        }
    char list[128] = "";
    size_t len = 0;
    for (int i = 0; words[i]; i++) {
        int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", words[i]);
        if (k < 0 || (size_t)k >= sizeof list - len)
            break;
        len += (size_t)k;
    }
    tr_msg("%s: '%s' is not one of %s", flag, v, list);
    return -1;
}

static int tr_long(const char *flag, const char *v, long min, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0') {
        char *fend;
        double d = strtod(v, &fend);
        if (fend != v && *fend == '\0' && isfinite(d))
            tr_msg("%s: '%s' is not a whole number", flag, v);
        else
            tr_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    if (errno == ERANGE) {
        tr_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    if (x < min) {
        tr_msg("%s: '%s' must be %s", flag, v, min >= 1 ? "at least 1" : "0 or more");
        return -1;
    }
    *out = x;
    return 0;
}

static int tr_float(const char *flag, const char *v, tr_kind kind, float *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || isnan(x)) {
        tr_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    if (!isfinite(x) || errno == ERANGE || fabs(x) > 3.0e38) {
        tr_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    if (kind == TK_POS && !(x > 0.0)) {
        tr_msg("%s: '%s' must be positive", flag, v);
        return -1;
    }
    if (kind == TK_FRAC && !(x >= 0.0 && x < 1.0)) {
        tr_msg("%s: '%s' must be in [0, 1)", flag, v);
        return -1;
    }
    *out = (float)x;
    return 0;
}

static int tr_seed(const char *flag, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*v == '-' || *v == '+' || *v == ' ') {
        tr_msg("%s: '%s' must be a non-negative whole number", flag, v);
        return -1;
    }
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end != '\0') {
        tr_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    if (errno == ERANGE) {
        tr_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

static int tr_set(tr_opts *o, const tr_flag *f, const char *v)
{
    char *base = (char *)o + f->off;
    switch (f->kind) {
    case TK_FLAG:
        *(long *)(void *)base = 1;
        return 0;
    case TK_STR:
        if (!*v) {
            tr_msg("%s: empty %s", f->name, f->meta ? f->meta : "value");
            return -1;
        }
        *(const char **)(void *)base = v;
        return 0;
    case TK_COUNT:
        return tr_long(f->name, v, 1, (long *)(void *)base);
    case TK_INDEX:
        return tr_long(f->name, v, 0, (long *)(void *)base);
    case TK_POS:
    case TK_FRAC:
        return tr_float(f->name, v, f->kind, (float *)(void *)base);
    case TK_BATCH:
        if (strcmp(v, "full") == 0) {
            *(long *)(void *)base = 0;
            return 0;
        }
        if (tr_long(f->name, v, 1, (long *)(void *)base)) {
            return -1;
        }
        return 0;
    case TK_OPT:
        return tr_word(f->name, v, tr_opt_names, (long *)(void *)base);
    case TK_INIT:
        return tr_word(f->name, v, tr_init_names, (long *)(void *)base);
    case TK_SEED:
        return tr_seed(f->name, v, (uint64_t *)(void *)base);
    }
    return -1;
}

static int tr_given(const tr_opts *o, const char *name)
{
    for (int i = 0; i < TR_NFLAGS; i++)
        if (strcmp(tr_flags[i].name, name) == 0)
            return (o->given >> i) & 1u;
    return 0;
}

/* 0 ok, TR_EXIT_USAGE on a bad command line (message printed). */
static int tr_parse(tr_opts *o, const nnrt_model *m, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    const nnrt_train_cfg *d = &m->defaults;
    o->label_col = -1;
    o->lr = d->lr;
    o->epochs = d->epochs;
    o->iterations = d->iterations;
    o->batch = d->batch;
    o->optimizer = (long)d->optimizer;
    o->beta1 = d->beta1;
    o->beta2 = d->beta2;
    o->eps = d->eps;
    o->init = (long)d->init;
    o->seed = d->seed;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0) {
            o->help = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            tr_msg("unexpected argument '%s' (flags start with --; see --help)", a);
            return TR_EXIT_USAGE;
        }
        char name[64];
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name)
            nl = sizeof name - 1;
        memcpy(name, a, nl);
        name[nl] = '\0';
        int fi = -1;
        for (int k = 0; k < TR_NFLAGS; k++)
            if (strcmp(tr_flags[k].name, name) == 0)
                fi = k;
        if (fi < 0) {
            const char *s = tr_did_you_mean(name);
            if (s)
                tr_msg("unknown flag '%s' (did you mean %s?)", name, s);
            else
                tr_msg("unknown flag '%s' (see --help)", name);
            return TR_EXIT_USAGE;
        }
        const tr_flag *f = &tr_flags[fi];
        const char *v = NULL;
        if (f->kind == TK_FLAG) {
            if (eq) {
                tr_msg("%s takes no value", f->name);
                return TR_EXIT_USAGE;
            }
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            tr_msg("%s needs a value (%s)", f->name, f->meta);
            return TR_EXIT_USAGE;
        }
        if (tr_set(o, f, v))
            return TR_EXIT_USAGE;
        o->given |= 1ull << fi;
    }
    /* --epochs and --iterations replace each other's spec default */
    int ge = tr_given(o, "--epochs"), gi = tr_given(o, "--iterations");
    if (ge && gi) {
        tr_msg("--epochs and --iterations cannot be used together");
        return TR_EXIT_USAGE;
    }
    if (ge)
        o->iterations = 0;
    if (gi)
        o->epochs = 0;
    if (o->epochs <= 0 && o->iterations <= 0)
        o->epochs = 1;
    if (o->load && o->resume) {
        tr_msg("--load and --resume cannot be used together (--resume also loads the weights)");
        return TR_EXIT_USAGE;
    }
    if (o->out && !o->predict) {
        tr_msg("--out FILE is the output of --predict; give --predict FILE too");
        return TR_EXIT_USAGE;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Help and --info                                                      */
/* ------------------------------------------------------------------ */

static void tr_shape(const nnrt_model *m, char *buf, size_t cap)
{
    size_t len = 0;
    int k = snprintf(buf, cap, "%d", m->n_in);
    len = k > 0 ? (size_t)k : 0;
    for (int l = 0; l < m->n_layers && len < cap; l++) {
        k = snprintf(buf + len, cap - len, "-%d %s", m->layers[l].units,
                     (unsigned)m->layers[l].act < 6 ? tr_act_names[m->layers[l].act] : "?");
        if (k < 0)
            break;
        len += (size_t)k;
    }
}

static const char *tr_loss_name(const nnrt_model *m)
{
    return (unsigned)m->loss < 3 ? tr_loss_names[m->loss] : "?";
}

static void tr_default_text(const nnrt_model *m, const tr_flag *f, char *buf, size_t cap)
{
    const nnrt_train_cfg *d = &m->defaults;
    buf[0] = '\0';
    if (strcmp(f->name, "--lr") == 0)
        snprintf(buf, cap, "%g", (double)d->lr);
    else if (strcmp(f->name, "--epochs") == 0 && d->epochs > 0)
        snprintf(buf, cap, "%ld", d->epochs);
    else if (strcmp(f->name, "--iterations") == 0 && d->iterations > 0)
        snprintf(buf, cap, "%ld", d->iterations);
    else if (strcmp(f->name, "--batch") == 0) {
        if (d->batch > 0)
            snprintf(buf, cap, "%ld", d->batch);
        else
            snprintf(buf, cap, "full");
    } else if (strcmp(f->name, "--optimizer") == 0 && (unsigned)d->optimizer < 3)
        snprintf(buf, cap, "%s", tr_opt_names[d->optimizer]);
    else if (strcmp(f->name, "--beta1") == 0)
        snprintf(buf, cap, "%g", (double)d->beta1);
    else if (strcmp(f->name, "--beta2") == 0)
        snprintf(buf, cap, "%g", (double)d->beta2);
    else if (strcmp(f->name, "--eps") == 0)
        snprintf(buf, cap, "%g", (double)d->eps);
    else if (strcmp(f->name, "--init") == 0 && (unsigned)d->init < 5)
        snprintf(buf, cap, "%s", tr_init_names[d->init]);
    else if (strcmp(f->name, "--seed") == 0)
        snprintf(buf, cap, "%llu", (unsigned long long)d->seed);
}

static void tr_help(const nnrt_model *m, FILE *out)
{
    char shape[512];
    tr_shape(m, shape, sizeof shape);
    fprintf(out,
            "usage: %s --train FILE [--test FILE] [flags]   train model '%s'\n"
            "       %s --load FILE --predict FILE [--out FILE]\n"
            "       %s --train FILE --gradcheck\n\n"
            "model '%s': %s, loss %s (from %s, nngen %s, %s path)\n\n"
            "flags (defaults from the spec in brackets):\n",
            tr_prog, m->name, tr_prog, tr_prog, m->name, shape, tr_loss_name(m),
            m->spec_file ? m->spec_file : "?", m->nngen_version ? m->nngen_version : "?",
            m->isa ? m->isa : "?");
    for (int i = 0; i < TR_NFLAGS; i++) {
        const tr_flag *f = &tr_flags[i];
        char left[48], def[64];
        snprintf(left, sizeof left, "%s%s%s", f->name, f->meta ? " " : "", f->meta ? f->meta : "");
        tr_default_text(m, f, def, sizeof def);
        fprintf(out, "  %-22s %s%s%s%s\n", left, f->help, def[0] ? " [" : "", def,
                def[0] ? "]" : "");
    }
    fprintf(out, "\nexit status: 0 ok, 1 data or file error (or --gradcheck above %g), "
                 "2 usage error,\n3 training diverged (NaN/inf loss), 130 interrupted.  "
                 "See docs/trainer.md.\n", TR_GC_LIMIT);
}

static void tr_info(const nnrt_model *m)
{
    char shape[512];
    tr_shape(m, shape, sizeof shape);
    printf("model %s\nspec %s\nnngen %s\nisa %s\nshape %s\nloss %s\n", m->name,
           m->spec_file ? m->spec_file : "?", m->nngen_version ? m->nngen_version : "?",
           m->isa ? m->isa : "?", shape, tr_loss_name(m));
    printf("parameters %zu (%zu floats with padding)\n", m->n_weights, m->n_params);
    printf("flops per sample: forward %.0f, forward+backward %.0f\n", m->flops_fwd,
           m->flops_train);
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        printf("layer %d: %d -> %d %s (W at %zu, b at %zu; spec line %d)\n", l + 1, L->fan_in,
               L->units, (unsigned)L->act < 6 ? tr_act_names[L->act] : "?", L->w_offset,
               L->b_offset, L->spec_line);
    }
}

/* ------------------------------------------------------------------ */
/* Time, signals                                                        */
/* ------------------------------------------------------------------ */

static double tr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile sig_atomic_t tr_stop;

static void tr_on_signal(int sig)
{
    tr_stop = sig;
    /* a second ^C kills as usual */
    signal(sig, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */
/* ------------------------------------------------------------------ */

static void tr_load_opts(const tr_opts *o, const nnrt_model *m, const char *labels,
                         nnrt_load_opts *lo)
{
    nnrt_load_opts_default(lo);
    lo->labels_path = labels;
    lo->x_name = o->x_name;
    lo->y_name = o->y_name;
    lo->scale = o->scale;
    lo->label_col = (int)o->label_col;
    lo->label_cols = m->loss == NNRT_LOSS_CCE ? 1 : m->n_out;
}

/* Load and check a labelled data set; 0 or TR_EXIT_DATA (message printed). */
static int tr_load_set(const tr_opts *o, const nnrt_model *m, const char *path,
                       const char *labels, nnrt_dataset *d)
{
    nnrt_load_opts lo;
    nnrt_err e = {""};
    tr_load_opts(o, m, labels, &lo);
    if (nnrt_load(path, &lo, d, &e) || nnrt_dataset_check(d, m, &e)) {
        tr_msg("%s", e.msg);
        nnrt_dataset_free(d);
        return TR_EXIT_DATA;
    }
    return 0;
}

/* Samples to predict: labels optional.  A CSV of exactly n_in columns is
 * all features (the loader took its last column as a label: put it back). */
static int tr_load_inputs(const tr_opts *o, const nnrt_model *m, nnrt_dataset *d)
{
    nnrt_load_opts lo;
    nnrt_err e = {""};
    tr_load_opts(o, m, NULL, &lo);
    if (nnrt_load(o->predict, &lo, d, &e)) {
        tr_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    if (d->n_features != m->n_in && d->n_features + d->label_cols == m->n_in &&
        o->label_col < 0) {
        size_t nf = (size_t)d->n_features, k = (size_t)d->label_cols, ni = (size_t)m->n_in;
        float *x = malloc((size_t)d->m * ni * sizeof(float) + 1);
        if (!x) {
            tr_msg("%s: out of memory", o->predict);
            nnrt_dataset_free(d);
            return TR_EXIT_DATA;
        }
        for (long i = 0; i < d->m; i++) {
            memcpy(x + (size_t)i * ni, d->x + (size_t)i * nf, nf * sizeof(float));
            memcpy(x + (size_t)i * ni + nf, d->y + (size_t)i * k, k * sizeof(float));
        }
        free(d->x);
        d->x = x;
        d->n_features = m->n_in;
    }
    if (d->m <= 0) {
        tr_msg("%s: no samples", o->predict);
        nnrt_dataset_free(d);
        return TR_EXIT_DATA;
    }
    if (d->n_features != m->n_in) {
        tr_msg("%s: %d features per sample, but model '%s' takes %d", o->predict,
               d->n_features, m->name, m->n_in);
        nnrt_dataset_free(d);
        return TR_EXIT_DATA;
    }
    size_t n = (size_t)d->m * (size_t)d->n_features;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d->x[i])) {
            tr_msg("%s: sample %zu, feature %zu is %s", o->predict, i / (size_t)d->n_features,
                   i % (size_t)d->n_features, isnan(d->x[i]) ? "NaN" : "inf");
            nnrt_dataset_free(d);
            return TR_EXIT_DATA;
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                           */
/* ------------------------------------------------------------------ */

typedef struct tr_metrics {
    double loss;     /* mean, as loss_grad defines it */
    double acc;      /* bce/cce: fraction right; mse: RMSE */
    long right, total;
} tr_metrics;

typedef struct tr_ctx {
    const nnrt_model *m;
    void *ws;
    float *ebuf; /* eval outputs: TR_EVAL_CHUNK x n_out */
    float *ybuf; /* eval targets: same */
    long echunk;
} tr_ctx;

static void tr_eval(const tr_ctx *c, const nnrt_dataset *d, const float *params, tr_metrics *r)
{
    const nnrt_model *m = c->m;
    long no = m->n_out;
    double sum = 0.0;
    long right = 0, total = 0;
    for (long i0 = 0; i0 < d->m; i0 += c->echunk) {
        long rows = d->m - i0 < c->echunk ? d->m - i0 : c->echunk;
        nnrt_dataset view = *d;
        view.x = d->x + (size_t)i0 * (size_t)d->n_features;
        view.y = d->y + (size_t)i0 * (size_t)d->label_cols;
        view.m = rows;
        m->forward(params, view.x, rows, c->ebuf, c->ws);
        nnrt_make_targets(&view, m, NULL, rows, c->ybuf);
        const float *p = c->ebuf, *y = c->ybuf;
        switch (m->loss) {
        case NNRT_LOSS_BCE:
            sum += nnrt_bce_sum(p, y, rows * no);
            for (long k = 0; k < rows * no; k++)
                right += (p[k] >= 0.5f) == (y[k] >= 0.5f);
            total += rows * no;
            break;
        case NNRT_LOSS_CCE:
            sum += nnrt_cce_sum(p, y, rows, no);
            for (long i = 0; i < rows; i++) {
                long best = 0;
                for (long j = 1; j < no; j++)
                    if (p[i * no + j] > p[i * no + best])
                        best = j;
                right += y[i * no + best] >= 0.5f;
            }
            total += rows;
            break;
        default:
            sum += nnrt_mse_sum(p, y, rows * no);
            total += rows * no;
            break;
        }
    }
    r->right = right;
    r->total = total;
    if (m->loss == NNRT_LOSS_MSE) {
        r->loss = sum / (double)total;
        r->acc = sqrt(r->loss);
    } else {
        r->loss = sum / (double)d->m;
        r->acc = (double)right / (double)total;
    }
}

/* ------------------------------------------------------------------ */
/* Progress                                                             */
/* ------------------------------------------------------------------ */

typedef struct tr_run {
    const nnrt_model *m;
    const tr_opts *o;
    int tty;             /* stderr is a terminal: live line */
    int live_shown;      /* a live line is on screen */
    double t0, last_live;
    long step0, total, spe; /* first step, last step, steps per epoch */
    long mtrain;
    double samples;      /* trained since t0 */
    double train_secs;   /* inside loss_grad + update */
    double run_loss;     /* batch losses since the last live refresh */
    long run_n;
    tr_metrics tr, te;
    int have_eval, have_test;
    FILE *log;
} tr_run;

/* Epochs done after `step` updates: "12" on an epoch boundary, else "12.34". */
static void tr_fmt_epoch(long step, long spe, char *buf, size_t cap)
{
    if (step % spe == 0)
        snprintf(buf, cap, "%ld", step / spe);
    else
        snprintf(buf, cap, "%.2f", (double)step / (double)spe);
}

static void tr_fmt_eta(double s, char *buf, size_t cap)
{
    if (!(s >= 0.0) || s > 1e8) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void tr_clear_live(tr_run *r)
{
    if (r->live_shown) {
        fputs("\r\033[K", stderr);
        r->live_shown = 0;
    }
}

static void tr_live(tr_run *r, long step, double now)
{
    char eta[32];
    double done = (double)(step - r->step0);
    double el = now - r->t0;
    tr_fmt_eta(done > 0 ? el / done * (double)(r->total - step) : -1.0, eta, sizeof eta);
    double sps = r->train_secs > 0 ? r->samples / r->train_secs : 0.0;
    char acc[48] = "";
    if (r->have_eval)
        snprintf(acc, sizeof acc, r->m->loss == NNRT_LOSS_MSE ? "  rmse %.4f" : "  acc %.4f",
                 r->tr.acc);
    fprintf(stderr, "\r\033[Kepoch %ld/%ld  step %ld/%ld  loss %.4f%s  %.0f samples/s  ETA %s",
            step / r->spe + (step % r->spe != 0), (r->total + r->spe - 1) / r->spe, step,
            r->total, r->run_n ? r->run_loss / (double)r->run_n : 0.0, acc, sps, eta);
    fflush(stderr);
    r->live_shown = 1;
    r->run_loss = 0.0;
    r->run_n = 0;
    r->last_live = now;
}

static void tr_eval_line(tr_run *r, long step, double now)
{
    const char *an = r->m->loss == NNRT_LOSS_MSE ? "rmse" : "acc";
    double sps = r->train_secs > 0 ? r->samples / r->train_secs : 0.0;
    char test[96] = "";
    if (r->have_test)
        snprintf(test, sizeof test, "  test loss %.4f %s %.4f", r->te.loss, an, r->te.acc);
    char ep[32];
    tr_fmt_epoch(step, r->spe, ep, sizeof ep);
    tr_clear_live(r);
    fprintf(stderr, "epoch %s  step %ld/%ld  train loss %.4f %s %.4f%s  %.0f samples/s  %.1f s\n",
            ep, step, r->total, r->tr.loss, an, r->tr.acc, test, sps, now - r->t0);
}

static void tr_log_row(tr_run *r, long step, double now)
{
    if (!r->log)
        return;
    int mse = r->m->loss == NNRT_LOSS_MSE;
    fprintf(r->log, "%ld,%.6g,%.9g,", step, (double)step / (double)r->spe, r->tr.loss);
    if (!mse)
        fprintf(r->log, "%.9g", r->tr.acc);
    fputc(',', r->log);
    if (r->have_test) {
        fprintf(r->log, "%.9g,", r->te.loss);
        if (!mse)
            fprintf(r->log, "%.9g", r->te.acc);
    } else {
        fputc(',', r->log);
    }
    fprintf(r->log, ",%.3f\n", now - r->t0);
    fflush(r->log);
}

/* ------------------------------------------------------------------ */
/* Summary                                                              */
/* ------------------------------------------------------------------ */

static void tr_metrics_line(FILE *out, const nnrt_model *m, const char *what,
                            const tr_metrics *t)
{
    if (m->loss == NNRT_LOSS_MSE)
        fprintf(out, "  %-5s  mse %.6g  rmse %.6g\n", what, t->loss, t->acc);
    else
        fprintf(out, "  %-5s  loss %.6f  accuracy %.4f (%ld/%ld)\n", what, t->loss, t->acc,
                t->right, t->total);
}

static void tr_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void tr_summary(FILE *out, tr_run *r, const char *status, long step, double wall)
{
    const nnrt_model *m = r->m;
    const tr_opts *o = r->o;
    double sps = r->train_secs > 0 ? r->samples / r->train_secs : 0.0;
    char batch[32];
    if (o->batch > 0)
        snprintf(batch, sizeof batch, "batch %ld", o->batch);
    else
        snprintf(batch, sizeof batch, "full batch");
    char ep[32];
    tr_fmt_epoch(step, r->spe, ep, sizeof ep);
    fprintf(out, "%s: %ld steps (%s epochs, %s, %s lr %g) in %.2f s, %.0f samples/s\n",
            m->name, step, ep, batch,
            tr_opt_names[o->optimizer], (double)o->lr, wall, sps);
    if (r->have_eval) {
        tr_metrics_line(out, m, "train", &r->tr);
        if (r->have_test)
            tr_metrics_line(out, m, "test", &r->te);
    }
    if (o->json) {
        int mse = m->loss == NNRT_LOSS_MSE;
        fputs("{\"model\":", out);
        tr_json_str(out, m->name);
        fprintf(out, ",\"status\":\"%s\",\"steps\":%ld,\"epochs\":%.6g,\"seconds\":%.3f,"
                     "\"samples_per_s\":%.1f",
                status, step, (double)step / (double)r->spe, wall, sps);
        if (r->have_eval) {
            fprintf(out, ",\"train_loss\":%.9g,\"train_%s\":%.9g", r->tr.loss,
                    mse ? "rmse" : "acc", r->tr.acc);
            if (r->have_test)
                fprintf(out, ",\"test_loss\":%.9g,\"test_%s\":%.9g", r->te.loss,
                        mse ? "rmse" : "acc", r->te.acc);
        }
        fputs("}\n", out);
    }
    fflush(out);
}

/* ------------------------------------------------------------------ */
/* Prediction                                                           */
/* ------------------------------------------------------------------ */

static int tr_predict(const tr_opts *o, const tr_ctx *c, const float *params)
{
    const nnrt_model *m = c->m;
    nnrt_dataset d;
    int rc = tr_load_inputs(o, m, &d);
    if (rc)
        return rc;
    /* --out FILE (atomically), else stdout */
    nnrt_afile f = {NULL, 0, NULL, NULL};
    nnrt_err e = {""};
    int to_file = o->out && strcmp(o->out, "-") != 0;
    if (to_file && nnrt_afile_open(&f, o->out, &e)) {
        tr_msg("%s", e.msg);
        nnrt_dataset_free(&d);
        return TR_EXIT_DATA;
    }
    FILE *out = to_file ? f.fp : stdout;
    long no = m->n_out;
    for (long i0 = 0; i0 < d.m; i0 += c->echunk) {
        long rows = d.m - i0 < c->echunk ? d.m - i0 : c->echunk;
        m->forward(params, d.x + (size_t)i0 * (size_t)d.n_features, rows, c->ebuf, c->ws);
        for (long i = 0; i < rows; i++) {
            const float *p = c->ebuf + i * no;
            for (long j = 0; j < no; j++)
                fprintf(out, "%s%.6g", j ? "," : "", (double)p[j]);
            if (m->loss == NNRT_LOSS_CCE) {
                long best = 0;
                for (long j = 1; j < no; j++)
                    if (p[j] > p[best])
                        best = j;
                fprintf(out, ",%ld", best);
            } else if (m->loss == NNRT_LOSS_BCE) {
                for (long j = 0; j < no; j++)
                    fprintf(out, ",%d", p[j] >= 0.5f);
            }
            fputc('\n', out);
        }
    }
    nnrt_dataset_free(&d);
    if (to_file) {
        if (nnrt_afile_commit(&f, &e)) {
            tr_msg("%s", e.msg);
            return TR_EXIT_DATA;
        }
    } else if (fflush(stdout) != 0 || ferror(stdout)) {
        tr_msg("stdout: write failed");
        return TR_EXIT_DATA;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The driver                                                           */
/* ------------------------------------------------------------------ */

typedef struct tr_state {
    float *params, *grad, *state;
    size_t state_floats;
    float *good, *good_state; /* the last checked parameters and optimizer state */
    long good_step;           /* ... and their step */
    float *xb, *yb;           /* batch buffers (batch >= 2) */
    float *ytrain;            /* target rows of the training set, m x n_out */
    long *idx;
    nnrt_dataset train, test;
    tr_ctx c;
    long step;               /* updates done */
} tr_state;

static void tr_free(tr_state *s)
{
    nnrt_free(s->params);
    nnrt_free(s->good);
    nnrt_free(s->good_state);
    nnrt_free(s->grad);
    nnrt_free(s->state);
    nnrt_free(s->xb);
    nnrt_free(s->yb);
    nnrt_free(s->ytrain);
    nnrt_free(s->idx);
    nnrt_free(s->c.ws);
    nnrt_free(s->c.ebuf);
    nnrt_free(s->c.ybuf);
    nnrt_dataset_free(&s->train);
    nnrt_dataset_free(&s->test);
}

/* 1 if no float of p[0..n) is NaN or inf.  On the bits: NaN and inf are
 * the floats whose magnitude bits are 0x7f800000 or more, and adding
 * 0x00800000 to those (and only those) sets bit 31.  Integer and, add and
 * or vectorise on any x86-64 or Arm; a float sum could not be reordered. */
static int tr_all_finite(const float *p, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, p + i, sizeof u);
        acc |= (u & 0x7fffffffu) + 0x00800000u;
    }
    return (acc & 0x80000000u) == 0;
}

/* The order of epoch e: a permutation from (seed, e) alone.  Once an
 * epoch, so kept out of the loop of steps. */
static TR_NOINLINE void tr_epoch_order(long *idx, long n, uint64_t seed, long epoch)
{
    nnrt_rng g;
    nnrt_rng_seed(&g, seed ^ (0x9E3779B97F4A7C15ull * ((uint64_t)epoch + 1u)) ^
                          0x53485546464C45ull);
    for (long i = 0; i < n; i++)
        idx[i] = i;
    nnrt_rng_shuffle(&g, idx, n);
}

static int tr_save(const tr_opts *o, const nnrt_model *m, const float *params, long step,
                   long spe, const float *state, size_t sf)
{
    nnrt_checkpoint ck = {step, step / spe, (nnrt_opt_kind)o->optimizer, state,
                          state ? sf : 0};
    nnrt_err e = {""};
    if (nnrt_weights_save(o->save, m, params, &ck, &e)) {
        tr_msg("%s", e.msg);
        return -1;
    }
    return 0;
}

static int tr_oom(const char *what)
{
    tr_msg("out of memory (%s)", what);
    return TR_EXIT_DATA;
}

/* A weights file may hold NaN or inf (nnrt_weights_load keeps every bit);
 * the trainer never saves such parameters, and none can be trained or used,
 * so name the first one and its layer.  Returns 0 if all are finite. */
static int tr_check_finite(const char *path, const nnrt_model *m, const float *p)
{
    for (size_t i = 0; i < m->n_params; i++) {
        if (isfinite(p[i]))
            continue;
        int l = 0;
        while (l + 1 < m->n_layers && m->layers[l + 1].w_offset <= i)
            l++;
        const nnrt_layer_info *L = &m->layers[l];
        int in_b = i >= L->b_offset;
        size_t k = i - (in_b ? L->b_offset : L->w_offset);
        char where[64];
        if (k >= (in_b ? (size_t)L->units : (size_t)L->units * (size_t)L->fan_in))
            snprintf(where, sizeof where, "padding after %s", in_b ? "b" : "W");
        else if (in_b)
            snprintf(where, sizeof where, "b[%zu]", k);
        else
            snprintf(where, sizeof where, "W[%zu][%zu]", k / (size_t)L->fan_in,
                     k % (size_t)L->fan_in);
        tr_msg("%s: parameter %zu (layer %d %s) is %s; these weights cannot be used", path, i,
               l + 1, where, isnan(p[i]) ? "NaN" : "infinite");
        return TR_EXIT_DATA;
    }
    return 0;
}

/* Load --load / --resume into s->params (and state, step). */
static int tr_load_weights(tr_opts *o, const nnrt_model *m, tr_state *s)
{
    const char *path = o->load ? o->load : o->resume;
    nnrt_err e = {""};
    nnrt_checkpoint ck;
    /* the weights first; the file's state is copied only if its size is
     * what the optimizer keeps: read again below, when resuming */
    if (nnrt_weights_load(path, m, s->params, NULL, 0, &ck, &e)) {
        tr_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    if (tr_check_finite(path, m, s->params))
        return TR_EXIT_DATA;
    if (o->load)
        return 0;
    float *st = nnrt_alloc(2 * m->n_params * sizeof(float));
    if (!st)
        return tr_oom("optimizer state");
    if (!tr_given(o, "--optimizer"))
        o->optimizer = (long)ck.optimizer;
    size_t want = nnrt_state_floats(m, (nnrt_opt_kind)o->optimizer);
    if ((long)ck.optimizer != o->optimizer) {
        tr_msg("%s: was trained with %s, not %s (leave out --optimizer to continue with %s)",
               path, tr_opt_names[ck.optimizer], tr_opt_names[o->optimizer],
               tr_opt_names[ck.optimizer]);
        nnrt_free(st);
        return TR_EXIT_DATA;
    }
    if (want > 0) {
        if (nnrt_weights_load(path, m, s->params, st, want, &ck, &e)) {
            nnrt_free(st);
            tr_msg("%s", e.msg);
            return TR_EXIT_DATA;
        }
        if (!ck.state) {
            tr_msg("%s: holds no %s state to resume (use --load to start from its weights)",
                   path, tr_opt_names[o->optimizer]);
            nnrt_free(st);
            return TR_EXIT_DATA;
        }
        memcpy(s->state, st, want * sizeof(float));
    }
    nnrt_free(st);
    s->step = ck.step;
    return 0;
}

static int tr_alloc_core(const nnrt_model *m, tr_state *s, long echunk)
{
    s->params = nnrt_alloc(m->n_params * sizeof(float));
    s->grad = nnrt_alloc(m->n_params * sizeof(float));
    s->good = nnrt_alloc(m->n_params * sizeof(float));
    s->state = nnrt_alloc(2 * m->n_params * sizeof(float));
    s->c.m = m;
    s->c.ws = nnrt_alloc(m->ws_bytes);
    s->c.echunk = echunk;
    s->c.ebuf = nnrt_alloc((size_t)echunk * (size_t)m->n_out * sizeof(float));
    s->c.ybuf = nnrt_alloc((size_t)echunk * (size_t)m->n_out * sizeof(float));
    if (!s->params || !s->grad || !s->good || !s->state || !s->c.ws || !s->c.ebuf || !s->c.ybuf)
        return tr_oom("parameters and workspace");
    return 0;
}

static int tr_gradcheck(const tr_opts *o, const nnrt_model *m, tr_state *s)
{
    long n = s->train.m < TR_GC_SAMPLES ? s->train.m : TR_GC_SAMPLES;
    float *y = nnrt_alloc((size_t)n * (size_t)m->n_out * sizeof(float));
    if (!y)
        return tr_oom("gradcheck targets");
    nnrt_make_targets(&s->train, m, NULL, n, y);
    nnrt_err e = {""};
    double err = nnrt_gradcheck(m, s->params, s->train.x, y, n, TR_GC_PARAMS, TR_GC_H,
                                TR_GC_FLOOR, &e);
    nnrt_free(y);
    if (err < 0.0) {
        tr_msg("%s", e.msg);
        return TR_EXIT_DATA;
    }
    size_t k = m->n_weights < (size_t)TR_GC_PARAMS ? m->n_weights : (size_t)TR_GC_PARAMS;
    int ok = err <= TR_GC_LIMIT;
    printf("gradcheck: %zu of %zu parameters on %ld samples of %s: largest relative error "
           "%.3e (limit %.0e): %s\n",
           k, m->n_weights, n, o->train, err, TR_GC_LIMIT, ok ? "ok" : "FAILED");
    fflush(stdout);
    return ok ? 0 : TR_EXIT_DATA;
}

/* Set up the training run; 0 or an exit status. */
static int tr_prepare(tr_opts *o, const nnrt_model *m, tr_state *s, long *spe, long *total)
{
    long mt = s->train.m;
    if (o->batch > mt) {
        if (tr_given(o, "--batch"))
            tr_msg("--batch %ld is larger than the training set (%ld samples)", o->batch, mt);
        else
            tr_msg("batch=%ld (from the spec) is larger than the training set (%ld samples); "
                   "give --batch", o->batch, mt);
        return TR_EXIT_USAGE;
    }
    long B = o->batch > 0 ? o->batch : mt;
    *spe = (mt + B - 1) / B;
    if (o->iterations > 0) {
        *total = o->iterations;
    } else {
        if (o->epochs > LONG_MAX / *spe) {
            tr_msg("--epochs %ld: too many steps", o->epochs);
            return TR_EXIT_USAGE;
        }
        *total = o->epochs * *spe;
    }
    size_t ni = (size_t)m->n_in, no = (size_t)m->n_out;
    if (o->batch > 0) {
        s->idx = nnrt_alloc((size_t)mt * sizeof(long));
        if (!s->idx)
            return tr_oom("batch buffers");
    }
    if (o->batch > 1) {
        s->xb = nnrt_alloc((size_t)B * ni * sizeof(float));
        s->yb = nnrt_alloc((size_t)B * no * sizeof(float));
        if (!s->xb || !s->yb)
            return tr_oom("batch buffers");
    }
    s->ytrain = nnrt_alloc((size_t)mt * no * sizeof(float));
    if (!s->ytrain)
        return tr_oom("targets");
    nnrt_make_targets(&s->train, m, NULL, mt, s->ytrain);
    size_t sf = nnrt_state_floats(m, (nnrt_opt_kind)o->optimizer);
    s->good_state = nnrt_alloc((sf > 0 ? sf : 1) * sizeof(float));
    if (!s->good_state)
        return tr_oom("optimizer state");
    if (o->eval_every <= 0) {
        long units = o->iterations > 0 ? *total : o->epochs;
        o->eval_every = units / 20 > 0 ? units / 20 : 1;
        /* nothing would show an evaluation before the last: skip them
         * (a Fashion-MNIST evaluation is ~0.4 s, 40% of an epoch's steps) */
        if (o->quiet && !o->log)
            o->eval_every = LONG_MAX;
    }
    return 0;
}

static void tr_evaluate(tr_run *r, tr_state *s, const float *params)
{
    tr_eval(&s->c, &s->train, params, &r->tr);
    if (r->have_test)
        tr_eval(&s->c, &s->test, params, &r->te);
    r->have_eval = 1;
}

/* The first evaluation point after `step` (updates done): the next multiple
 * of --eval-every steps (--iterations) or epochs (--epochs), or the last
 * step. */
static long tr_next_eval(const tr_opts *o, long step, long spe, long total)
{
    long every = o->eval_every;
    if (o->iterations <= 0) {
        if (every > total / spe)
            return total;
        every *= spe;
    }
    long q = step / every + 1;
    return q > total / every ? total : q * every;
}

/* ------------------------------------------------------------------ */
/* The steps                                                            */
/* ------------------------------------------------------------------ */

/* What the steps need, and where they are. */
typedef struct tr_loop {
    const nnrt_model *m;
    tr_state *s;
    nnrt_optim opt;
    long mt, B, spe;  /* training samples, batch size, steps per epoch */
    int shuffled;     /* batches in the order of each epoch (not full batch) */
    uint64_t seed;
    size_t ni, no, np, sf; /* floats: sample, target row, parameters, optimizer state */
    long epoch, k;    /* of the next step: its epoch, and steps done in that epoch */
    long order;       /* the epoch whose order s->idx holds; -1 none */
    double loss_sum;  /* the batch losses of the steps run since the caller took them */
    long loss_n, samples;
    double bad_loss;  /* the NaN or inf loss that stopped the steps */
} tr_loop;

/* How tr_steps ended. */
enum { TR_RAN, TR_BAD_LOSS, TR_BAD_PARAMS, TR_STOPPED };

/* The rows of a batch of n > 1 samples (indices ix) gathered into s->xb, s->yb. */
static void tr_gather(const tr_loop *L, const long *ix, long n)
{
    tr_state *s = L->s;
    size_t ni = L->ni, no = L->no;
    for (long i = 0; i < n; i++) {
        memcpy(s->xb + (size_t)i * ni, s->train.x + (size_t)ix[i] * ni, ni * sizeof(float));
        memcpy(s->yb + (size_t)i * no, s->ytrain + (size_t)ix[i] * no, no * sizeof(float));
    }
}

/* Steps until s->step is `end`, each checking its loss before its update.
 * checked == 0: nothing more (tr_train checks the parameters now and then),
 * and a stop request (SIGINT/SIGTERM) ends the steps.  checked == 1: the
 * parameters after every update too, against a copy in s->good; on
 * TR_BAD_PARAMS s->params are those of the step before, again.
 *
 * The batch: the full batch, and single samples, are rows of the data set
 * and of s->ytrain, used in place; larger batches are gathered into s->xb,
 * s->yb in the order of the epoch, drawn when the epoch starts. */
static inline int tr_steps(tr_loop *L, long end, int checked)
{
    const nnrt_model *m = L->m;
    tr_state *s = L->s;
    float *params = s->params, *grad = s->grad, *state = s->state;
    void *ws = s->c.ws;
    const float *tx = s->train.x, *ty = s->ytrain;
    long mt = L->mt, B = L->B, spe = L->spe, from = s->step;
    long step = from, epoch = L->epoch, k = L->k, order = L->order;
    size_t ni = L->ni, no = L->no;
    double loss_sum = 0.0;
    long samples = 0;
    int rc = TR_RAN;
    while (step < end) {
        if (!checked && tr_stop) {
            rc = TR_STOPPED;
            break;
        }
        const float *x = tx, *y = ty;
        long n = mt;
        if (L->shuffled) {
            if (order != epoch) {
                tr_epoch_order(s->idx, mt, L->seed, epoch);
                order = epoch;
            }
            const long *ix = s->idx + k * B;
            n = mt - k * B < B ? mt - k * B : B;
            if (n == 1) {
                x = tx + (size_t)ix[0] * ni;
                y = ty + (size_t)ix[0] * no;
            } else {
                tr_gather(L, ix, n);
                x = s->xb;
                y = s->yb;
            }
        }
        double loss = m->loss_grad(params, x, y, n, grad, ws);
        if (!isfinite(loss)) {
            L->bad_loss = loss;
            rc = TR_BAD_LOSS;
            break;
        }
        if (checked)
            memcpy(s->good, params, L->np * sizeof(float));
        m->update(params, grad, state, &L->opt, step + 1);
        if (checked && !tr_all_finite(params, L->np)) {
            memcpy(params, s->good, L->np * sizeof(float));
            rc = TR_BAD_PARAMS;
            break;
        }
        step++;
        loss_sum += loss;
        samples += n;
        if (++k == spe) {
            k = 0;
            epoch++;
        }
    }
    s->step = step;
    L->epoch = epoch;
    L->k = k;
    L->order = order;
    L->loss_sum += loss_sum;
    L->loss_n += step - from;
    L->samples += samples;
    return rc;
}

/* Make the current parameters and optimizer state the last checked ones. */
static void tr_keep(tr_loop *L)
{
    tr_state *s = L->s;
    memcpy(s->good, s->params, L->np * sizeof(float));
    if (L->sf > 0)
        memcpy(s->good_state, s->state, L->sf * sizeof(float));
    s->good_step = s->step;
}

/* A check found a parameter NaN or inf at step `bad`: one of the steps since
 * the last checked copy made it so.  Go back to that copy and run those
 * steps again with the check after every update.  The steps are
 * deterministic (same parameters, optimizer state and batches), so the
 * first one to fail is the one that failed first before, with the same
 * loss or parameters.  Returns TR_BAD_LOSS or TR_BAD_PARAMS (s->params and
 * s->step are then the last good ones), or TR_RAN if all the steps up to
 * `bad` pass this time, which only nondeterministic code could do:
 * training goes on from there. */
static int tr_replay(tr_loop *L, long bad)
{
    tr_state *s = L->s;
    memcpy(s->params, s->good, L->np * sizeof(float));
    if (L->sf > 0)
        memcpy(s->state, s->good_state, L->sf * sizeof(float));
    s->step = s->good_step;
    L->epoch = s->step / L->spe;
    L->k = s->step % L->spe;
    int rc = tr_steps(L, bad, 1);
    if (rc == TR_RAN)
        tr_keep(L);
    L->loss_sum = 0.0; /* counted in the first run */
    L->loss_n = 0;
    L->samples = 0;
    return rc;
}

/*
 * The training loop.  Steps run in chunks of about TR_CHUNK_SECS (the
 * clock is read between chunks); a chunk ends early at an evaluation point,
 * a NaN/inf loss or a stop request.
 *
 * Divergence.  Every step checks its loss before its update.  The
 * parameters are checked only between chunks, and only as often as keeps
 * the checks within TR_CHECK_SHARE of the training time, and before
 * anything is shown or evaluated (evaluation points, live line, the end, a
 * stop, a NaN/inf loss).  Each check that passes keeps a copy of the
 * parameters and optimizer state (tr_keep).  That reports exactly what
 * checking after every update would:
 *  - every update rule subtracts a step from each parameter, and in IEEE
 *    arithmetic NaN - d is NaN and inf - d is inf or NaN: a parameter that
 *    is NaN or inf stays so.  Finite parameters at step g therefore mean
 *    finite parameters at every step before g;
 *  - when a check fails, tr_replay runs the steps since the last copy
 *    again, checking after every update, and stops at the first failure;
 *  - a NaN/inf loss at step k+1 with finite parameters at step k is the
 *    per-step answer directly.
 * No evaluation, log row or live line is ever made from parameters that
 * have not passed a check.
 */
static int tr_train(tr_opts *o, const nnrt_model *m, tr_state *s, tr_run *r, double t0)
{
    long spe, total;
    int rc = tr_prepare(o, m, s, &spe, &total);
    if (rc)
        return rc;
    long mt = s->train.m;
    nnrt_optim opt = {(nnrt_opt_kind)o->optimizer, o->lr, o->beta1, o->beta2, o->eps};
    r->spe = spe;
    r->total = total;
    r->step0 = s->step;
    r->t0 = t0;
    r->last_live = t0;
    r->mtrain = mt;
    nnrt_afile logf = {NULL, 0, NULL, NULL};
    nnrt_err e = {""};
    if (o->log) {
        if (nnrt_afile_open(&logf, o->log, &e)) {
            tr_msg("%s", e.msg);
            return TR_EXIT_DATA;
        }
        r->log = logf.fp;
        fputs("step,epoch,train_loss,train_acc,test_loss,test_acc,seconds\n", r->log);
    }
    if (s->step >= total && !o->quiet)
        tr_msg("%s is at step %ld already; the run is %ld steps: nothing to train",
               o->resume ? o->resume : "the checkpoint", s->step, total);

    tr_loop L;
    memset(&L, 0, sizeof L);
    L.m = m;
    L.s = s;
    L.opt = opt;
    L.mt = mt;
    L.B = o->batch > 0 ? o->batch : mt;
    L.spe = spe;
    L.shuffled = o->batch > 0;
    L.seed = o->seed;
    L.ni = (size_t)m->n_in;
    L.no = (size_t)m->n_out;
    L.np = m->n_params;
    L.sf = nnrt_state_floats(m, opt.kind);
    L.epoch = s->step / spe;
    L.k = s->step % spe;
    L.order = -1;
    tr_keep(&L); /* the starting point, whatever it holds */

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tr_on_signal;
    sigemptyset(&sa.sa_mask);
    tr_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    long chunk = 1;           /* steps between clock readings */
    double check_cost = -1.0; /* seconds: the quickest check (and copy) so far */
    double unchecked = 0.0;   /* seconds of steps since the last check */
    int status = 0, fail = TR_RAN;
    while (s->step < total) {
        long next = tr_next_eval(o, s->step, spe, total);
        long from = s->step, end = next - from > chunk ? from + chunk : next;
        double a = tr_now();
        int rc_steps = tr_steps(&L, end, 0);
        double b = tr_now();
        r->train_secs += b - a;
        unchecked += b - a;
        r->samples += (double)L.samples;
        r->run_loss += L.loss_sum;
        r->run_n += L.loss_n;
        L.samples = 0;
        L.loss_sum = 0.0;
        L.loss_n = 0;
        if (rc_steps == TR_RAN) {
            /* the next chunk: about TR_CHUNK_SECS, at most twice this one */
            double per = (b - a) / (double)(s->step - from);
            double want = per > 0.0 ? TR_CHUNK_SECS / per : 2.0 * (double)chunk;
            chunk = want < 1.0 ? 1 : want < 2.0 * (double)chunk ? (long)want : 2 * chunk;
            if (chunk > (1L << 30))
                chunk = 1L << 30;
        }
        int eval = s->step == next;
        int live = !eval && r->tty && !o->quiet && b - r->last_live >= TR_LIVE_PERIOD;
        int ok = 1;
        if (rc_steps != TR_RAN || eval || live || s->step == total || check_cost < 0.0 ||
            unchecked * TR_CHECK_SHARE >= check_cost) {
            ok = tr_all_finite(s->params, L.np);
            if (ok) {
                tr_keep(&L);
                double c = tr_now();
                if (check_cost < 0.0 || c - b < check_cost)
                    check_cost = c - b;
                r->train_secs += c - b;
                b = c;
            } else {
                fail = tr_replay(&L, s->step);
                if (fail != TR_RAN) {
                    status = TR_EXIT_DIVERGED;
                    break;
                }
            }
            unchecked = 0.0;
        }
        if (rc_steps == TR_BAD_LOSS && ok) {
            fail = TR_BAD_LOSS;
            status = TR_EXIT_DIVERGED;
            break;
        }
        if (rc_steps == TR_STOPPED) {
            status = TR_EXIT_INTERRUPTED;
            break;
        }
        if (eval) {
            tr_evaluate(r, s, s->params);
            double now = tr_now();
            if (!o->quiet)
                tr_eval_line(r, s->step, now);
            tr_log_row(r, s->step, now);
        } else if (live) {
            tr_live(r, s->step, b);
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    tr_clear_live(r);

    if (status == TR_EXIT_DIVERGED) {
        const char *why = fail == TR_BAD_PARAMS ? "the update made a parameter NaN or inf"
                          : isnan(L.bad_loss)   ? "loss is NaN"
                                                : "loss is inf";
        tr_msg("step %ld: %s (diverged); keeping the weights from step %ld", s->step + 1, why,
               s->step);
        if (o->save) {
            /* the optimizer state has moved on: save the weights alone */
            if (tr_save(o, m, s->params, s->step, spe, NULL, 0) == 0 && !o->quiet)
                tr_msg("saved the weights of step %ld to %s", s->step, o->save);
        }
    } else if (status == TR_EXIT_INTERRUPTED) {
        tr_msg("interrupted at step %ld", s->step);
    }
    if (!r->have_eval || (status && s->step > 0)) {
        tr_evaluate(r, s, s->params);
        if (status == 0)
            tr_log_row(r, s->step, tr_now());
    }
    if (o->log && nnrt_afile_commit(&logf, &e)) {
        tr_msg("%s", e.msg);
        if (!status)
            status = TR_EXIT_DATA;
    }
    r->log = NULL;
    s->state_floats = nnrt_state_floats(m, opt.kind);
    return status;
}

/* Before hours of training: can an output file be created at `path`?
 * Its directory must exist and be writable, and it must not be a directory. */
static int tr_check_output(const char *flag, const char *path)
{
    if (!path || strcmp(path, "-") == 0)
        return 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        tr_msg("%s %s: is a directory", flag, path);
        return TR_EXIT_DATA;
    }
    size_t n = strlen(path);
    char *dir = malloc(n + 2);
    if (!dir)
        return tr_oom("path");
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int rc = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        tr_msg("%s %s: directory '%s' does not exist", flag, path, dir);
        rc = TR_EXIT_DATA;
    } else if (access(dir, W_OK) != 0) {
        tr_msg("%s %s: directory '%s' is not writable", flag, path, dir);
        rc = TR_EXIT_DATA;
    }
    free(dir);
    return rc;
}

int nnrt_main(const nnrt_model *m, int argc, char **argv)
{
    tr_prog = tr_basename(argc > 0 ? argv[0] : NULL);
    if (!m || m->abi != NNRT_ABI_VERSION) {
        tr_msg("model built for runtime ABI %u, but this libnnrt is ABI %d (rebuild with nngen)",
               m ? m->abi : 0u, NNRT_ABI_VERSION);
        return TR_EXIT_USAGE;
    }
    tr_opts o;
    int rc = tr_parse(&o, m, argc, argv);
    if (rc)
        return rc;
    if (o.help) {
        tr_help(m, stdout);
        return 0;
    }
    if (o.info) {
        tr_info(m);
        return 0;
    }
    if (!o.train && !o.predict) {
        tr_msg("no --train FILE given (see --help)");
        return TR_EXIT_USAGE;
    }
    if (!o.train && o.resume) {
        tr_msg("--resume continues training: give --train FILE too");
        return TR_EXIT_USAGE;
    }
    if (!o.train && o.gradcheck) {
        tr_msg("--gradcheck runs on the training data: give --train FILE");
        return TR_EXIT_USAGE;
    }
    if (!o.train && !o.load) {
        tr_msg("--predict needs weights: give --load FILE (or --train FILE to train first)");
        return TR_EXIT_USAGE;
    }
    if (o.test && !o.train) {
        tr_msg("--test is evaluated during training: give --train FILE too");
        return TR_EXIT_USAGE;
    }

    if ((rc = tr_check_output("--save", o.save)) != 0 ||
        (rc = tr_check_output("--out", o.out)) != 0 || (rc = tr_check_output("--log", o.log)) != 0)
        return rc;

    double t0 = tr_now();
    tr_state s;
    memset(&s, 0, sizeof s);
    tr_run r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.o = &o;
    r.tty = isatty(fileno(stderr));
    r.spe = 1;

    /* the evaluation chunk: enough for the largest set, at most TR_EVAL_CHUNK */
    rc = tr_alloc_core(m, &s, TR_EVAL_CHUNK);
    if (rc)
        goto out;
    if (o.load || o.resume) {
        rc = tr_load_weights(&o, m, &s);
        if (rc)
            goto out;
    } else {
        nnrt_init_params(m, s.params, (nnrt_init)o.init, o.seed);
    }
    if (o.train) {
        rc = tr_load_set(&o, m, o.train, o.train_labels, &s.train);
        if (rc)
            goto out;
        if (o.gradcheck) {
            rc = tr_gradcheck(&o, m, &s);
            goto out;
        }
        if (o.test) {
            rc = tr_load_set(&o, m, o.test, o.test_labels, &s.test);
            if (rc)
                goto out;
            r.have_test = 1;
        }
        rc = tr_train(&o, m, &s, &r, t0);
        if (rc == TR_EXIT_USAGE || (rc == TR_EXIT_DATA && s.step == r.step0 && !r.have_eval))
            goto out;
        double wall = tr_now() - t0;
        FILE *sum = o.predict && !o.out ? stderr : stdout;
        const char *st = rc == 0 ? "ok" : rc == TR_EXIT_DIVERGED ? "diverged"
                       : rc == TR_EXIT_INTERRUPTED ? "interrupted" : "error";
        tr_summary(sum, &r, st, s.step, wall);
        if (rc == TR_EXIT_DIVERGED)
            goto out;
        if (o.save) {
            const float *st_ptr = s.state_floats ? s.state : NULL;
            if (tr_save(&o, m, s.params, s.step, r.spe, st_ptr, s.state_floats)) {
                rc = TR_EXIT_DATA;
                goto out;
            }
            if (rc == TR_EXIT_INTERRUPTED)
                tr_msg("saved step %ld to %s (continue with --resume %s)", s.step, o.save,
                       o.save);
        }
        if (rc)
            goto out;
    }
    if (o.predict)
        rc = tr_predict(&o, &s.c, s.params);
out:
    tr_free(&s);
    return rc;
}
