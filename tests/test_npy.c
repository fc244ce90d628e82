/*
 * test_npy.c -- numpy's files in libnnrt (runtime/nnrt_npy.c,
 * nnrt_npy_data.c, nnrt_npz_weights.c), without numpy (numpy itself:
 * tests/numpy_check.py): data sets from .npz (stored and deflated) and .npy
 * pairs with every element type; weights files named *.npz, bit for bit
 * with optimizer state; and every bad input refused with one line, the
 * caller's arrays untouched: truncation at every length, Fortran order,
 * pickled objects, unsupported dtypes, wrong shapes, a damaged CRC, a zip
 * bomb's claims, and random damage (run under ASan+UBSan too).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "nnrt.h"
#include "nnrt_npy.h"

static char tn_dir[256];

static const char *tn_path(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tn_dir, name);
    return buf[k];
}

static void tn_put(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static unsigned char *tn_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* A .npy file: version 1.0 header with `dict`, then n data bytes. */
static size_t tn_npy(unsigned char *out, const char *dict, const void *data, size_t n)
{
    size_t dl = strlen(dict), hl = (10 + dl + 1 + 63) / 64 * 64 - 10;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)hl;
    out[9] = (unsigned char)(hl >> 8);
    memset(out + 10, ' ', hl);
    memcpy(out + 10, dict, dl);
    out[10 + hl - 1] = '\n';
    memcpy(out + 10 + hl, data, n);
    return 10 + hl + n;
}

static void tn_npy_file(const char *name, const char *dict, const void *data, size_t n)
{
    unsigned char b[4096];
    tn_put(tn_path(name), b, tn_npy(b, dict, data, n));
}

/* nnrt_load must fail with exactly this message. */
static void tn_fails(const char *path, const nnrt_load_opts *o, const char *want)
{
    nnrt_dataset d;
    nnrt_err e = {""};
    assert_int_equal(nnrt_load(path, o, &d, &e), -1);
    assert_int_equal(d.m, 0);
    assert_null(d.x);
    if (want)
        assert_string_equal(e.msg, want);
    assert_null(strchr(e.msg, '\n'));
    assert_true(e.msg[0] != '\0');
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */
/* ------------------------------------------------------------------ */

static void test_npz_data_roundtrip(void **state)
{
    (void)state;
    const float x[6] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 7.0f};
    const double xd[6] = {1.5, -2.0, 3.25, 0.0, 0.1, 7.0};
    const int64_t y[3] = {0, 1, 1};
    for (int deflate = 0; deflate < 2; deflate++) {
        nnrt_npy_out a[] = {{"x", deflate ? 'd' : 'f', 2, {3, 2}, deflate ? (const void *)xd
                                                                        : (const void *)x},
                            {"y", 'i', 1, {3, 0}, y}};
        const char *p = tn_path(deflate ? "z.npz" : "s.npz");
        nnrt_err e = {""};
        assert_int_equal(nnrt_npz_write(p, a, 2, deflate, &e), 0);
        nnrt_dataset d;
        assert_int_equal(nnrt_load(p, NULL, &d, &e), 0);
        assert_int_equal(d.m, 3);
        assert_int_equal(d.n_features, 2);
        assert_int_equal(d.label_cols, 1);
        for (int i = 0; i < 6; i++)
            assert_true(d.x[i] == (deflate ? (float)xd[i] : x[i]));
        for (int i = 0; i < 3; i++)
            assert_true(d.y[i] == (float)y[i]);
        nnrt_dataset_free(&d);
        /* --predict: no labels read */
        nnrt_load_opts o;
        nnrt_load_opts_default(&o);
        o.features = 2;
        assert_int_equal(nnrt_load(p, &o, &d, &e), 0);
        assert_int_equal(d.label_cols, 0);
        assert_null(d.y);
        nnrt_dataset_free(&d);
        /* named arrays */
        o.features = 0;
        o.x_name = "y";
        o.y_name = "x";
        assert_int_equal(nnrt_load(p, &o, &d, &e), 0); /* 3 samples of 1, 2 label columns */
        assert_int_equal(d.n_features, 1);
        assert_int_equal(d.label_cols, 2);
        nnrt_dataset_free(&d);
    }
}

