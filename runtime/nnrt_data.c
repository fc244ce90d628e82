/*
 * nnrt_data.c -- the one entry point for data sets (docs/data.md): the
 * format by its first bytes and name (or --format's word), nnrt_load
 * handing the file to its loader (nnrt_csv.c, nnrt_idx.c, nnrt_hdf5.c,
 * nnrt_npy_data.c), standard input ("-", CSV or TSV only), freeing,
 * checking a data set against a model, and target rows.
 *
 * Every loader writes the features straight into the one float array the
 * data set keeps (m x n_features); nothing holds a second copy of them:
 *   CSV  parses line by line into a growing float buffer (nnrt_csv.c);
 *   IDX  reads blocks of bytes (plain or gzip, both through zlib) and
 *        converts each block into the float array (nnrt_idx.c);
 *   HDF5 lets H5Dread convert into the float array (nnrt_hdf5.c).
 */
#include "nnrt_data_internal.h"
#include "nnrt_vocab.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* ------------------------------------------------------------------ */
/* Options, freeing, the path                                           */
/* ------------------------------------------------------------------ */

static void data_set_path(nnrt_dataset *d, const char *path)
{
    snprintf(d->path, sizeof d->path, "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
}

void nnrt_load_opts_default(nnrt_load_opts *o)
{
    o->format = NNRT_FMT_AUTO;
    o->labels_path = NULL;
    o->x_name = NULL;
    o->y_name = NULL;
    o->scale = 0; /* = 1/255 */
    o->label_col = -1;
    o->label_cols = 1;
    o->header = -1;
    o->features = 0;
    o->model = NULL;
    o->max_bytes = 0;
    o->threads = 0;
}

void nnrt_dataset_free(nnrt_dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------------ */
/* Format detection and the entry point                                 */
/* ------------------------------------------------------------------ */

static const unsigned char data_hdf5_magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static int data_is_idx_magic(const unsigned char *b, size_t n)
{
    return n >= 4 && b[0] == 0 && b[1] == 0 && (b[2] == 0x08 || b[2] == 0x09 || b[2] == 0x0B ||
                                                 b[2] == 0x0C || b[2] == 0x0D || b[2] == 0x0E) &&
           b[3] > 0;
}

/* By magic bytes, then by extension.  Fills *fmt or e. */
static int data_sniff(const char *path, nnrt_format *fmt, nnrt_err *e)
{
    unsigned char b[8];
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    size_t n = fread(b, 1, sizeof b, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad)
        return nnrt_errorf(e, "%s: read error", path);
    if (n == 8 && memcmp(b, data_hdf5_magic, 8) == 0) {
        *fmt = NNRT_FMT_HDF5;
        return 0;
    }
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        unsigned char in[4];
        gzFile gz = gzopen(path, "rb");
        int r = gz ? gzread(gz, in, 4) : -1;
        if (gz && r < 0) {
            int zerr = Z_OK;
            const char *zmsg = nnrt_data_gz_msg(gz, path, &zerr);
            nnrt_errorf(e, "%s: gzip: %s (file corrupted)", path, zmsg);
            gzclose(gz);
            return -1;
        }
        if (gz)
            gzclose(gz);
        if (r == 4 && data_is_idx_magic(in, 4)) {
            *fmt = NNRT_FMT_IDX;
            return 0;
        }
        if (nnrt_data_ends_with(path, ".csv.gz") || nnrt_data_ends_with(path, ".tsv.gz")) {
            *fmt = nnrt_data_ends_with(path, ".csv.gz") ? NNRT_FMT_CSV : NNRT_FMT_TSV;
            return 0;
        }
        return nnrt_errorf(e, "%s: gzip-compressed, but not an IDX file inside (and not named "
                              ".csv.gz or .tsv.gz)", path);
    }
    if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) { /* numpy (nnrt_npy_data.c) */
        *fmt = NNRT_FMT_NPY;
        return 0;
    }
    if (n >= 4 && (memcmp(b, "PK\x03\x04", 4) == 0 || memcmp(b, "PK\x05\x06", 4) == 0)) {
        *fmt = NNRT_FMT_NPZ;
        return 0;
    }
    if (data_is_idx_magic(b, n)) {
        *fmt = NNRT_FMT_IDX;
        return 0;
    }
    if (nnrt_data_ends_with(path, ".csv") || nnrt_data_ends_with(path, ".tsv")) {
        *fmt = nnrt_data_ends_with(path, ".csv") ? NNRT_FMT_CSV : NNRT_FMT_TSV;
        return 0;
    }
    if (n == 0)
        return nnrt_errorf(e, "%s: empty file", path);
    if (nnrt_data_ends_with(path, ".h5") || nnrt_data_ends_with(path, ".hdf5"))
        return nnrt_errorf(e, "%s: not an HDF5 file (bad magic)", path);
    if (nnrt_data_ends_with(path, ".npy") || nnrt_data_ends_with(path, ".npz"))
        return nnrt_errorf(e, "%s: not a numpy %s file (bad magic)", path,
                           nnrt_data_ends_with(path, ".npy") ? ".npy" : ".npz");
    return nnrt_errorf(e, "%s: unknown data format (expected HDF5, IDX, gzip-compressed IDX, "
                          ".npy, .npz, or a file named .csv or .tsv; --format names one)", path);
}

