/*
 * test_weights.c -- weights files (runtime/nnrt_weights.c, docs/weights.md).
 *
 * Round trip bit-exact (parameters with NaN payloads, -0 and denormals,
 * optimizer state, step, epoch); the byte layout against the documented
 * format; every truncation length and every single-bit flip of a file is
 * rejected with the right message and leaves the caller's arrays alone; a
 * file for another model is refused naming both; a save that fails (target
 * is a directory, file size limit hit mid-write, no such directory) leaves
 * the old file byte for byte and no temporary behind.  The models are fake
 * descriptors (shapes only; no functions).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "nnrt.h"
#include "nng_tmpdir.h"

/* ---- temporary directory -------------------------------------------------- */

static int make_dir(void **state)
{
    (void)state;
    return nng_tmpdir_make("weights");
}

static int remove_dir(void **state)
{
    (void)state;
    nng_tmpdir_remove();
    return 0;
}

/* The path of `name` in the test's directory. */
static const char *tp(const char *name) { return nng_tmpdir_path(name); }

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *b = malloc(1 << 24);
    assert_non_null(b);
    *n = fread(b, 1, 1 << 24, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Entries of dir whose name contains ".tmp.". */
static int count_temps(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        n += strstr(ent->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

/* ---- fake models ------------------------------------------------------------ */

static size_t pad16(size_t n)
{
    return (n + 15) / 16 * 16;
}

typedef struct fake {
    nnrt_model m;
    nnrt_layer_info l[8];
} fake;

/* sizes: n_in, then units per layer; acts per layer. */
static void fake_make(fake *f, const char *name, uint64_t sig, nnrt_loss loss, int n_layers,
                      const int *sizes, const nnrt_act *acts)
{
    memset(f, 0, sizeof *f);
    size_t off = 0;
    for (int i = 0; i < n_layers; i++) {
        f->l[i].fan_in = sizes[i];
        f->l[i].units = sizes[i + 1];
        f->l[i].act = acts[i];
        f->l[i].w_offset = off;
        off += pad16((size_t)sizes[i] * (size_t)sizes[i + 1]);
        f->l[i].b_offset = off;
        off += pad16((size_t)sizes[i + 1]);
    }
    f->m.abi = NNRT_ABI_VERSION;
    f->m.name = name;
    f->m.n_in = sizes[0];
    f->m.n_out = sizes[n_layers];
    f->m.n_layers = n_layers;
    f->m.layers = f->l;
    f->m.loss = loss;
    f->m.n_params = off;
    f->m.signature = sig;
}

static fake g_xor, g_xor_relu, g_xor_mse, g_cat, g_leaky, g_leaky5, g_leaky5s;

static int make_models(void **state)
{
    static const int xs[] = {2, 4, 1}, cs[] = {12288, 20, 7, 5, 1};
    static const nnrt_act xa[] = {NNRT_ACT_TANH, NNRT_ACT_SIGMOID};
    static const nnrt_act xr[] = {NNRT_ACT_RELU, NNRT_ACT_SIGMOID};
    static const nnrt_act ca[] = {NNRT_ACT_RELU, NNRT_ACT_RELU, NNRT_ACT_RELU,
                                  NNRT_ACT_SIGMOID};
    fake_make(&g_xor, "xor", 0x1122334455667788ull, NNRT_LOSS_BCE, 2, xs, xa);
    fake_make(&g_xor_relu, "xor", 0x0badc0ffee0ddf00ull, NNRT_LOSS_BCE, 2, xs, xr);
    fake_make(&g_xor_mse, "xor2", 0x5555aaaa5555aaaaull, NNRT_LOSS_MSE, 2, xs, xa);
    fake_make(&g_cat, "cat", 0xcafef00dcafef00dull, NNRT_LOSS_BCE, 4, cs, ca);
    /* 2-4 leaky_relu (slope 0.2, then 0.5) -1 sigmoid: the same signature
     * (the slope alone decides), and with the slope hashed in */
    static const nnrt_act la[] = {NNRT_ACT_LEAKY_RELU, NNRT_ACT_SIGMOID};
    fake_make(&g_leaky, "leaky", 0x1eaf1eaf1eaf1eafull, NNRT_LOSS_BCE, 2, xs, la);
    g_leaky.l[0].slope = 0.2f;
    fake_make(&g_leaky5, "leaky", 0x1eaf1eaf1eaf1eafull, NNRT_LOSS_BCE, 2, xs, la);
    g_leaky5.l[0].slope = 0.5f;
    fake_make(&g_leaky5s, "leaky", 0x5555555555555555ull, NNRT_LOSS_BCE, 2, xs, la);
    g_leaky5s.l[0].slope = 0.5f;
    return make_dir(state);
}

/* ---- the reference file ------------------------------------------------------- */

#define XOR_P 64 /* padded parameter count of 2-4-1 */
#define XOR_HEADER (60 + 16 * 2 + 3)
#define XOR_SIZE (XOR_HEADER + 4 * XOR_P + 4 * 2 * XOR_P + 4)

static float g_params[XOR_P], g_state[2 * XOR_P];

/* Parameters with awkward bit patterns: NaN payloads, -0, denormals, inf. */
static void fill_params(void)
{
    uint32_t s = 12345;
    for (int i = 0; i < XOR_P; i++) {
        s = s * 1664525u + 1013904223u;
        memcpy(&g_params[i], &s, 4);
    }
    const uint32_t special[] = {0x7fc00001u, 0xffbfffffu, 0x80000000u, 0x00000001u,
                                0x7f800000u, 0x3f800000u};
    for (int i = 0; i < 6; i++)
        memcpy(&g_params[i], &special[i], 4);
    for (int i = 0; i < 2 * XOR_P; i++)
        g_state[i] = (float)i * 0.25f - 3.0f;
}

static void save_ok(const char *path, const nnrt_model *m, const float *p,
                    const nnrt_checkpoint *ck)
{
    nnrt_err e = {""};
    if (nnrt_weights_save(path, m, p, ck, &e) != 0)
        fail_msg("save %s: %s", path, e.msg);
}

static const char *save_ref(const char *name)
{
    const char *p = tp(name);
    fill_params();
    nnrt_checkpoint ck = {12345, 7, NNRT_OPT_ADAM, g_state, 2 * XOR_P};
    save_ok(p, &g_xor.m, g_params, &ck);
    return p;
}

/* Load that must fail; the arrays must come back untouched. */
static const char *load_fail(const char *path, const nnrt_model *m)
{
    static nnrt_err e;
    static float p[XOR_P], s[2 * XOR_P];
    memset(p, 0xab, sizeof p);
    memset(s, 0xcd, sizeof s);
    nnrt_checkpoint ck = {-5, -6, NNRT_OPT_SGD, NULL, 99};
    e.msg[0] = '\0';
    assert_int_equal(nnrt_weights_load(path, m, p, s, 2 * XOR_P, &ck, &e), -1);
    for (size_t i = 0; i < sizeof p; i++)
        assert_int_equal(((unsigned char *)p)[i], 0xab);
    for (size_t i = 0; i < sizeof s; i++)
        assert_int_equal(((unsigned char *)s)[i], 0xcd);
    assert_int_equal(ck.step, -5);
    assert_int_equal(ck.state_floats, 99);
    assert_true(e.msg[0] != '\0');
    assert_null(strchr(e.msg, '\n'));
    return e.msg;
}

static void expect_load_fail(const char *path, const nnrt_model *m, const char *fmt, ...)
{
    char want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    assert_string_equal(load_fail(path, m), want);
}

/* ================================================================================ */

static void test_round_trip(void **state)
{
    (void)state;
    const char *p = save_ref("w.bin");
    float q[XOR_P], s[2 * XOR_P];
    nnrt_checkpoint ck;
    nnrt_err e = {""};
    memset(&ck, 0, sizeof ck);
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, s, 2 * XOR_P, &ck, &e), 0);
    assert_string_equal(e.msg, "");
    assert_memory_equal(q, g_params, sizeof q); /* bit-exact, NaN payloads included */
    assert_memory_equal(s, g_state, sizeof s);
    assert_int_equal(ck.step, 12345);
    assert_int_equal(ck.epoch, 7);
    assert_int_equal(ck.optimizer, NNRT_OPT_ADAM);
    assert_ptr_equal(ck.state, s);
    assert_int_equal(ck.state_floats, 2 * XOR_P);

    /* No room for the state, or room of another optimizer's size: the
     * parameters load, the state is not copied. */
    memset(s, 0, sizeof s);
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, NULL, 0, &ck, &e), 0);
    assert_null(ck.state);
    assert_int_equal(ck.state_floats, 0);
    assert_int_equal(ck.step, 12345);
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, s, XOR_P, &ck, &e), 0);
    assert_int_equal(ck.state_floats, 0);
    for (int i = 0; i < 2 * XOR_P; i++)
        assert_true(s[i] == 0.0f);
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, NULL, 0, NULL, &e), 0);
    assert_memory_equal(q, g_params, sizeof q);

    /* No checkpoint: step 0, sgd, no state. */
    save_ok(p, &g_xor.m, g_params, NULL);
    ck.step = 99;
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, s, 2 * XOR_P, &ck, &e), 0);
    assert_int_equal(ck.step, 0);
    assert_int_equal(ck.epoch, 0);
    assert_int_equal(ck.optimizer, NNRT_OPT_SGD);
    assert_int_equal(ck.state_floats, 0);
    assert_memory_equal(q, g_params, sizeof q);

    /* Momentum state. */
    nnrt_checkpoint mk = {3, 1, NNRT_OPT_MOMENTUM, g_state, XOR_P};
    save_ok(p, &g_xor.m, g_params, &mk);
    memset(s, 0, sizeof s);
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, s, XOR_P, &ck, &e), 0);
    assert_int_equal(ck.optimizer, NNRT_OPT_MOMENTUM);
    assert_int_equal(ck.state_floats, XOR_P);
    assert_memory_equal(s, g_state, XOR_P * sizeof(float));
}

