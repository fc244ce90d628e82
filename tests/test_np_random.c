/*
 * test_np_random.c -- numpy's legacy generator (runtime/nnrt_np_random.c)
 * against numbers numpy produced: tests/fixtures/numpy_random.txt, written
 * by tests/fixtures/numpy_random.py.  Every double must be equal bit for
 * bit: the raw MT19937 draws, random_sample, randn (its kept second normal
 * included), and the init=numpy* rules on small layouts and on the course's
 * two cat models (nnrt_init_params, as the trainer calls it).  The full
 * comparison of the cat models' 246k initial weights runs live against
 * numpy in tests/numpy_check.py.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"
#include "nnrt_vocab.h"

#define NR_MAXL 8

/* A descriptor with the layers of `layout` ("5-4-3-1"), laid out as
 * generated code lays them out (each tensor 16-float aligned). */
typedef struct nr_model {
    nnrt_model m;
    nnrt_layer_info l[NR_MAXL];
} nr_model;

static void nr_make(nr_model *nm, const char *layout)
{
    memset(nm, 0, sizeof *nm);
    int dims[NR_MAXL + 1], n = 0;
    const char *p = layout;
    while (*p && n <= NR_MAXL) {
        char *end;
        dims[n++] = (int)strtol(p, &end, 10);
        p = *end == '-' ? end + 1 : end;
    }
    size_t off = 0;
    for (int i = 0; i + 1 < n; i++) {
        nnrt_layer_info *L = &nm->l[i];
        L->fan_in = dims[i];
        L->units = dims[i + 1];
        L->w_offset = off;
        off += ((size_t)L->units * (size_t)L->fan_in + 15) / 16 * 16;
        L->b_offset = off;
        off += ((size_t)L->units + 15) / 16 * 16;
    }
    nm->m.n_layers = n - 1;
    nm->m.layers = nm->l;
    nm->m.n_in = dims[0];
    nm->m.n_params = off;
}

static nnrt_init nr_rule(const char *name)
{
    for (const nnrt_word_row *r = nnrt_init_rows; r->name; r++)
        if (strcmp(r->name, name) == 0)
            return (nnrt_init)r->value;
    fail_msg("unknown rule %s", name);
    return NNRT_INIT_ZEROS;
}

/* The fixture's lines, one at a time. */
static char *nr_text;

static void nr_load(void)
{
    const char *src = getenv("NNGEN_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/numpy_random.txt", src ? src : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    nr_text = malloc((size_t)n + 1);
    assert_non_null(nr_text);
    assert_int_equal(fread(nr_text, 1, (size_t)n, f), (size_t)n);
    nr_text[n] = '\0';
    fclose(f);
}

/* Calls fn(fields, nfields) for every line starting with `kind`. */
static int nr_each(const char *kind, void (*fn)(char **f, int n))
{
    int lines = 0;
    char *copy = strdup(nr_text), *save = NULL;
    assert_non_null(copy);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        static char *f[4096];
        int n = 0;
        char *s2 = NULL;
        for (char *w = strtok_r(line, " ", &s2); w && n < 4096; w = strtok_r(NULL, " ", &s2))
            f[n++] = w;
        if (n > 0 && strcmp(f[0], kind) == 0) {
            fn(f, n);
            lines++;
        }
    }
    free(copy);
    return lines;
}

static void nr_raw32(char **f, int n)
{
    nnrt_np_rng r;
    nnrt_np_seed(&r, (uint32_t)strtoul(f[1], NULL, 10));
    for (int i = 2; i < n; i++)
        assert_int_equal(nnrt_np_next32(&r), (uint32_t)strtoul(f[i], NULL, 10));
}

static void nr_double(char **f, int n)
{
    nnrt_np_rng r;
    nnrt_np_seed(&r, (uint32_t)strtoul(f[1], NULL, 10));
    for (int i = 2; i < n; i++)
        assert_true(nnrt_np_double(&r) == strtod(f[i], NULL));
}

static void nr_randn(char **f, int n)
{
    nnrt_np_rng r;
    nnrt_np_seed(&r, (uint32_t)strtoul(f[1], NULL, 10));
    for (int i = 2; i < n; i++) {
        double got = nnrt_np_gauss(&r), want = strtod(f[i], NULL);
        if (got != want)
            fail_msg("randn seed %s value %d: %a, numpy %a", f[1], i - 2, got, want);
    }
}

/* init RULE SEED LAYOUT v...: the doubles (nnrt_np_init_weight) and the
 * floats the trainer starts from (nnrt_init_params). */
