/*
 * nnrt_flags.c -- the trainer's command line: the flag table, parsing
 * (values checked, one message naming the flag), --help and --info.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt_train_internal.h"

/* ------------------------------------------------------------------ */
/* Options: one table, one row per flag                                 */
/* ------------------------------------------------------------------ */

typedef enum fl_kind {
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
} fl_kind;

typedef struct fl_flag {
    const char *name;
    fl_kind kind;
    size_t off; /* of the field in tr_opts */
    const char *meta;
    const char *help;
} fl_flag;

#define FL_OFF(f) offsetof(tr_opts, f)

static const fl_flag fl_flags[] = {
    {"--train", TK_STR, FL_OFF(train), "FILE", "training data (HDF5, CSV, IDX or IDX.gz)"},
    {"--test", TK_STR, FL_OFF(test), "FILE", "test data, evaluated alongside"},
    {"--train-labels", TK_STR, FL_OFF(train_labels), "FILE",
     "IDX labels of --train (default: derived from its name)"},
    {"--test-labels", TK_STR, FL_OFF(test_labels), "FILE", "IDX labels of --test"},
    {"--x-name", TK_STR, FL_OFF(x_name), "NAME", "HDF5 dataset of the features"},
    {"--y-name", TK_STR, FL_OFF(y_name), "NAME", "HDF5 dataset of the labels"},
    {"--label-col", TK_INDEX, FL_OFF(label_col), "N", "CSV: column of the label, from 0 (default: last)"},
    {"--scale", TK_POS, FL_OFF(scale), "F", "multiply uint8 features by F (default 1/255)"},
    {"--epochs", TK_COUNT, FL_OFF(epochs), "N", "train for N passes over the data"},
    {"--iterations", TK_COUNT, FL_OFF(iterations), "N", "train for N parameter updates"},
    {"--lr", TK_POS, FL_OFF(lr), "F", "learning rate"},
    {"--batch", TK_BATCH, FL_OFF(batch), "N|full", "samples per update (1 = per-sample SGD)"},
    {"--optimizer", TK_OPT, FL_OFF(optimizer), "NAME", "sgd, momentum or adam"},
    {"--beta1", TK_FRAC, FL_OFF(beta1), "F", "momentum / Adam first-moment decay"},
    {"--beta2", TK_FRAC, FL_OFF(beta2), "F", "Adam second-moment decay"},
    {"--eps", TK_POS, FL_OFF(eps), "F", "Adam epsilon"},
    {"--init", TK_INIT, FL_OFF(init), "NAME", "zeros, small, course, xavier or he"},
    {"--seed", TK_SEED, FL_OFF(seed), "N", "seed of the initial weights and the shuffle"},
    {"--eval-every", TK_COUNT, FL_OFF(eval_every), "N",
     "evaluate every N epochs (--epochs) or steps (--iterations); default: ~20 per run"},
    {"--save", TK_STR, FL_OFF(save), "FILE", "write weights + optimizer state at the end"},
    {"--load", TK_STR, FL_OFF(load), "FILE", "start from these weights (step 0)"},
    {"--resume", TK_STR, FL_OFF(resume), "FILE",
     "continue a saved run: weights, optimizer state and step"},
    {"--predict", TK_STR, FL_OFF(predict), "FILE",
     "write the outputs and class of each sample of FILE"},
    {"--out", TK_STR, FL_OFF(out), "FILE", "--predict output file (default: stdout)"},
    {"--gradcheck", TK_FLAG, FL_OFF(gradcheck), NULL,
     "compare backprop with finite differences on --train; exit 1 if off"},
    {"--log", TK_STR, FL_OFF(log), "FILE.csv", "one CSV row per evaluation"},
    {"--json", TK_FLAG, FL_OFF(json), NULL, "end with a one-line JSON summary"},
    {"--quiet", TK_FLAG, FL_OFF(quiet), NULL, "no progress output"},
    {"--info", TK_FLAG, FL_OFF(info), NULL, "describe the model and exit"},
    {"--help", TK_FLAG, FL_OFF(help), NULL, "this text"},
};
#define FL_NFLAGS ((int)(sizeof fl_flags / sizeof fl_flags[0]))

static const char *const fl_opt_names[] = {"sgd", "momentum", "adam", NULL};
static const char *const fl_init_names[] = {"zeros", "small", "course", "xavier", "he", NULL};
static const char *const fl_act_names[] = {"identity", "sigmoid", "tanh",
                                           "relu",     "leaky_relu", "softmax"};
static const char *const fl_loss_names[] = {"bce", "mse", "cce"};