/* The documented layout, byte by byte (docs/weights.md). */
static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const unsigned char *b)
{
    return le32(b) | (uint64_t)le32(b + 4) << 32;
}

static void test_layout(void **state)
{
    (void)state;
    size_t n;
    unsigned char *b = slurp(save_ref("layout.bin"), &n);
    assert_int_equal(n, XOR_SIZE);
    assert_memory_equal(b, "NNGW", 4);
    assert_int_equal(le32(b + 4), 2);
    assert_true(le64(b + 8) == 0x1122334455667788ull);
    assert_int_equal(b[8], 0x88); /* little-endian */
    assert_int_equal(le32(b + 16), 2);
    /* fan_in, units, act, the activation's parameter (float bits; 0 here) */
    const uint32_t rows[8] = {2, 4, NNRT_ACT_TANH, 0, 4, 1, NNRT_ACT_SIGMOID, 0};
    for (int i = 0; i < 8; i++)
        assert_int_equal(le32(b + 20 + 4 * i), rows[i]);
    size_t o = 20 + 32;
    assert_true(le64(b + o) == XOR_P);
    assert_true(le64(b + o + 8) == 12345);
    assert_true(le64(b + o + 16) == 7);
    assert_int_equal(le32(b + o + 24), NNRT_OPT_ADAM);
    assert_true(le64(b + o + 28) == 2 * XOR_P);
    assert_int_equal(le32(b + o + 36), 3);
    assert_memory_equal(b + o + 40, "xor", 3);
    assert_int_equal(o + 43, XOR_HEADER);
    /* params[5] is 1.0f: 00 00 80 3f; params[0] keeps its NaN payload. */
    assert_memory_equal(b + XOR_HEADER + 20, "\x00\x00\x80\x3f", 4);
    assert_int_equal(le32(b + XOR_HEADER), 0x7fc00001u);
    /* state[0] = -3.0f = 0xc0400000 */
    assert_int_equal(le32(b + XOR_HEADER + 4 * XOR_P), 0xc0400000u);
    assert_int_equal(le32(b + n - 4), (uint32_t)crc32(0L, b, (uInt)(n - 4)));
    free(b);
}

