/*
 * nnrt_data.c -- data sets: format detection, the CSV loader, checking a
 * data set against a model, and target rows (docs/data.md).  The IDX
 * loader lives in nnrt_idx.c, the HDF5 loader in nnrt_hdf5.c.
 *
 * Every loader writes the features straight into the one float array the
 * data set keeps (m x n_features); nothing holds a second copy of them:
 *   CSV  parses line by line into a growing float buffer;
 *   IDX  reads blocks of bytes (plain or gzip, both through zlib) and
 *        converts each block into the float array (nnrt_idx.c);
 *   HDF5 lets H5Dread convert into the float array (nnrt_hdf5.c).
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_data_internal.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

/* ------------------------------------------------------------------ */
/* Options, freeing, the path                                           */
/* ------------------------------------------------------------------ */

static void data_set_path(nnrt_dataset *d, const char *path)
{
    snprintf(d->path, sizeof d->path, "%s", path);
}

void nnrt_load_opts_default(nnrt_load_opts *o)
{
    o->format = NNRT_FMT_AUTO;
    o->labels_path = NULL;
    o->x_name = NULL;
    o->y_name = NULL;
    o->scale = 0.0f; /* = 1/255 */
    o->label_col = -1;
    o->label_cols = 1;
    o->header = -1;
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
/* CSV                                                                  */
/* ------------------------------------------------------------------ */
/* Comma-separated numbers, one sample per line; blank lines skipped; an
 * optional header line; no quoting.  Read through zlib so .csv.gz works. */

typedef struct csv_reader {
    gzFile gz;
    char *line;
    size_t cap;
    long lineno;
} csv_reader;

/* Next line into r->line (without the newline).  1 = got one, 0 = end,
 * -1 = error (e filled). */
static int csv_getline(csv_reader *r, const char *path, nnrt_err *e)
{
    size_t len = 0;
    for (;;) {
        if (r->cap - len < 2) {
            size_t ncap = r->cap ? r->cap * 2 : 4096;
            char *p = realloc(r->line, ncap);
            if (!p)
                return nnrt_errorf(e, "%s:%ld: out of memory for a line", path, r->lineno + 1);
            r->line = p;
            r->cap = ncap;
        }
        size_t room = r->cap - len;
        if (room > INT_MAX)
            room = INT_MAX;
        if (!gzgets(r->gz, r->line + len, (int)room)) {
            int zerr = Z_OK;
            const char *zmsg = nnrt_data_gz_msg(r->gz, path, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return nnrt_errorf(e, "%s:%ld: gzip: %s (file corrupted)", path, r->lineno + 1,
                                   zmsg);
            if (len == 0)
                return 0;
            break; /* last line without a newline */
        }
        len += strlen(r->line + len);
        if (len > 0 && r->line[len - 1] == '\n')
            break;
        if (gzeof(r->gz))
            break;
    }
    r->lineno++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    return 1;
}

static int csv_is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    return *s == '\0';
}

static int csv_count_fields(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == ',';
    return n;
}

/* Trim the field [*b, *end) of spaces and tabs. */
static void csv_trim(const char **b, const char **end)
{
    while (*b < *end && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*end > *b && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
        (*end)--;
}

/* Parse [b, end) as a float; 0 on success. */
/* The common case without strtof (which costs most of a CSV load):
 * [+-]digits[.digits][e[+-]digits] whose value is m * 10^k with m <= 2^24
 * and |k| <= 10.  Then m and 10^|k| are exact floats and one IEEE multiply
 * or divide gives the correctly rounded result -- the same float strtof
 * returns (Clinger's fast path, in single precision).  Anything else: -1,
 * and strtof decides. */
static int csv_fast_number(const char *p, const char *end, float *v)
{
#if FLT_EVAL_METHOD == 0
    static const float p10[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                  1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    int neg = 0, digits = 0, sig = 0;
    long k = 0;
    uint64_t m = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        if (sig >= 18)
            return -1;
        m = m * 10 + (uint64_t)(*p - '0');
        sig += m != 0;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++, k--) {
            if (sig >= 18)
                return -1;
            m = m * 10 + (uint64_t)(*p - '0');
            sig += m != 0;
        }
    }
    if (digits == 0)
        return -1;
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0, edigits = 0;
        long ex = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++, edigits++)
            if (ex < 100000)
                ex = ex * 10 + (*p - '0');
        if (edigits == 0)
            return -1;
        k += eneg ? -ex : ex;
    }
    if (p != end)
        return -1;
    if (m == 0) {
        *v = neg ? -0.0f : 0.0f;
        return 0;
    }
    while (m % 10 == 0) {
        m /= 10;
        k++;
    }
    if (m > (1u << 24) || k < -10 || k > 10)
        return -1;
    float f = k >= 0 ? (float)m * p10[k] : (float)m / p10[-k];
    *v = neg ? -f : f;
    return 0;
