/*
 * nnrt_hdf5.c -- the HDF5 loader (docs/data.md).  Built only when libhdf5
 * is found at configure time; nnrt_load calls nnrt_hdf5_load once the
 * magic bytes say HDF5.
 *
 * libhdf5 is not linked: it pulls in some 38 shared libraries (libcurl,
 * gnutls, krb5, ...) whose loading was most of a tiny trainer's start-up.
 * The first .h5 file read dlopen()s it -- NNRT_HDF5_SONAME, the SONAME of
 * the library CMake found, or the environment's NNRT_HDF5_LIB -- and looks
 * up the functions below (h5_api) with dlsym.  hdf5.h is still included,
 * for the types and constants only: every call goes through h5_api, so
 * this file references no libhdf5 symbol (one left over would fail to
 * link every trainer: they no longer get -lhdf5).  A library that cannot
 * be loaded, lacks a function or is another 1.x series than hdf5.h's
 * makes the read fail with one nnrt_err line; CSV and IDX never get here.
 *
 * Features: the dataset o->x_name, or the first that exists of
 * train_set_x, test_set_x, x, X.  Labels: o->y_name, or the features'
 * name with its last 'x'/'X' turned into 'y'/'Y', then train_set_y,
 * test_set_y, y, Y.  Any rank >= 1: the first dimension counts samples,
 * the rest is flattened.  Any integer or float element type: H5Dread
 * converts into the data set's float array directly (memory type native
 * float), so the only full-size buffer is that array; HDF5 converts
 * through its own small conversion buffer (1 MiB by default).  8-bit
 * unsigned features are then scaled by o->scale (default: divided by 255).
 *
 * HDF5 prints its error stack to stderr by default; that is switched off
 * for the duration of a load, and every failure becomes one nnrt_err line.
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_data_internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#ifndef NNRT_HDF5_SONAME
#define NNRT_HDF5_SONAME "libhdf5.so" /* runtime/CMakeLists.txt passes the real one */
#endif

/* ------------------------------------------------------------------ */
/* libhdf5, loaded on first use                                         */
/* ------------------------------------------------------------------ */

/* Every libhdf5 function the loader calls: X(return type, symbol,
 * parameters).  Symbols are the real names, not hdf5.h's version macros
 * (H5Dopen is H5Dopen2, H5Eget_auto/H5Eset_auto are H5Eget_auto2 and
 * H5Eset_auto2); h5_api_matches_hdf5_h below checks each row against the
 * prototype in hdf5.h. */
#define H5_API(X)                                                                              \
    X(herr_t, H5open, (void))                                                                  \
    X(herr_t, H5get_libversion, (unsigned *, unsigned *, unsigned *))                          \
    X(herr_t, H5Eget_auto2, (hid_t, H5E_auto2_t *, void **))                                   \
    X(herr_t, H5Eset_auto2, (hid_t, H5E_auto2_t, void *))                                      \
    X(hid_t, H5Fopen, (const char *, unsigned, hid_t))                                         \
    X(herr_t, H5Fclose, (hid_t))                                                               \
    X(herr_t, H5Gget_info, (hid_t, H5G_info_t *))                                              \
    X(htri_t, H5Lexists, (hid_t, const char *, hid_t))                                         \
    X(ssize_t, H5Lget_name_by_idx,                                                             \
      (hid_t, const char *, H5_index_t, H5_iter_order_t, hsize_t, char *, size_t, hid_t))      \
    X(hid_t, H5Dopen2, (hid_t, const char *, hid_t))                                           \
    X(hid_t, H5Dget_type, (hid_t))                                                             \
    X(hid_t, H5Dget_space, (hid_t))                                                            \
    X(hid_t, H5Dget_create_plist, (hid_t))                                                     \
    X(hsize_t, H5Dget_storage_size, (hid_t))                                                   \
    X(herr_t, H5Dread, (hid_t, hid_t, hid_t, hid_t, hid_t, void *))                            \
    X(herr_t, H5Dclose, (hid_t))                                                               \
    X(H5T_class_t, H5Tget_class, (hid_t))                                                      \
    X(size_t, H5Tget_size, (hid_t))                                                            \
    X(size_t, H5Tget_precision, (hid_t))                                                       \
    X(int, H5Tget_offset, (hid_t))                                                             \
    X(H5T_sign_t, H5Tget_sign, (hid_t))                                                        \
    X(herr_t, H5Tget_fields, (hid_t, size_t *, size_t *, size_t *, size_t *, size_t *))        \
    X(herr_t, H5Tclose, (hid_t))                                                               \
    X(int, H5Sget_simple_extent_ndims, (hid_t))                                                \
    X(int, H5Sget_simple_extent_dims, (hid_t, hsize_t *, hsize_t *))                           \
    X(herr_t, H5Sclose, (hid_t))                                                               \
    X(H5D_layout_t, H5Pget_layout, (hid_t))                                                    \
    X(int, H5Pget_nfilters, (hid_t))                                                           \
    X(int, H5Pget_chunk, (hid_t, int, hsize_t *))                                              \
    X(herr_t, H5Dget_num_chunks, (hid_t, hid_t, hsize_t *))                                    \
    X(herr_t, H5Dget_chunk_info,                                                               \
      (hid_t, hid_t, hsize_t, hsize_t *, unsigned *, haddr_t *, hsize_t *))                    \
    X(herr_t, H5Pclose, (hid_t))