static void test_truncated(void **state)
{
    (void)state;
    size_t n;
    unsigned char *b = slurp(save_ref("full.bin"), &n);
    const char *p = tp("cut.bin");
    for (size_t len = 0; len < n; len++) {
        spit(p, b, len);
        const char *msg = load_fail(p, &g_xor.m);
        char want[600];
        if (len >= XOR_HEADER) {
            snprintf(want, sizeof want, "%s: truncated (expected %d bytes, found %zu)", p,
                     XOR_SIZE, len);
            assert_string_equal(msg, want);
            continue;
        }
        /* In the header: "expected at least X" with len < X <= header. */
        unsigned long long x = 0;
        size_t found = 0;
        if (sscanf(msg + strlen(p), ": truncated (expected at least %llu bytes, found %zu)", &x,
                   &found) != 2)
            fail_msg("length %zu: %s", len, msg);
        assert_true(x > len && x <= XOR_HEADER);
        assert_int_equal(found, len);
        snprintf(want, sizeof want, "%s: truncated (expected at least %llu bytes, found %zu)", p,
                 x, len);
        assert_string_equal(msg, want);
    }
    free(b);
}

static void test_bit_flips(void **state)
{
    (void)state;
    size_t n;
    unsigned char *b = slurp(save_ref("good.bin"), &n);
    const char *p = tp("flip.bin");
    char want[600];
    snprintf(want, sizeof want, "%s: checksum mismatch (file corrupted)", p);
    const size_t o = 52; /* n_params */
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            spit(p, b, n);
            const char *msg = load_fail(p, &g_xor.m);
            /* Fields that decide the size (n_layers, n_params, state_floats,
             * name_len) and magic/version get their own messages; every other
             * byte is caught by the checksum. */
            int sized = i < 8 || (i >= 16 && i < 20) || (i >= o && i < o + 8) ||
                        (i >= o + 28 && i < o + 40);
            if (!sized)
                assert_string_equal(msg, want);
            b[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* The messages of the size-deciding fields. */
    b[4] = 7;
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: unsupported version 7", p);
    b[4] = 1;
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: weights format version 1 is no longer read (version 2 "
                                  "stores each layer's activation parameter): train and save "
                                  "again", p);
    b[4] = 2;
    b[0] = 'P';
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: not an nngen weights file (bad magic)", p);
    b[0] = 'N';
    b[o] ^= 1; /* n_params 65: one float more expected */
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: truncated (expected %d bytes, found %d)", p, XOR_SIZE + 4,
                     XOR_SIZE);
    b[o] = XOR_P - 1;
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: size mismatch (expected %d bytes, found %d): trailing "
                                  "data or a damaged header", p, XOR_SIZE - 4, XOR_SIZE);
    b[o] = XOR_P;
    b[o + 7] = 0x80; /* an absurd count */
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: truncated (expected 18446744073709551615 bytes, found %d)",
                     p, XOR_SIZE);
    b[o + 7] = 0;
    spit(p, b, n);
    nnrt_err e;
    float q[XOR_P];
    assert_int_equal(nnrt_weights_load(p, &g_xor.m, q, NULL, 0, NULL, &e), 0);
    free(b);
}

