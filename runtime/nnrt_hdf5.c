/*
 * nnrt_hdf5.c -- the HDF5 loader (docs/data.md).  Built only when libhdf5
 * is found; nnrt_load calls nnrt_hdf5_load once the magic bytes say HDF5.
 *
 * Features: the dataset o->x_name, or the first that exists of
 * train_set_x, test_set_x, x, X.  Labels: o->y_name, or the features' name
 * with its last 'x'/'X' turned into 'y'/'Y', then train_set_y, test_set_y,
 * y, Y.  Any rank >= 1: the first dimension counts samples, the rest is
 * flattened.  Any integer or float element type: H5Dread converts into the
 * data set's float array directly (memory type native float), so the only
 * full-size buffer is that array; HDF5 converts through its own small
 * conversion buffer (1 MiB by default).  8-bit unsigned features are then
 * scaled by o->scale (default: divided by 255).
 *
 * HDF5 prints its error stack to stderr by default; that is switched off
 * for the duration of a load, and every failure becomes one nnrt_err line.
 */
#include "nnrt_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

typedef struct h5_ctx {
    const char *path;
    hid_t file;
    nnrt_err *e;
} h5_ctx;

/* "a, b, c" (the links in the root group) into buf, for messages. */
static void h5_list_root(hid_t file, char *buf, size_t cap)
{
    H5G_info_t info;
    size_t len = 0;
    buf[0] = '\0';
    if (H5Gget_info(file, &info) < 0 || info.nlinks == 0) {
        snprintf(buf, cap, "nothing");
        return;
    }
    for (hsize_t i = 0; i < info.nlinks; i++) {
        char name[128];
        ssize_t n = H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                       sizeof name, H5P_DEFAULT);
        if (n < 0)
            continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name);
        if (w < 0 || (size_t)w >= cap - len) {
            if (cap > 4)
                memcpy(buf + cap - 4, "...", 4);
            return;
        }
        len += (size_t)w;
    }
}

static int h5_exists(hid_t file, const char *name)
{
    /* H5Lexists fails (negative) when an intermediate group is missing. */
    return name && *name && H5Lexists(file, name, H5P_DEFAULT) > 0;
}

/* Pick the dataset: `given` if set (it must exist), else the first of
 * `cands` that exists.  `what` is "features" or "labels". */
static const char *h5_pick(const h5_ctx *c, const char *given, const char *const *cands,
                           size_t n, const char *what)
{
    char found[300];
    if (given) {
        if (h5_exists(c->file, given))
            return given;
        h5_list_root(c->file, found, sizeof found);
        nnrt_errorf(c->e, "%s: no dataset '%s' (found: %s)", c->path, given, found);
        return NULL;
    }
    char tried[160];
    size_t len = 0;
    tried[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= cands[i] && cands[j] && strcmp(cands[i], cands[j]) == 0;
        if (!cands[i] || dup)
            continue;
        if (h5_exists(c->file, cands[i]))
            return cands[i];
        if (len < sizeof tried)
            len += (size_t)snprintf(tried + len, sizeof tried - len, "%s%s", len ? ", " : "",
                                    cands[i]);
    }
    h5_list_root(c->file, found, sizeof found);
    nnrt_errorf(c->e, "%s: no %s dataset (looked for %s; found: %s)", c->path, what, tried,
                found);
    return NULL;
}

static const char *h5_class_name(H5T_class_t k)
{
    switch (k) {
    case H5T_STRING: return "strings";
    case H5T_COMPOUND: return "compound records";
    case H5T_ENUM: return "enum values";
    case H5T_ARRAY: return "arrays";
    case H5T_VLEN: return "variable-length data";
    case H5T_REFERENCE: return "references";
    case H5T_OPAQUE: return "opaque data";
    case H5T_BITFIELD: return "bitfields";
    case H5T_TIME: return "time values";
    default: return "non-numeric data";
    }
}

/* 1 if the element type is a sane integer or float: HDF5's software
 * conversions trust the type's fields, and a damaged header (a 1-byte
 * integer of precision 230) overruns a buffer inside libhdf5. */
