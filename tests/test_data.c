/*
 * test_data.c -- the data loaders (runtime/nnrt_data.c, nnrt_csv.c,
 * nnrt_idx.c, nnrt_hdf5.c): format detection, CSV, IDX (plain and gzip),
 * HDF5, nnrt_dataset_check and nnrt_make_targets.
 *
 * Real data: the cat HDF5 files ($NNGEN_DATA_DIR/cat) and Fashion-MNIST
 * ($NNGEN_FASHION_DIR), each value compared with the file's raw bytes read
 * independently (HDF5 API / zlib).  Fixtures are written by the test into a
 * fresh temporary directory; every error message is compared exactly.
 * With CI=true a missing real data file fails instead of skipping.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#ifdef NNG_HAVE_HDF5
#include <hdf5.h>
#endif

#include "nnrt.h"
#include "nng_tmpdir.h"

/* ---- fixtures: a temporary directory ----------------------------------- */

static int make_dir(void **state)
{
    (void)state;
    return nng_tmpdir_make("data");
}

static int remove_dir(void **state)
{
    (void)state;
    nng_tmpdir_remove();
    return 0;
}

/* The path of `name` in the test's directory. */
static const char *tp(const char *name) { return nng_tmpdir_path(name); }

static const char *put(const char *name, const void *data, size_t n)
{
    const char *p = tp(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *put_s(const char *name, const char *text)
{
    return put(name, text, strlen(text));
}

static const char *put_gz(const char *name, const void *data, size_t n)
{
    const char *p = tp(name);
    gzFile g = gzopen(p, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
    return p;
}

/* ---- loading helpers ----------------------------------------------------- */

static void load_ok(const char *path, const nnrt_load_opts *o, nnrt_dataset *d)
{
    nnrt_err e = {""};
    if (nnrt_load(path, o, d, &e) != 0)
        fail_msg("nnrt_load(%s) failed: %s", path, e.msg);
    assert_string_equal(e.msg, "");
}

/* What a failed load leaves: one line of message, the data set empty. */
static void failed_load_ok(const nnrt_err *e, nnrt_dataset *d)
{
    assert_true(e->msg[0] != '\0');
    assert_null(strchr(e->msg, '\n'));
    assert_int_equal(d->m, 0); /* left empty: nnrt_dataset_free is harmless */
    assert_null(d->x);
    assert_null(d->y);
    nnrt_dataset_free(d);
}

/* Loads that must fail; returns the message (static). */
static const char *load_fail(const char *path, const nnrt_load_opts *o)
{
    static nnrt_err e;
    nnrt_dataset d;
    memset(&d, 0x5a, sizeof d);
    e.msg[0] = '\0';
    assert_int_equal(nnrt_load(path, o, &d, &e), -1);
    failed_load_ok(&e, &d);
    return e.msg;
}

static void expect_fail(const char *path, const nnrt_load_opts *o, const char *fmt, ...)
{
    char want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    assert_string_equal(load_fail(path, o), want);
}

/* A real data file, or skip (fail when CI=true). */
static int need_file(const char *path)
{
    if (access(path, R_OK) == 0)
        return 1;
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0)
        fail_msg("CI=true but the data file %s is missing", path);
    printf("test_data: %s missing; skipped\n", path);
    return 0;
}

static const char *env_path(const char *var, const char *fallback, const char *rel)
{
    static char buf[4][1024];
    static int next;
    const char *base = getenv(var);
    char *p = buf[next++ % 4];
    snprintf(p, 1024, "%s/%s", base && *base ? base : fallback, rel);
    return p;
}

/* ---- a fake model descriptor --------------------------------------------- */

static nnrt_layer_info g_layers[2];
static nnrt_model fake_model(const char *name, int n_in, int n_out, nnrt_loss loss)
{
    nnrt_model m;
    memset(&m, 0, sizeof m);
    g_layers[0] = (nnrt_layer_info){.units = 4, .fan_in = n_in, .act = NNRT_ACT_RELU};
    g_layers[1] = (nnrt_layer_info){.units = n_out, .fan_in = 4,
                                    .act = loss == NNRT_LOSS_CCE ? NNRT_ACT_SOFTMAX
                                           : loss == NNRT_LOSS_BCE ? NNRT_ACT_SIGMOID
                                                                   : NNRT_ACT_IDENTITY};
    m.abi = NNRT_ABI_VERSION;
    m.name = name;
    m.n_in = n_in;
    m.n_out = n_out;
    m.n_layers = 2;
    m.layers = g_layers;
    m.loss = loss;
    return m;
}

/* ======================================================================== */
/* Real data                                                                */
/* ======================================================================== */

static void check_cat(const char *file, const char *xname, long m, double cats)
{
    const char *path = env_path("NNGEN_DATA_DIR", "../shared/data", file);
    if (!need_file(path))
        skip();
    nnrt_dataset d;
#ifndef NNG_HAVE_HDF5
    expect_fail(path, NULL, "%s: this build of libnnrt has no HDF5 support", path);
    (void)xname, (void)m, (void)cats, (void)d;
#else
    load_ok(path, NULL, &d);
    assert_int_equal(d.m, m);
    assert_int_equal(d.n_features, 64 * 64 * 3);
    assert_int_equal(d.label_cols, 1);
    assert_string_equal(d.path, path);
    double sum = 0;
    for (long i = 0; i < d.m; i++) {
        assert_true(d.y[i] == 0.0f || d.y[i] == 1.0f);
        sum += (double)d.y[i];
    }
    assert_true(sum == cats);
    /* Every pixel is the file's byte / 255, read here independently. */
    size_t n = (size_t)m * 12288;
    unsigned char *raw = malloc(n);
    assert_non_null(raw);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, xname, H5P_DEFAULT);
    assert_true(H5Dread(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    H5Dclose(ds);
    H5Fclose(f);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (d.x[i] != (float)raw[i] / 255.0f)
            fail_msg("%s: x[%zu] = %.9g, byte %u", path, i, (double)d.x[i], raw[i]);
        nonzero += raw[i] != 0;
    }
    assert_true(nonzero > n / 2);
    free(raw);
    nnrt_dataset_free(&d);
    assert_null(d.x);
#endif
}

static void test_cat_train(void **state)
{
    (void)state;
    check_cat("cat/train_catvnoncat.h5", "train_set_x", 209, 72);
}

static void test_cat_test(void **state)
{
    (void)state;
    check_cat("cat/test_catvnoncat.h5", "test_set_x", 50, 33);
}

static void check_fashion(const char *images, long m)
{
    const char *path = env_path("NNGEN_FASHION_DIR", "/usr/share/datasets/fashion-mnist", images);
    if (!need_file(path))
        skip();
    nnrt_dataset d;
    load_ok(path, NULL, &d);
    assert_int_equal(d.m, m);
    assert_int_equal(d.n_features, 784);
    assert_int_equal(d.label_cols, 1);
    long hist[10] = {0};
    for (long i = 0; i < d.m; i++) {
        float v = d.y[i];
        assert_true(v >= 0.0f && v <= 9.0f && v == floorf(v));
        hist[(int)v]++;
    }
    for (int c = 0; c < 10; c++)
        assert_int_equal(hist[c], m / 10);
    /* Pixels against the decompressed bytes, read here independently. */
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    unsigned char hdr[16], buf[65536];
    assert_int_equal(gzread(g, hdr, 16), 16);
    assert_int_equal(hdr[2], 0x08);
    assert_int_equal(hdr[3], 3);
    size_t n = (size_t)m * 784, done = 0;
    while (done < n) {
        unsigned k = (unsigned)(n - done < sizeof buf ? n - done : sizeof buf);
        assert_int_equal(gzread(g, buf, k), (int)k);
        for (unsigned i = 0; i < k; i++)
            if (d.x[done + i] != (float)buf[i] / 255.0f)
                fail_msg("x[%zu] = %.9g, byte %u", done + i, (double)d.x[done + i], buf[i]);
        done += k;
    }
    gzclose(g);
    nnrt_dataset_free(&d);
}

static void test_fashion_train(void **state)
{
    (void)state;
    check_fashion("train-images-idx3-ubyte.gz", 60000);
}

static void test_fashion_test(void **state)
{
    (void)state;
    check_fashion("t10k-images-idx3-ubyte.gz", 10000);
}

/* The labels of one file given explicitly with another's images: 60000
 * images, 10000 labels. */
static void test_fashion_mismatch(void **state)
{
    (void)state;
    const char *img = env_path("NNGEN_FASHION_DIR", "/usr/share/datasets/fashion-mnist",
                               "train-images-idx3-ubyte.gz");
    const char *lab = env_path("NNGEN_FASHION_DIR", "/usr/share/datasets/fashion-mnist",
                               "t10k-labels-idx1-ubyte.gz");
    if (!need_file(img) || !need_file(lab))
        skip();
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.labels_path = lab;
    expect_fail(img, &o, "%s: 10000 labels for 60000 images", lab);
}

/* ======================================================================== */
/* Format detection, files that are not data                                */
/* ======================================================================== */

static void test_not_data(void **state)
{
    (void)state;
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    const char *p = put("picture.png", png, sizeof png);
    expect_fail(p, NULL, "%s: unknown data format (expected HDF5, IDX, gzip-compressed IDX, .npy, "
                         ".npz, or a file named .csv or .tsv; --format names one)", p);
    p = put("picture.h5", png, sizeof png);
    expect_fail(p, NULL, "%s: not an HDF5 file (bad magic)", p);
    p = put("nothing", "", 0);
    expect_fail(p, NULL, "%s: empty file", p);
    p = put_gz("notes.txt.gz", "hello, world\n", 13);
    expect_fail(p, NULL, "%s: gzip-compressed, but not an IDX file inside (and not named "
                         ".csv.gz or .tsv.gz)", p);
    p = tp("missing.csv");
    expect_fail(p, NULL, "%s: No such file or directory", p);
    expect_fail(nng_tmpdir, NULL, "%s: is a directory, not a data file", nng_tmpdir);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.format = NNRT_FMT_CSV;
    expect_fail(nng_tmpdir, &o, "%s: is a directory, not a data file", nng_tmpdir);
    expect_fail("", NULL, "no data file given");
}

/* ======================================================================== */
/* CSV                                                                      */
/* ======================================================================== */

static void expect_floats(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i] && !(isnan(got[i]) && isnan(want[i])))
            fail_msg("[%zu] = %.9g, want %.9g", i, (double)got[i], (double)want[i]);
}

