/*
 * nnrt_npy_data.c -- data sets from numpy's files (docs/data.md, npy and
 * npz): an .npz holding a features array and a labels array, or a .npy of
 * features with its labels in a second .npy.  The arrays stream into the
 * data set's one float array (nnrt_npy.c); uint8 features are scaled like
 * every loader's.
 *
 * Arrays of an .npz: features o->x_name, else the first of train_set_x,
 * test_set_x, x, X; labels o->y_name, else the features' name with its last
 * x/X turned into y/Y, then train_set_y, test_set_y, y, Y (the names of
 * HDF5 files, so the course's data saved with np.savez loads as it is).
 * Labels of a .npy: o->labels_path, else the file named like the features
 * with the last x/X of its base name turned into y/Y (train_x.npy ->
 * train_y.npy).  With o->features set (--predict) and no labels named, no
 * labels are read.
 *
 * Shapes: the first dimension counts samples, the rest is flattened
 * ((209, 64, 64, 3) -> 209 x 12288); labels (m,), (m, k), or one row (1, m).
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_data_internal.h"
#include "nnrt_npy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* An array's samples and values per sample. */
typedef struct nd_dims {
    uint64_t rows, cols;
} nd_dims;

static int nd_features_dims(const nnrt_npy_reader *r, nd_dims *d, nnrt_err *e)
{
    const nnrt_npy_hdr *h = &r->h;
    if (h->kind == 'U')
        return nnrt_errorf(e, "%s: dtype %s (text) is not numbers", r->what, h->descr);
    if (h->ndim == 0)
        return nnrt_errorf(e, "%s is a scalar; expected one row per sample", r->what);
    d->rows = h->shape[0];
    d->cols = 1;
    for (int i = 1; i < h->ndim; i++)
        d->cols *= h->shape[i]; /* bounded: the parse checked the product */
    if (d->cols > INT_MAX || d->rows > (uint64_t)LONG_MAX)
        return nnrt_errorf(e, "%s: shape %s is too large", r->what, h->shape_text);
    if (d->cols == 0 && d->rows > 0)
        return nnrt_errorf(e, "%s: shape %s has no values per sample", r->what, h->shape_text);
    return 0;
}

/* Labels for `rows` samples: (m,), (m, k...), or one row (1, m). */
static int nd_labels_dims(const nnrt_npy_reader *r, uint64_t rows, nd_dims *d,
                          const nnrt_npy_reader *x, nnrt_err *e)
{
    const nnrt_npy_hdr *h = &r->h;
    if (nd_features_dims(r, d, e))
        return -1;
    if (h->ndim == 2 && h->shape[0] == 1 && h->shape[1] == rows && rows != 1) {
        d->rows = rows;
        d->cols = 1;
    }
    if (d->rows != rows)
        return nnrt_errorf(e, "%s: %llu labels (shape %s) for %llu samples (%s, shape %s)",
                           r->what, (unsigned long long)d->rows, h->shape_text,
                           (unsigned long long)rows, x->what, x->h.shape_text);
    return 0;
}

/* The shapes against the model and the size limit (nnrt_data_common.c),
 * before anything is allocated. */
static int nd_check(const char *path, const nnrt_load_opts *o, const nd_dims *dx,
                    const nd_dims *dy, nnrt_err *e)
{
    if (dx->cols > SIZE_MAX || dx->rows > SIZE_MAX || dy->cols > SIZE_MAX)
        return nnrt_errorf(e, "%s: too large", path);
    return nnrt_data_check_features(path, o, (size_t)dx->cols, e) ||
                   nnrt_data_check_bytes(path, o, (size_t)dx->rows, (size_t)dx->cols,
                                         (size_t)dy->cols, e)
               ? -1
               : 0;
}