static int h5_type_ok(hid_t type, H5T_class_t k)
{
    size_t size = H5Tget_size(type), bits = 8 * size;
    size_t prec = H5Tget_precision(type);
    int off = H5Tget_offset(type);
    if (off < 0 || prec == 0 || (size_t)off + prec > bits)
        return 0;
    if (k == H5T_INTEGER)
        return size == 1 || size == 2 || size == 4 || size == 8;
    if (size != 2 && size != 4 && size != 8)
        return 0;
    size_t spos, epos, esize, mpos, msize;
    if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0)
        return 0;
    return spos < prec && esize > 0 && esize < 32 && msize > 0 && epos + esize <= prec &&
           mpos + msize <= prec;
}

/* A dataset read whole into a new float array: rows = first dimension,
 * cols = product of the rest, shape = the whole shape as text, is_u8 =
 * the stored element type is 8-bit unsigned. */
typedef struct h5_array {
    float *data;
    size_t rows, cols;
    int is_u8;
    int rank;
    char shape[96];
} h5_array;

static int h5_read(const h5_ctx *c, const char *name, h5_array *a)
{
    int rc = -1;
    hid_t ds = -1, type = -1, space = -1;
    memset(a, 0, sizeof *a);
    ds = H5Dopen2(c->file, name, H5P_DEFAULT);
    if (ds < 0)
        return nnrt_errorf(c->e, "%s: '%s' is not a dataset", c->path, name);
    type = H5Dget_type(ds);
    if (type < 0) {
        nnrt_errorf(c->e, "%s: cannot read the type of dataset '%s'", c->path, name);
        goto done;
    }
    H5T_class_t k = H5Tget_class(type);
    if (k != H5T_INTEGER && k != H5T_FLOAT) {
        nnrt_errorf(c->e, "%s: dataset '%s' holds %s, not numbers", c->path, name,
                    h5_class_name(k));
        goto done;
    }
    if (!h5_type_ok(type, k)) {
        nnrt_errorf(c->e, "%s: dataset '%s' has a damaged or unsupported %s type (%zu bytes, "
                          "precision %zu)", c->path, name, k == H5T_INTEGER ? "integer" : "float",
                    H5Tget_size(type), H5Tget_precision(type));
        goto done;
    }
    a->is_u8 = k == H5T_INTEGER && H5Tget_size(type) == 1 && H5Tget_sign(type) == H5T_SGN_NONE;
    space = H5Dget_space(ds);
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (rank < 0) {
        nnrt_errorf(c->e, "%s: cannot read the shape of dataset '%s'", c->path, name);
        goto done;
    }
    if (rank == 0) {
        nnrt_errorf(c->e, "%s: dataset '%s' is a scalar; expected one row per sample", c->path,
                    name);
        goto done;
    }
    hsize_t dims[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(space, dims, NULL);
    a->rank = rank;
    a->rows = (size_t)dims[0];
    a->cols = 1;
    size_t len = 0;
    for (int i = 0; i < rank; i++) {
        if (len < sizeof a->shape)
            len += (size_t)snprintf(a->shape + len, sizeof a->shape - len, "%s%llu",
                                    i ? " x " : "", (unsigned long long)dims[i]);
        if (i == 0)
            continue;
        if (dims[i] != 0 && a->cols > (size_t)INT_MAX / dims[i]) {
            nnrt_errorf(c->e, "%s: dataset '%s' (%s): samples too large", c->path, name,
                        a->shape);
            goto done;
        }
        a->cols *= (size_t)dims[i];
    }
    if (a->cols == 0) {
        nnrt_errorf(c->e, "%s: dataset '%s' (%s): samples of size 0", c->path, name, a->shape);
        goto done;
    }
    if (a->rows > (size_t)LONG_MAX / a->cols / sizeof(float)) {
        nnrt_errorf(c->e, "%s: dataset '%s' (%s) is too large", c->path, name, a->shape);
        goto done;
    }
    /* Stored whole (contiguous or compact), the data must all be in the
     * file: a damaged header must not make us allocate what is not there,
     * nor libhdf5 copy from beyond a compact dataset's bytes. */
    hid_t dcpl = H5Dget_create_plist(ds);
    H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    int contiguous = layout == H5D_CONTIGUOUS || layout == H5D_COMPACT;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    size_t need = a->rows * a->cols * H5Tget_size(type);
    if (contiguous && a->rows > 0 && (size_t)H5Dget_storage_size(ds) < need) {
        nnrt_errorf(c->e, "%s: dataset '%s' (%s): only %zu of %zu bytes stored (file "
                          "truncated or corrupt?)", c->path, name, a->shape,
                    (size_t)H5Dget_storage_size(ds), need);
        goto done;
    }
    if (a->rows > 0) {
        a->data = nnrt_data_alloc_floats(a->rows * a->cols);
        if (!a->data) {
            nnrt_errorf(c->e, "%s: out of memory for dataset '%s' (%s)", c->path, name,
                        a->shape);
            goto done;
        }
        if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) < 0) {
            nnrt_errorf(c->e, "%s: cannot read dataset '%s' (%s): file truncated or corrupt",
                        c->path, name, a->shape);
            free(a->data);
            a->data = NULL;
            goto done;
        }
    }
    rc = 0;