static void test_csv_header(void **state)
{
    (void)state;
    nnrt_dataset d;
    const char *p = put_s("house.csv", "area, rooms ,age,price\r\n"
                                       "120.5,3,10,250000\r\n"
                                       "\r\n"
                                       "  80 ,2, 1e1 ,-1.5e5\r\n"
                                       "   \n"
                                       "0x10,1,0.25,7");
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 3);
    assert_int_equal(d.n_features, 3);
    assert_int_equal(d.label_cols, 1);
    static const float x[] = {120.5f, 3, 10, 80, 2, 10, 16, 1, 0.25f};
    static const float y[] = {250000, -150000, 7};
    expect_floats(d.x, x, 9);
    expect_floats(d.y, y, 3);
    nnrt_dataset_free(&d);

    /* header = 0: the header is data, and not numbers. */
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.header = 0;
    expect_fail(p, &o, "%s:1: column 1: 'area' is not a number", p);
    /* header = 1: a numeric first line is skipped. */
    o.header = 1;
    p = put_s("h1.csv", "1,2\n3,4\n");
    load_ok(p, &o, &d);
    assert_int_equal(d.m, 1);
    assert_true(d.x[0] == 3.0f && d.y[0] == 4.0f);
    nnrt_dataset_free(&d);
}

static void test_csv_no_header(void **state)
{
    (void)state;
    nnrt_dataset d;
    const char *p = put_s("plain.csv", "\n1,2,0\n3,4,1\n5,6,1\n");
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 3);
    assert_int_equal(d.n_features, 2);
    static const float x[] = {1, 2, 3, 4, 5, 6}, y[] = {0, 1, 1};
    expect_floats(d.x, x, 6);
    expect_floats(d.y, y, 3);
    nnrt_dataset_free(&d);

    /* A UTF-8 byte order mark (spreadsheet exports) is skipped. */
    p = put_s("bom.csv", "\xEF\xBB\xBF" "1.5,2\n3,4\n");
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 2);
    assert_true(d.x[0] == 1.5f && d.y[0] == 2.0f);
    nnrt_dataset_free(&d);

    /* A first line with one non-number among numbers is a bad row, not a
     * header. */
    p = put_s("typo.csv", "1,x2,0\n3,4,1\n");
    expect_fail(p, NULL, "%s:1: column 2: 'x2' is not a number", p);

    /* Many rows: the buffer grows. */
    FILE *f = fopen(tp("big.csv"), "w");
    assert_non_null(f);
    fprintf(f, "a,b,label\n");
    for (int i = 0; i < 5000; i++)
        fprintf(f, "%d,%d.5,%d\n", i, -i, i % 3);
    fclose(f);
    load_ok(tp("big.csv"), NULL, &d);
    assert_int_equal(d.m, 5000);
    for (int i = 0; i < 5000; i++) {
        assert_true(d.x[2 * i] == (float)i);
        assert_true(d.x[2 * i + 1] == (i == 0 ? 0.5f : -(float)i - 0.5f));
        assert_true(d.y[i] == (float)(i % 3));
    }
    nnrt_dataset_free(&d);
}

static void test_csv_label_columns(void **state)
{
    (void)state;
    nnrt_dataset d;
    nnrt_load_opts o;
    const char *p = put_s("cols.csv", "a,b,c,d\n1,2,3,4\n5,6,7,8\n");

    nnrt_load_opts_default(&o);
    o.label_col = 0;
    load_ok(p, &o, &d);
    static const float x0[] = {2, 3, 4, 6, 7, 8}, y0[] = {1, 5};
    assert_int_equal(d.n_features, 3);
    expect_floats(d.x, x0, 6);
    expect_floats(d.y, y0, 2);
    nnrt_dataset_free(&d);

    nnrt_load_opts_default(&o);
    o.label_cols = 2; /* the last two */
    load_ok(p, &o, &d);
    static const float x1[] = {1, 2, 5, 6}, y1[] = {3, 4, 7, 8};
    assert_int_equal(d.n_features, 2);
    assert_int_equal(d.label_cols, 2);
    expect_floats(d.x, x1, 4);
    expect_floats(d.y, y1, 4);
    nnrt_dataset_free(&d);

    o.label_col = 1; /* columns 1 and 2 */
    load_ok(p, &o, &d);
    static const float x2[] = {1, 4, 5, 8}, y2[] = {2, 3, 6, 7};
    expect_floats(d.x, x2, 4);
    expect_floats(d.y, y2, 4);
    nnrt_dataset_free(&d);

    o.label_col = 3;
    expect_fail(p, &o, "%s: label columns 3..4 are out of range (the file has 4 columns, "
                       "counted from 0)", p);
    o.label_cols = 1;
    o.label_col = 4;
    expect_fail(p, &o, "%s: label column 4 is out of range (the file has 4 columns, counted "
                       "from 0)", p);
    o.label_col = -1;
    o.label_cols = 4;
    expect_fail(p, &o, "%s:1: 4 columns leave no features beside 4 label columns", p);
}

static void test_csv_bad_rows(void **state)
{
    (void)state;
    const char *p = put_s("house.csv", "a,b,c,d,price\n"
                                       "1,2,3,4,5\n"
                                       "\n"
                                       "1,2,3,4\n");
    expect_fail(p, NULL, "%s:4: expected 5 columns, found 4", p);
    p = put_s("extra.csv", "1,2\n3,4,5\n");
    expect_fail(p, NULL, "%s:2: expected 2 columns, found 3", p);
    p = put_s("abc.csv", "x,y,z\n1,2,3\n4,abc,6\n");
    expect_fail(p, NULL, "%s:3: column 2: 'abc' is not a number", p);
    p = put_s("empty_field.csv", "1,2,3\n4,,6\n");
    expect_fail(p, NULL, "%s:2: column 2: empty field", p);
    p = put_s("semi.csv", "1;2;3\n4;5;6\n");
    expect_fail(p, NULL, "%s:1: 1 column leaves no features beside 1 label column (columns are "
                         "separated by ',' only)", p);
    p = put_s("semi2.csv", "a,b\n1;2,3\n");
    expect_fail(p, NULL, "%s:2: column 1: '1;2' is not a number (columns are separated by ',' "
                         "only)", p);
    p = put_s("trail.csv", "1,2\n3,4x\n");
    expect_fail(p, NULL, "%s:2: column 2: '4x' is not a number", p);
    char longf[200];
    memset(longf, '7', sizeof longf);
    memcpy(longf + 100, "q", 1);
    char text[300];
    snprintf(text, sizeof text, "1,2\n1,%.*s\n", (int)sizeof longf, longf);
    p = put_s("long.csv", text);
    expect_fail(p, NULL, "%s:2: column 2: '%.40s...' is not a number", p, longf);
    /* A long number is still a number. */
    char digits[151];
    memset(digits, '3', 150);
    digits[150] = '\0';
    snprintf(text, sizeof text, "1,2\n1,0.%s\n", digits);
    p = put_s("longnum.csv", text);
    nnrt_dataset d;
    load_ok(p, NULL, &d);
    assert_true(d.y[0] == 2.0f);
    assert_true(d.y[1] == 1.0f / 3.0f);
    nnrt_dataset_free(&d);
    /* Binary: shown with '?' for unprintable bytes. */
    p = put("binary.csv", "a,b\n\x89PNG\r\x1a\x01,2\n", 14);
    expect_fail(p, NULL, "%s:2: column 1: '?PNG?" "?" "?' is not a number", p);
}

static void test_csv_empty_and_gz(void **state)
{
    (void)state;
    nnrt_dataset d;
    nnrt_err e = {""};
    nnrt_model m = fake_model("house", 3, 1, NNRT_LOSS_MSE);

    const char *p = put_s("only_header.csv", "a,b,c,price\n");
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 0);
    assert_int_equal(d.n_features, 3);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    char want[600];
    snprintf(want, sizeof want, "%s: no samples", p);
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);

    p = put_s("empty.csv", "");
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 0);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    snprintf(want, sizeof want, "%s: no samples", p);
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);

    static const char text[] = "a,b,c,y\n1,2,3,4\n5,6,7,8\n";
    p = put_gz("packed.csv.gz", text, sizeof text - 1);
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 2);
    static const float x[] = {1, 2, 3, 5, 6, 7}, y[] = {4, 8};
    expect_floats(d.x, x, 6);
    expect_floats(d.y, y, 2);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), 0);
    nnrt_dataset_free(&d);

    /* Not named .csv: only with the format given. */
    p = put_s("table.txt", "1,2\n3,4\n");
    expect_fail(p, NULL, "%s: unknown data format (expected HDF5, IDX, gzip-compressed IDX, .npy, "
                         ".npz, or a file named .csv or .tsv; --format names one)", p);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.format = NNRT_FMT_CSV;
    load_ok(p, &o, &d);
    assert_int_equal(d.m, 2);
    nnrt_dataset_free(&d);
}

/* Every number the CSV loader reads equals strtof's float, bit for bit:
 * the loader's fast path (no strtof) must agree with it everywhere. */
/* TSV: the CSV loader with tabs, by name (.tsv, .tsv.gz) or by format;
 * standard input ("-") as CSV or TSV, anything needing a seek refused. */