#else
    (void)p, (void)end, (void)v;
    return -1;
#endif
}

static int csv_number(const char *b, const char *end, float *v)
{
    if (csv_fast_number(b, end, v) == 0)
        return 0;
    char small[128];
    size_t n = (size_t)(end - b);
    if (n == 0)
        return -1;
    char *tmp = n < sizeof small ? small : malloc(n + 1);
    if (!tmp)
        return -1;
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    char *stop;
    float f = strtof(tmp, &stop);
    int ok = stop == tmp + n;
    if (tmp != small)
        free(tmp);
    if (!ok)
        return -1;
    /* Out of range: strtof's inf or denormal stands (nnrt_dataset_check
     * refuses inf). */
    *v = f;
    return 0;
}

/* 1 if every field of the line fails to parse as a number (a header). */
static int csv_looks_like_header(const char *s)
{
    for (;;) {
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        const char *b = s, *t = end;
        float v;
        csv_trim(&b, &t);
        if (csv_number(b, t, &v) == 0)
            return 0;
        if (*end == '\0')
            return 1;
        s = end + 1;
    }
}

typedef struct csv_out {
    float *x, *y;
    size_t rows, cap; /* rows filled, rows allocated */
    int ncols, nf, k, lab0;
} csv_out;

static int csv_grow(csv_out *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    size_t fx = (size_t)(c->nf > 0 ? c->nf : 1), fy = (size_t)c->k;
    if (ncap > SIZE_MAX / sizeof(float) / (fx > fy ? fx : fy))
        return -1;
    float *x = realloc(c->x, ncap * fx * sizeof(float));
    if (!x)
        return -1;
    c->x = x;
    float *y = realloc(c->y, ncap * fy * sizeof(float));
    if (!y)
        return -1;
    c->y = y;
    c->cap = ncap;
    return 0;
}

/* Parse one data line into row c->rows. */
static int csv_row(csv_out *c, const char *s, const char *path, long lineno, nnrt_err *e)
{
    int found = csv_count_fields(s);
    if (found != c->ncols)
        return nnrt_errorf(e, "%s:%ld: expected %d columns, found %d", path, lineno, c->ncols,
                           found);
    if (c->rows == c->cap && csv_grow(c))
        return nnrt_errorf(e, "%s:%ld: out of memory after %zu rows", path, lineno, c->rows);
    float *xr = c->x + c->rows * (size_t)c->nf;
    float *yr = c->y + c->rows * (size_t)c->k;
    int fi = 0;
    for (int col = 0; col < c->ncols; col++) {
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        const char *b = s, *t = end;
        float v;
        csv_trim(&b, &t);
        if (b == t)
            return nnrt_errorf(e, "%s:%ld: column %d: empty field", path, lineno, col + 1);
        if (csv_number(b, t, &v)) {
            size_t n = (size_t)(t - b);
            const char *hint = memchr(b, ';', n) || memchr(b, '\t', n)
                                   ? " (columns are separated by ',' only)" : "";
            char shown[48]; /* the field, at most 40 bytes, unprintable ones as '?' */
            size_t k = n > 40 ? 40 : n;
            for (size_t i = 0; i < k; i++)
                shown[i] = isprint((unsigned char)b[i]) ? b[i] : '?';
            shown[k] = '\0';
            return nnrt_errorf(e, "%s:%ld: column %d: '%s%s' is not a number%s", path, lineno,
                               col + 1, shown, n > 40 ? "..." : "", hint);
        }
        if (col >= c->lab0 && col < c->lab0 + c->k)
            yr[col - c->lab0] = v;
        else
            xr[fi++] = v;
        s = *end ? end + 1 : end;
    }
    c->rows++;
    return 0;
}