typedef struct h5_api {
#define H5_FIELD(ret, name, params) ret(*name) params;
    H5_API(H5_FIELD)
#undef H5_FIELD
    hid_t native_float; /* H5T_NATIVE_FLOAT (or _DOUBLE: nnrt_real): H5_NATIVE_REAL after H5open() */
} h5_api;

/* Each row's type is the prototype's: _Generic's operand is not evaluated,
 * so this references no symbol. */
#define H5_MATCHES(ret, name, params)                                                          \
    _Static_assert(_Generic(&name, ret(*) params: 1, default: 0),                              \
                   #name ": h5_api's type differs from hdf5.h's");
H5_API(H5_MATCHES)
#undef H5_MATCHES
_Static_assert(sizeof(void *) == sizeof(herr_t(*)(void)),
               "dlsym's void * must hold a function pointer (POSIX)");

/* hdf5.h's H5F_ACC_RDONLY is (H5check(), H5open(), 0x0000u) and its
 * H5T_NATIVE_FLOAT is (H5open(), H5T_NATIVE_FLOAT_g): calls and a variable
 * of the library, so neither is used here.  The flag's value: */
#define H5_ACC_RDONLY 0x0000u
/* The memory type H5Dread converts into: nnrt_real's. */
#define H5_NATIVE_REAL (NNRT_REAL_IS_DOUBLE ? "H5T_NATIVE_DOUBLE_g" : "H5T_NATIVE_FLOAT_g")

/* Where dlsym writes each function: its name and place in h5_api. */
static const struct h5_sym {
    const char *name;
    size_t offset;
} h5_syms[] = {
#define H5_SYM(ret, name, params) {#name, offsetof(h5_api, name)},
    H5_API(H5_SYM)
#undef H5_SYM
};

static h5_api h5;      /* valid once h5_loaded */
static int h5_loaded;

/* dlopen libhdf5 and fill h5, once per process; `path` (the data file)
 * is for the message.  A failure leaves nothing loaded and is retried
 * on the next call. */
static int h5_load_api(const char *path, nnrt_err *e)
{
    if (h5_loaded)
        return 0;
    const char *env = getenv("NNRT_HDF5_LIB");
    const char *lib = env && *env ? env : NNRT_HDF5_SONAME;
    void *dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        return nnrt_errorf(e, "%s: cannot read HDF5: %s not loadable (%s)", path, lib,
                           why ? why : "dlopen failed");
    }
    h5_api api;
    for (size_t i = 0; i < sizeof h5_syms / sizeof h5_syms[0]; i++) {
        void *fn = dlsym(dl, h5_syms[i].name);
        if (!fn) {
            dlclose(dl);
            return nnrt_errorf(e, "%s: cannot read HDF5: %s has no %s (not libhdf5?)", path, lib,
                               h5_syms[i].name);
        }
        memcpy((char *)&api + h5_syms[i].offset, &fn, sizeof fn);
    }
    /* The variable libhdf5 itself uses: a program that also links libhdf5
     * (tests/test_data.c does) holds a copy-relocated H5T_NATIVE_FLOAT_g,
     * which libhdf5's own references then bind to, and the library's
     * original is never set.  So look where the dynamic linker looks
     * first, the program's global scope, then in the library. */
    const hid_t *native_float = NULL;
    void *self = dlopen(NULL, RTLD_NOW);
    if (self) {
        native_float = dlsym(self, H5_NATIVE_REAL);
        dlclose(self);
    }
    if (!native_float)
        native_float = dlsym(dl, H5_NATIVE_REAL);
    if (!native_float) {
        dlclose(dl);
        return nnrt_errorf(e, "%s: cannot read HDF5: %s has no %s (not libhdf5?)",
                           path, lib, H5_NATIVE_REAL);
    }
    /* The ABI (hid_t's width, struct layouts) is that of one 1.x series. */
    unsigned major = 0, minor = 0, release = 0;
    if (api.H5get_libversion(&major, &minor, &release) < 0 || major != H5_VERS_MAJOR ||
        minor != H5_VERS_MINOR) {
        dlclose(dl);
        return nnrt_errorf(e, "%s: cannot read HDF5: %s is HDF5 %u.%u.%u, but libnnrt was built "
                              "for %d.%d", path, lib, major, minor, release, H5_VERS_MAJOR,
                           H5_VERS_MINOR);
    }
    /* From here on the library stays loaded: H5open registers its own
     * clean-up with atexit. */
    if (api.H5open() < 0)
        return nnrt_errorf(e, "%s: cannot read HDF5: H5open failed in %s", path, lib);
    api.native_float = *native_float;
    h5 = api;
    h5_loaded = 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The loader                                                           */
/* ------------------------------------------------------------------ */

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
    if (h5.H5Gget_info(file, &info) < 0 || info.nlinks == 0) {
        snprintf(buf, cap, "nothing");
        return;
    }
    for (hsize_t i = 0; i < info.nlinks; i++) {
        char name[128];
        ssize_t n = h5.H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
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
    return name && *name && h5.H5Lexists(file, name, H5P_DEFAULT) > 0;
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
    size_t size = h5.H5Tget_size(type), bits = 8 * size;
    size_t prec = h5.H5Tget_precision(type);
    int off = h5.H5Tget_offset(type);
    if (off < 0 || prec == 0 || (size_t)off + prec > bits)
        return 0;
    if (k == H5T_INTEGER)
        return size == 1 || size == 2 || size == 4 || size == 8;
    if (size != 2 && size != 4 && size != 8)
        return 0;
    size_t spos, epos, esize, mpos, msize;
    if (h5.H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0)
        return 0;
    return spos < prec && esize > 0 && esize < 32 && msize > 0 && epos + esize <= prec &&
           mpos + msize <= prec;
}

/* A dataset, its shape known before anything is read: rows = first
 * dimension, cols = product of the rest, shape = the whole shape as text,
 * is_u8 = the stored element type is 8-bit unsigned.  h5_read then reads
 * it whole into a new float array. */
typedef struct h5_array {
    const char *name;
    hid_t ds;
    nnrt_real *data;
    size_t rows, cols;
    int is_u8;
    int rank;
    char shape[96];
} h5_array;

/* Deflate expands at most 1032:1 (RFC 1951: 258 bytes per 2-bit code). */
#define H5_MAX_RATIO 1032

/* The bytes a dataset of `need` bytes must store: all of them when stored
 * whole or in unfiltered chunks, a share when compressed; and the layout
 * must be one of those.  A damaged or hostile header (a chunked dataset of
 * 10^9 rows and no chunk written) must not make us allocate what is not
 * there, nor libhdf5 copy from beyond a compact dataset's bytes. */
/* An unfiltered chunked dataset: every chunk written must hold exactly
 * one chunk's bytes.  libhdf5 1.10 trusts the size its chunk index
 * records and copies a whole chunk out of a smaller buffer (a heap
 * overflow on a damaged file, found by tests/fuzz/fuzz_hdf5.c).  0, or -1
 * with the message. */
static int h5_check_chunks(const h5_ctx *c, const h5_array *a, hid_t ds, hid_t dcpl,
                           size_t esize)
{
    hsize_t cdims[H5S_MAX_RANK], n = 0;
    int rank = h5.H5Pget_chunk(dcpl, H5S_MAX_RANK, cdims);
    hsize_t bytes = esize;
    for (int i = 0; i < rank; i++)
        bytes = cdims[i] && bytes > (hsize_t)SIZE_MAX / cdims[i] ? 0 : bytes * cdims[i];
    /* libhdf5 1.10 takes the dataset's own space here, not H5S_ALL */
    hid_t space = h5.H5Dget_space(ds);
    int rc = 0;
    if (rank != a->rank || bytes == 0 || space < 0 || h5.H5Dget_num_chunks(ds, space, &n) < 0)
        rc = nnrt_errorf(c->e, "%s: dataset '%s' (%s): damaged chunk layout", c->path, a->name,
                         a->shape);
    for (hsize_t i = 0; rc == 0 && i < n; i++) {
        hsize_t off[H5S_MAX_RANK], size = 0;
        unsigned mask = 0;
        haddr_t addr = 0;
        if (h5.H5Dget_chunk_info(ds, space, i, off, &mask, &addr, &size) < 0 || size != bytes)
            rc = nnrt_errorf(c->e, "%s: dataset '%s' (%s): chunk %llu stores %llu bytes, not "
                                   "%llu (file corrupt)", c->path, a->name, a->shape,
                             (unsigned long long)i, (unsigned long long)size,
                             (unsigned long long)bytes);
    }
    if (space >= 0)
        h5.H5Sclose(space);
    return rc;
}

static int h5_check_layout(const h5_ctx *c, const h5_array *a, hid_t ds, size_t need,
                           H5D_layout_t layout, int filters);

static int h5_check_stored(const h5_ctx *c, const h5_array *a, hid_t ds, size_t need,
                           size_t esize)
{
    hid_t dcpl = h5.H5Dget_create_plist(ds);
    H5D_layout_t layout = dcpl >= 0 ? h5.H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    int filters = dcpl >= 0 && layout == H5D_CHUNKED ? h5.H5Pget_nfilters(dcpl) : 0;
    int rc = h5_check_layout(c, a, ds, need, layout, filters);
    if (rc == 0 && layout == H5D_CHUNKED && filters == 0 && a->rows > 0)
        rc = h5_check_chunks(c, a, ds, dcpl, esize);
    if (dcpl >= 0)
        h5.H5Pclose(dcpl);
    return rc;
}

/* The layout is one we read, and the bytes it stores can hold the data. */
static int h5_check_layout(const h5_ctx *c, const h5_array *a, hid_t ds, size_t need,
                           H5D_layout_t layout, int filters)
{
    if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT && layout != H5D_CHUNKED)
        return nnrt_errorf(c->e, "%s: dataset '%s' (%s): storage layout %d is not supported "
                                 "(contiguous, compact or chunked)", c->path, a->name, a->shape,
                           (int)layout);
    if (filters < 0)
        return nnrt_errorf(c->e, "%s: dataset '%s' (%s): cannot read its filters", c->path,
                           a->name, a->shape);
    size_t have = (size_t)h5.H5Dget_storage_size(ds);
    size_t want = filters ? need / H5_MAX_RATIO + (need % H5_MAX_RATIO != 0) : need;
    if (a->rows > 0 && have < want)
        return nnrt_errorf(c->e, "%s: dataset '%s' (%s): only %zu of %zu bytes stored%s (file "
                                 "truncated or corrupt?)", c->path, a->name, a->shape, have, need,
                           filters ? " compressed" : "");
    return 0;
}