static void test_tsv_and_stdin(void **state)
{
    (void)state;
    static const float x[] = {1, 2.5f, 3, 4}, y[] = {1, 0};
    nnrt_dataset d;
    const char *p = put_s("table.tsv", "a\tb\tlabel\n1\t2.5\t1\n3 \t 4\t0\n");
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 2);
    assert_int_equal(d.n_features, 2);
    expect_floats(d.x, x, 4);
    expect_floats(d.y, y, 2);
    nnrt_dataset_free(&d);
    const char *text = "1\t2.5\t1\n3\t4\t0\n";
    p = put_gz("table.tsv.gz", text, strlen(text));
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, 2);
    expect_floats(d.x, x, 4);
    nnrt_dataset_free(&d);
    /* a comma in a TSV is no separator: one line naming the field */
    p = put_s("commas.tsv", "1\t2\t1\n3,5\t4\t0\n");
    expect_fail(p, NULL, "%s:2: column 1: '3,5' is not a number (columns are separated by tabs "
                         "only)", p);
    /* by format, whatever the name; and a CSV read as TSV is one column */
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.format = NNRT_FMT_TSV;
    p = put_s("tabs.txt", "1\t2.5\t1\n3\t4\t0\n");
    load_ok(p, &o, &d);
    assert_int_equal(d.m, 2);
    nnrt_dataset_free(&d);
    p = put_s("commas.csv", "1,2,1\n");
    expect_fail(p, &o, "%s:1: 1 column leaves no features beside 1 label column (columns are "
                       "separated by tabs only)", p);

    /* standard input */
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    p = put_s("in.tsv", "1\t2.5\t1\n3\t4\t0\n");
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    load_ok("-", &o, &d);
    assert_int_equal(d.m, 2);
    expect_floats(d.x, x, 4);
    assert_string_equal(d.path, "<stdin>");
    nnrt_dataset_free(&d);
    o.format = NNRT_FMT_HDF5;
    expect_fail("-", &o, "<stdin>: standard input is read as CSV or TSV only (hdf5 needs a file "
                         "it can seek in or reopen)");
    o.format = NNRT_FMT_AUTO; /* CSV: the tab-separated lines are one column */
    p = put_s("in.csv", "1,2.5,1\n3,x,0\n");
    fd = open(p, O_RDONLY);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    expect_fail("-", &o, "<stdin>:2: column 2: 'x' is not a number");
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
}

static void test_csv_numbers_exact(void **state)
{
    (void)state;
    static const char *const edge[] = {
        "0", "-0", "+0", "0.0", "-0.000", "0e99", "1", "-1", "+3", "1.", ".5", "-.25",
        "16777216", "16777217", "16777218", "16777219", "1.6777217e7", "167772.17e2",
        "0.1", "0.2", "0.3", "3.4028235e38", "3.4028236e38", "1e38", "1e39", "1e-38", "1e-45",
        "1e-46", "7e-46", "1.17549435e-38", "1e10", "1e11", "1e-10", "1e-11", "123456789",
        "0.000001", "9999999", "99999999", "0.3333333333333333", "2.5e-3", "00012", "12.5000",
        "1E5", "1e+05", "1e-05", "4.2e0", "8388607.5", "8388608.5", "33554431", "0x10",
        "inf", "-inf", "nan", "1e400", "-1e-400", "123456.7e-3", "0.000000000000000000001e21"};
    unsigned ne = (unsigned)(sizeof edge / sizeof edge[0]);
    enum { N = 200000 };
    char (*text)[48] = malloc(sizeof(*text) * N);
    assert_non_null(text);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < N; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        if (i < ne) {
            snprintf(text[i], 48, "%s", edge[i]);
            continue;
        }
        unsigned kind = (unsigned)(r % 4);
        uint64_t u = r >> 8;
        if (kind == 0) { /* a random float as %.Ng */
            uint32_t bits = (uint32_t)u & 0x7f7fffffu;
            float f;
            memcpy(&f, &bits, 4);
            snprintf(text[i], 48, "%.*g", 1 + (int)(u >> 40) % 9, (double)f);
        } else if (kind == 1) { /* decimal digits, a point somewhere, an exponent */
            int nd = 1 + (int)(u % 12), pt = (int)((u >> 4) % (unsigned)(nd + 1));
            char *t = text[i];
            size_t n = 0;
            if ((u >> 9) & 1)
                t[n++] = '-';
            for (int d = 0; d < nd; d++) {
                if (d == pt)
                    t[n++] = '.';
                t[n++] = (char)('0' + (u >> (12 + 3 * d)) % 10);
            }
            if ((u >> 50) & 1)
                n += (size_t)snprintf(t + n, 48 - n, "e%d", (int)((u >> 51) % 31) - 15);
            t[n] = '\0';
        } else if (kind == 2) { /* short decimals like "%.6g" of [0, 1) */
            snprintf(text[i], 48, "%.*g", 1 + (int)(u % 7), (double)(u >> 11) / 9007199254740992.0);
        } else { /* integers near 2^24 and powers of ten */
            long base = (u & 1) ? 16777216L : 10000000L;
            snprintf(text[i], 48, "%ld", base + (long)((u >> 1) % 64) - 32);
        }
    }
    const char *p = tp("numbers.csv");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (unsigned i = 0; i < N; i++)
        fprintf(f, "%s,0\n", text[i]);
    fclose(f);
    nnrt_dataset d;
    load_ok(p, NULL, &d);
    assert_int_equal(d.m, N);
    for (unsigned i = 0; i < N; i++) {
        float want = strtof(text[i], NULL);
        if (memcmp(&d.x[i], &want, 4) != 0)
            fail_msg("'%s': loaded %.9g, strtof %.9g", text[i], (double)d.x[i], (double)want);
    }
    nnrt_dataset_free(&d);
    free(text);
}

static void test_csv_nan(void **state)
{
    (void)state;
    nnrt_dataset d;
    nnrt_err e = {""};
    char want[600];
    nnrt_model m = fake_model("house", 2, 1, NNRT_LOSS_MSE);
    const char *p = put_s("nan.csv", "a,b,y\n1,2,3\n4,nan,6\n");
    load_ok(p, NULL, &d);
    assert_true(isnan(d.x[3]));
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    snprintf(want, sizeof want, "%s: sample 1, feature 1 is NaN", p);
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);

    p = put_s("inf.csv", "1,2,3\n4,5,-inf\n");
    load_ok(p, NULL, &d);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    snprintf(want, sizeof want, "%s: sample 1, label is -inf", p);
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);

    p = put_s("huge.csv", "1e39,2,3\n");
    load_ok(p, NULL, &d);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    snprintf(want, sizeof want, "%s: sample 0, feature 0 is inf", p);
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);
}

/* ======================================================================== */
/* IDX                                                                      */
/* ======================================================================== */

/* An IDX file image: header + data (already big-endian). */
static size_t idx_make(unsigned char *buf, int type, int ndims, const uint32_t *dims,
                       const void *data, size_t data_bytes)
{
    size_t n = 0;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = (unsigned char)type;
    buf[n++] = (unsigned char)ndims;
    for (int i = 0; i < ndims; i++) {
        buf[n++] = (unsigned char)(dims[i] >> 24);
        buf[n++] = (unsigned char)(dims[i] >> 16);
        buf[n++] = (unsigned char)(dims[i] >> 8);
        buf[n++] = (unsigned char)dims[i];
    }
    memcpy(buf + n, data, data_bytes);
    return n + data_bytes;
}

static const unsigned char g_pix[12] = {0, 1, 2, 127, 128, 200, 254, 255, 3, 4, 5, 6};
static const unsigned char g_lab[3] = {7, 0, 9};

static void write_idx_pair(const char *images, const char *labels, int gz)
{
    unsigned char buf[256];
    uint32_t di[3] = {3, 2, 2}, dl[1] = {3};
    size_t n = idx_make(buf, 0x08, 3, di, g_pix, sizeof g_pix);
    if (gz)
        put_gz(images, buf, n);
    else
        put(images, buf, n);
    n = idx_make(buf, 0x08, 1, dl, g_lab, sizeof g_lab);
    if (gz)
        put_gz(labels, buf, n);
    else
        put(labels, buf, n);
}

static void check_idx_pair(const nnrt_dataset *d, float scale)
{
    assert_int_equal(d->m, 3);
    assert_int_equal(d->n_features, 4);
    assert_int_equal(d->label_cols, 1);
    for (int i = 0; i < 12; i++) {
        float want = scale == 0.0f ? (float)g_pix[i] / 255.0f : (float)g_pix[i] * scale;
        if (d->x[i] != want)
            fail_msg("x[%d] = %.9g, want %.9g", i, (double)d->x[i], (double)want);
    }
    if (scale == 0.0f)
        assert_true(d->x[7] == 1.0f && d->x[0] == 0.0f);
    for (int i = 0; i < 3; i++)
        assert_true(d->y[i] == (float)g_lab[i]);
}

static void test_idx_plain_and_gz(void **state)
{
    (void)state;
    nnrt_dataset d;
    nnrt_load_opts o;
    write_idx_pair("a-images-idx3-ubyte", "a-labels-idx1-ubyte", 0);
    load_ok(tp("a-images-idx3-ubyte"), NULL, &d);
    check_idx_pair(&d, 0.0f);
    nnrt_dataset_free(&d);

    write_idx_pair("b-images-idx3-ubyte.gz", "b-labels-idx1-ubyte.gz", 1);
    load_ok(tp("b-images-idx3-ubyte.gz"), NULL, &d);
    check_idx_pair(&d, 0.0f);
    nnrt_dataset_free(&d);

    /* Compressed images, plain labels: the derived name falls back. */
    write_idx_pair("c-images-idx3-ubyte.gz", "c-labels-idx1-ubyte", 1);
    unlink(tp("c-labels-idx1-ubyte"));
    write_idx_pair("tmp-images-idx3-ubyte", "c-labels-idx1-ubyte", 0);
    load_ok(tp("c-images-idx3-ubyte.gz"), NULL, &d);
    check_idx_pair(&d, 0.0f);
    nnrt_dataset_free(&d);

    /* Labels named explicitly; scale 1 keeps the bytes. */
    write_idx_pair("pixels.idx", "classes.idx", 0);
    nnrt_load_opts_default(&o);
    o.labels_path = tp("classes.idx");
    o.scale = 1.0f;
    load_ok(tp("pixels.idx"), &o, &d);
    check_idx_pair(&d, 1.0f);
    nnrt_dataset_free(&d);
    expect_fail(tp("pixels.idx"), NULL, "%s: cannot derive the labels file name (expected "
                                        "'...-images-idx3-ubyte[.gz]'); name the labels file",
                tp("pixels.idx"));
    o.labels_path = tp("none-labels");
    expect_fail(tp("pixels.idx"), &o, "%s: No such file or directory", tp("none-labels"));
}