/* Every element type, both byte orders, the course's layout. */
static void test_npy_dtypes(void **state)
{
    (void)state;
    const unsigned char u8[4] = {0, 51, 255, 1};
    const unsigned char f8be[16] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0};
    const unsigned char i4be[8] = {0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0};
    const unsigned char i2[4] = {0xfe, 0xff, 0x10, 0x00};
    const unsigned char b1[2] = {0, 1};
    const unsigned char u8lab[2] = {1, 0};
    struct {
        const char *dict;
        const void *data;
        size_t n;
        float want[4];
        int count;
    } c[] = {
        {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1, 2), }", u8, 4,
         {0.0f, 51.0f / 255.0f, 1.0f, 1.0f / 255.0f}, 4},
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (2, 1), }", f8be, 16,
         {1.5f, -2.0f}, 2},
        {"{\"descr\": \">i4\", \"fortran_order\": False, \"shape\": (2,), }", i4be, 8,
         {-2.0f, 256.0f}, 2},
        {"{'shape': (2, 1), 'fortran_order': True, 'descr': '<i2'}", i2, 4, {-2.0f, 16.0f}, 2},
        {"{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}", b1, 2, {0.0f, 1.0f}, 2},
    };
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    char lab[512];
    snprintf(lab, sizeof lab, "%s", tn_path("lab.npy"));
    o.labels_path = lab;
    tn_npy_file("lab.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }", u8lab,
                2);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        tn_npy_file("feat.npy", c[i].dict, c[i].data, c[i].n);
        nnrt_dataset d;
        nnrt_err e = {""};
        if (nnrt_load(tn_path("feat.npy"), &o, &d, &e))
            fail_msg("case %zu: %s", i, e.msg);
        assert_int_equal(d.m, 2);
        assert_int_equal(d.n_features, c[i].count / 2);
        for (int k = 0; k < c[i].count; k++)
            assert_true(d.x[k] == c[i].want[k]);
        assert_true(d.y[0] == 1.0f && d.y[1] == 0.0f); /* labels (1, m), never scaled */
        nnrt_dataset_free(&d);
    }
    /* labels found by name: train_x.npy -> train_y.npy; missing: one line */
    tn_npy_file("train_x.npy", c[0].dict, u8, 4);
    nnrt_load_opts_default(&o);
    tn_fails(tn_path("train_x.npy"), &o, NULL);
    char want[600];
    snprintf(want, sizeof want, "%s: no labels file (looked for %s): name it (--train-labels "
                                "FILE)", tn_path("train_x.npy"), tn_path("train_y.npy"));
    tn_fails(tn_path("train_x.npy"), &o, want);
    tn_npy_file("train_y.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                "\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    nnrt_dataset d;
    nnrt_err e = {""};
    assert_int_equal(nnrt_load(tn_path("train_x.npy"), &o, &d, &e), 0);
    assert_true(d.y[0] == 1.0f && d.y[1] == 0.0f);
    nnrt_dataset_free(&d);
}

static void test_npy_refused(void **state)
{
    (void)state;
    const unsigned char z16[16] = {0};
    struct {
        const char *dict;
        size_t n;
        const char *want; /* after "PATH: " */
    } c[] = {
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16,
         "array of shape (2, 2) is in Fortran order (column-major); save "
         "np.ascontiguousarray(a) instead"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16,
         "holds Python objects (dtype |O, a pickle): not read; save a numeric array"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16,
         "dtype <c8 (complex) is not supported (expected a number type such as <f4, <f8, |u1, "
         "<i8)"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4,
         "dtype <f2 (float16 and long double are not read) is not supported (expected a "
         "number type such as <f4, <f8, |u1, <i8)"},
        {"{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", 12,
         "dtype <U3 (text) is not numbers"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8,
         "a structured dtype (record fields) is not supported; save a plain number array"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 8,
         "truncated (shape (2, 2) of <f4 needs 16 bytes of data, the file has 8)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", 8,
         "shape too large"},
        {"{'descr': '<f4', 'fortran_order': False}", 8, "bad .npy header (missing shape)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
         "bad .npy header (unknown key 'x')"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 2), }", 8,
         "bad .npy header (shape)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4,
         "is a scalar; expected one row per sample"},
    };
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.features = 1;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        tn_npy_file("bad.npy", c[i].dict, z16, c[i].n);
        char want[600];
        snprintf(want, sizeof want, "%s%s%s", tn_path("bad.npy"),
                 strncmp(c[i].want, "is a", 4) == 0 ? " " : ": ", c[i].want);
        tn_fails(tn_path("bad.npy"), &o, want);
    }
    /* a .npy name without the magic, a version we do not know */
    tn_put(tn_path("nomagic.npy"), "hello", 5);
    char want[600];
    snprintf(want, sizeof want, "%s: not a numpy .npy file (bad magic)", tn_path("nomagic.npy"));
    tn_fails(tn_path("nomagic.npy"), &o, want);
    tn_put(tn_path("v9.npy"), "\x93NUMPY\x09\x00\x10\x00{}", 12);
    snprintf(want, sizeof want, "%s: .npy format version 9.0 is not supported", tn_path("v9.npy"));
    tn_fails(tn_path("v9.npy"), &o, want);
}

