/*
 * nnrt_flags.c -- the trainer's command line: the flag table, parsing
 * (every value checked, one message naming the flag), --help and --info.
 *
 * The training hyper-parameters (--lr, --epochs, ..., --seed) are not rows
 * here: they are the rows of nnrt_hparams (runtime/nnrt_vocab.h), the same
 * rows the spec's `train KEY=VALUE` reads, so a flag takes exactly the
 * values the spec takes, and its name, value word, help line, bounds and
 * --help default come from there.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt_data_internal.h"
#include "nnrt_train_internal.h"
#include "nnrt_vocab.h"

/* ------------------------------------------------------------------ */
/* The flags: one table, one row per flag                               */
/* ------------------------------------------------------------------ */

typedef enum fl_kind {
    FK_FLAG,   /* no value */
    FK_STR,    /* a file or a name */
    FK_COUNT,  /* integer >= 1 */
    FK_INDEX,  /* integer >= 0 */
    FK_POS,    /* finite float > 0 */
    FK_THREADS, /* integer in [1, TR_MAX_THREADS] */
    FK_HPARAMS /* not a flag: the rows of nnrt_hparams stand here, as --NAME */
} fl_kind;

typedef struct fl_flag {
    const char *name;
    fl_kind kind;
    size_t off; /* of the field in tr_opts */
    const char *meta;
    const char *help;
} fl_flag;

#define FL_OFF(f) offsetof(tr_opts, f)

/* ORDER: the order of --help. */
static const fl_flag fl_flags[] = {
    {"--train", FK_STR, FL_OFF(train), "FILE",
     "training data: HDF5, CSV, TSV, IDX[.gz], .npz, .npy; - is stdin"},
    {"--test", FK_STR, FL_OFF(test), "FILE", "test data, evaluated alongside"},
    {"--train-labels", FK_STR, FL_OFF(train_labels), "FILE",
     "IDX labels of --train (default: derived from its name)"},
    {"--test-labels", FK_STR, FL_OFF(test_labels), "FILE", "IDX labels of --test"},
    {"--x-name", FK_STR, FL_OFF(x_name), "NAME", "HDF5 dataset of the features"},
    {"--y-name", FK_STR, FL_OFF(y_name), "NAME", "HDF5 dataset of the labels"},
    {"--label-col", FK_INDEX, FL_OFF(label_col), "N",
     "CSV: column of the label, from 0 (default: last)"},
    {"--scale", FK_POS, FL_OFF(scale), "F", "multiply uint8 features by F (default 1/255)"},
    {"--format", FK_STR, FL_OFF(format), "FMT",
     "csv, tsv, idx, hdf5, npz or npy (default: by content, then name)"},
    {NULL, FK_HPARAMS, 0, NULL, NULL}, /* --lr ... --seed */
    {"--eval-every", FK_COUNT, FL_OFF(eval_every), "N",
     "evaluate every N epochs (--epochs) or steps (--iterations); default: ~20 per run"},
    {"--threads", FK_THREADS, FL_OFF(threads), "N",
     "threads for training and evaluation; the same weights on any N"},
    {"--save", FK_STR, FL_OFF(save), "FILE", "write weights + optimizer state at the end"},
    {"--load", FK_STR, FL_OFF(load), "FILE", "start from these weights (step 0)"},
    {"--resume", FK_STR, FL_OFF(resume), "FILE",
     "continue a saved run: weights, optimizer state and step"},
    {"--predict", FK_STR, FL_OFF(predict), "FILE",
     "write the outputs and class of each sample of FILE"},
    {"--out", FK_STR, FL_OFF(out), "FILE", "--predict output file (default: stdout)"},
    {"--gradcheck", FK_FLAG, FL_OFF(gradcheck), NULL,
     "compare backprop with finite differences on --train; exit 1 if off"},
    {"--log", FK_STR, FL_OFF(log), "FILE.csv", "one CSV row per evaluation"},
    {"--plot", FK_STR, FL_OFF(plot), "FILE.svg",
     "loss and accuracy of each evaluation against step or epoch, as SVG"},
    {"--json", FK_FLAG, FL_OFF(json), NULL, "end with a one-line JSON summary"},
    {"--isa", FK_STR, FL_OFF(isa), "ISA",
     "run this path (avx512, avx2, neon, scalar; default: the best the CPU has)"},
    {"--quiet", FK_FLAG, FL_OFF(quiet), NULL, "no progress output"},
    {"--info", FK_FLAG, FL_OFF(info), NULL, "describe the model and exit"},
    {"--version", FK_FLAG, FL_OFF(version), NULL, "nngen's version, the model and its signature"},
    {"--help", FK_FLAG, FL_OFF(help), NULL, "this text"},
};
#define FL_NROWS (sizeof fl_flags / sizeof fl_flags[0])