/* A gzip'd IDX file is inflated whole by libdeflate when it is exactly gzip
 * members holding the header and the data, and converted on the threads
 * the loader is given; anything else takes zlib's stream.  Every way gives
 * the plain file's floats: one member or three, 1 or 3 threads (3.1 MB of
 * pixels: parts of a million), bytes past the data inside the member or
 * after it (which zlib's way ignores, as it always has). */
static void test_idx_gz_ways(void **state)
{
    (void)state;
    enum { IMGS = 3100, PER = 1000 };
    size_t bytes = (size_t)IMGS * PER;
    unsigned char *pix = malloc(bytes), *buf = malloc(bytes + 4096);
    assert_non_null(pix);
    assert_non_null(buf);
    uint32_t s = 12345;
    for (size_t i = 0; i < bytes; i++) {
        s = s * 1103515245u + 12345u;
        pix[i] = (unsigned char)(i % 7 == 0 ? 0 : s >> 24); /* compressible, not trivially */
    }
    unsigned char lab[IMGS];
    for (int i = 0; i < IMGS; i++)
        lab[i] = (unsigned char)(i % 10);
    uint32_t di[3] = {IMGS, 25, 40}, dl[1] = {IMGS};
    size_t n = idx_make(buf, 0x08, 3, di, pix, bytes);
    put("w-images-idx3-ubyte", buf, n);
    put_gz("w1-images-idx3-ubyte.gz", buf, n);
    unsigned char lbuf[IMGS + 16];
    size_t ln = idx_make(lbuf, 0x08, 1, dl, lab, IMGS);
    put("w-labels-idx1-ubyte", lbuf, ln);
    put_gz("w1-labels-idx1-ubyte.gz", lbuf, ln);
    /* three members: gzip files concatenated (as `cat a.gz b.gz` makes) */
    {
        const char *p = tp("w3-images-idx3-ubyte.gz");
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        size_t cut[4] = {0, 7, n / 2, n};
        for (int k = 0; k < 3; k++) {
            uLongf zn = compressBound((uLong)(cut[k + 1] - cut[k])) + 64;
            unsigned char *z = malloc(zn);
            assert_non_null(z);
            z_stream st = {0};
            assert_int_equal(deflateInit2(&st, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
            st.next_in = buf + cut[k];
            st.avail_in = (uInt)(cut[k + 1] - cut[k]);
            st.next_out = z;
            st.avail_out = (uInt)zn;
            assert_int_equal(deflate(&st, Z_FINISH), Z_STREAM_END);
            assert_int_equal(fwrite(z, 1, st.total_out, f), st.total_out);
            deflateEnd(&st);
            free(z);
        }
        assert_int_equal(fclose(f), 0);
        put("w3-labels-idx1-ubyte", lbuf, ln);
    }
    /* bytes past the data inside the member, and after the member */
    memset(buf + n, 0xab, 100);
    put_gz("wx-images-idx3-ubyte.gz", buf, n + 100);
    put("wx-labels-idx1-ubyte", lbuf, ln);
    {
        const char *p = put_gz("wt-images-idx3-ubyte.gz", buf, n);
        FILE *f = fopen(p, "ab");
        assert_non_null(f);
        assert_int_equal(fwrite("trailing junk", 1, 13, f), 13);
        assert_int_equal(fclose(f), 0);
        put("wt-labels-idx1-ubyte", lbuf, ln);
    }
    nnrt_dataset ref;
    load_ok(tp("w-images-idx3-ubyte"), NULL, &ref);
    assert_int_equal(ref.m, IMGS);
    assert_int_equal(ref.n_features, PER);
    for (size_t i = 0; i < bytes; i += 997)
        assert_true(ref.x[i] == (float)pix[i] / 255.0f);
    const char *files[] = {"w1-images-idx3-ubyte.gz", "w3-images-idx3-ubyte.gz",
                           "wx-images-idx3-ubyte.gz", "wt-images-idx3-ubyte.gz"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        for (int threads = 1; threads <= 3; threads += 2) {
            nnrt_load_opts o = {0};
            o.threads = threads;
            nnrt_dataset d;
            load_ok(tp(files[f]), &o, &d);
            assert_int_equal(d.m, IMGS);
            assert_int_equal(d.n_features, PER);
            if (memcmp(d.x, ref.x, bytes * sizeof *d.x) != 0 ||
                memcmp(d.y, ref.y, (size_t)IMGS * sizeof *d.y) != 0)
                fail_msg("%s with %d threads: not the plain file's floats", files[f], threads);
            nnrt_dataset_free(&d);
        }
    }
    nnrt_dataset_free(&ref);
    free(pix);
    free(buf);
}

static void test_idx_float(void **state)
{
    (void)state;
    unsigned char buf[256], be[8];
    const float v[2] = {-1.5f, 3.25e-3f};
    for (int i = 0; i < 2; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int k = 0; k < 4; k++)
            be[4 * i + k] = (unsigned char)(u >> (24 - 8 * k));
    }
    uint32_t di[2] = {2, 1}, dl[1] = {2};
    put("f-images-idx2-float", buf, idx_make(buf, 0x0D, 2, di, be, 8));
    put("f-labels-idx1-float", buf, idx_make(buf, 0x08, 1, dl, "\1\0", 2));
    nnrt_dataset d;
    load_ok(tp("f-images-idx2-float"), NULL, &d);
    assert_int_equal(d.m, 2);
    assert_int_equal(d.n_features, 1);
    assert_true(d.x[0] == v[0] && d.x[1] == v[1]); /* floats are not scaled */
    assert_true(d.y[0] == 1.0f && d.y[1] == 0.0f);
    nnrt_dataset_free(&d);
}

static void test_idx_bad(void **state)
{
    (void)state;
    unsigned char buf[256];
    uint32_t di[3] = {3, 2, 2}, dl[1] = {2};
    const char *img, *lab;

    /* Truncated pixel data, plain and gzip. */
    img = put("t-images-idx3-ubyte", buf, idx_make(buf, 0x08, 3, di, g_pix, 7));
    put("t-labels-idx1-ubyte", buf, idx_make(buf, 0x08, 1, di, g_lab, 3));
    expect_fail(img, NULL, "%s: truncated (header says 3 x 2 x 2; expected 12 bytes of pixel "
                           "data, found 7)", img);
    img = put_gz("tz-images-idx3-ubyte.gz", buf, idx_make(buf, 0x08, 3, di, g_pix, 5));
    put_gz("tz-labels-idx1-ubyte.gz", buf, idx_make(buf, 0x08, 1, di, g_lab, 3));
    expect_fail(img, NULL, "%s: truncated (header says 3 x 2 x 2; expected 12 bytes of pixel "
                           "data, found 5)", img);
    /* A gzip file whose header promises more than any deflate stream of its
     * size can hold (1032:1): refused before the allocation. */
    {
        uint32_t dh[3] = {3, 1000, 1000};
        img = put_gz("huge-images-idx3-ubyte.gz", buf, idx_make(buf, 0x08, 3, dh, g_pix, 12));
        put_gz("huge-labels-idx1-ubyte.gz", buf, idx_make(buf, 0x08, 1, di, g_lab, 3));
        struct stat st;
        assert_int_equal(stat(img, &st), 0);
        assert_true((size_t)st.st_size * 1032 < 3000000);
        expect_fail(img, NULL, "%s: header says 3 x 1000 x 1000, 3000000 bytes of pixel data, "
                               "more than a %zu-byte gzip file can hold (truncated or corrupted)",
                    img, (size_t)st.st_size);
    }
    /* A gzip stream cut short: what could be decompressed, then the end. */
    {
        unsigned char big[4096 + 16];
        uint32_t dd[2] = {64, 64};
        size_t n = idx_make(buf, 0x08, 2, dd, "", 0);
        memcpy(big, buf, n);
        for (int i = 0; i < 4096; i++)
            big[n + i] = (unsigned char)(i * 7919 >> 3);
        uLongf zn = compressBound(4096 + 12);
        unsigned char *z = malloc(zn + 32);
        const char *full = put_gz("cut-images-idx3-ubyte.gz", big, n + 4096);
        FILE *f = fopen(full, "rb");
        size_t got = fread(z, 1, zn + 32, f);
        fclose(f);
        put("cut-images-idx3-ubyte.gz", z, got / 2);
        uint32_t dl64[1] = {64};
        unsigned char l64[64] = {0};
        put("cut-labels-idx1-ubyte", buf, idx_make(buf, 0x08, 1, dl64, l64, 64));
        const char *msg = load_fail(full, NULL);
        char want[600];
        snprintf(want, sizeof want, "%s: truncated (header says 64 x 64; expected 4096 bytes of "
                                    "pixel data, found ", full);
        assert_memory_equal(msg, want, strlen(want));
        free(z);
    }

    /* A gzip file whose CRC does not match: the whole stream is checked. */
    {
        write_idx_pair("crc-images-idx3-ubyte.gz", "crc-labels-idx1-ubyte.gz", 1);
        img = tp("crc-images-idx3-ubyte.gz");
        FILE *f = fopen(img, "rb");
        unsigned char z[512];
        size_t n = fread(z, 1, sizeof z, f);
        fclose(f);
        z[n - 8] ^= 0x10; /* CRC-32 of the trailer */
        put("crc-images-idx3-ubyte.gz", z, n);
        expect_fail(img, NULL, "%s: gzip: incorrect data check (file corrupted)", img);
    }

    /* Truncated header. */
    img = put("h-images-idx3-ubyte", buf, idx_make(buf, 0x08, 3, di, "", 0) - 9);
    expect_fail(img, NULL, "%s: truncated (expected 16 bytes of IDX header, found 7)", img);
    img = put("h2-images-idx3-ubyte", "\0\0\x08", 3);
    expect_fail(img, &(nnrt_load_opts){.format = NNRT_FMT_IDX, .label_col = -1},
                "%s: truncated (expected at least 4 bytes of IDX header, found 3)", img);

    /* Count mismatch. */
    img = put("m-images-idx3-ubyte", buf, idx_make(buf, 0x08, 3, di, g_pix, 12));
    lab = put("m-labels-idx1-ubyte", buf, idx_make(buf, 0x08, 1, dl, g_lab, 2));
    expect_fail(img, NULL, "%s: 2 labels for 3 images", lab);

    /* Truncated labels. */
    put("l-images-idx3-ubyte", buf, idx_make(buf, 0x08, 3, di, g_pix, 12));
    lab = put("l-labels-idx1-ubyte", buf, idx_make(buf, 0x08, 1, di, g_lab, 1));
    expect_fail(tp("l-images-idx3-ubyte"), NULL, "%s: truncated (header says 3; expected 3 "
                                                 "bytes of labels, found 1)", lab);

    /* Labels of the wrong kind. */
    put("w-images-idx3-ubyte", buf, idx_make(buf, 0x08, 3, di, g_pix, 12));
    lab = put_s("w-labels-idx1-ubyte", "label\n");
    expect_fail(tp("w-images-idx3-ubyte"), NULL, "%s: not an IDX file (bad magic)", lab);

    /* Element types not read. */
    img = put("s-images-idx3-ubyte", buf, idx_make(buf, 0x0B, 3, di, g_pix, 12));
    expect_fail(img, NULL, "%s: IDX element type 0x0B (short) is not supported (only 0x08 "
                           "unsigned byte and 0x0D float)", img);

    /* Zero-sized samples. */
    uint32_t dz[2] = {3, 0};
    img = put("z-images-idx3-ubyte", buf, idx_make(buf, 0x08, 2, dz, "", 0));
    expect_fail(img, NULL, "%s: IDX samples have size 0 (3 x 0)", img);
}

static void test_idx_empty(void **state)
{
    (void)state;
    unsigned char buf[64];
    uint32_t di[3] = {0, 28, 28}, dl[1] = {0};
    const char *img = put("e-images-idx3-ubyte", buf, idx_make(buf, 0x08, 3, di, "", 0));
    put("e-labels-idx1-ubyte", buf, idx_make(buf, 0x08, 1, dl, "", 0));
    nnrt_dataset d;
    nnrt_err e = {""};
    nnrt_model m = fake_model("fashion", 784, 10, NNRT_LOSS_CCE);
    load_ok(img, NULL, &d);
    assert_int_equal(d.m, 0);
    assert_int_equal(d.n_features, 784);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    char want[600];
    snprintf(want, sizeof want, "%s: no samples", img);
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);
}