static int csv_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *d, nnrt_err *e)
{
    if (nnrt_data_check_path(path, e))
        return -1;
    csv_reader r = {0};
    csv_out c = {0};
    int rc = -1, got;
    int k = o->label_cols > 0 ? o->label_cols : 1;
    errno = 0;
    r.gz = gzopen(path, "rb");
    if (!r.gz)
        return nnrt_errorf(e, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    c.k = k;
    int first = 1;
    while ((got = csv_getline(&r, path, e)) == 1) {
        if (r.lineno == 1 && strncmp(r.line, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM */
            memmove(r.line, r.line + 3, strlen(r.line + 3) + 1);
        if (csv_is_blank(r.line))
            continue;
        if (first) {
            first = 0;
            c.ncols = csv_count_fields(r.line);
            if (o->label_col >= 0 && o->label_col + k > c.ncols) {
                if (k == 1)
                    nnrt_errorf(e, "%s: label column %d is out of range (the file has %d "
                                   "columns, counted from 0)", path, o->label_col, c.ncols);
                else
                    nnrt_errorf(e, "%s: label columns %d..%d are out of range (the file has %d "
                                   "columns, counted from 0)", path, o->label_col,
                                o->label_col + k - 1, c.ncols);
                goto done;
            }
            if (c.ncols <= k) {
                int sep = strchr(r.line, ';') || strchr(r.line, '\t');
                nnrt_errorf(e, "%s:%ld: %d column%s no features beside %d label column%s%s",
                            path, r.lineno, c.ncols, c.ncols == 1 ? " leaves" : "s leave", k,
                            k == 1 ? "" : "s",
                            sep ? " (columns are separated by ',' only)" : "");
                goto done;
            }
            c.nf = c.ncols - k;
            c.lab0 = o->label_col >= 0 ? o->label_col : c.ncols - k;
            int header = o->header < 0 ? csv_looks_like_header(r.line) : o->header;
            if (header)
                continue;
        }
        if (csv_row(&c, r.line, path, r.lineno, e))
            goto done;
    }
    if (got < 0)
        goto done;
    if (c.rows > (size_t)LONG_MAX) {
        nnrt_errorf(e, "%s: too many rows", path);
        goto done;
    }
    if (c.rows == 0) {
        free(c.x);
        free(c.y);
        c.x = c.y = NULL;
    } else if (c.rows < c.cap) { /* give back the unused tail */
        float *x = realloc(c.x, c.rows * (size_t)c.nf * sizeof(float));
        float *y = realloc(c.y, c.rows * (size_t)c.k * sizeof(float));
        if (x)
            c.x = x;
        if (y)
            c.y = y;
    }
    d->m = (long)c.rows;
    d->n_features = c.nf;
    d->label_cols = k;
    d->x = c.x;
    d->y = c.y;
    c.x = c.y = NULL;
    rc = 0;
done:
    free(c.x);
    free(c.y);
    free(r.line);
    gzclose(r.gz);
    return rc;
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
        if (nnrt_data_ends_with(path, ".csv.gz")) {
            *fmt = NNRT_FMT_CSV;
            return 0;
        }
        return nnrt_errorf(e, "%s: gzip-compressed, but not an IDX file inside (and not named "
                              ".csv.gz)", path);
    }
    if (data_is_idx_magic(b, n)) {
        *fmt = NNRT_FMT_IDX;
        return 0;
    }
    if (nnrt_data_ends_with(path, ".csv")) {
        *fmt = NNRT_FMT_CSV;
        return 0;
    }
    if (n == 0)
        return nnrt_errorf(e, "%s: empty file", path);
    if (nnrt_data_ends_with(path, ".h5") || nnrt_data_ends_with(path, ".hdf5"))
        return nnrt_errorf(e, "%s: not an HDF5 file (bad magic)", path);
    return nnrt_errorf(e, "%s: unknown data format (expected HDF5, IDX, gzip-compressed IDX or "
                          "a .csv file)", path);
}

int nnrt_load(const char *path, const nnrt_load_opts *opts, nnrt_dataset *out, nnrt_err *e)
{
    nnrt_load_opts o;
    memset(out, 0, sizeof *out);
    if (opts)
        o = *opts;
    else
        nnrt_load_opts_default(&o);
    if (!(o.scale > 0.0f || o.scale < 0.0f)) /* 0 (or NaN): the default */
        o.scale = 1.0f / 255.0f;
    if (!path || !*path)
        return nnrt_errorf(e, "no data file given");
    if (nnrt_data_check_path(path, e))
        return -1;
    nnrt_format fmt = o.format;
    if (fmt == NNRT_FMT_AUTO && data_sniff(path, &fmt, e))
        return -1;
    int rc;
    switch (fmt) {
    case NNRT_FMT_CSV:
        rc = csv_load(path, &o, out, e);
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

static const char *data_bad_float(float v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "inf" : "-inf";
    return NULL;
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
        if (d->label_cols != m->n_out)
            return nnrt_errorf(e, "%s: %d label column%s per sample, but model '%s' (bce) has %d "
                                  "output%s, one 0/1 label each", p, d->label_cols,
                               d->label_cols == 1 ? "" : "s", name, m->n_out,
                               m->n_out == 1 ? "" : "s");
        break;
    default:
        if (d->label_cols != m->n_out)
            return nnrt_errorf(e, "%s: %d target column%s per sample, but model '%s' (mse) has "
                                  "%d output%s", p, d->label_cols, d->label_cols == 1 ? "" : "s",
                               name, m->n_out, m->n_out == 1 ? "" : "s");
        break;
    }
    size_t nf = (size_t)d->n_features, k = (size_t)d->label_cols;
    for (long i = 0; i < d->m; i++) {
        const float *r = d->x + (size_t)i * nf;
        for (size_t j = 0; j < nf; j++) {
            const char *bad = data_bad_float(r[j]);
            if (bad)
                return nnrt_errorf(e, "%s: sample %ld, feature %zu is %s", p, i, j, bad);
        }
    }
    for (long i = 0; i < d->m; i++) {
        const float *r = d->y + (size_t)i * k;
        for (size_t j = 0; j < k; j++) {
            float v = r[j];
            const char *bad = data_bad_float(v);
            char lab[32] = "label";
            if (k > 1)
                snprintf(lab, sizeof lab, "label %zu", j);
            if (bad)
                return nnrt_errorf(e, "%s: sample %ld, %s is %s", p, i, lab, bad);
            if (m->loss == NNRT_LOSS_BCE && v != 0.0f && v != 1.0f)
                return nnrt_errorf(e, "%s: sample %ld, %s is %g, but bce needs 0 or 1", p, i, lab,
                                   (double)v);
            if (m->loss == NNRT_LOSS_CCE &&
                (v < 0.0f || v > (float)(m->n_out - 1) || v != floorf(v)))
                return nnrt_errorf(e, "%s: sample %ld, label is %g, but model '%s' (cce) takes a "
                                      "class index 0..%d", p, i, (double)v, name, m->n_out - 1);
        }
    }
    return 0;
}

void nnrt_make_targets(const nnrt_dataset *d, const nnrt_model *m, const long *idx, long n,
                       float *y_out)
{
    size_t k = (size_t)d->label_cols, no = (size_t)m->n_out;
    for (long r = 0; r < n; r++) {
        long i = idx ? idx[r] : r;
        const float *src = d->y + (size_t)i * k;
        float *dst = y_out + (size_t)r * no;
        if (m->loss == NNRT_LOSS_CCE) {
            memset(dst, 0, no * sizeof(float));
            long c = (long)src[0];
            if (c >= 0 && (size_t)c < no)
                dst[c] = 1.0f;
        } else {
            size_t c = k < no ? k : no;
            memcpy(dst, src, c * sizeof(float));
            for (size_t j = c; j < no; j++)
                dst[j] = 0.0f;
        }
    }
}