/* A flag as parsing and --help see it: a row of fl_flags or of
 * nnrt_hparams.  Its index in --help's order is its bit in tr_opts.given. */
typedef struct fl_ref {
    char name[32];        /* "--lr" */
    const fl_flag *f;     /* the row of fl_flags, or NULL */
    const nnrt_hparam *h; /* the row of nnrt_hparams, or NULL */
    const char *meta, *help;
} fl_ref;

/* The i-th flag in --help's order; 0 past the last. */
static int fl_at(size_t i, fl_ref *r)
{
    for (size_t k = 0; k < FL_NROWS; k++) {
        const fl_flag *f = &fl_flags[k];
        if (f->kind != FK_HPARAMS && i-- == 0) {
            *r = (fl_ref){"", f, NULL, f->meta, f->help};
            snprintf(r->name, sizeof r->name, "%s", f->name);
            return 1;
        }
        if (f->kind == FK_HPARAMS && i < NNRT_N_HPARAMS) {
            const nnrt_hparam *h = &nnrt_hparams[i];
            *r = (fl_ref){"", NULL, h, h->meta, h->help};
            snprintf(r->name, sizeof r->name, "--%s", h->name);
            return 1;
        }
        if (f->kind == FK_HPARAMS)
            i -= NNRT_N_HPARAMS;
    }
    return 0;
}

/* The index of flag `name`, or -1. */
static int fl_find(const char *name, fl_ref *r)
{
    for (size_t i = 0; fl_at(i, r); i++)
        if (strcmp(r->name, name) == 0)
            return (int)i;
    return -1;
}

/* The flag closest to `w` (nnrt_did_you_mean), copied to best; or NULL. */
static const char *fl_did_you_mean(const char *w, char *best, size_t cap)
{
    char names[FL_NROWS + NNRT_N_HPARAMS][32];
    const char *words[FL_NROWS + NNRT_N_HPARAMS + 1];
    fl_ref r;
    size_t n = 0;
    for (; fl_at(n, &r); n++) {
        memcpy(names[n], r.name, sizeof r.name);
        words[n] = names[n];
    }
    words[n] = NULL;
    const char *s = nnrt_did_you_mean(w, words);
    if (!s)
        return NULL;
    snprintf(best, cap, "%s", s);
    return best;
}

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

/* v as a long: 0; 1 if it does not fit one; -1 if it is not a whole
 * number (message printed). */