/* --format's words, in the order NNRT_DATA_FORMATS lists them. */
static const struct {
    const char *word;
    nnrt_format fmt;
} data_formats[] = {{"csv", NNRT_FMT_CSV}, {"tsv", NNRT_FMT_TSV},  {"idx", NNRT_FMT_IDX},
                    {"hdf5", NNRT_FMT_HDF5}, {"npz", NNRT_FMT_NPZ}, {"npy", NNRT_FMT_NPY}};

int nnrt_data_format_of(const char *word, nnrt_format *fmt)
{
    for (size_t i = 0; i < sizeof data_formats / sizeof data_formats[0]; i++)
        if (strcmp(word, data_formats[i].word) == 0) {
            *fmt = data_formats[i].fmt;
            return 0;
        }
    return -1;
}

static const char *data_format_word(nnrt_format fmt)
{
    for (size_t i = 0; i < sizeof data_formats / sizeof data_formats[0]; i++)
        if (data_formats[i].fmt == fmt)
            return data_formats[i].word;
    return "?";
}

int nnrt_data_labels_file(const char *path, const nnrt_load_opts *o, char *out, size_t cap)
{
    nnrt_format fmt = o ? o->format : NNRT_FMT_AUTO;
    nnrt_err e;
    const char *kind;
    if ((o && o->labels_path) || !path || strcmp(path, "-") == 0 ||
        nnrt_data_check_path(path, &kind, &e) || kind)
        return -1;
    if (fmt == NNRT_FMT_AUTO && data_sniff(path, &fmt, &e))
        return -1;
    return fmt == NNRT_FMT_IDX ? nnrt_idx_labels_path(path, out, cap) : -1;
}