/* Both arrays read (y may be NULL: no labels) into *out. */
static int nd_read(nnrt_npy_reader *x, nnrt_npy_reader *y, const nnrt_load_opts *o,
                   nnrt_dataset *out, nnrt_err *e)
{
    nd_dims dx, dy = {0, 0};
    if (nd_features_dims(x, &dx, e) || (y && nd_labels_dims(y, dx.rows, &dy, x, e)) ||
        nd_check(x->what, o, &dx, &dy, e))
        return -1;
    size_t nx = (size_t)(dx.rows * dx.cols), ny = (size_t)(dx.rows * dy.cols);
    nnrt_real *fx = nx ? nnrt_data_alloc_floats(nx) : NULL;
    nnrt_real *fy = ny ? nnrt_data_alloc_floats(ny) : NULL;
    if ((nx && !fx) || (ny && !fy)) {
        free(fx);
        free(fy);
        return nnrt_errorf(e, "%s: out of memory for %llu x %llu floats", x->what,
                           (unsigned long long)dx.rows, (unsigned long long)dx.cols);
    }
    if (nnrt_npy_read(x, fx, NNRT_REAL_IS_DOUBLE, nx, (float)o->scale, e) ||
        (y && nnrt_npy_read(y, fy, NNRT_REAL_IS_DOUBLE, ny, 1.0f, e))) {
        free(fx);
        free(fy);
        return -1;
    }
    nnrt_data_take(out, (size_t)dx.rows, (size_t)dx.cols, (size_t)dy.cols, &fx, &fy);
    return 0;
}

/* In the base name of `name`, the last x/X turned into y/Y; "" if none. */
static void nd_partner(const char *name, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (strlen(name) >= cap)
        return;
    strcpy(buf, name);
    char *base = strrchr(buf, '/');
    base = base ? base + 1 : buf;
    char *dot = strrchr(base, '.'), *end = dot ? dot : base + strlen(base);
    for (char *p = end; p-- > base;)
        if (*p == 'x' || *p == 'X') {
            *p = *p == 'x' ? 'y' : 'Y';
            return;
        }
    buf[0] = '\0';
}

int nnrt_npy_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e)
{
    char derived[1024] = "";
    const char *lp = o->labels_path;
    struct stat st;
    if (!lp && o->features <= 0) {
        nd_partner(path, derived, sizeof derived);
        if (!derived[0] || strcmp(derived, path) == 0 || stat(derived, &st) != 0)
            return nnrt_errorf(e, "%s: no labels file%s%s%s: name it (--train-labels FILE)",
                               path, derived[0] ? " (looked for " : "", derived,
                               derived[0] ? ")" : "");
        lp = derived;
    }
    nnrt_npy_reader *x = malloc(sizeof *x), *y = lp ? malloc(sizeof *y) : NULL;
    int rc = -1;
    if (!x || (lp && !y)) {
        nnrt_errorf(e, "%s: out of memory", path);
        goto done;
    }
    x->fp = NULL;
    if (y)
        y->fp = NULL;
    if (nnrt_npy_open(x, path, e))
        goto done;
    if (y && (nnrt_data_check_path(lp, NULL, e) || nnrt_npy_open(y, lp, e)))
        goto done;
    rc = nd_read(x, y, o, out, e);
done:
    if (x)
        nnrt_npy_close(x);
    if (y)
        nnrt_npy_close(y);
    free(x);
    free(y);
    return rc;
}