done:
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    H5Dclose(ds);
    return rc;
}

/* The features' name with its last x/X made y/Y ("train_set_x" ->
 * "train_set_y"); "" if it has none. */
static void h5_partner(const char *xname, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = strlen(xname);
    if (n + 1 > cap)
        return;
    memcpy(out, xname, n + 1);
    for (size_t i = n; i-- > 0;) {
        if (out[i] == 'x' || out[i] == 'X') {
            out[i] = out[i] == 'x' ? 'y' : 'Y';
            return;
        }
    }
    out[0] = '\0';
}

int nnrt_hdf5_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *out, nnrt_err *e)
{
    static const char *const xs[] = {"train_set_x", "test_set_x", "x", "X"};
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    h5_array x = {0}, y = {0};
    int rc = -1;

    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5_ctx c = {path, -1, e};
    c.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c.file < 0) {
        nnrt_errorf(e, "%s: cannot open as HDF5 (truncated or corrupt file?)", path);
        goto done;
    }
    const char *xn = h5_pick(&c, o->x_name, xs, sizeof xs / sizeof xs[0], "features");
    if (!xn)
        goto done;
    char partner[256];
    h5_partner(xn, partner, sizeof partner);
    const char *ys[] = {partner[0] ? partner : NULL, "train_set_y", "test_set_y", "y", "Y"};
    const char *yn = h5_pick(&c, o->y_name, ys, sizeof ys / sizeof ys[0], "labels");
    if (!yn || h5_read(&c, xn, &x) || h5_read(&c, yn, &y))
        goto done;
    /* Labels stored as one row (1, m), as some course files do. */
    if (y.rank == 2 && y.rows == 1 && y.cols == x.rows && x.rows != 1) {
        y.rows = x.rows;
        y.cols = 1;
    }
    if (y.rows != x.rows) {
        nnrt_errorf(e, "%s: %zu labels ('%s', %s) for %zu samples ('%s', %s)", path, y.rows, yn,
                    y.shape, x.rows, xn, x.shape);
        goto done;
    }
    if (x.is_u8 && x.data) {
        size_t n = x.rows * x.cols;
        if (o->scale == 1.0f / 255.0f) { /* exact: the correctly rounded v/255 */
            for (size_t i = 0; i < n; i++)
                x.data[i] /= 255.0f;
        } else if (o->scale != 1.0f) {
            for (size_t i = 0; i < n; i++)
                x.data[i] *= o->scale;
        }
    }
    out->m = (long)x.rows;
    out->n_features = (int)x.cols;
    out->label_cols = (int)y.cols;
    out->x = x.data;
    out->y = y.data;
    x.data = y.data = NULL;
    rc = 0;
done:
    free(x.data);
    free(y.data);
    if (c.file >= 0)
        H5Fclose(c.file);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return rc;
}