int nnrt_load(const char *path, const nnrt_load_opts *opts, nnrt_dataset *out, nnrt_err *e)
{
    nnrt_load_opts o;
    memset(out, 0, sizeof *out);
    if (opts)
        o = *opts;
    else
        nnrt_load_opts_default(&o);
    if (!(o.scale > 0 || o.scale < 0)) /* 0 (or NaN): the default */
        o.scale = (nnrt_real)1 / 255; /* the loaders divide by 255 */
    if (!path || !*path)
        return nnrt_errorf(e, "no data file given");
    if (o.label_col < -1 || o.label_col >= NNRT_MAX_VALUES)
        return nnrt_errorf(e, "%s: label column %d is out of range (0..%d)", path, o.label_col,
                           NNRT_MAX_VALUES - 1);
    if (o.label_cols < 0 || o.label_cols > NNRT_MAX_VALUES || o.features < 0 ||
        o.features > NNRT_MAX_VALUES)
        return nnrt_errorf(e, "%s: %d label columns or %d features is out of range (0..%d)",
                           path, o.label_cols, o.features, NNRT_MAX_VALUES);
    const char *kind = "standard input";
    nnrt_format fmt = o.format;
    if (strcmp(path, "-") == 0) { /* standard input: CSV unless --format says TSV */
        if (fmt == NNRT_FMT_AUTO)
            fmt = NNRT_FMT_CSV;
        if (fmt != NNRT_FMT_CSV && fmt != NNRT_FMT_TSV)
            return nnrt_errorf(e, "<stdin>: standard input is read as CSV or TSV only (%s needs "
                                  "a file it can seek in or reopen)", data_format_word(fmt));
    } else if (nnrt_data_check_path(path, &kind, e)) {
        return -1;
    }
    /* A pipe or a device is read once, as it comes: sniffing its first
     * bytes would lose them, and only CSV is read front to back alone. */
    if (kind && fmt == NNRT_FMT_AUTO &&
        (nnrt_data_ends_with(path, ".csv") || nnrt_data_ends_with(path, ".csv.gz")))
        fmt = NNRT_FMT_CSV;
    if (kind && fmt == NNRT_FMT_AUTO &&
        (nnrt_data_ends_with(path, ".tsv") || nnrt_data_ends_with(path, ".tsv.gz")))
        fmt = NNRT_FMT_TSV;
    if (kind && fmt != NNRT_FMT_CSV && fmt != NNRT_FMT_TSV)
        return nnrt_errorf(e, "%s: is %s, not a regular file (only CSV or TSV, named .csv or "
                              ".tsv or given --format, is read from a pipe or device)", path,
                           kind);
    if (fmt == NNRT_FMT_AUTO && data_sniff(path, &fmt, e))
        return -1;
    int rc;
    switch (fmt) {
    case NNRT_FMT_CSV:
    case NNRT_FMT_TSV:
        rc = nnrt_csv_load(path, fmt == NNRT_FMT_TSV ? '\t' : ',', &o, out, e);
        break;
    case NNRT_FMT_IDX:
        rc = nnrt_idx_load(path, &o, out, e);
        break;
    case NNRT_FMT_HDF5:
#ifdef NNRT_HAVE_HDF5
        rc = nnrt_hdf5_load(path, &o, out, e);
#else
        rc = nnrt_errorf(e, "%s: this build of libnnrt has no HDF5 support", path);
#endif
        break;
    case NNRT_FMT_NPY:
        rc = nnrt_npy_load(path, &o, out, e);
        break;
    case NNRT_FMT_NPZ:
        rc = nnrt_npz_load(path, &o, out, e);
        break;
    default:
        rc = nnrt_errorf(e, "%s: unknown format code %d", path, (int)fmt);
        break;
    }
    if (rc) {
        nnrt_dataset_free(out);
        return -1;
    }
    data_set_path(out, path);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Checking against a model; targets                                    */
/* ------------------------------------------------------------------ */

static const char *data_bad_float(nnrt_real v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "inf" : "-inf";
    return NULL;
}

/* Are x[0..n) all finite?  A branch-free pass over the bits (an exponent
 * of all ones is inf or NaN) that the compiler turns into vector code:
 * Fashion-MNIST's 47 million floats in a third of the time isnan and
 * isinf one by one took.  Only when it says no is the bad one looked for. */
static int data_all_finite(const nnrt_real *x, size_t n)
{
#if NNRT_REAL_IS_DOUBLE
    typedef uint64_t bits;
    const bits expo = 0x7ff0000000000000u;
#else
    typedef uint32_t bits;
    const bits expo = 0x7f800000u;
#endif
    bits bad = 0;
    for (size_t i = 0; i < n; i++) {
        bits u;
        memcpy(&u, &x[i], sizeof u);
        bad |= (bits)((u & expo) == expo);
    }
    return bad == 0;
}

int nnrt_dataset_check(const nnrt_dataset *d, const nnrt_model *m, nnrt_err *e)
{
    const char *p = d->path[0] ? d->path : "data";
    const char *name = m->name ? m->name : "?";
    if (d->m <= 0)
        return nnrt_errorf(e, "%s: no samples", p);
    if (d->n_features != m->n_in)
        return nnrt_errorf(e, "%s: %d features per sample, but model '%s' takes %d", p,
                           d->n_features, name, m->n_in);
    switch (m->loss) {
    case NNRT_LOSS_CCE:
        if (d->label_cols != 1)
            return nnrt_errorf(e, "%s: %d label columns per sample, but model '%s' (cce) takes "
                                  "one class index 0..%d", p, d->label_cols, name, m->n_out - 1);
        break;
    case NNRT_LOSS_BCE:
    case NNRT_LOSS_PERCEPTRON:
        if (d->label_cols != m->n_out)
            return nnrt_errorf(e, "%s: %d label column%s per sample, but model '%s' (%s) has %d "
                                  "output%s, one 0/1 label each", p, d->label_cols,
                               d->label_cols == 1 ? "" : "s", name, nnrt_loss_name(m->loss),
                               m->n_out, m->n_out == 1 ? "" : "s");
        break;
    default:
        if (d->label_cols != m->n_out)
            return nnrt_errorf(e, "%s: %d target column%s per sample, but model '%s' (mse) has "
                                  "%d output%s", p, d->label_cols, d->label_cols == 1 ? "" : "s",
                               name, m->n_out, m->n_out == 1 ? "" : "s");
        break;
    }
    size_t nf = (size_t)d->n_features, k = (size_t)d->label_cols;
    int x_finite = data_all_finite(d->x, (size_t)d->m * nf);
    for (long i = 0; !x_finite && i < d->m; i++) {
        const nnrt_real *r = d->x + (size_t)i * nf;
        for (size_t j = 0; j < nf; j++) {
            const char *bad = data_bad_float(r[j]);
            if (bad)
                return nnrt_errorf(e, "%s: sample %ld, feature %zu is %s", p, i, j, bad);
        }
    }
    for (long i = 0; i < d->m; i++) {
        const nnrt_real *r = d->y + (size_t)i * k;
        for (size_t j = 0; j < k; j++) {
            nnrt_real v = r[j];
            const char *bad = data_bad_float(v);
            char lab[32] = "label";
            if (k > 1)
                snprintf(lab, sizeof lab, "label %zu", j);
            if (bad)
                return nnrt_errorf(e, "%s: sample %ld, %s is %s", p, i, lab, bad);
            if ((m->loss == NNRT_LOSS_BCE || m->loss == NNRT_LOSS_PERCEPTRON) && v != 0 &&
                v != 1)
                return nnrt_errorf(e, "%s: sample %ld, %s is %g, but %s needs 0 or 1", p, i, lab,
                                   (double)v, nnrt_loss_name(m->loss));
            if (m->loss == NNRT_LOSS_CCE &&
                (v < 0 || v > (nnrt_real)(m->n_out - 1) || v != (nnrt_real)floor((double)v)))
                return nnrt_errorf(e, "%s: sample %ld, label is %g, but model '%s' (cce) takes a "
                                      "class index 0..%d", p, i, (double)v, name, m->n_out - 1);
        }
    }
    return 0;
}

void nnrt_make_targets(const nnrt_dataset *d, const nnrt_model *m, const long *idx, long n,
                       nnrt_real *y_out)
{
    size_t k = (size_t)d->label_cols, no = (size_t)m->n_out;
    for (long r = 0; r < n; r++) {
        long i = idx ? idx[r] : r;
        const nnrt_real *src = d->y + (size_t)i * k;
        nnrt_real *dst = y_out + (size_t)r * no;
        if (m->loss == NNRT_LOSS_CCE) {
            memset(dst, 0, no * sizeof(nnrt_real));
            long c = (long)src[0];
            if (c >= 0 && (size_t)c < no)
                dst[c] = 1;
        } else {
            size_t c = k < no ? k : no;
            memcpy(dst, src, c * sizeof(nnrt_real));
            for (size_t j = c; j < no; j++)
                dst[j] = 0;
        }
    }
}
