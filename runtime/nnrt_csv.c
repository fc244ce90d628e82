/*
 * nnrt_csv.c -- the CSV loader, plain or gzip-compressed (docs/data.md).
 * nnrt_load calls nnrt_csv_load once the file is known to be CSV.
 *
 * Comma-separated numbers (or tab-separated: TSV, the same loader with
 * another separator), one sample per line; blank lines skipped; an
 * optional header line; no quoting.  Read through zlib so .csv.gz works,
 * front to back only, so standard input ("-") works too.
 */
#include "nnrt_data_internal.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#define CSV_BLOCK 65536 /* bytes read from the file at a time */

typedef struct csv_reader {
    gzFile gz;
    char *blk;          /* CSV_BLOCK bytes read ahead */
    size_t bpos, blen;  /* the unread part of blk: [bpos, blen) */
    int eof;
    char *line;         /* the current line, NUL-terminated */
    size_t cap;
    long lineno;
} csv_reader;

/* Makes room for a line of n bytes and its NUL; 0 or -1 (e filled). */
static int csv_room(csv_reader *r, size_t n, const char *path, nnrt_err *e)
{
    if (n > (size_t)NNRT_CSV_MAX_LINE)
        return nnrt_errorf(e, "%s:%ld: line longer than %ld bytes (not a CSV file?)", path,
                           r->lineno + 1, NNRT_CSV_MAX_LINE);
    if (n + 1 <= r->cap)
        return 0;
    size_t ncap = r->cap ? r->cap : 4096;
    while (ncap < n + 1)
        ncap *= 2;
    char *p = realloc(r->line, ncap);
    if (!p)
        return nnrt_errorf(e, "%s:%ld: out of memory for a line", path, r->lineno + 1);
    r->line = p;
    r->cap = ncap;
    return 0;
}

/* Next line into r->line (without the newline).  1 = got one, 0 = end,
 * -1 = error (e filled).  Every byte is accounted for: a NUL byte is an
 * error (it is not text), and so is a line longer than NNRT_CSV_MAX_LINE
 * (an endless stream without newlines). */
static int csv_getline(csv_reader *r, const char *path, nnrt_err *e)
{
    size_t len = 0;
    int got = 0;
    for (;;) {
        if (r->bpos == r->blen) {
            if (r->eof)
                break;
            int k = gzread(r->gz, r->blk, CSV_BLOCK);
            int zerr = Z_OK;
            const char *zmsg = nnrt_data_gz_msg(r->gz, path, &zerr);
            if (k < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR))
                return nnrt_errorf(e, "%s:%ld: gzip: %s (file corrupted)", path, r->lineno + 1,
                                   zmsg);
            if (k == 0) {
                if (zerr == Z_BUF_ERROR)
                    return nnrt_errorf(e, "%s:%ld: gzip: %s (file truncated)", path,
                                       r->lineno + 1, zmsg);
                r->eof = 1;
                break;
            }
            r->bpos = 0;
            r->blen = (size_t)k;
        }
        const char *s = r->blk + r->bpos;
        size_t avail = r->blen - r->bpos;
        const char *nl = memchr(s, '\n', avail);
        size_t take = nl ? (size_t)(nl - s) : avail;
        const char *z = memchr(s, '\0', take);
        if (z)
            return nnrt_errorf(e, "%s:%ld: a NUL byte at byte %zu of the line (not a text "
                                  "file?)", path, r->lineno + 1, len + (size_t)(z - s) + 1);
        if (csv_room(r, len + take, path, e))
            return -1;
        memcpy(r->line + len, s, take);
        len += take;
        r->bpos += take + (nl != NULL);
        got = 1;
        if (nl)
            break;
    }
    if (!got)
        return 0;
    r->line[len] = '\0';
    r->lineno++;
    while (len > 0 && r->line[len - 1] == '\r')
        r->line[--len] = '\0';
    return 1;
}

static int csv_is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    return *s == '\0';
}

static int csv_count_fields(const char *s, char sep)
{
    int n = 1;
    for (; *s; s++)
        n += *s == sep;
    return n;
}

/* The next field of the line at *s: [*b, *t) trimmed of spaces and tabs
 * (and a trailing CR); *s moves past its separator.  Returns 1 if it was
 * the line's last field. */