/* A small deflated or stored .npz of x (4, 3) and y (4,). */
static unsigned char *tn_npz(int deflate, size_t *n)
{
    float x[12];
    int64_t y[4] = {0, 1, 0, 1};
    for (int i = 0; i < 12; i++)
        x[i] = (float)i * 0.5f;
    nnrt_npy_out a[] = {{"x", 'f', 2, {4, 3}, x}, {"y", 'i', 1, {4, 0}, y}};
    nnrt_err e = {""};
    assert_int_equal(nnrt_npz_write(tn_path("t.npz"), a, 2, deflate, &e), 0);
    return tn_slurp(tn_path("t.npz"), n);
}

static void test_npz_damaged(void **state)
{
    (void)state;
    char want[600];
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    for (int deflate = 0; deflate < 2; deflate++) {
        size_t n;
        unsigned char *b = tn_npz(deflate, &n);
        /* cut at every length */
        for (size_t k = 4; k < n; k++) {
            tn_put(tn_path("cut.npz"), b, k);
            nnrt_dataset d0;
            nnrt_err e0 = {""};
            if (nnrt_load(tn_path("cut.npz"), &o, &d0, &e0) == 0)
                fail_msg("cut at %zu of %zu loads", k, n);
            assert_true(e0.msg[0] && !strchr(e0.msg, '\n'));
        }
        /* a damaged data byte: the CRC (stored) or inflate/CRC (deflated) */
        unsigned char *c = malloc(n);
        assert_non_null(c);
        memcpy(c, b, n);
        size_t at = deflate ? 30 + 5 + 10 : 30 + 5 + 64 + 8; /* inside x's member */
        c[at] ^= 0x40;
        tn_put(tn_path("crc.npz"), c, n);
        nnrt_dataset d;
        nnrt_err e = {""};
        assert_int_equal(nnrt_load(tn_path("crc.npz"), &o, &d, &e), -1);
        if (!deflate) {
            snprintf(want, sizeof want, "%s: array 'x': CRC-32 mismatch (file corrupted)",
                     tn_path("crc.npz"));
            assert_string_equal(e.msg, want);
        }
        /* random damage: 1-3 byte changes; load or one line, never a crash */
        srand(12 + deflate);
        int ok = 0, bad = 0;
        for (int t = 0; t < 400; t++) {
            memcpy(c, b, n);
            int edits = 1 + rand() % 3;
            for (int k = 0; k < edits; k++)
                c[(size_t)rand() % n] = (unsigned char)rand();
            tn_put(tn_path("m.npz"), c, n);
            memset(&e, 0, sizeof e);
            if (nnrt_load(tn_path("m.npz"), &o, &d, &e) == 0) {
                double s = 0;
                for (long i = 0; i < d.m * d.n_features; i++)
                    s += (double)d.x[i];
                (void)s;
                nnrt_dataset_free(&d);
                ok++;
            } else {
                assert_true(e.msg[0] && !strchr(e.msg, '\n'));
                bad++;
            }
        }
        assert_true(ok > 0 && bad > 0);
        free(c);
        free(b);
    }
    /* the wrong arrays */
    o.x_name = "features";
    snprintf(want, sizeof want, "%s: no array 'features' (found: x, y)", tn_path("t.npz"));
    tn_fails(tn_path("t.npz"), &o, want);
    nnrt_load_opts_default(&o);
    int64_t y3[3] = {0, 1, 0};
    float x4[8] = {0};
    nnrt_npy_out a[] = {{"train_set_x", 'f', 2, {4, 2}, x4}, {"train_set_y", 'i', 2, {1, 3}, y3}};
    nnrt_err e = {""};
    assert_int_equal(nnrt_npz_write(tn_path("n.npz"), a, 2, 0, &e), 0);
    snprintf(want, sizeof want, "%s: array 'train_set_y': 1 labels (shape (1, 3)) for 4 samples "
                                "(%s: array 'train_set_x', shape (4, 2))", tn_path("n.npz"),
             tn_path("n.npz"));
    tn_fails(tn_path("n.npz"), &o, want);
    assert_int_equal(nnrt_npz_write(tn_path("n.npz"), a, 1, 0, &e), 0);
    snprintf(want, sizeof want, "%s: no labels array (looked for train_set_y, test_set_y, y, Y; "
                                "found: train_set_x)", tn_path("n.npz"));
    tn_fails(tn_path("n.npz"), &o, want);
}