/* Opens dataset `name` and reads its type and shape into *a (a->ds stays
 * open: h5_close).  0, or -1 with the message. */
static int h5_open(const h5_ctx *c, const char *name, h5_array *a)
{
    int rc = -1;
    hid_t type = -1, space = -1;
    memset(a, 0, sizeof *a);
    a->name = name;
    a->ds = h5.H5Dopen2(c->file, name, H5P_DEFAULT);
    if (a->ds < 0)
        return nnrt_errorf(c->e, "%s: '%s' is not a dataset", c->path, name);
    type = h5.H5Dget_type(a->ds);
    if (type < 0) {
        nnrt_errorf(c->e, "%s: cannot read the type of dataset '%s'", c->path, name);
        goto done;
    }
    H5T_class_t k = h5.H5Tget_class(type);
    if (k != H5T_INTEGER && k != H5T_FLOAT) {
        nnrt_errorf(c->e, "%s: dataset '%s' holds %s, not numbers", c->path, name,
                    h5_class_name(k));
        goto done;
    }
    if (!h5_type_ok(type, k)) {
        nnrt_errorf(c->e, "%s: dataset '%s' has a damaged or unsupported %s type (%zu bytes, "
                          "precision %zu)", c->path, name, k == H5T_INTEGER ? "integer" : "float",
                    h5.H5Tget_size(type), h5.H5Tget_precision(type));
        goto done;
    }
    a->is_u8 = k == H5T_INTEGER && h5.H5Tget_size(type) == 1 && h5.H5Tget_sign(type) == H5T_SGN_NONE;
    space = h5.H5Dget_space(a->ds);
    int rank = space < 0 ? -1 : h5.H5Sget_simple_extent_ndims(space);
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
    h5.H5Sget_simple_extent_dims(space, dims, NULL);
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
    if (dims[0] > (hsize_t)LONG_MAX || a->rows > (size_t)LONG_MAX / a->cols / 8) {
        nnrt_errorf(c->e, "%s: dataset '%s' (%s) is too large", c->path, name, a->shape);
        goto done;
    }
    size_t esize = h5.H5Tget_size(type);
    if (h5_check_stored(c, a, a->ds, a->rows * a->cols * esize, esize))
        goto done;
    rc = 0;
done:
    if (space >= 0)
        h5.H5Sclose(space);
    if (type >= 0)
        h5.H5Tclose(type);
    if (rc) {
        h5.H5Dclose(a->ds);
        a->ds = -1;
    }
    return rc;
}

