/*
 * fuzz_hdf5.c -- the HDF5 loader (runtime/nnrt_hdf5.c) through the
 * dlopen()ed libhdf5.
 *
 * By default the input describes a file that libhdf5 itself writes: the
 * element types of the features and the labels (integers of 1-8 bytes,
 * signed or not, float, double), the storage layout (contiguous, compact,
 * chunked, chunked + deflate, chunked and never written), the shape (rank
 * 1-3, rows, the labels as a column, a row (1, m) or k columns), the
 * dataset names the loader looks for (or not), a model to check against,
 * and the values (the rest of the input, cycled).  That is the loader's
 * whole logic -- names, types, shapes, layouts, limits, the model check,
 * conversion, scaling -- on files libhdf5 can read safely.
 *
 * With FUZZ_HDF5_RAW=1 in the environment the input is the file itself:
 * that fuzzes libhdf5's own parser, which (1.10, Debian 12) is not safe on
 * hostile files -- it crashes and over-allocates inside the library within
 * seconds (docs/limits.md); one such overflow, a chunk smaller than its
 * index says, the loader now refuses before reading.
 *
 * With FUZZ_HDF5_WRITE=FILE the input's file is written to FILE and not
 * loaded: scripts/fuzz.sh makes the raw run's seeds that way, from this
 * target's own seeds, so no binary .h5 file lives in the repository.
 *
 * Oracle: fuzz_load (one-line failure, empty data set; a success is
 * consistent and readable).
 */
#include "fuzz_common.h"

#include <hdf5.h>

static const uint8_t *in_p;
static size_t in_n, in_k;

static unsigned take(void)
{
    return in_k < in_n ? in_p[in_k++] : 0;
}

static hid_t pick_type(unsigned b)
{
    static hid_t types[10];
    types[0] = H5T_STD_U8LE;
    types[1] = H5T_STD_I8LE;
    types[2] = H5T_STD_U16BE;
    types[3] = H5T_STD_I16LE;
    types[4] = H5T_STD_I32LE;
    types[5] = H5T_STD_U32BE;
    types[6] = H5T_STD_I64LE;
    types[7] = H5T_IEEE_F32LE;
    types[8] = H5T_IEEE_F64BE;
    types[9] = H5T_IEEE_F32BE;
    return types[b % 10];
}

/* One dataset of `rank` dims, values from the input. */
static void put(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims, unsigned lay)
{
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int write = 1;
    if (lay % 5 == 1 && n * 8 < 60000)
        H5Pset_layout(dcpl, H5D_COMPACT);
    if (lay % 5 >= 2 && n > 0) {
        hsize_t c[3];
        for (int i = 0; i < rank; i++)
            c[i] = dims[i] ? (dims[i] + 1) / 2 : 1;
        H5Pset_chunk(dcpl, rank, c);
        if (lay % 5 == 3)
            H5Pset_deflate(dcpl, 1);
        write = lay % 5 != 4;
    }
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0 && write && n > 0) {
        double *v = malloc(n * sizeof *v);
        if (!v)
            abort();
        for (hsize_t i = 0; i < n; i++) {
            unsigned b = take();
            v[i] = (double)(int)(b % 16) - 4.0 + (b & 16 ? 0.5 : 0.0);
            if (b == 255)
                v[i] = 1e40; /* beyond float */
        }
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
    }
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(sp);
    H5Pclose(dcpl);
}

static void make_file(const char *path)
{
    unsigned tx = take(), ty = take(), lay = take(), shape = take(), names = take();
    hsize_t rows = take() % 40, d1 = take() % 9, d2 = take() % 4;
    int rank = 1 + shape % 3;
    hsize_t dx[3] = {rows, d1, d2};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        abort();
    static const char *const xn[] = {"train_set_x", "x", "X", "test_set_x", "data"};
    static const char *const yn[] = {"train_set_y", "y", "Y", "test_set_y", "labels"};
    put(f, xn[names % 5], pick_type(tx), rank, dx, lay);
    hsize_t ylen = (shape >> 2) & 1 ? rows + 1 : rows; /* a count that differs */
    int yform = (shape >> 3) % 3;
    hsize_t dy[2] = {yform == 1 ? 1 : ylen, yform == 1 ? ylen : yform == 2 ? 2 : 1};
    if (!((names >> 3) & 1)) /* sometimes no labels at all */
        put(f, yn[(names >> 4) % 5], pick_type(ty), yform ? 2 : 1, dy, lay >> 3);
    H5Fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int raw = -1;
    static const char *write_to;
    if (raw < 0) {
        const char *r = getenv("FUZZ_HDF5_RAW");
        raw = r && *r == '1';
        write_to = getenv("FUZZ_HDF5_WRITE");
    }
    if (write_to && *write_to && !raw) { /* a seed for the raw run */
        in_p = data;
        in_n = size;
        in_k = 0;
        (void)take(); /* the load options, as below */
        make_file(write_to);
        return 0;
    }
    const char *path = fuzz_path("f.h5");
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.format = NNRT_FMT_HDF5;
    o.max_bytes = FUZZ_MAX_BYTES;
    if (raw) {
        fuzz_put(path, data, size);
        o.model = size % 2 ? fuzz_model(8) : NULL;
    } else {
        in_p = data;
        in_n = size;
        in_k = 0;
        unsigned opts = take();
        make_file(path);
        o.model = opts & 1 ? fuzz_model(8) : NULL;
        o.scale = opts & 2 ? 0.5f : 0.0f;
        if (opts & 4)
            o.max_bytes = 256;
        if (opts & 8) {
            o.x_name = opts & 16 ? "x" : "nothere";
            o.y_name = opts & 32 ? "y" : NULL;
        }
    }
    fuzz_load(path, &o);
    unlink(path);
    return 0;
}