/* Deflated members that promise more than they can hold: refused before
 * anything is inflated or allocated. */
static void test_zip_bomb(void **state)
{
    (void)state;
    char want[600];
    size_t n;
    unsigned char *b = tn_npz(1, &n);
    /* the central directory of x claims 4 GB: more than 1032 x its size */
    size_t cd = n - 22 - (46 + 5) * 2;
    assert_true(memcmp(b + cd, "PK\1\2", 4) == 0);
    memcpy(b + cd + 24, "\0\0\0\xf0", 4);
    tn_put(tn_path("bomb.npz"), b, n);
    nnrt_dataset d;
    nnrt_err e = {""};
    assert_int_equal(nnrt_load(tn_path("bomb.npz"), NULL, &d, &e), -1);
    snprintf(want, sizeof want, "%s: array 'x': claims 4026531840 bytes from ", tn_path("bomb.npz"));
    assert_memory_equal(e.msg, want, strlen(want));
    assert_non_null(strstr(e.msg, "more than deflate can give (a zip bomb, or damaged)"));
    free(b);
    /* a consistent member whose header claims 800 MB of data it does not hold */
    unsigned char raw[256], z[512];
    size_t rl = tn_npy(raw, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000,), }",
                       "", 0);
    uLongf zl = sizeof z;
    assert_int_equal(compress2(z, &zl, raw, (uLong)rl, 9), Z_OK);
    /* zlib stream -> raw deflate: drop the 2-byte header and 4-byte Adler */
    unsigned char f[1024];
    size_t fl = 0, body = (size_t)zl - 6;
    uint32_t crc = (uint32_t)crc32(0, raw, (uInt)rl);
    unsigned char lh[30] = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};
    for (int i = 0; i < 4; i++) {
        lh[14 + i] = (unsigned char)(crc >> (8 * i));
        lh[18 + i] = (unsigned char)(body >> (8 * i));
        lh[22 + i] = (unsigned char)(rl >> (8 * i));
    }
    lh[26] = 5;
    memcpy(f, lh, 30);
    memcpy(f + 30, "x.npy", 5);
    memcpy(f + 35, z + 2, body);
    fl = 35 + body;
    unsigned char c[51] = {'P', 'K', 1, 2, 20, 0};
    memcpy(c + 6, lh + 4, 26);
    memcpy(c + 46, "x.npy", 5);
    memcpy(f + fl, c, 51);
    unsigned char eo[22] = {'P', 'K', 5, 6, 0, 0, 0, 0, 1, 0, 1, 0, 51, 0, 0, 0};
    eo[16] = (unsigned char)fl;
    eo[17] = (unsigned char)(fl >> 8);
    memcpy(f + fl + 51, eo, 22);
    tn_put(tn_path("liar.npz"), f, fl + 51 + 22);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.features = 1;
    snprintf(want, sizeof want, "%s: array 'x': shape (100000000,) of <f8 is 800000000 bytes, but "
                                "the member holds 0", tn_path("liar.npz"));
    tn_fails(tn_path("liar.npz"), &o, want);
}

/* ------------------------------------------------------------------ */
/* Weights                                                              */
/* ------------------------------------------------------------------ */

static nnrt_layer_info tw_l[2] = {
    {4, 2, NNRT_ACT_TANH, 0.0f, 0, 16, 2, 0},
    {1, 4, NNRT_ACT_SIGMOID, 0.0f, 32, 48, 3, 0},
};
static nnrt_model tw_m;

