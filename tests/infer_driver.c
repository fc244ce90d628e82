/*
 * infer_driver.c -- tests/infer.sh's program around an inference file
 * (nngen --inference --name net ...), which it #includes as INFER_FILE:
 *
 *   infer_driver predict ISA X.csv   net_predict on the rows of X.csv (N_IN
 *                                    floats a line) on path ISA, all at once
 *                                    (each row alone must give the same
 *                                    bits), one line of %.9g outputs a row
 *                                    (as --predict);
 *                                    exit 77 and one line if the path is not
 *                                    compiled in or the CPU lacks it
 *   infer_driver math ISA            (a file of tests/specs_infer/math.spec)
 *                                    the path's sigmoid, tanh, elu and softmax
 *                                    against libm's double functions over a
 *                                    dense sweep: the largest error in ulp of
 *                                    the float result; exit 1 above 0.501 ulp
 *                                    (softmax, rounded twice: 1.5)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include INFER_FILE

static int infer_path(const char *isa)
{
    if (net_select(isa) != 0) {
        printf("infer_driver: path %s: not compiled in or this CPU lacks it (skipped)\n", isa);
        return 77;
    }
    return 0;
}

/* The rows of csv, all in one net_predict call (so chunks of NET_CH rows
 * and a last partial one), then each row alone: the same bits, or exit 1. */
static int infer_predict(const char *csv)
{
    FILE *f = fopen(csv, "r");
    if (!f) {
        fprintf(stderr, "infer_driver: %s: cannot open\n", csv);
        return 1;
    }
    static char line[1 << 20];
    long m = 0, cap = 0;
    float *x = NULL;
    while (fgets(line, sizeof line, f)) {
        if (m == cap) {
            cap = cap ? 2 * cap : 64;
            float *nx = realloc(x, sizeof(float) * (size_t)(cap * NET_N_IN));
            if (!nx) {
                free(x);
                fclose(f);
                return 1;
            }
            x = nx;
        }
        char *p = line;
        for (int j = 0; j < NET_N_IN; j++) {
            x[m * NET_N_IN + j] = strtof(p, &p);
            p += *p == ',';
        }
        m++;
    }
    fclose(f);
    float *out = malloc(sizeof(float) * (size_t)((m ? m : 1) * NET_N_OUT)), one[NET_N_OUT];
    int bad = !out;
    if (out)
        net_predict(x, m, out);
    for (long i = 0; !bad && i < m; i++) {
        net_predict(x + i * NET_N_IN, 1, one);
        if (memcmp(one, out + i * NET_N_OUT, sizeof one) != 0) {
            fprintf(stderr, "infer_driver: row %ld alone differs from row %ld of %ld\n", i, i, m);
            bad = 1;
        }
        for (int j = 0; j < NET_N_OUT; j++)
            printf("%s%.9g", j ? "," : "", (double)out[i * NET_N_OUT + j]);
        printf("\n");
    }
    free(x);
    free(out);
    return bad;
}

#ifdef INFER_MATH
/* The distance of float f from the exact value r in ulp of f's binade. */
static double ulps(float f, double r)
{
    if (f == r)
        return 0.0;
    int e;
    frexp(r, &e);
    double ulp = ldexp(1.0, (e - 24) < -149 ? -149 : e - 24);
    return fabs((double)f - r) / ulp;
}

typedef struct {
    void (*map)(float *, long);
    void (*map_p)(float *, long, float);
    void (*rows)(float *, long, long);
} math_fns;

/* The largest error of fn over n points of [lo, hi], over its bound:
 * above 1 fails. */
static double sweep(const char *name, const math_fns *fn, double lo, double hi, long n)
{
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    double worst = 0.0, at = 0.0;
    for (long i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * (double)i / (double)(n - 1));
    memcpy(y, x, sizeof(float) * (size_t)n);
    if (fn->map)
        fn->map(y, n);
    else if (fn->map_p)
        fn->map_p(y, n, 0.7f);
    else /* softmax of rows [x, 0, -x]: a row of 3 */
        for (long i = 0; i < n; i++) {
            float r[3] = {x[i], 0.0f, -x[i]};
            fn->rows(r, 1, 3);
            y[i] = r[0];
        }
    for (long i = 0; i < n; i++) {
        double v = x[i], r;
        if (!strcmp(name, "sigmoid"))
            r = 1.0 / (1.0 + exp(-v));
        else if (!strcmp(name, "tanh"))
            r = tanh(v);
        else if (!strcmp(name, "elu"))
            r = v > 0 ? v : (double)0.7f * expm1(v);
        else
            r = exp(v) / (exp(v) + 1.0 + exp(-v));
        double u = ulps(y[i], r);
        if (u > worst) {
            worst = u;
            at = v;
        }
    }
    double bound = fn->rows ? 1.5 : 0.501;
    printf("%-8s [%g, %g] %ld points: max %.6f ulp (at %.9g; bound %g)\n", name, lo, hi, n,
           worst, at, bound);
    free(x);
    free(y);
    return worst / bound;
}

#define MATH_PATH(isa)                                                                    \
    if (!strcmp(path, #isa)) {                                                            \
        const math_fns s = {net_##isa##_sigmoid, NULL, NULL}, t = {net_##isa##_tanh, NULL, NULL}, \
                       el = {NULL, net_##isa##_elu, NULL}, sm = {NULL, NULL, net_##isa##_softmax_rows}; \
        w = fmax(w, sweep("sigmoid", &s, -104.0, 104.0, 4000001));                         \
        w = fmax(w, sweep("tanh", &t, -10.0, 10.0, 4000001));                              \
        w = fmax(w, sweep("tanh", &t, -0.01, 0.01, 1000001));                              \
        w = fmax(w, sweep("elu", &el, -104.0, 5.0, 4000001));                              \
        w = fmax(w, sweep("elu", &el, -0.5, 0.0, 1000001));                                \
        w = fmax(w, sweep("softmax", &sm, -40.0, 40.0, 1000001));                          \
    }

static int infer_math(const char *path)
{
    double w = -1.0;
#if defined(NET_PATH_AVX512)
    MATH_PATH(avx512)
#endif
#if defined(NET_PATH_AVX2)
    MATH_PATH(avx2)
#endif
#if defined(NET_PATH_NEON)
    MATH_PATH(neon)
#endif
    MATH_PATH(scalar)
    if (w < 0.0) {
        fprintf(stderr, "infer_driver: no path %s\n", path);
        return 1;
    }
    printf("%s: largest error / bound %.6f\n", path, w);
    return w <= 1.0 ? 0 : 1;
}
#endif

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "predict")) {
        int r = infer_path(argv[2]);
        return r ? r : infer_predict(argv[3]);
    }
#ifdef INFER_MATH
    if (argc == 3 && !strcmp(argv[1], "math")) {
        int r = infer_path(argv[2]);
        return r ? r : infer_math(argv[2]);
    }
#endif
    fprintf(stderr, "usage: infer_driver predict ISA X.csv | math ISA\n");
    return 2;
}