static int csv_field(const char **s, char sep, const char **b, const char **t)
{
    const char *end = strchr(*s, sep);
    int last = end == NULL;
    if (last)
        end = *s + strlen(*s);
    *b = *s;
    *t = end;
    while (*b < *t && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*t > *b && ((*t)[-1] == ' ' || (*t)[-1] == '\t' || (*t)[-1] == '\r'))
        (*t)--;
    *s = last ? end : end + 1;
    return last;
}

/* The common case without strtof (which costs most of a CSV load):
 * [+-]digits[.digits][e[+-]digits] whose value is m * 10^k with m <= 2^24
 * and |k| <= 10.  Then m and 10^|k| are exact floats and one IEEE multiply
 * or divide gives the correctly rounded result -- the same float strtof
 * returns (Clinger's fast path, in single precision).  Anything else: -1,
 * and strtof decides. */
static int csv_fast_number(const char *p, const char *end, nnrt_real *v)
{
#if FLT_EVAL_METHOD == 0 && !NNRT_REAL_IS_DOUBLE /* double: strtod decides */
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

/* Parse [b, end) as a float; 0 on success. */
static int csv_number(const char *b, const char *end, nnrt_real *v)
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
    nnrt_real f = NNRT_REAL_IS_DOUBLE ? (nnrt_real)strtod(tmp, &stop) : (nnrt_real)strtof(tmp, &stop);
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
static int csv_looks_like_header(const char *s, char sep)
{
    for (;;) {
        const char *b, *t;
        nnrt_real v;
        int last = csv_field(&s, sep, &b, &t);
        if (csv_number(b, t, &v) == 0)
            return 0;
        if (last)
            return 1;
    }
}

typedef struct csv_out {
    nnrt_real *x, *y;
    size_t rows, cap; /* rows filled, rows allocated */
    int ncols, nf, k, lab0;
    char sep; /* ',' or '\t' */
} csv_out;

/* Room for more rows: twice as many, at most the limit of the data set's
 * size (nnrt_data_limit).  0, or -1 with e filled. */
static int csv_grow(csv_out *c, const char *path, long lineno, const nnrt_load_opts *o,
                    nnrt_err *e)
{
    size_t fx = (size_t)(c->nf > 0 ? c->nf : 1), fy = (size_t)c->k;
    if (nnrt_data_check_bytes(path, o, c->rows + 1, fx, fy, e))
        return -1;
    size_t lim = nnrt_data_limit(o) / ((fx + fy) * sizeof(nnrt_real));
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    if (ncap > lim)
        ncap = lim;
    if (ncap <= c->rows)
        ncap = c->rows + 1;
    if (ncap > SIZE_MAX / sizeof(nnrt_real) / (fx > fy ? fx : fy))
        return nnrt_errorf(e, "%s:%ld: out of memory after %zu rows", path, lineno, c->rows);
    nnrt_real *x = realloc(c->x, ncap * fx * sizeof(nnrt_real));
    if (x)
        c->x = x;
    nnrt_real *y = x && fy > 0 ? realloc(c->y, ncap * fy * sizeof(nnrt_real)) : NULL;
    if (y)
        c->y = y;
    if (!x || (fy > 0 && !y))
        return nnrt_errorf(e, "%s:%ld: out of memory after %zu rows", path, lineno, c->rows);
    c->cap = ncap;
    return 0;
}

/* Parse one data line into row c->rows. */
static int csv_row(csv_out *c, const char *s, const char *path, long lineno,
                   const nnrt_load_opts *o, nnrt_err *e)
{
    int found = csv_count_fields(s, c->sep);
    if (found != c->ncols)
        return nnrt_errorf(e, "%s:%ld: expected %d columns, found %d", path, lineno, c->ncols,
                           found);
    if (c->rows == c->cap && csv_grow(c, path, lineno, o, e))
        return -1;
    nnrt_real *xr = c->x + c->rows * (size_t)c->nf;
    nnrt_real *yr = c->k ? c->y + c->rows * (size_t)c->k : NULL;
    int fi = 0;
    for (int col = 0; col < c->ncols; col++) {
        const char *b, *t;
        nnrt_real v;
        csv_field(&s, c->sep, &b, &t);
        if (b == t)
            return nnrt_errorf(e, "%s:%ld: column %d: empty field", path, lineno, col + 1);
        if (csv_number(b, t, &v)) {
            size_t n = (size_t)(t - b);
            const char *hint = c->sep == ','
                                   ? (memchr(b, ';', n) || memchr(b, '\t', n)
                                          ? " (columns are separated by ',' only)" : "")
                                   : memchr(b, ',', n) || memchr(b, ';', n)
                                       ? " (columns are separated by tabs only)" : "";
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
    }
    c->rows++;
    return 0;
}

int nnrt_csv_load(const char *path, char sep, const nnrt_load_opts *o, nnrt_dataset *d,
                  nnrt_err *e)
{
    int in = strcmp(path, "-") == 0; /* standard input */
    if (in)
        path = "<stdin>";
    else if (nnrt_data_check_path(path, NULL, e))
        return -1;
    csv_reader r = {0};
    csv_out c = {0};
    int rc = -1, got;
    int k = o->label_cols > 0 ? o->label_cols : 1;
    r.blk = malloc(CSV_BLOCK);
    if (!r.blk)
        return nnrt_errorf(e, "%s: out of memory", path);
    errno = 0;
    if (in) { /* a copy of fd 0: gzclose closes it, standard input stays open */
        int fd = dup(STDIN_FILENO);
        r.gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        if (fd >= 0 && !r.gz)
            close(fd);
    } else {
        r.gz = gzopen(path, "rb");
    }
    if (!r.gz) {
        free(r.blk);
        return nnrt_errorf(e, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    }
    c.k = k;
    c.sep = sep;
    int first = 1;
    while ((got = csv_getline(&r, path, e)) == 1) {
        if (r.lineno == 1 && strncmp(r.line, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM */
            memmove(r.line, r.line + 3, strlen(r.line + 3) + 1);
        if (csv_is_blank(r.line))
            continue;
        if (first) {
            first = 0;
            c.ncols = csv_count_fields(r.line, sep);
            if (o->features > 0 && o->label_col < 0 && c.ncols == o->features)
                k = c.k = 0; /* features only: no label columns */
            if (o->label_col >= 0 && o->label_col > c.ncols - k) {
                if (k == 1)
                    nnrt_errorf(e, "%s: label column %d is out of range (the file has %d "
                                   "columns, counted from 0)", path, o->label_col, c.ncols);
                else
                    nnrt_errorf(e, "%s: label columns %d..%d are out of range (the file has %d "
                                   "columns, counted from 0)", path, o->label_col,
                                o->label_col + k - 1, c.ncols);
                goto done;
            }
            if (c.ncols <= k || c.ncols == 0) {
                int other = sep == ',' ? strchr(r.line, ';') || strchr(r.line, '\t')
                                       : strchr(r.line, ';') || strchr(r.line, ',');
                nnrt_errorf(e, "%s:%ld: %d column%s no features beside %d label column%s%s",
                            path, r.lineno, c.ncols, c.ncols == 1 ? " leaves" : "s leave", k,
                            k == 1 ? "" : "s",
                            !other ? "" : sep == ',' ? " (columns are separated by ',' only)"
                                                     : " (columns are separated by tabs only)");
                goto done;
            }
            c.nf = c.ncols - k;
            if (nnrt_data_check_features(path, o, (size_t)c.nf, e))
                goto done;
            c.lab0 = o->label_col >= 0 ? o->label_col : c.ncols - k;
            int header = o->header < 0 ? csv_looks_like_header(r.line, sep) : o->header;
            if (header)
                continue;
        }
        if (csv_row(&c, r.line, path, r.lineno, o, e))
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
        nnrt_real *x = realloc(c.x, c.rows * (size_t)c.nf * sizeof(nnrt_real));
        nnrt_real *y = c.k ? realloc(c.y, c.rows * (size_t)c.k * sizeof(nnrt_real)) : NULL;
        if (x)
            c.x = x;
        if (y)
            c.y = y;
    }
    nnrt_data_take(d, c.rows, (size_t)c.nf, (size_t)k, &c.x, &c.y);
    rc = 0;
done:
    free(c.x);
    free(c.y);
    free(r.line);
    free(r.blk);
    gzclose(r.gz);
    return rc;
}