static void tw_init(void)
{
    memset(&tw_m, 0, sizeof tw_m);
    tw_m.abi = NNRT_ABI_VERSION;
    tw_m.name = "tw";
    tw_m.n_in = 2;
    tw_m.n_out = 1;
    tw_m.n_layers = 2;
    tw_m.layers = tw_l;
    tw_m.n_params = 64;
    tw_m.n_weights = 17;
    tw_m.signature = 0x0123456789abcdefull;
}

static void test_weights_roundtrip(void **state)
{
    (void)state;
    float p[64] = {0}, st[128], q[64], sq[128];
    for (int i = 0; i < 8; i++)
        p[i] = (float)i - 3.5f;
    p[16] = -0.0f;
    p[17] = 1e-40f; /* a denormal */
    for (int i = 32; i < 36; i++)
        p[i] = 0.25f * (float)i;
    p[48] = 2.0f;
    for (int i = 0; i < 128; i++)
        st[i] = (float)i / 7.0f;
    nnrt_checkpoint ck = {123, 45, NNRT_OPT_ADAM, st, 128}, got;
    nnrt_err e = {""};
    const char *w = tn_path("w.npz");
    assert_int_equal(nnrt_weights_save(w, &tw_m, p, &ck, &e), 0);
    memset(q, 0x55, sizeof q);
    memset(sq, 0, sizeof sq);
    assert_int_equal(nnrt_weights_load(w, &tw_m, q, sq, 128, &got, &e), 0);
    assert_int_equal(got.step, 123);
    assert_int_equal(got.epoch, 45);
    assert_int_equal(got.optimizer, NNRT_OPT_ADAM);
    assert_int_equal(got.state_floats, 128);
    assert_memory_equal(p, q, sizeof p); /* padding included: 0 */
    for (int l = 0; l < 2; l++)          /* the state's tensors (not its padding) */
        for (size_t k = 0; k < 2; k++)
            for (size_t i = 0; i < (size_t)tw_l[l].units * (size_t)tw_l[l].fan_in; i++) {
                size_t at = k * 64 + tw_l[l].w_offset + i;
                assert_true(sq[at] == st[at]);
            }
    /* --load: no state asked for */
    assert_int_equal(nnrt_weights_load(w, &tw_m, q, NULL, 0, &got, &e), 0);
    assert_null(got.state);
}

/* A weights .npz of arrays a[0..n) must be refused with `want` (after
 * "PATH: "), the parameters untouched. */
static void tw_refused(const nnrt_npy_out *a, size_t n, const char *want)
{
    nnrt_err e = {""};
    const char *w = tn_path("bad.npz");
    assert_int_equal(nnrt_npz_write(w, a, n, n % 2, &e), 0);
    float q[64];
    memset(q, 0x55, sizeof q);
    assert_int_equal(nnrt_weights_load(w, &tw_m, q, NULL, 0, NULL, &e), -1);
    char full[600];
    snprintf(full, sizeof full, "%s: %s", w, want);
    assert_string_equal(e.msg, full);
    for (int i = 0; i < 64; i++) {
        uint32_t u;
        memcpy(&u, &q[i], 4);
        assert_int_equal(u, 0x55555555u);
    }
}