static int fl_whole(const char *flag, const char *v, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(v, &end, 10);
    if (end == v || *end != '\0') {
        char *fend;
        double d = strtod(v, &fend);
        if (fend != v && *fend == '\0' && isfinite(d))
            nnrt_train_msg("%s: '%s' is not a whole number", flag, v);
        else
            nnrt_train_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    return errno == ERANGE;
}

/* A count of the trainer's own (--eval-every, --label-col): in [min, max]. */
static int fl_long(const char *flag, const char *v, long min, long max, long *out)
{
    long x;
    int r = fl_whole(flag, v, &x);
    if (r < 0)
        return -1;
    if (r == 0 && x < min) {
        nnrt_train_msg("%s: '%s' must be %s", flag, v, min >= 1 ? "at least 1" : "0 or more");
        return -1;
    }
    if (r > 0 || x > max) {
        nnrt_train_msg("%s: '%s' is out of range (at most %ld)", flag, v, max);
        return -1;
    }
    *out = x;
    return 0;
}

/* --threads: 1 to TR_MAX_THREADS. */
static int fl_threads(const char *flag, const char *v, long *out)
{
    long x;
    int r = fl_whole(flag, v, &x);
    if (r < 0)
        return -1;
    if (r > 0 || x < 1 || x > TR_MAX_THREADS) {
        nnrt_train_msg("%s: '%s' must be in [1, %d]", flag, v, TR_MAX_THREADS);
        return -1;
    }
    *out = x;
    return 0;
}

/* v as a number: 0, or -1 (message printed) if it is none. */
static int fl_number(const char *flag, const char *v, double *out)
{
    char *end;
    *out = strtod(v, &end);
    if (end == v || *end != '\0' || isnan(*out)) {
        nnrt_train_msg("%s: '%s' is not a number", flag, v);
        return -1;
    }
    return 0;
}

/* --scale: a finite float > 0. */
static int fl_pos(const char *flag, const char *v, nnrt_real *out)
{
    double x;
    if (fl_number(flag, v, &x))
        return -1;
    if (!isfinite(x) || fabs(x) > 3.0e38) {
        nnrt_train_msg("%s: '%s' is out of range", flag, v);
        return -1;
    }
    if (!(x > 0.0)) {
        nnrt_train_msg("%s: '%s' must be positive", flag, v);
        return -1;
    }
    *out = (nnrt_real)x;
    return 0;
}

/* "FLAG: 'V' must be in (0, 100]" for a value outside row h's bounds. */
static int fl_out_of_range(const char *flag, const char *v, const nnrt_hparam *h)
{
    char range[64];
    nnrt_hparam_range_text(h, range, sizeof range);
    nnrt_train_msg("%s: '%s' must be in %s%s", flag, v, range,
                   h->kind == NNRT_HP_BATCH ? " or 'full'" : "");
    return -1;
}

/* A word of `rows` (nnrt_opt_rows, nnrt_init_rows). */
static int fl_word(const char *flag, const char *v, const nnrt_word_row *rows, int *out)
{
    for (const nnrt_word_row *r = rows; r->name; r++)
        if (strcmp(v, r->name) == 0) {
            *out = r->value;
            return 0;
        }
    char list[128] = "";
    size_t len = 0;
    for (const nnrt_word_row *r = rows; r->name; r++) {
        int k = snprintf(list + len, sizeof list - len, "%s%s", r == rows ? "" : ", ", r->name);
        if (k < 0 || (size_t)k >= sizeof list - len)
            break;
        len += (size_t)k;
    }
    nnrt_train_msg("%s: '%s' is not one of %s", flag, v, list);
    return -1;
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

/* The value of hyper-parameter row h into o->cfg: what the spec accepts
 * for it (nnrt_hparam_in_range on the float the value becomes). */
static int fl_set_hparam(tr_opts *o, const nnrt_hparam *h, const char *flag, const char *v)
{
    void *field = (char *)&o->cfg + h->offset;
    double x;
    long n;
    int w, r;
    if (h->kind == NNRT_HP_BATCH && strcmp(v, "full") == 0) {
        *(long *)field = 0;
        return 0;
    }
    switch (h->kind) {
    case NNRT_HP_REAL:
        if (fl_number(flag, v, &x))
            return -1;
        if (!isfinite(x) || fabs(x) > 3.0e38 || !nnrt_hparam_in_range(h, (double)(nnrt_real)x))
            return fl_out_of_range(flag, v, h);
        *(double *)field = x; /* nnrt_train_cfg keeps it as given */
        return 0;
    case NNRT_HP_BATCH: /* "full" above */
    case NNRT_HP_COUNT:
        r = fl_whole(flag, v, &n);
        if (r < 0)
            return -1;
        if (r > 0 || !nnrt_hparam_in_range(h, (double)n))
            return fl_out_of_range(flag, v, h);
        *(long *)field = n;
        return 0;
    case NNRT_HP_SEED:
        return fl_seed(flag, v, (uint64_t *)field);
    case NNRT_HP_OPT:
        if (fl_word(flag, v, nnrt_opt_rows, &w))
            return -1;
        *(nnrt_opt_kind *)field = (nnrt_opt_kind)w;
        return 0;
    case NNRT_HP_INIT:
        if (fl_word(flag, v, nnrt_init_rows, &w))
            return -1;
        *(nnrt_init *)field = (nnrt_init)w;
        return 0;
    }
    return -1;
}

static int fl_set(tr_opts *o, const fl_ref *r, const char *v)
{
    if (r->h)
        return fl_set_hparam(o, r->h, r->name, v);
    void *field = (char *)o + r->f->off;
    switch (r->f->kind) {
    case FK_FLAG:
        *(long *)field = 1;
        return 0;
    case FK_STR:
        if (!*v) {
            nnrt_train_msg("%s: empty %s", r->name, r->meta ? r->meta : "value");
            return -1;
        }
        *(const char **)field = v;
        return 0;
    case FK_COUNT:
        return fl_long(r->name, v, 1, LONG_MAX, (long *)field);
    case FK_INDEX: /* a column: below the loaders' limit of values per sample */
        return fl_long(r->name, v, 0, NNRT_MAX_VALUES - 1, (long *)field);
    case FK_POS:
        return fl_pos(r->name, v, (nnrt_real *)field);
    case FK_THREADS:
        return fl_threads(r->name, v, (long *)field);
    case FK_HPARAMS:
        break;
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* The command line                                                     */
/* ------------------------------------------------------------------ */

int nnrt_flags_given(const tr_opts *o, const char *name)
{
    fl_ref r;
    int i = fl_find(name, &r);
    return i >= 0 && ((o->given >> i) & 1u);
}

int nnrt_flags_parse(tr_opts *o, const nnrt_model *m, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->label_col = -1;
    o->cfg = m->defaults;
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
        fl_ref r;
        int fi = fl_find(name, &r);
        if (fi < 0) {
            char best[32];
            const char *s = fl_did_you_mean(name, best, sizeof best);
            if (s)
                nnrt_train_msg("unknown flag '%s' (did you mean %s?)", name, s);
            else
                nnrt_train_msg("unknown flag '%s' (see --help)", name);
            return TR_EXIT_USAGE;
        }
        const char *v = NULL;
        if (r.f && r.f->kind == FK_FLAG) {
            if (eq) {
                nnrt_train_msg("%s takes no value", r.name);
                return TR_EXIT_USAGE;
            }
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            nnrt_train_msg("%s needs a value (%s)", r.name, r.meta);
            return TR_EXIT_USAGE;
        }
        if (fl_set(o, &r, v))
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
        o->cfg.iterations = 0;
    if (gi)
        o->cfg.epochs = 0;
    if (o->cfg.epochs <= 0 && o->cfg.iterations <= 0)
        o->cfg.epochs = 1;
    if (o->load && o->resume) {
        nnrt_train_msg("--load and --resume cannot be used together (--resume also loads the "
                       "weights)");
        return TR_EXIT_USAGE;
    }
    /* numpy's generator takes what np.random.seed takes */
    if (nnrt_init_is_numpy(o->cfg.init) && o->cfg.seed > UINT32_MAX && !o->load && !o->resume) {
        nnrt_train_msg("seed %llu: init %s seeds numpy's generator, which takes 0 to %lu (as "
                       "np.random.seed)", (unsigned long long)o->cfg.seed,
                       nnrt_init_name(o->cfg.init), (unsigned long)UINT32_MAX);
        return TR_EXIT_USAGE;
    }
    nnrt_format fmt;
    if (o->format && nnrt_data_format_of(o->format, &fmt)) {
        nnrt_train_msg("--format: '%s' is not one of %s", o->format, NNRT_DATA_FORMATS);
        return TR_EXIT_USAGE;
    }
    /* standard input is read once: by one input at most */
    const char *in_flag[] = {"--train", "--test", "--predict", "--train-labels", "--test-labels"};
    const char *in_path[] = {o->train, o->test, o->predict, o->train_labels, o->test_labels};
    const char *stdin_by = NULL;
    for (size_t i = 0; i < sizeof in_flag / sizeof in_flag[0]; i++) {
        if (!in_path[i] || strcmp(in_path[i], "-") != 0)
            continue;
        if (stdin_by) {
            nnrt_train_msg("%s - and %s - both read standard input; only one input may be '-'",
                           stdin_by, in_flag[i]);
            return TR_EXIT_USAGE;
        }
        stdin_by = in_flag[i];
    }
    if (o->plot && !o->train) {
        nnrt_train_msg("--plot FILE draws the training: give --train FILE too");
        return TR_EXIT_USAGE;
    }
    if (o->out && !o->predict) {
        nnrt_train_msg("--out FILE is the output of --predict; give --predict FILE too");
        return TR_EXIT_USAGE;
    }
    /* loss perceptron: Rosenblatt's rule is sgd's step after every sample,
     * and its error signal is no gradient (docs/perceptron.md) */
    if (m->loss == NNRT_LOSS_PERCEPTRON) {
        if (o->gradcheck) {
            nnrt_train_msg("--gradcheck: model '%s' learns by the perceptron rule (loss "
                           "perceptron), whose error signal is no derivative: there is no "
                           "gradient to check", m->name);
            return TR_EXIT_USAGE;
        }
        if (o->cfg.optimizer != NNRT_OPT_SGD) {
            nnrt_train_msg("--optimizer %s: model '%s' learns by the perceptron rule (loss "
                           "perceptron), which is sgd's step", nnrt_opt_name(o->cfg.optimizer),
                           m->name);
            return TR_EXIT_USAGE;
        }
        if (o->cfg.batch != 1) {
            nnrt_train_msg("--batch: model '%s' learns by the perceptron rule (loss perceptron), "
                           "which updates after every sample: batch 1", m->name);
            return TR_EXIT_USAGE;
        }
    }
    /* the path: --isa's, else the one chosen at start-up (NNGEN_ISA's or
     * the best this CPU has); one that cannot run here is refused */
    nnrt_err err;
    if (nnrt_model_select(m, o->isa, "--isa", &err)) {
        nnrt_train_msg("%s", err.msg);
        return TR_EXIT_USAGE;
    }
    return 0;
}

void nnrt_flags_load_opts(const tr_opts *o, const nnrt_model *m, const char *labels,
                          nnrt_load_opts *lo)
{
    nnrt_load_opts_default(lo);
    lo->labels_path = labels;
    if (o->format)
        nnrt_data_format_of(o->format, &lo->format); /* checked by nnrt_flags_parse */
    lo->x_name = o->x_name;
    lo->y_name = o->y_name;
    lo->scale = o->scale;
    lo->label_col = (int)o->label_col; /* -1, or below NNRT_MAX_VALUES: fl_set */
    lo->label_cols = m->loss == NNRT_LOSS_CCE ? 1 : m->n_out;
    lo->model = m;
}

/* ------------------------------------------------------------------ */
/* --help and --info                                                    */
/* ------------------------------------------------------------------ */

/* "2-3 tanh-1 sigmoid" */
static void fl_shape(const nnrt_model *m, char *buf, size_t cap)
{
    size_t len = 0;
    int k = snprintf(buf, cap, "%d", m->n_in);
    len = k > 0 ? (size_t)k : 0;
    for (int l = 0; l < m->n_layers && len < cap; l++) {
        k = snprintf(buf + len, cap - len, "-%d %s", m->layers[l].units,
                     nnrt_act_name(m->layers[l].act));
        if (k < 0)
            break;
        len += (size_t)k;
    }
}

void nnrt_flags_help(const nnrt_model *m, FILE *out)
{
    const char *prog = nnrt_train_prog();
    char shape[512];
    fl_shape(m, shape, sizeof shape);
    fprintf(out,
            "usage: %s --train FILE [--test FILE] [flags]   train model '%s'\n"
            "       %s --load FILE --predict FILE [--out FILE]\n"
            "       %s --train FILE --gradcheck\n\n"
            "model '%s': %s, loss %s (from %s, nngen %s, %s path)\n\n"
            "flags (defaults from the spec in brackets):\n",
            prog, m->name, prog, prog, m->name, shape, nnrt_loss_name(m->loss),
            m->spec_file ? m->spec_file : "?", m->nngen_version ? m->nngen_version : "?",
            m->isa ? m->isa : "?");
    fl_ref r;
    for (size_t i = 0; fl_at(i, &r); i++) {
        char left[48], def[64] = "";
        snprintf(left, sizeof left, "%s%s%s", r.name, r.meta ? " " : "", r.meta ? r.meta : "");
        if (r.h)
            nnrt_hparam_format(r.h, &m->defaults, def, sizeof def);
        else if (r.f->kind == FK_THREADS)
            snprintf(def, sizeof def, "%d: the CPUs it may use", nnrt_threads_available());
        fprintf(out, "  %-22s %s%s%s%s\n", left, r.help, def[0] ? " [" : "", def,
                def[0] ? "]" : "");
    }
    fprintf(out, "\nexit status: 0 ok, 1 data or file error (or --gradcheck above %g), "
                 "2 usage error,\n3 training diverged (NaN/inf loss), 130 interrupted.  "
                 "See " NNRT_DOCDIR "/trainer.md.\n", TR_GC_LIMIT);
}

const char *nnrt_flags_implied_labels(const tr_opts *o, const char *data, const char *labels,
                                      char *buf, size_t cap)
{
    nnrt_load_opts lo;
    nnrt_load_opts_default(&lo);
    if (o->format)
        nnrt_data_format_of(o->format, &lo.format);
    if (labels || !data || nnrt_data_labels_file(data, &lo, buf, cap))
        return NULL;
    return buf;
}

void nnrt_flags_version(const nnrt_model *m)
{
    printf("nngen %s\n", m->nngen_version ? m->nngen_version : "?");
    printf("model %s, signature %016llx\n", m->name ? m->name : "?",
           (unsigned long long)m->signature);
}

void nnrt_flags_info(const nnrt_model *m)
{
    char shape[512];
    fl_shape(m, shape, sizeof shape);
    printf("model %s\nspec %s\nnngen %s\nisa %s (%s)\n", m->name,
           m->spec_file ? m->spec_file : "?", m->nngen_version ? m->nngen_version : "?",
           m->isa ? m->isa : "?", nnrt_model_why(m));
    if (m->dispatch) {
        printf("paths");
        for (int i = 0; i < m->dispatch->n_paths; i++) {
            const char *p = m->dispatch->paths[i].isa;
            printf(" %s%s", p, nnrt_cpu_has(p) ? "" : " (not on this CPU)");
        }
        printf("\n");
    }
    printf("shape %s\nloss %s\n", shape, nnrt_loss_name(m->loss));
    printf("signature %016llx\n", (unsigned long long)m->signature);
    printf("parameters %zu (%zu floats with padding)\n", m->n_weights, m->n_params);
    printf("dtype %s (%s)\n", NNRT_REAL_NAME,
           NNRT_REAL_IS_DOUBLE ? "nngen --dtype double: the scalar path, in double" : "float32");
    printf("flops per sample: forward %.0f, forward+backward %.0f\n", m->flops_fwd,
           m->flops_train);
    int cpus = nnrt_threads_available();
    long split = nnrt_threads_split_rows(m);
    printf("threads %d (the CPUs this process may run on; --threads N)\n", cpus);
    if (split == LONG_MAX)
        printf("chunks: none, a step is one loss_grad call on one thread\n");
    else
        printf("chunks: a step of %ld rows or more runs as 2, 4, 8 or 16 chunks on the "
               "threads, with the same weights on any number of them\n", split);
    for (int l = 0; l < m->n_layers; l++) {
        const nnrt_layer_info *L = &m->layers[l];
        printf("layer %d: %d -> %d %s (W at %zu, b at %zu; spec line %d)\n", l + 1, L->fan_in,
               L->units, nnrt_act_name(L->act), L->w_offset, L->b_offset, L->spec_line);
    }
}