static void nr_init(char **f, int n)
{
    nnrt_init rule = nr_rule(f[1]);
    uint64_t seed = strtoull(f[2], NULL, 10);
    nr_model nm;
    nr_make(&nm, f[3]);
    float *p = nnrt_alloc(nm.m.n_params * sizeof(float));
    assert_non_null(p);
    for (size_t i = 0; i < nm.m.n_params; i++)
        p[i] = 7.0f; /* biases and padding must come back 0 */
    nnrt_init_params(&nm.m, p, rule, seed);
    nnrt_np_rng r;
    nnrt_np_seed(&r, (uint32_t)seed);
    int k = 4;
    for (int l = 0; l < nm.m.n_layers; l++) {
        const nnrt_layer_info *L = &nm.l[l];
        size_t cnt = (size_t)L->units * (size_t)L->fan_in;
        for (size_t i = 0; i < cnt; i++, k++) {
            assert_true(k < n);
            double want = strtod(f[k], NULL);
            double got = nnrt_np_init_weight(&r, rule, L->fan_in, L->units);
            if (got != want)
                fail_msg("%s seed %s %s W%d[%zu]: %a, numpy %a", f[1], f[2], f[3], l + 1, i,
                         got, want);
            assert_true(p[L->w_offset + i] == (float)want);
        }
        for (int j = 0; j < L->units; j++)
            assert_true(p[L->b_offset + (size_t)j] == 0.0f);
    }
    assert_int_equal(k, n);
    nnrt_free(p);
}

/* initat RULE SEED LAYOUT L I v */
static void nr_initat(char **f, int n)
{
    assert_int_equal(n, 7);
    nr_model nm;
    nr_make(&nm, f[3]);
    float *p = nnrt_alloc(nm.m.n_params * sizeof(float));
    assert_non_null(p);
    nnrt_init_params(&nm.m, p, nr_rule(f[1]), strtoull(f[2], NULL, 10));
    int l = atoi(f[4]) - 1;
    size_t i = strtoull(f[5], NULL, 10);
    double want = strtod(f[6], NULL);
    if (p[nm.l[l].w_offset + i] != (float)want)
        fail_msg("%s %s W%d[%zu]: %a, numpy %a", f[1], f[3], l + 1, i,
                 (double)p[nm.l[l].w_offset + i], want);
    nnrt_free(p);
}

static void test_raw_and_uniform(void **state)
{
    (void)state;
    assert_int_equal(nr_each("raw32", nr_raw32), 4);
    assert_int_equal(nr_each("double", nr_double), 2);
}

static void test_randn(void **state)
{
    (void)state;
    assert_int_equal(nr_each("randn", nr_randn), 3);
}

static void test_inits(void **state)
{
    (void)state;
    assert_int_equal(nr_each("init", nr_init), 8);
    assert_true(nr_each("initat", nr_initat) >= 20);
}

/* The reference MT19937 (Matsumoto & Nishimura's mt19937ar.c, seeded with
 * init_genrand(5489)) starts 3499211612, 581869302, 3890346734. */
static void test_reference_mt(void **state)
{
    (void)state;
    nnrt_np_rng r;
    nnrt_np_seed(&r, 5489u);
    assert_int_equal(nnrt_np_next32(&r), 3499211612u);
    assert_int_equal(nnrt_np_next32(&r), 581869302u);
    assert_int_equal(nnrt_np_next32(&r), 3890346734u);
}

/* np.random.seed forgets the kept normal; the old rules are untouched. */
static void test_seed_resets(void **state)
{
    (void)state;
    nnrt_np_rng r;
    nnrt_np_seed(&r, 1);
    double a = nnrt_np_gauss(&r);
    (void)nnrt_np_gauss(&r); /* the kept one */
    (void)nnrt_np_gauss(&r); /* a new pair: one kept */
    nnrt_np_seed(&r, 1);
    assert_true(nnrt_np_gauss(&r) == a);
    assert_true(nnrt_init_is_numpy(NNRT_INIT_NUMPY_HE));
    assert_false(nnrt_init_is_numpy(NNRT_INIT_COURSE));
    assert_string_equal(nnrt_init_name(NNRT_INIT_NUMPY), "numpy");
    assert_string_equal(nnrt_init_name(NNRT_INIT_NUMPY_SMALL), "numpy_small");
}

int main(void)
{
    nr_load();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_mt),  cmocka_unit_test(test_raw_and_uniform),
        cmocka_unit_test(test_randn),         cmocka_unit_test(test_inits),
        cmocka_unit_test(test_seed_resets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(nr_text);
    return rc;
}