static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = (uint32_t)crc32(0L, b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++)
        b[n - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void test_other_files(void **state)
{
    (void)state;
    const char *p = tp("image.png");
    spit(p, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    expect_load_fail(p, &g_xor.m, "%s: not an nngen weights file (bad magic)", p);
    spit(p, "NN", 2);
    expect_load_fail(p, &g_xor.m, "%s: truncated (expected at least 4 bytes, found 2)", p);
    spit(p, "NX", 2);
    expect_load_fail(p, &g_xor.m, "%s: not an nngen weights file (bad magic)", p);
    expect_load_fail(tp("absent.bin"), &g_xor.m, "%s: No such file or directory",
                     tp("absent.bin"));
    expect_load_fail(nng_tmpdir, &g_xor.m, "%s: is a directory, not a weights file", nng_tmpdir);

    /* Trailing bytes after the checksum. */
    size_t n;
    unsigned char *b = slurp(save_ref("ref.bin"), &n);
    b[n] = 0;
    spit(p, b, n + 1);
    expect_load_fail(p, &g_xor.m, "%s: size mismatch (expected %d bytes, found %d): trailing "
                                  "data or a damaged header", p, XOR_SIZE, XOR_SIZE + 1);

    /* Intact files (checksum right) with values no writer makes. */
    const size_t o = 52;
    b[o + 24] = 9; /* optimizer */
    fix_crc(b, n);
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: unknown optimizer kind 9", p);
    b[o + 24] = NNRT_OPT_MOMENTUM; /* momentum keeps 64 floats, the file has 128 */
    fix_crc(b, n);
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: optimizer state has 128 floats, but momentum keeps 64", p);
    b[o + 24] = NNRT_OPT_ADAM;
    b[o + 15] = 0x80; /* step >= 2^63 */
    fix_crc(b, n);
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: step or epoch out of range", p);
    free(b);
}

static void test_wrong_model(void **state)
{
    (void)state;
    const char *p = save_ref("xor.bin");
    expect_load_fail(p, &g_cat.m, "%s: weights are for model 'xor' (2-4-1), not 'cat' "
                                  "(12288-20-7-5-1)", p);
    expect_load_fail(p, &g_xor_relu.m, "%s: weights are for model 'xor' (2-4:tanh-1:sigmoid), "
                                       "not 'xor' (2-4:relu-1:sigmoid)", p);
    expect_load_fail(p, &g_xor_mse.m, "%s: weights are for model 'xor' (2-4:tanh-1:sigmoid, "
                                      "signature 1122334455667788), not 'xor2' (signature "
                                      "5555aaaa5555aaaa)", p);
    /* The course's deep cat network, saved and loaded as xor. */
    float *cp = calloc(g_cat.m.n_params, sizeof(float));
    assert_non_null(cp);
    cp[0] = 0.5f;
    const char *c = tp("cat.bin");
    save_ok(c, &g_cat.m, cp, NULL);
    expect_load_fail(c, &g_xor.m, "%s: weights are for model 'cat' (12288-20-7-5-1), not 'xor' "
                                  "(2-4-1)", c);
    float *cq = malloc(g_cat.m.n_params * sizeof(float));
    nnrt_err e;
    assert_int_equal(nnrt_weights_load(c, &g_cat.m, cq, NULL, 0, NULL, &e), 0);
    assert_memory_equal(cq, cp, g_cat.m.n_params * sizeof(float));
    free(cp);
    free(cq);
}

/* Each layer's activation parameter (leaky_relu's slope) is in the file;
 * weights trained with one slope are refused by a model with another,
 * naming the layer and both slopes, whether or not the signature differs
 * too. */
static void test_slope(void **state)
{
    (void)state;
    const char *p = tp("leaky.bin");
    float q[XOR_P];
    fill_params();
    save_ok(p, &g_leaky.m, g_params, NULL);
    size_t n;
    unsigned char *b = slurp(p, &n);
    float slope;
    uint32_t bits = le32(b + 20 + 12); /* layer 1: fan_in, units, act, slope */
    memcpy(&slope, &bits, 4);
    assert_true(slope == 0.2f);
    free(b);
    nnrt_err e;
    assert_int_equal(nnrt_weights_load(p, &g_leaky.m, q, NULL, 0, NULL, &e), 0);
    expect_load_fail(p, &g_leaky5.m, "%s: layer 1 was trained with leaky_relu slope 0.2, this "
                                     "model has slope 0.5", p);
    expect_load_fail(p, &g_leaky5s.m, "%s: layer 1 was trained with leaky_relu slope 0.2, this "
                                      "model has slope 0.5", p);
}

static void expect_save_fail(const char *path, const nnrt_model *m, const nnrt_checkpoint *ck,
                             const char *fmt, ...)
{
    char want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    nnrt_err e = {""};
    assert_int_equal(nnrt_weights_save(path, m, g_params, ck, &e), -1);
    assert_string_equal(e.msg, want);
}

static void test_atomic_save(void **state)
{
    (void)state;
    size_t n0, n1;
    const char *p = save_ref("keep.bin");
    unsigned char *old = slurp(p, &n0);
    nnrt_checkpoint ck = {1, 1, NNRT_OPT_ADAM, g_state, 2 * XOR_P};

    /* The target is a directory: refused before a temporary is made. */
    const char *d = tp("adir");
    assert_int_equal(mkdir(d, 0755), 0);
    expect_save_fail(d, &g_xor.m, &ck, "%s: is a directory", d);
    assert_int_equal(count_temps(nng_tmpdir), 0);

    /* No such directory. */
    const char *q = tp("nodir/w.bin");
    expect_save_fail(q, &g_xor.m, &ck, "%s: cannot create a temporary file beside it: No such "
                                       "file or directory", q);

    /* A write that fails half-way (file size limit): the old file stays. */
    struct rlimit lim, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &lim), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    small = lim;
    small.rlim_cur = 300;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    g_params[10] = 42.0f;
    nnrt_err e = {""};
    int rc = nnrt_weights_save(p, &g_xor.m, g_params, &ck, &e);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    char want[600];
    snprintf(want, sizeof want, "%s: write failed: File too large (file left unchanged)", p);
    assert_string_equal(e.msg, want);
    unsigned char *now = slurp(p, &n1);
    assert_int_equal(n1, n0);
    assert_memory_equal(now, old, n0);
    free(now);
    assert_int_equal(count_temps(nng_tmpdir), 0);

    /* A read-only directory (meaningless for root, who may write anyway). */
    if (geteuid() != 0) {
        const char *ro = tp("ro");
        assert_int_equal(mkdir(ro, 0755), 0);
        char rp[600];
        snprintf(rp, sizeof rp, "%s/w.bin", ro);
        save_ok(rp, &g_xor.m, g_params, &ck);
        assert_int_equal(chmod(ro, 0555), 0);
        expect_save_fail(rp, &g_xor.m, &ck, "%s: cannot create a temporary file beside it: "
                                            "Permission denied", rp);
        chmod(ro, 0755);
        assert_int_equal(count_temps(ro), 0);
    }

    /* Bad state size: refused before anything is written. */
    nnrt_checkpoint bad = {1, 1, NNRT_OPT_ADAM, g_state, 10};
    expect_save_fail(p, &g_xor.m, &bad, "%s: optimizer state has 10 floats, but adam for model "
                                        "'xor' keeps 128", p);
    now = slurp(p, &n1);
    assert_memory_equal(now, old, n0);
    free(now);
    free(old);

    /* A success replaces the file; its permissions follow the umask, or
     * the old file's. */
    mode_t um = umask(022);
    const char *fresh = tp("fresh.bin");
    save_ok(fresh, &g_xor.m, g_params, &ck);
    struct stat st;
    assert_int_equal(stat(fresh, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(chmod(fresh, 0600), 0);
    save_ok(fresh, &g_xor.m, g_params, &ck);
    assert_int_equal(stat(fresh, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    umask(um);
    float r[XOR_P];
    assert_int_equal(nnrt_weights_load(fresh, &g_xor.m, r, NULL, 0, NULL, &e), 0);
    assert_true(r[10] == 42.0f);
    assert_int_equal(count_temps(nng_tmpdir), 0);
}

/* Bytes this process has read so far (/proc/self/io), or -1. */
static long long bytes_read(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    long long n = -1;
    if (!f)
        return -1;
    char line[128];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* The header is read first, then exactly what it promises: a large file
 * that is no weights file is refused after its first bytes (it used to be
 * read whole into memory before the magic was looked at; /dev/zero grew
 * the buffer until realloc failed). */
static void test_bounded_reads(void **state)
{
    (void)state;
    if (bytes_read() < 0)
        skip();
    const char *p = tp("huge.bin");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("XXXX", 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(truncate(p, 256L << 20), 0); /* sparse: 256 MB of zeros */
    long long before = bytes_read();
    expect_load_fail(p, &g_xor.m, "%s: not an nngen weights file (bad magic)", p);
    assert_true(bytes_read() - before < (1 << 20));
    unlink(p);
    if (access("/dev/zero", R_OK) == 0)
        expect_load_fail("/dev/zero", &g_xor.m, "/dev/zero: not an nngen weights file (bad "
                                                "magic)");
}

/* A layer whose activation takes no parameter stores 0 there (the model's
 * value): anything else is a damaged file, even with a right checksum. */
static void test_param_of_plain_act(void **state)
{
    (void)state;
    size_t n;
    unsigned char *b = slurp(save_ref("plain.bin"), &n);
    const float v = 1.5f;
    memcpy(b + 20 + 12, &v, 4); /* layer 1 (tanh): its parameter, little-endian on x86/Arm */
    fix_crc(b, n);
    const char *p = tp("plain.bin");
    spit(p, b, n);
    expect_load_fail(p, &g_xor.m, "%s: layer 1 stores the activation parameter 1.5, this model "
                                  "has 0 (damaged file?)", p);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_layout),
        cmocka_unit_test(test_truncated),   cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_other_files), cmocka_unit_test(test_wrong_model),
        cmocka_unit_test(test_slope),
        cmocka_unit_test(test_atomic_save),
        cmocka_unit_test(test_bounded_reads),
        cmocka_unit_test(test_param_of_plain_act),
    };
    return cmocka_run_group_tests(tests, make_models, remove_dir);
}