static void test_weights_refused(void **state)
{
    (void)state;
    float f[16] = {0};
    double d[16] = {0};
    int64_t i64[16] = {0};
    uint64_t sig = 7;
    nnrt_npy_out ok[] = {{"W1", 'd', 2, {4, 2}, d}, {"b1", 'f', 1, {4, 0}, f},
                         {"W2", 'f', 2, {1, 4}, f}, {"b2", 'd', 2, {1, 1}, d}};
    /* float64 weights and b of shape (units,): fine */
    nnrt_err e = {""};
    assert_int_equal(nnrt_npz_write(tn_path("ok.npz"), ok, 4, 1, &e), 0);
    float q[64];
    assert_int_equal(nnrt_weights_load(tn_path("ok.npz"), &tw_m, q, NULL, 0, NULL, &e), 0);

    nnrt_npy_out shape[] = {{"W1", 'f', 2, {2, 4}, f}, ok[1], ok[2], ok[3]};
    tw_refused(shape, 4, "array 'W1' has shape (2, 4), but model 'tw' needs (4, 2) (layer 1: 2 "
                         "inputs, 4 units)");
    nnrt_npy_out dtype[] = {ok[0], ok[1], {"W2", 'i', 2, {1, 4}, i64}, ok[3]};
    tw_refused(dtype, 4, "array 'W2' has dtype <i8; weights are float32 or float64");
    tw_refused(ok, 3, "no array 'b2' (found: W1, b1, W2)");
    nnrt_npy_out extra[] = {ok[0], ok[1], ok[2], ok[3], {"W3", 'f', 2, {1, 1}, f}};
    tw_refused(extra, 5, "holds 'W3', but model 'tw' has 2 layers");
    nnrt_npy_out other[] = {ok[0], ok[1], ok[2], ok[3], {"signature", 'u', 0, {0, 0}, &sig},
                            {"model", 'U', 0, {0, 0}, "cat"}};
    tw_refused(other, 6, "weights are for model 'cat' (signature 0000000000000007), not 'tw' "
                         "(signature 0123456789abcdef): other activations, parameters or loss");
    nnrt_npy_out opt[] = {ok[0], ok[1], ok[2], ok[3], {"optimizer", 'U', 0, {0, 0}, "rmsprop"}};
    tw_refused(opt, 5, "unknown optimizer 'rmsprop' (expected sgd, momentum or adam)");
    int64_t neg = -1;
    nnrt_npy_out step[] = {ok[0], ok[1], ok[2], ok[3], {"step", 'i', 0, {0, 0}, &neg}};
    tw_refused(step, 5, "array 'step' is negative");
    nnrt_npy_out part[] = {ok[0], ok[1], ok[2], ok[3], {"vW1", 'f', 2, {4, 2}, f},
                           {"optimizer", 'U', 0, {0, 0}, "momentum"}};
    nnrt_err e2 = {""};
    assert_int_equal(nnrt_npz_write(tn_path("part.npz"), part, 6, 0, &e2), 0);
    float sq[64];
    assert_int_equal(nnrt_weights_load(tn_path("part.npz"), &tw_m, q, sq, 64, NULL, &e2), -1);
    assert_non_null(strstr(e2.msg, ": no array 'vb1' (found: "));
}

/* A weights file cut at every length and damaged at random: refused with
 * one line, or loaded; never a crash, the arrays untouched on refusal. */
static void test_weights_damaged(void **state)
{
    (void)state;
    float p[64] = {0}, st[64] = {0};
    for (int i = 0; i < 64; i++)
        p[i] = (float)i;
    nnrt_checkpoint ck = {3, 1, NNRT_OPT_MOMENTUM, st, 64};
    nnrt_err e = {""};
    const char *w = tn_path("good.npz"), *m = tn_path("mut.npz");
    assert_int_equal(nnrt_weights_save(w, &tw_m, p, &ck, &e), 0);
    size_t n;
    unsigned char *b = tn_slurp(w, &n), *c = malloc(n);
    assert_non_null(c);
    float q[64], s[64];
    for (size_t k = 0; k < n; k++) {
        tn_put(m, b, k);
        assert_int_equal(nnrt_weights_load(m, &tw_m, q, s, 64, NULL, &e), -1);
        assert_true(e.msg[0] && !strchr(e.msg, '\n'));
    }
    srand(99);
    for (int t = 0; t < 400; t++) {
        memcpy(c, b, n);
        for (int k = 0; k < 1 + rand() % 3; k++)
            c[(size_t)rand() % n] = (unsigned char)rand();
        tn_put(m, c, n);
        memset(q, 0x55, sizeof q);
        memset(&e, 0, sizeof e);
        if (nnrt_weights_load(m, &tw_m, q, s, 64, NULL, &e) != 0) {
            assert_true(e.msg[0] && !strchr(e.msg, '\n'));
            uint32_t u;
            memcpy(&u, &q[5], 4);
            assert_int_equal(u, 0x55555555u);
        }
    }
    free(b);
    free(c);
}

static int tn_setup(void **state)
{
    (void)state;
    snprintf(tn_dir, sizeof tn_dir, "/tmp/nngen_test_npy.XXXXXX");
    assert_non_null(mkdtemp(tn_dir));
    tw_init();
    return 0;
}

static int tn_teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tn_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npz_data_roundtrip), cmocka_unit_test(test_npy_dtypes),
        cmocka_unit_test(test_npy_refused),        cmocka_unit_test(test_npz_damaged),
        cmocka_unit_test(test_zip_bomb),           cmocka_unit_test(test_weights_roundtrip),
        cmocka_unit_test(test_weights_refused),    cmocka_unit_test(test_weights_damaged),
    };
    return cmocka_run_group_tests(tests, tn_setup, tn_teardown);
}