/* Reads the opened dataset whole into a->data (converted to float by
 * libhdf5).  0, or -1 with the message. */
static int h5_read(const h5_ctx *c, h5_array *a)
{
    if (a->rows == 0)
        return 0;
    a->data = nnrt_data_alloc_floats(a->rows * a->cols);
    if (!a->data)
        return nnrt_errorf(c->e, "%s: out of memory for dataset '%s' (%s)", c->path, a->name,
                           a->shape);
    if (h5.H5Dread(a->ds, h5.native_float, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) < 0) {
        free(a->data);
        a->data = NULL;
        return nnrt_errorf(c->e, "%s: cannot read dataset '%s' (%s): file truncated or corrupt",
                           c->path, a->name, a->shape);
    }
    return 0;
}

static void h5_close(h5_array *a)
{
    if (a->ds >= 0)
        h5.H5Dclose(a->ds);
    a->ds = -1;
    free(a->data);
    a->data = NULL;
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
    h5_array x = {.ds = -1}, y = {.ds = -1};
    int rc = -1;

    if (h5_load_api(path, e))
        return -1;
    h5.H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    h5.H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5_ctx c = {path, -1, e};
    c.file = h5.H5Fopen(path, H5_ACC_RDONLY, H5P_DEFAULT);
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
    if (!yn || h5_open(&c, xn, &x) || h5_open(&c, yn, &y))
        goto done;
    /* Labels stored as one row (1, m), as some course files do. */
    int one_row = y.rank == 2 && y.rows == 1 && y.cols == x.rows && x.rows != 1;
    size_t ycols = one_row ? 1 : y.cols, yrows = one_row ? x.rows : y.rows;
    if (yrows != x.rows) {
        nnrt_errorf(e, "%s: %zu labels ('%s', %s) for %zu samples ('%s', %s)", path, yrows, yn,
                    y.shape, x.rows, xn, x.shape);
        goto done;
    }
    /* Everything known: the shapes against the model and the limit, before
     * a byte is allocated. */
    if (nnrt_data_check_features(path, o, x.cols, e) ||
        nnrt_data_check_bytes(path, o, x.rows, x.cols, ycols, e) || h5_read(&c, &x) ||
        h5_read(&c, &y))
        goto done;
    y.rows = yrows;
    y.cols = ycols;
    if (x.is_u8 && x.data) {
        size_t n = x.rows * x.cols;
        if (o->scale == (nnrt_real)1 / 255) { /* exact: the correctly rounded v/255 */
            for (size_t i = 0; i < n; i++)
                x.data[i] /= (nnrt_real)255;
        } else if (o->scale != (nnrt_real)1) {
            for (size_t i = 0; i < n; i++)
                x.data[i] *= o->scale;
        }
    }
    nnrt_data_take(out, x.rows, x.cols, y.cols, &x.data, &y.data);
    rc = 0;
done:
    h5_close(&x);
    h5_close(&y);
    if (c.file >= 0)
        h5.H5Fclose(c.file);
    h5.H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return rc;
}