/* The member named `given` (it must exist), else the first of `cands`. */
static const nnrt_npz_member *nd_pick(const nnrt_npz *z, const char *given,
                                      const char *const *cands, size_t n, const char *what,
                                      int required, nnrt_err *e)
{
    char found[300], tried[200];
    size_t len = 0;
    if (given) {
        const nnrt_npz_member *m = nnrt_npz_find(z, given);
        if (!m) {
            nnrt_npz_names(z, found, sizeof found);
            nnrt_errorf(e, "%s: no array '%s' (found: %s)", z->path, given, found);
        }
        return m;
    }
    tried[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!cands[i] || !cands[i][0])
            continue;
        const nnrt_npz_member *m = nnrt_npz_find(z, cands[i]);
        if (m)
            return m;
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= cands[j] && strcmp(cands[i], cands[j]) == 0;
        if (len < sizeof tried && !dup)
            len += (size_t)snprintf(tried + len, sizeof tried - len, "%s%s", len ? ", " : "",
                                    cands[i]);
    }
    if (required) {
        nnrt_npz_names(z, found, sizeof found);
        nnrt_errorf(e, "%s: no %s array (looked for %s; found: %s)", z->path, what, tried,
                    found);
    }
    return NULL;
}

/* A member's header: open it, keep its header, close it (the members
 * of an .npz share one FILE, so they are read one after the other). */
static int nd_peek(nnrt_npz *z, const nnrt_npz_member *mb, nnrt_npy_reader *r, nnrt_err *e)
{
    if (nnrt_npz_member_open(z, mb, r, e))
        return -1;
    r->fp = NULL; /* z's */
    nnrt_npy_close(r);
    return 0;
}

/* All n elements of member mb into a new float array *dst. */
static int nd_member_floats(nnrt_npz *z, const nnrt_npz_member *mb, nnrt_npy_reader *r,
                            size_t n, nnrt_real scale, nnrt_real **dst, nnrt_err *e)
{
    *dst = NULL;
    if (n == 0)
        return 0;
    *dst = nnrt_data_alloc_floats(n);
    if (!*dst)
        return nnrt_errorf(e, "%s: out of memory for %zu floats", z->path, n);
    if (nnrt_npz_member_open(z, mb, r, e))
        return -1;
    int rc = nnrt_npy_read(r, *dst, NNRT_REAL_IS_DOUBLE, n, (float)scale, e);
    r->fp = NULL;
    nnrt_npy_close(r);
    return rc;
}

int nnrt_npz_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e)
{
    static const char *const xs[] = {"train_set_x", "test_set_x", "x", "X"};
    nnrt_npz z;
    if (nnrt_npz_open(&z, path, e))
        return -1;
    nnrt_npy_reader *x = malloc(sizeof *x), *y = malloc(sizeof *y);
    nnrt_real *fx = NULL, *fy = NULL;
    nd_dims dx, dy = {0, 0};
    int rc = -1;
    const nnrt_npz_member *mx, *my = NULL;
    if (!x || !y) {
        nnrt_errorf(e, "%s: out of memory", path);
        goto done;
    }
    mx = nd_pick(&z, o->x_name, xs, sizeof xs / sizeof xs[0], "features", 1, e);
    if (!mx || nd_peek(&z, mx, x, e) || nd_features_dims(x, &dx, e))
        goto done;
    if (o->y_name || o->features <= 0) {
        char partner[160];
        nd_partner(mx->name, partner, sizeof partner);
        const char *ys[] = {partner, "train_set_y", "test_set_y", "y", "Y"};
        my = nd_pick(&z, o->y_name, ys, sizeof ys / sizeof ys[0], "labels", 1, e);
        if (!my || nd_peek(&z, my, y, e) || nd_labels_dims(y, dx.rows, &dy, x, e))
            goto done;
    }
    /* shapes agree, and suit the model and the limit: the labels, then the features */
    if (nd_check(path, o, &dx, &dy, e) || (my && nd_member_floats(&z, my, y, (size_t)(dx.rows * dy.cols), (nnrt_real)1, &fy, e)) ||
        nd_member_floats(&z, mx, x, (size_t)(dx.rows * dx.cols), o->scale, &fx, e))
        goto done;
    nnrt_data_take(out, (size_t)dx.rows, (size_t)dx.cols, (size_t)dy.cols, &fx, &fy);
    rc = 0;
done:
    free(fx);
    free(fy);
    free(x);
    free(y);
    nnrt_npz_close(&z);
    return rc;
}
