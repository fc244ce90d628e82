/*
 * test_plot.c -- --plot's drawing (runtime/nnrt_plot.c) and the live
 * line's time left (nnrt_report_eta), on numbers made up here:
 *   - points with NaN, infinite and huge values give an SVG with no
 *     "nan" or "inf" in it, the good points drawn, a lone good point
 *     marked, a panel without a good value saying so;
 *   - the time left is "--" until the steps measured are worth it.
 * `test_plot --svg FILE` writes the SVG of bad values to FILE instead, for
 * tests/plot.sh to render (the renderer refuses invalid XML).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nng_tmpdir.h"
#include "nnrt_train_internal.h"

/* step, train loss, train acc, test loss, test acc */
#define COLS 5

/* Writes the plot of n rows of pts to path; 0 or -1. */
static int write_plot(const char *path, const double *pts, long n)
{
    tr_plot_panel p[2] = {{"loss", 2, {{"train", 1}, {"test", 3}}, 1, 0},
                          {"accuracy", 2, {{"train", 2}, {"test", 4}}, 0, 1}};
    nnrt_afile f;
    nnrt_err e = {""};
    if (nnrt_afile_open(&f, path, &e))
        return -1;
    nnrt_plot_svg(&f, "bad <values> & \"quotes\"", "step", pts, n, COLS, p, 2);
    return nnrt_afile_commit(&f, &e);
}

/* Rows with every kind of bad value; the test accuracy has none good. */
static const double bad_pts[][COLS] = {
    {0, 0.69, 0.5, (double)NAN, (double)NAN},
    {(double)NAN, 0.5, 0.6, 0.7, (double)NAN},
    {20, (double)NAN, 0.7, 0.6, (double)INFINITY},
    {40, 0.3, 0.8, -(double)INFINITY, (double)NAN},
    {60, 1e308, 0.85, 0.5, (double)NAN},
    {80, 0.2, 0.9, 0.45, (double)NAN},
    {100, 0.1, 0.95, 0.4, (double)NAN},
};
#define N_BAD ((long)(sizeof bad_pts / sizeof bad_pts[0]))

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static size_t count(const char *s, const char *w)
{
    size_t n = 0;
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w))
        n++;
    return n;
}

static void test_bad_values(void **state)
{
    (void)state;
    const char *path = nng_tmpdir_path("bad.svg");
    assert_int_equal(write_plot(path, &bad_pts[0][0], N_BAD), 0);
    const char *s = slurp(path);
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    assert_null(strstr(s, "NaN"));
    assert_non_null(strstr(s, "</svg>\n"));
    assert_non_null(strstr(s, "bad &lt;values&gt; &amp; &quot;quotes&quot;"));
    /* good points (the row with a NaN step is no point at all): train loss
     * at 0 | 40 | 80 100 (one line of two); train acc 0 | 20 40 60 80 100;
     * test loss 20 | 60 80 100; test acc none, but its panel has train's */
    assert_null(strstr(s, "no finite values"));
    assert_int_equal(count(s, "<polyline"), 1 + 1 + 1);
    assert_int_equal(count(s, "<circle"), 4 + 6 + 4); /* few points: each marked */
}

static void test_degenerate(void **state)
{
    (void)state;
    const char *path = nng_tmpdir_path("one.svg");
    const double one[COLS] = {0, 0.5, 0.5, 0.5, 0.5};
    assert_int_equal(write_plot(path, one, 1), 0);
    const char *s = slurp(path);
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    assert_int_equal(count(s, "<polyline"), 0);
    assert_int_equal(count(s, "<circle"), 4);
    assert_int_equal(write_plot(path, NULL, 0), 0);
    s = slurp(path);
    assert_int_equal(count(s, "no finite values"), 2);
}

/* Round ticks: 0 to 100 by 20 on x; labels without float noise. */
static void test_ticks(void **state)
{
    (void)state;
    const char *path = nng_tmpdir_path("ticks.svg");
    double pts[11][COLS];
    for (int i = 0; i <= 10; i++) {
        pts[i][0] = 10.0 * i;
        pts[i][1] = pts[i][3] = 0.7 - 0.06 * i;
        pts[i][2] = pts[i][4] = 0.3 + 0.07 * i;
    }
    assert_int_equal(write_plot(path, &pts[0][0], 11), 0);
    const char *s = slurp(path);
    for (int v = 0; v <= 100; v += 20) {
        char t[64];
        snprintf(t, sizeof t, "text-anchor=\"middle\">%d</text>", v);
        assert_int_equal(count(s, t), 2); /* under both panels */
    }
    assert_non_null(strstr(s, ">0.6</text>"));
    assert_null(strstr(s, "0000000"));
    assert_null(strstr(s, "9999999"));
}

static void test_eta(void **state)
{
    (void)state;
    char b[32];
    nnrt_report_eta(b, sizeof b, 0, 1000, 1000, 5.0);
    assert_string_equal(b, "--");
    /* 10 of 1000 steps in 0.4 s: neither 1 s nor 5% of the run */
    nnrt_report_eta(b, sizeof b, 10, 990, 1000, 0.4);
    assert_string_equal(b, "--");
    /* 1 s measured: 100 steps a second, 990 left */
    nnrt_report_eta(b, sizeof b, 100, 990, 1000, 1.0);
    assert_string_equal(b, "0:10");
    /* 5% of the run in 0.2 s: 950 steps at 250 a second */
    nnrt_report_eta(b, sizeof b, 50, 950, 1000, 0.2);
    assert_string_equal(b, "0:04");
    nnrt_report_eta(b, sizeof b, 60, 1000000, 2000000, 1.5);
    assert_string_equal(b, "6:56:40");
}

static int setup(void **state)
{
    (void)state;
    return nng_tmpdir_make("plot");
}

static int teardown(void **state)
{
    (void)state;
    nng_tmpdir_remove();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--svg") == 0)
        return write_plot(argv[2], &bad_pts[0][0], N_BAD) ? 1 : 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_eta),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