static size_t fl_edit_distance(const char *a, const char *b)
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
static const char *fl_did_you_mean(const char *w)
{
    const char *best = NULL;
    size_t bd = (size_t)-1, wl = strlen(w);
    for (int i = 0; i < FL_NFLAGS; i++) {
        const char *n = fl_flags[i].name;
        size_t d = fl_edit_distance(w, n);
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

static int fl_word(const char *flag, const char *v, const char *const *words, long *out)
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
    nnrt_train_msg("%s: '%s' is not one of %s", flag, v, list);
    return -1;
}

static int fl_long(const char *flag, const char *v, long min, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0') {
        char *fend;
        double d = strtod(v, &fend);
        if (fend != v && *fend == '\0' && isfinite(d))
            nnrt_train_msg("%s: '%s' is not a whole number", flag, v);
        else
            nnrt_train_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    if (errno == ERANGE) {
        nnrt_train_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    if (x < min) {
        nnrt_train_msg("%s: '%s' must be %s", flag, v, min >= 1 ? "at least 1" : "0 or more");
        return -1;
    }
    *out = x;
    return 0;
}

static int fl_float(const char *flag, const char *v, fl_kind kind, float *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || isnan(x)) {
        nnrt_train_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    if (!isfinite(x) || errno == ERANGE || fabs(x) > 3.0e38) {
        nnrt_train_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    if (kind == TK_POS && !(x > 0.0)) {
        nnrt_train_msg("%s: '%s' must be positive", flag, v);
        return -1;
    }
    if (kind == TK_FRAC && !(x >= 0.0 && x < 1.0)) {
        nnrt_train_msg("%s: '%s' must be in [0, 1)", flag, v);
        return -1;
    }
    *out = (float)x;
    return 0;
}

static int fl_seed(const char *flag, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*v == '-' || *v == '+' || *v == ' ') {
        nnrt_train_msg("%s: '%s' must be a non-negative whole number", flag, v);
        return -1;
    }
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end != '\0') {
        nnrt_train_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    if (errno == ERANGE) {
        nnrt_train_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

static int fl_set(tr_opts *o, const fl_flag *f, const char *v)
{
    char *base = (char *)o + f->off;
    switch (f->kind) {
    case TK_FLAG:
        *(long *)(void *)base = 1;
        return 0;
    case TK_STR:
        if (!*v) {
            nnrt_train_msg("%s: empty %s", f->name, f->meta ? f->meta : "value");
            return -1;
        }
        *(const char **)(void *)base = v;
        return 0;
    case TK_COUNT:
        return fl_long(f->name, v, 1, (long *)(void *)base);
    case TK_INDEX:
        return fl_long(f->name, v, 0, (long *)(void *)base);
    case TK_POS:
    case TK_FRAC:
        return fl_float(f->name, v, f->kind, (float *)(void *)base);
    case TK_BATCH:
        if (strcmp(v, "full") == 0) {
            *(long *)(void *)base = 0;
            return 0;
        }
        if (fl_long(f->name, v, 1, (long *)(void *)base)) {
            return -1;
        }
        return 0;
    case TK_OPT:
        return fl_word(f->name, v, fl_opt_names, (long *)(void *)base);
    case TK_INIT:
        return fl_word(f->name, v, fl_init_names, (long *)(void *)base);
    case TK_SEED:
        return fl_seed(f->name, v, (uint64_t *)(void *)base);
    }
    return -1;
}

int nnrt_flags_given(const tr_opts *o, const char *name)
{
    for (int i = 0; i < FL_NFLAGS; i++)
        if (strcmp(fl_flags[i].name, name) == 0)
            return (o->given >> i) & 1u;
    return 0;
}

/* 0 ok, TR_EXIT_USAGE on a bad command line (message printed). */
int nnrt_flags_parse(tr_opts *o, const nnrt_model *m, int argc, char **argv)
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
            nnrt_train_msg("unexpected argument '%s' (flags start with --; see --help)", a);
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
        for (int k = 0; k < FL_NFLAGS; k++)
            if (strcmp(fl_flags[k].name, name) == 0)
                fi = k;
        if (fi < 0) {
            const char *s = fl_did_you_mean(name);
            if (s)
                nnrt_train_msg("unknown flag '%s' (did you mean %s?)", name, s);
            else
                nnrt_train_msg("unknown flag '%s' (see --help)", name);
            return TR_EXIT_USAGE;
        }
        const fl_flag *f = &fl_flags[fi];
        const char *v = NULL;
        if (f->kind == TK_FLAG) {
            if (eq) {
                nnrt_train_msg("%s takes no value", f->name);
                return TR_EXIT_USAGE;
            }
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            nnrt_train_msg("%s needs a value (%s)", f->name, f->meta);
            return TR_EXIT_USAGE;
        }
        if (fl_set(o, f, v))
            return TR_EXIT_USAGE;
        o->given |= 1ull << fi;
    }
    /* --epochs and --iterations replace each other's spec default */
    int ge = nnrt_flags_given(o, "--epochs"), gi = nnrt_flags_given(o, "--iterations");
    if (ge && gi) {
        nnrt_train_msg("--epochs and --iterations cannot be used together");
        return TR_EXIT_USAGE;
    }
    if (ge)
        o->iterations = 0;
    if (gi)
        o->epochs = 0;
    if (o->epochs <= 0 && o->iterations <= 0)
        o->epochs = 1;
    if (o->load && o->resume) {
        nnrt_train_msg("--load and --resume cannot be used together (--resume also loads the weights)");
        return TR_EXIT_USAGE;
    }
    if (o->out && !o->predict) {
        nnrt_train_msg("--out FILE is the output of --predict; give --predict FILE too");
        return TR_EXIT_USAGE;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Help and --info                                                      */
/* ------------------------------------------------------------------ */

static void fl_shape(const nnrt_model *m, char *buf, size_t cap)
{
    size_t len = 0;
    int k = snprintf(buf, cap, "%d", m->n_in);
    len = k > 0 ? (size_t)k : 0;
    for (int l = 0; l < m->n_layers && len < cap; l++) {
        k = snprintf(buf + len, cap - len, "-%d %s", m->layers[l].units,
                     (unsigned)m->layers[l].act < 6 ? fl_act_names[m->layers[l].act] : "?");
        if (k < 0)
            break;
        len += (size_t)k;
    }
}

static const char *fl_loss_name(const nnrt_model *m)
{
    return (unsigned)m->loss < 3 ? fl_loss_names[m->loss] : "?";
}

static void fl_default_text(const nnrt_model *m, const fl_flag *f, char *buf, size_t cap)
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
        snprintf(buf, cap, "%s", fl_opt_names[d->optimizer]);
    else if (strcmp(f->name, "--beta1") == 0)
        snprintf(buf, cap, "%g", (double)d->beta1);
    else if (strcmp(f->name, "--beta2") == 0)
        snprintf(buf, cap, "%g", (double)d->beta2);
    else if (strcmp(f->name, "--eps") == 0)
        snprintf(buf, cap, "%g", (double)d->eps);
    else if (strcmp(f->name, "--init") == 0 && (unsigned)d->init < 5)
        snprintf(buf, cap, "%s", fl_init_names[d->init]);
    else if (strcmp(f->name, "--seed") == 0)
        snprintf(buf, cap, "%llu", (unsigned long long)d->seed);
}

void nnrt_flags_help(const nnrt_model *m, FILE *out)
{
    char shape[512];
    fl_shape(m, shape, sizeof shape);
    fprintf(out,
            "usage: %s --train FILE [--test FILE] [flags]   train model '%s'\n"
            "       %s --load FILE --predict FILE [--out FILE]\n"
            "       %s --train FILE --gradcheck\n\n"
            "model '%s': %s, loss %s (from %s, nngen %s, %s path)\n\n"
            "flags (defaults from the spec in brackets):\n",
            nnrt_train_prog(), m->name, nnrt_train_prog(), nnrt_train_prog(), m->name, shape, fl_loss_name(m),
            m->spec_file ? m->spec_file : "?", m->nngen_version ? m->nngen_version : "?",
            m->isa ? m->isa : "?");
    for (int i = 0; i < FL_NFLAGS; i++) {
        const fl_flag *f = &fl_flags[i];
        char left[48], def[64];
        snprintf(left, sizeof left, "%s%s%s", f->name, f->meta ? " " : "", f->meta ? f->meta : "");
        fl_default_text(m, f, def, sizeof def);
        fprintf(out, "  %-22s %s%s%s%s\n", left, f->help, def[0] ? " [" : "", def,
                def[0] ? "]" : "");
    }
    fprintf(out, "\nexit status: 0 ok, 1 data or file error (or --gradcheck above %g), "
                 "2 usage error,\n3 training diverged (NaN/inf loss), 130 interrupted.  "
                 "See docs/trainer.md.\n", TR_GC_LIMIT);
}

void nnrt_flags_info(const nnrt_model *m)
{
    char shape[512];
    fl_shape(m, shape, sizeof shape);
    printf("model %s\nspec %s\nnngen %s\nisa %s\nshape %s\nloss %s\n", m->name,
           m->spec_file ? m->spec_file : "?", m->nngen_version ? m->nngen_version : "?",
           m->isa ? m->isa : "?", shape, fl_loss_name(m));
    printf("parameters %zu (%zu floats with padding)\n", m->n_weights, m->n_params);
    printf("flops per sample: forward %.0f, forward+backward %.0f\n", m->flops_fwd,
           m->flops_train);
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        printf("layer %d: %d -> %d %s (W at %zu, b at %zu; spec line %d)\n", l + 1, L->fan_in,
               L->units, (unsigned)L->act < 6 ? fl_act_names[L->act] : "?", L->w_offset,
               L->b_offset, L->spec_line);
    }
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */
/* ------------------------------------------------------------------ */

void nnrt_flags_load_opts(const tr_opts *o, const nnrt_model *m, const char *labels,
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