/* ======================================================================== */
/* HDF5                                                                     */
/* ======================================================================== */

#ifdef NNG_HAVE_HDF5
/* A dataset `name` of `dims` holding `data`, created with the dataset
 * creation properties `dcpl` (H5P_DEFAULT, or e.g. no object times). */
static void h5_put_dcpl(hid_t f, const char *name, hid_t ftype, hid_t mtype, int rank,
                        const hsize_t *dims, const void *data, hid_t dcpl)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(ds >= 0);
    hsize_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    if (total > 0)
        assert_true(H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
}

static void h5_put(hid_t f, const char *name, hid_t ftype, hid_t mtype, int rank,
                   const hsize_t *dims, const void *data)
{
    h5_put_dcpl(f, name, ftype, mtype, rank, dims, data, H5P_DEFAULT);
}

static hid_t h5_new(const char *name)
{
    hid_t f = H5Fcreate(tp(name), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void test_hdf5_names(void **state)
{
    (void)state;
    nnrt_dataset d;
    nnrt_load_opts o;
    const double xa[2][2][3] = {{{1, 2, 3}, {4, 5, 6}}, {{-1, 0.5, 1e-3}, {7, 8, 9}}};
    const int32_t yb[2] = {3, 4};
    hsize_t dx[3] = {2, 2, 3}, dy[1] = {2};
    hid_t f = h5_new("other.h5");
    h5_put(f, "a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, dx, xa);
    h5_put(f, "b", H5T_STD_I32BE, H5T_NATIVE_INT32, 1, dy, yb);
    H5Fclose(f);
    const char *p = tp("other.h5");
    expect_fail(p, NULL, "%s: no features dataset (looked for train_set_x, test_set_x, x, X; "
                         "found: a, b)", p);
    nnrt_load_opts_default(&o);
    o.x_name = "features";
    expect_fail(p, &o, "%s: no dataset 'features' (found: a, b)", p);
    o.x_name = "a";
    expect_fail(p, &o, "%s: no labels dataset (looked for train_set_y, test_set_y, y, Y; "
                       "found: a, b)", p);
    o.y_name = "b";
    load_ok(p, &o, &d);
    assert_int_equal(d.m, 2);
    assert_int_equal(d.n_features, 6);
    assert_int_equal(d.label_cols, 1);
    for (int i = 0; i < 12; i++)
        assert_true(d.x[i] == (float)(&xa[0][0][0])[i]); /* floats: not scaled */
    assert_true(d.y[0] == 3.0f && d.y[1] == 4.0f);
    nnrt_dataset_free(&d);
    o.y_name = "group/missing";
    expect_fail(p, &o, "%s: no dataset 'group/missing' (found: a, b)", p);
}

static void test_hdf5_defaults(void **state)
{
    (void)state;
    nnrt_dataset d;
    nnrt_load_opts o;
    /* "x" with labels as one row (1, m), uint8 scaled; the partner of x
     * (y) is picked over test_set_y. */
    const uint8_t x[3][2] = {{0, 255}, {51, 102}, {1, 2}};
    const int64_t y[1][3] = {{1, 0, 1}};
    const float wrong[3] = {5, 5, 5};
    hsize_t dx[2] = {3, 2}, dy[2] = {1, 3}, dw[1] = {3};
    hid_t f = h5_new("defaults.h5");
    h5_put(f, "x", H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, dx, x);
    h5_put(f, "y", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dy, y);
    h5_put(f, "test_set_y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dw, wrong);
    H5Fclose(f);
    load_ok(tp("defaults.h5"), NULL, &d);
    assert_int_equal(d.m, 3);
    assert_int_equal(d.n_features, 2);
    assert_int_equal(d.label_cols, 1);
    for (int i = 0; i < 6; i++)
        assert_true(d.x[i] == (float)(&x[0][0])[i] / 255.0f);
    assert_true(d.y[0] == 1.0f && d.y[1] == 0.0f && d.y[2] == 1.0f);
    nnrt_dataset_free(&d);

    nnrt_load_opts_default(&o);
    o.scale = 0.5f;
    o.y_name = "test_set_y";
    load_ok(tp("defaults.h5"), &o, &d);
    for (int i = 0; i < 6; i++)
        assert_true(d.x[i] == (float)(&x[0][0])[i] * 0.5f);
    assert_true(d.y[0] == 5.0f);
    nnrt_dataset_free(&d);
}

/* Failing HDF5 loads print nothing (libhdf5's error stack is silenced),
 * and the caller's own HDF5 error handler is back afterwards. */
static void test_hdf5_quiet(void **state)
{
    (void)state;
    const float x[2] = {1, 2};
    hsize_t d2[1] = {2};
    hid_t f = h5_new("quiet.h5");
    h5_put(f, "a", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d2, x);
    H5Fclose(f);
    static const unsigned char junk[64] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 0};
    const char *bad = put("junk.h5", junk, sizeof junk);

    H5E_auto2_t fn0;
    void *data0;
    H5Eget_auto2(H5E_DEFAULT, &fn0, &data0);
    assert_non_null(fn0); /* libhdf5's default: print the stack */
    fflush(stderr);
    int saved = dup(2);
    const char *log = tp("stderr.txt");
    FILE *cap = fopen(log, "w");
    assert_non_null(cap);
    dup2(fileno(cap), 2);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.x_name = "nothing/here";
    load_fail(tp("quiet.h5"), NULL);
    load_fail(tp("quiet.h5"), &o);
    const char *m3 = load_fail(bad, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(cap);
    char want[600];
    snprintf(want, sizeof want, "%s: cannot open as HDF5 (truncated or corrupt file?)", bad);
    assert_string_equal(m3, want);
    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    assert_int_equal(st.st_size, 0);
    H5E_auto2_t fn1;
    void *data1;
    H5Eget_auto2(H5E_DEFAULT, &fn1, &data1);
    assert_true(fn1 == fn0 && data1 == data0);
}

/* Storage layouts (compact, chunked + deflate) and a half-precision float
 * type as h5py writes numpy's float16. */
static void test_hdf5_layouts(void **state)
{
    (void)state;
    float x[40], y[8];
    for (int i = 0; i < 40; i++)
        x[i] = (float)(i - 20) * 0.5f; /* exact in half precision */
    for (int i = 0; i < 8; i++)
        y[i] = (float)(i % 2);
    hsize_t dx[2] = {8, 5}, dy[1] = {8}, chunk[2] = {3, 5}, chunk1[1] = {3};
    hid_t half = H5Tcopy(H5T_IEEE_F32LE);
    assert_true(H5Tset_fields(half, 15, 10, 5, 0, 10) >= 0);
    assert_true(H5Tset_precision(half, 16) >= 0);
    assert_true(H5Tset_size(half, 2) >= 0);
    assert_true(H5Tset_ebias(half, 15) >= 0);
    hid_t compact = H5Pcreate(H5P_DATASET_CREATE), deflate = H5Pcreate(H5P_DATASET_CREATE);
    hid_t deflate1 = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_layout(compact, H5D_COMPACT);
    H5Pset_chunk(deflate, 2, chunk);
    H5Pset_deflate(deflate, 6);
    H5Pset_chunk(deflate1, 1, chunk1);
    H5Pset_deflate(deflate1, 6);
    hid_t f = h5_new("layouts.h5");
    h5_put_dcpl(f, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dx, x, compact);
    h5_put_dcpl(f, "y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dy, y, deflate1);
    h5_put_dcpl(f, "half_x", half, H5T_NATIVE_FLOAT, 2, dx, x, deflate);
    H5Fclose(f);
    H5Pclose(compact);
    H5Pclose(deflate);
    H5Pclose(deflate1);
    H5Tclose(half);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    for (int pass = 0; pass < 2; pass++) {
        o.x_name = pass ? "half_x" : NULL;
        o.y_name = "y";
        nnrt_dataset d;
        load_ok(tp("layouts.h5"), &o, &d);
        assert_int_equal(d.m, 8);
        assert_int_equal(d.n_features, 5);
        expect_floats(d.x, x, 40);
        expect_floats(d.y, y, 8);
        nnrt_dataset_free(&d);
    }

    /* An integer type libnnrt does not take: 3 bytes. */
    hid_t i24 = H5Tcopy(H5T_STD_I32LE);
    H5Tset_precision(i24, 24);
    H5Tset_size(i24, 3);
    f = h5_new("int24.h5");
    h5_put(f, "x", i24, H5T_NATIVE_FLOAT, 2, dx, x);
    h5_put(f, "y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dy, y);
    H5Fclose(f);
    H5Tclose(i24);
    expect_fail(tp("int24.h5"), NULL, "%s: dataset 'x' has a damaged or unsupported integer "
                                      "type (3 bytes, precision 24)", tp("int24.h5"));
}

static void test_hdf5_bad(void **state)
{
    (void)state;
    const float x[4] = {1, 2, 3, 4};
    const int8_t y[3] = {0, 1, 0};
    hsize_t d4[1] = {4}, d3[1] = {3}, d0[2] = {0, 5}, dz[2] = {2, 0};
    const char *p;

    hid_t f = h5_new("count.h5");
    h5_put(f, "train_set_x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d4, x);
    h5_put(f, "train_set_y", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, d3, y);
    H5Fclose(f);
    p = tp("count.h5");
    expect_fail(p, NULL, "%s: 3 labels ('train_set_y', 3) for 4 samples ('train_set_x', 4)", p);

    /* Strings. */
    f = h5_new("strings.h5");
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 4);
    h5_put(f, "x", st, st, 1, d3, "abcdefghijkl");
    h5_put(f, "y", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, d3, y);
    H5Tclose(st);
    H5Fclose(f);
    p = tp("strings.h5");
    expect_fail(p, NULL, "%s: dataset 'x' holds strings, not numbers", p);

    /* A scalar. */
    f = h5_new("scalar.h5");
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t ds = H5Dcreate2(f, "X", H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
    H5Dclose(ds);
    H5Sclose(sp);
    h5_put(f, "Y", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, d3, y);
    H5Fclose(f);
    p = tp("scalar.h5");
    expect_fail(p, NULL, "%s: dataset 'X' is a scalar; expected one row per sample", p);

    /* A group where the dataset should be. */
    f = h5_new("group.h5");
    hid_t g = H5Gcreate2(f, "train_set_x", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(f);
    p = tp("group.h5");
    expect_fail(p, NULL, "%s: no labels dataset (looked for train_set_y, test_set_y, y, Y; "
                         "found: train_set_x)", p);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.y_name = "train_set_x";
    expect_fail(p, &o, "%s: 'train_set_x' is not a dataset", p);

    /* Zero-sized samples. */
    f = h5_new("zero.h5");
    h5_put(f, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dz, x);
    h5_put(f, "y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d3, x);
    H5Fclose(f);
    p = tp("zero.h5");
    expect_fail(p, NULL, "%s: dataset 'x' (2 x 0): samples of size 0", p);

    /* An empty file: no datasets at all. */
    f = h5_new("nothing.h5");
    H5Fclose(f);
    p = tp("nothing.h5");
    expect_fail(p, NULL, "%s: no features dataset (looked for train_set_x, test_set_x, x, X; "
                         "found: nothing)", p);

    /* Truncated: the first half of a real file. */
    f = h5_new("whole.h5");
    float big[1000];
    hsize_t db[1] = {1000};
    for (int i = 0; i < 1000; i++)
        big[i] = (float)i;
    h5_put(f, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, db, big);
    h5_put(f, "y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, db, big);
    H5Fclose(f);
    FILE *fp = fopen(tp("whole.h5"), "rb");
    static unsigned char raw[1 << 16];
    size_t n = fread(raw, 1, sizeof raw, fp);
    fclose(fp);
    p = put("half.h5", raw, n / 2);
    expect_fail(p, NULL, "%s: cannot open as HDF5 (truncated or corrupt file?)", p);

    /* Zero samples loads; the check refuses it. */
    f = h5_new("empty.h5");
    h5_put(f, "x", H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, d0, x);
    hsize_t dy0[1] = {0};
    h5_put(f, "y", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, dy0, y);
    H5Fclose(f);
    nnrt_dataset d;
    load_ok(tp("empty.h5"), NULL, &d);
    assert_int_equal(d.m, 0);
    assert_int_equal(d.n_features, 5);
    nnrt_err e = {""};
    nnrt_model m = fake_model("m", 5, 1, NNRT_LOSS_BCE);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    char want[600];
    snprintf(want, sizeof want, "%s: no samples", tp("empty.h5"));
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);

    /* NaN in the features. */
    const float xn[3][5] = {{0}, {0, 0, 0, NAN, 0}, {0}};
    hsize_t dn[2] = {3, 5};
    f = h5_new("nan.h5");
    h5_put(f, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dn, xn);
    h5_put(f, "y", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, d3, y);
    H5Fclose(f);
    load_ok(tp("nan.h5"), NULL, &d);
    assert_int_equal(nnrt_dataset_check(&d, &m, &e), -1);
    snprintf(want, sizeof want, "%s: sample 1, feature 3 is NaN", tp("nan.h5"));
    assert_string_equal(e.msg, want);
    nnrt_dataset_free(&d);
}
#endif

/* ======================================================================== */
/* nnrt_dataset_check, nnrt_make_targets                                    */
/* ======================================================================== */

static void check_msg(const nnrt_dataset *d, const nnrt_model *m, const char *want)
{
    nnrt_err e = {""};
    if (!want) {
        if (nnrt_dataset_check(d, m, &e) != 0)
            fail_msg("check failed: %s", e.msg);
        return;
    }
    assert_int_equal(nnrt_dataset_check(d, m, &e), -1);
    assert_string_equal(e.msg, want);
}

/* ---- mutations: no input crashes a loader ------------------------------- */

static uint64_t mu_state;
static uint64_t mu_next(void) /* xorshift64 */
{
    mu_state ^= mu_state << 13;
    mu_state ^= mu_state >> 7;
    mu_state ^= mu_state << 17;
    return mu_state;
}

/* One to three random edits of src (n bytes) into dst: flip a byte, cut the
 * file short, insert a byte, or copy a run of bytes over another place.
 * Returns the new length (<= n + 3). */
static size_t mutate(unsigned char *dst, const unsigned char *src, size_t n)
{
    memcpy(dst, src, n);
    int edits = 1 + (int)(mu_next() % 3);
    for (int k = 0; k < edits; k++) {
        size_t at = n ? (size_t)(mu_next() % n) : 0;
        switch (mu_next() % 4) {
        case 0:
            if (n)
                dst[at] = (unsigned char)mu_next();
            break;
        case 1:
            n = at;
            break;
        case 2:
            memmove(dst + at + 1, dst + at, n - at);
            dst[at] = (unsigned char)"0,.-\n\r e9\377\0"[mu_next() % 12];
            n++;
            break;
        default:
            if (n > 1) {
                size_t from = (size_t)(mu_next() % n), len = 1 + (size_t)(mu_next() % 8);
                if (from + len > n)
                    len = n - from;
                if (at + len > n)
                    len = n - at;
                memmove(dst + at, dst + from, len);
            }
        }
    }
    return n;
}

/* Loads `path`: either it succeeds with a consistent data set, or it fails
 * with one line and leaves *d empty (load_fail's checks).  ASan/UBSan
 * builds catch what the asserts cannot. Returns 1 if it loaded. */
static int load_any(const char *path, const nnrt_load_opts *o)
{
    nnrt_err e = {""};
    nnrt_dataset d;
    memset(&d, 0x5a, sizeof d);
    if (nnrt_load(path, o, &d, &e) == 0) {
        /* m = 0 is a load (a CSV of a header only); nnrt_dataset_check
         * refuses it with "no samples" (test_csv_empty_and_gz) */
        if (!(d.m >= 0 && (d.m == 0 || (d.n_features > 0 && d.label_cols > 0))))
        {
            FILE *f = fopen(path, "rb");
            char t[400] = "";
            size_t k = f ? fread(t, 1, sizeof t - 1, f) : 0;
            if (f)
                fclose(f);
            t[k] = 0;
            fail_msg("%s loaded m=%ld, n_features=%d, label_cols=%d: [%s]", path, d.m,
                     d.n_features, d.label_cols, t);
        }
        if (d.m > 0) {
            assert_non_null(d.x);
            assert_non_null(d.y);
        }
        /* touch every value (ASan checks the bounds of what was allocated) */
        volatile float sink = 0.0f;
        for (long i = 0; i < d.m * d.n_features; i++)
            sink = d.x[i];
        for (long i = 0; i < d.m * d.label_cols; i++)
            sink = d.y[i];
        (void)sink;
        nnrt_dataset_free(&d);
        return 1;
    }
    failed_load_ok(&e, &d);
    return 0;
}

/* 600 mutants each of a CSV file, an IDX image file (plain and gzip, its
 * labels intact) and an IDX labels file: every load ends in data or in one
 * line, never in a crash, a hang or a leak.  The seed is fixed, so a failure
 * reproduces; both outcomes must occur, or the mutations test nothing. */
static void test_mutations(void **state)
{
    (void)state;
    enum { N_MUT = 600 };
    static const char csv[] = "x1,x2,x3,label\n0.5,-1.25,3e-2,1\n1,2,3,0\n"
                              "-0.0,4.5e1,.5,1\n7,8,9,0\n";
    unsigned char img[256], lab[64], buf[300];
    uint32_t di[3] = {3, 2, 2}, dl[1] = {3};
    size_t n_img = idx_make(img, 0x08, 3, di, g_pix, sizeof g_pix);
    size_t n_lab = idx_make(lab, 0x08, 1, dl, g_lab, sizeof g_lab);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    int ok[4] = {0}, bad[4] = {0};
    mu_state = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < N_MUT; i++) {
        /* CSV */
        size_t n = mutate(buf, (const unsigned char *)csv, sizeof csv - 1);
        o.format = NNRT_FMT_CSV;
        o.labels_path = NULL;
        if (load_any(put("m.csv", buf, n), &o))
            ok[0]++;
        else
            bad[0]++;
        /* IDX images, plain, then the same bytes gzip'd */
        n = mutate(buf, img, n_img);
        put("m-labels-idx1-ubyte", lab, n_lab);
        if (load_any(put("m-images-idx3-ubyte", buf, n), NULL))
            ok[1]++;
        else
            bad[1]++;
        put_gz("z-labels-idx1-ubyte.gz", lab, n_lab);
        if (load_any(put_gz("z-images-idx3-ubyte.gz", buf, n), NULL))
            ok[2]++;
        else
            bad[2]++;
        /* IDX labels */
        n = mutate(buf, lab, n_lab);
        put("l-images-idx3-ubyte", img, n_img);
        put("l-labels-idx1-ubyte", buf, n);
        if (load_any(tp("l-images-idx3-ubyte"), NULL))
            ok[3]++;
        else
            bad[3]++;
    }
    for (int k = 0; k < 4; k++) {
        print_message("mutants %d: %d loaded, %d refused\n", k, ok[k], bad[k]);
        assert_true(ok[k] > 0 && bad[k] > 0);
    }
#ifdef NNG_HAVE_HDF5
    /* 300 mutants of a small HDF5 file in the cat files' layout (libhdf5
     * parses it; 5000 such mutants also ran clean when this was written). */
    {
        hid_t f = h5_new("small.h5");
        unsigned char px[3 * 4 * 4 * 3];
        for (size_t i = 0; i < sizeof px; i++)
            px[i] = (unsigned char)(i * 37);
        const int64_t ys[3] = {0, 1, 1};
        const hsize_t dx[4] = {3, 4, 4, 3}, dy[1] = {3};
        /* no modification times in the object headers: the same bytes every
         * run, so the mutants (and a failure) reproduce */
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        assert_true(dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0);
        h5_put_dcpl(f, "train_set_x", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 4, dx, px, dcpl);
        h5_put_dcpl(f, "train_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dy, ys, dcpl);
        H5Pclose(dcpl);
        H5Fclose(f);
        static unsigned char h5[1 << 14], hm[(1 << 14) + 8];
        FILE *g = fopen(tp("small.h5"), "rb");
        assert_non_null(g);
        size_t n5 = fread(h5, 1, sizeof h5, g);
        fclose(g);
        assert_true(n5 > 0 && n5 < sizeof h5);
        int ok5 = 0, bad5 = 0;
        for (int i = 0; i < 300; i++) {
            size_t n = mutate(hm, h5, n5);
            if (load_any(put("m.h5", hm, n), NULL))
                ok5++;
            else
                bad5++;
            /* the loader closed everything it opened, even on a damaged file */
            assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
        }
        print_message("mutants hdf5: %d loaded, %d refused\n", ok5, bad5);
        assert_true(ok5 > 0 && bad5 > 0);
    }
#endif
}

static void test_check(void **state)
{
    (void)state;
    float x[6] = {1, 2, 3, 4, 5, 6}, y[4] = {0, 1, 1, 0};
    nnrt_dataset d = {.m = 2, .n_features = 3, .label_cols = 1, .x = x, .y = y,
                      .path = "train.csv"};
    nnrt_model house = fake_model("house", 4, 1, NNRT_LOSS_MSE);
    check_msg(&d, &house, "train.csv: 3 features per sample, but model 'house' takes 4");

    nnrt_model bce = fake_model("cat", 3, 1, NNRT_LOSS_BCE);
    check_msg(&d, &bce, NULL);
    y[1] = 2;
    check_msg(&d, &bce, "train.csv: sample 1, label is 2, but bce needs 0 or 1");
    y[1] = 0.5f;
    check_msg(&d, &bce, "train.csv: sample 1, label is 0.5, but bce needs 0 or 1");
    y[1] = NAN;
    check_msg(&d, &bce, "train.csv: sample 1, label is NaN");
    y[1] = 1;

    /* Multi-label bce: one 0/1 column per output. */
    nnrt_model bce2 = fake_model("tags", 3, 2, NNRT_LOSS_BCE);
    check_msg(&d, &bce2, "train.csv: 1 label column per sample, but model 'tags' (bce) has 2 "
                            "outputs, one 0/1 label each");
    d.label_cols = 2;
    check_msg(&d, &bce2, NULL);
    y[3] = -1;
    check_msg(&d, &bce2, "train.csv: sample 1, label 1 is -1, but bce needs 0 or 1");
    y[3] = 0;

    nnrt_model cce = fake_model("fashion", 3, 10, NNRT_LOSS_CCE);
    check_msg(&d, &cce, "train.csv: 2 label columns per sample, but model 'fashion' (cce) "
                           "takes one class index 0..9");
    d.label_cols = 1;
    y[0] = 9;
    y[1] = 0;
    check_msg(&d, &cce, NULL);
    y[1] = 10;
    check_msg(&d, &cce, "train.csv: sample 1, label is 10, but model 'fashion' (cce) takes a "
                           "class index 0..9");
    y[1] = 2.5f;
    check_msg(&d, &cce, "train.csv: sample 1, label is 2.5, but model 'fashion' (cce) takes "
                           "a class index 0..9");
    y[1] = -1;
    check_msg(&d, &cce, "train.csv: sample 1, label is -1, but model 'fashion' (cce) takes a "
                           "class index 0..9");
    y[1] = 3;

    nnrt_model mse2 = fake_model("house", 3, 2, NNRT_LOSS_MSE);
    check_msg(&d, &mse2, "train.csv: 1 target column per sample, but model 'house' (mse) has "
                            "2 outputs");
    d.label_cols = 2;
    check_msg(&d, &mse2, NULL);
    x[5] = INFINITY;
    check_msg(&d, &mse2, "train.csv: sample 1, feature 2 is inf");
    x[5] = -INFINITY;
    check_msg(&d, &mse2, "train.csv: sample 1, feature 2 is -inf");
    x[5] = 6;
    y[2] = NAN;
    check_msg(&d, &mse2, "train.csv: sample 1, label 0 is NaN");
    y[2] = 1;
    d.m = 0;
    check_msg(&d, &mse2, "train.csv: no samples");
}

static void test_make_targets(void **state)
{
    (void)state;
    float x[3] = {0, 0, 0}, y[3] = {2, 0, 1};
    nnrt_dataset d = {.m = 3, .n_features = 1, .label_cols = 1, .x = x, .y = y};
    nnrt_model cce = fake_model("c", 1, 3, NNRT_LOSS_CCE);
    float t[9];
    memset(t, 0x7f, sizeof t);
    nnrt_make_targets(&d, &cce, NULL, 3, t);
    static const float onehot[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};
    expect_floats(t, onehot, 9);
    long idx[2] = {2, 0};
    nnrt_make_targets(&d, &cce, idx, 2, t);
    static const float picked[6] = {0, 1, 0, 0, 0, 1};
    expect_floats(t, picked, 6);

    float y2[6] = {1, 2, 3, 4, 5, 6};
    nnrt_dataset r = {.m = 3, .n_features = 1, .label_cols = 2, .x = x, .y = y2};
    nnrt_model mse = fake_model("r", 1, 2, NNRT_LOSS_MSE);
    nnrt_make_targets(&r, &mse, idx, 2, t);
    static const float copied[4] = {5, 6, 1, 2};
    expect_floats(t, copied, 4);
}

/* ======================================================================== */
/* Hostile files                                                            */
/* ======================================================================== */

/* Every byte of a CSV file is accounted for: a NUL byte inside a line
 * silently dropped the rest of the line and joined the next one to it (4
 * rows loaded as 3 samples); a line without end (a pipe) grew without
 * bound.  A label column near INT_MAX overflowed the range check. */
static void test_hostile_csv(void **state)
{
    (void)state;
    static const char nul[] = "0,0,0\n0\0,1,1\n1,0,1\n1,1,0\n";
    const char *p = put("nul.csv", nul, sizeof nul - 1);
    expect_fail(p, NULL, "%s:2: a NUL byte at byte 2 of the line (not a text file?)", p);

    /* a line longer than NNRT_CSV_MAX_LINE: refused when it gets there */
    p = tp("long.csv");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    static char ones[1 << 20];
    memset(ones, '1', sizeof ones);
    fputs("1,2\n", f);
    for (long n = 0; n <= NNRT_CSV_MAX_LINE; n += (long)sizeof ones)
        assert_int_equal(fwrite(ones, 1, sizeof ones, f), sizeof ones);
    assert_int_equal(fclose(f), 0);
    expect_fail(p, NULL, "%s:2: line longer than %ld bytes (not a CSV file?)", p,
                NNRT_CSV_MAX_LINE);
    unlink(p);

    /* the label column: beyond the file, and beyond any int arithmetic */
    f = fopen(p = tp("rows.csv"), "wb");
    assert_non_null(f);
    for (int i = 0; i < 2000; i++)
        fprintf(f, "%d,%d,1\n", i, i + 1);
    assert_int_equal(fclose(f), 0);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.label_col = INT_MAX;
    expect_fail(p, &o, "%s: label column 2147483647 is out of range (0..16777215)", p);
    o.label_col = NNRT_MAX_VALUES - 1;
    expect_fail(p, &o, "%s: label column 16777215 is out of range (the file has 3 columns, "
                       "counted from 0)", p);
    o.label_col = 1;
    o.label_cols = INT_MAX;
    expect_fail(p, &o, "%s: 2147483647 label columns or 0 features is out of range (0..16777216)",
                p);

    /* a device or a pipe is read only as CSV or TSV, by its name or format */
    if (access("/dev/zero", R_OK) == 0)
        expect_fail("/dev/zero", NULL, "/dev/zero: is a character device, not a regular file "
                                       "(only CSV or TSV, named .csv or .tsv or given --format, "
                                       "is read from a pipe or device)");
}

/* Before anything is allocated: the samples against the model, and the
 * data set against the size limit. */
static void test_limits(void **state)
{
    (void)state;
    nnrt_model m = fake_model("two", 2, 1, NNRT_LOSS_BCE);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.model = &m;
    const char *p = put_s("wide.csv", "1,2,3,4\n5,6,7,8\n");
    expect_fail(p, &o, "%s: 3 features per sample, but model 'two' takes 2", p);
    o.model = NULL;
    o.max_bytes = 16; /* 2 rows of 4 floats take 32 */
    expect_fail(p, &o, "%s: 2 samples of 4 values would take more than the limit of 16 bytes "
                       "(docs/limits.md)", p);
    o.max_bytes = 32;
    nnrt_dataset d;
    load_ok(p, &o, &d);
    assert_int_equal(d.m, 2);
    nnrt_dataset_free(&d);

    /* IDX: the header's shape decides before a byte of data is read */
    p = tp("lim-images-idx3-ubyte");
    write_idx_pair("lim-images-idx3-ubyte", "lim-labels-idx1-ubyte", 0);
    o.model = &m;
    o.max_bytes = 0;
    expect_fail(p, &o, "%s: 4 features per sample, but model 'two' takes 2", p);
    o.model = NULL;
    o.max_bytes = 59; /* 3 x (4 + 1) floats take 60 */
    expect_fail(p, &o, "%s: 3 samples of 5 values would take more than the limit of 59 bytes "
                       "(docs/limits.md)", p);
}

#ifdef NNG_HAVE_HDF5
/* A few kilobytes declaring 10^6 x 100 floats in chunks never written: the
 * loader allocated and filled 400 MB (10^7 rows: 4 GB, the OOM killer)
 * before anything looked at the shape.  Now the bytes stored must be
 * there (or, compressed, could expand to it); the shape must suit the
 * model and the limit. */
static void test_hdf5_bombs(void **state)
{
    (void)state;
    hsize_t dx[2] = {1000000, 100}, dy[1] = {1000000}, cx[2] = {1000, 100}, cy[1] = {1000};
    for (int deflate = 0; deflate < 2; deflate++) {
        hid_t px = H5Pcreate(H5P_DATASET_CREATE), py = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(px, 2, cx);
        H5Pset_chunk(py, 1, cy);
        if (deflate) {
            H5Pset_deflate(px, 6);
            H5Pset_deflate(py, 6);
        }
        const char *name = deflate ? "bomb_z.h5" : "bomb.h5";
        hid_t f = h5_new(name);
        hid_t sx = H5Screate_simple(2, dx, NULL), sy = H5Screate_simple(1, dy, NULL);
        hid_t x = H5Dcreate2(f, "x", H5T_IEEE_F32LE, sx, H5P_DEFAULT, px, H5P_DEFAULT);
        hid_t y = H5Dcreate2(f, "y", H5T_IEEE_F32LE, sy, H5P_DEFAULT, py, H5P_DEFAULT);
        assert_true(x >= 0 && y >= 0);
        H5Dclose(x);
        H5Dclose(y);
        H5Sclose(sx);
        H5Sclose(sy);
        H5Pclose(px);
        H5Pclose(py);
        H5Fclose(f);
        struct stat st;
        assert_int_equal(stat(tp(name), &st), 0);
        assert_true(st.st_size < 100000);
        expect_fail(tp(name), NULL, "%s: dataset 'x' (1000000 x 100): only 0 of 400000000 bytes "
                                    "stored%s (file truncated or corrupt?)", tp(name),
                    deflate ? " compressed" : "");
    }
}

/* An unfiltered 8 x 5 uint8 dataset train_set_x in chunks of 3 x 5 rows,
 * written with H5Dwrite_chunk: 15, 15 and `last` bytes (a whole chunk is
 * 15; the data needs 40), and train_set_y; its path. */
static const char *h5_chunked(const char *name, size_t last)
{
    const unsigned char bytes[15] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const unsigned char y[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    hsize_t dx[2] = {8, 5}, dy[1] = {8}, chunk[2] = {3, 5};
    hid_t f = h5_new(name);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(H5Pset_chunk(dcpl, 2, chunk) >= 0);
    hid_t sp = H5Screate_simple(2, dx, NULL);
    hid_t ds = H5Dcreate2(f, "train_set_x", H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(ds >= 0);
    for (hsize_t r = 0; r < 8; r += 3) {
        hsize_t off[2] = {r, 0};
        assert_true(H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, r < 6 ? 15 : last, bytes) >= 0);
    }
    H5Dclose(ds);
    H5Sclose(sp);
    H5Pclose(dcpl);
    h5_put(f, "train_set_y", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 1, dy, y);
    H5Fclose(f);
    return tp(name);
}

/* Unfiltered chunks load (libhdf5 1.10 refused H5S_ALL in the chunk
 * queries, so every such file was called damaged); a chunk whose index
 * records fewer bytes than a chunk holds does not: libhdf5 1.10 copied a
 * whole chunk out of the smaller buffer (a heap overflow, found by
 * tests/fuzz/fuzz_hdf5.c on raw bytes).  Here the file stores the 40 bytes
 * the data needs but its last chunk is 5 bytes short; refused before
 * reading. */
static void test_hdf5_short_chunk(void **state)
{
    (void)state;
    nnrt_dataset d;
    load_ok(h5_chunked("chunked.h5", 15), NULL, &d);
    assert_int_equal(d.m, 8);
    assert_int_equal(d.n_features, 5);
    assert_true(d.x[0] == 1.0f / 255.0f && d.x[39] == 10.0f / 255.0f);
    nnrt_dataset_free(&d);
    const char *p = h5_chunked("short_chunk.h5", 10);
    expect_fail(p, NULL, "%s: dataset 'train_set_x' (8 x 5): chunk 2 stores 10 bytes, not 15 "
                         "(file corrupt)", p);
}

static void test_hdf5_limits(void **state)
{
    (void)state;
    float x[40] = {0}, y[8] = {0};
    hsize_t dx[2] = {8, 5}, dy[1] = {8};
    hid_t f = h5_new("small.h5");
    h5_put(f, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dx, x);
    h5_put(f, "y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dy, y);
    H5Fclose(f);
    nnrt_model m = fake_model("two", 2, 1, NNRT_LOSS_BCE);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.model = &m;
    const char *p = tp("small.h5");
    expect_fail(p, &o, "%s: 5 features per sample, but model 'two' takes 2", p);
    o.model = NULL;
    o.max_bytes = 100; /* 8 x 6 floats take 192 */
    expect_fail(p, &o, "%s: 8 samples of 6 values would take more than the limit of 100 bytes "
                       "(docs/limits.md)", p);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat_train),
        cmocka_unit_test(test_cat_test),
        cmocka_unit_test(test_fashion_train),
        cmocka_unit_test(test_fashion_test),
        cmocka_unit_test(test_fashion_mismatch),
        cmocka_unit_test(test_not_data),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_no_header),
        cmocka_unit_test(test_csv_label_columns),
        cmocka_unit_test(test_csv_bad_rows),
        cmocka_unit_test(test_csv_empty_and_gz),
        cmocka_unit_test(test_tsv_and_stdin),
        cmocka_unit_test(test_csv_numbers_exact),
        cmocka_unit_test(test_csv_nan),
        cmocka_unit_test(test_idx_plain_and_gz),
        cmocka_unit_test(test_idx_gz_ways),
        cmocka_unit_test(test_idx_float),
        cmocka_unit_test(test_idx_bad),
        cmocka_unit_test(test_idx_empty),
#ifdef NNG_HAVE_HDF5
        cmocka_unit_test(test_hdf5_names),
        cmocka_unit_test(test_hdf5_defaults),
        cmocka_unit_test(test_hdf5_bad),
        cmocka_unit_test(test_hdf5_layouts),
        cmocka_unit_test(test_hdf5_quiet),
        cmocka_unit_test(test_hdf5_bombs),
        cmocka_unit_test(test_hdf5_limits),
        cmocka_unit_test(test_hdf5_short_chunk),
#endif
        cmocka_unit_test(test_hostile_csv),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_make_targets),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
