/*
 * peak.c -- this machine's one-core fp32 ceilings, as JSON on stdout:
 *   - FMA throughput with AVX2 (8 lanes) and AVX-512 (16 lanes), GFLOP/s;
 *   - memory bandwidth of a STREAM-like triad a[i] = b[i] + s*c[i] over
 *     three arrays of 1 GiB in all, GB/s (3 x 4 bytes counted per element,
 *     as STREAM does: write-allocate traffic not counted).
 * Each figure is the best of several repetitions (the machine is shared;
 * the best is the closest to what the core can do).
 *
 *   peak [--quick] [--fma]
 *
 * --quick: shorter runs, 3 of each (bench/run.sh --quick); --fma: the FMA
 * figures only, from 15 short runs each, in about 0.2 s (nngen-compare).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peak_fma.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile float sink;

/* Best GFLOP/s over `reps` runs of kernel(iters). */
static double best_gflops(float (*kernel)(long), long iters, int chains, int lanes, int reps)
{
    double best = 0.0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        sink = kernel(iters);
        double dt = now() - t0;
        double g = (double)iters * chains * lanes * 2.0 / dt / 1e9;
        if (g > best)
            best = g;
    }
    return best;
}

/* Best triad bandwidth in GB/s; n floats per array. */
static double best_triad(long n, int reps)
{
    float *a = malloc((size_t)n * sizeof *a);
    float *b = malloc((size_t)n * sizeof *b);
    float *c = malloc((size_t)n * sizeof *c);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return -1.0;
    }
    for (long i = 0; i < n; i++) { /* touch every page before timing */
        a[i] = 0.0f;
        b[i] = 1.0f;
        c[i] = 2.0f;
    }
    const float s = 3.0f;
    double best = 0.0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        double dt = now() - t0;
        double g = 3.0 * 4.0 * (double)n / dt / 1e9;
        if (g > best)
            best = g;
    }
    sink = a[n / 2];
    free(a);
    free(b);
    free(c);
    return best;
}

/* The "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_name(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + (p[1] == ' ');
                p[strcspn(p, "\n")] = '\0';
                snprintf(out, cap, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    int quick = 0, fma_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--fma") == 0)
            fma_only = 1;
        else {
            fprintf(stderr, "usage: peak [--quick] [--fma]\n");
            return 2;
        }
    }
    /* --fma: short runs (5 ms or so each), still the best of 15 */
    long iters = quick || fma_only ? 2000000L : 20000000L;
    int reps = quick ? 3 : 15;
    long n = (1L << 30) / 3 / (long)sizeof(float); /* three arrays, 1 GiB in all */
    if (quick)
        n /= 8;

    __builtin_cpu_init();
    int has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int has_avx512 = __builtin_cpu_supports("avx512f");
    double g2 = has_avx2 ? best_gflops(peak_fma_avx2, iters, PEAK_CHAINS_AVX2, 8, reps) : 0.0;
    double g5 = has_avx512 ? best_gflops(peak_fma_avx512, iters, PEAK_CHAINS_AVX512, 16, reps) : 0.0;
    double bw = fma_only ? 0.0 : best_triad(n, reps);

    char name[256];
    cpu_name(name, sizeof name);
    printf("{\n");
    printf("  \"cpu\": \"%s\",\n", name);
    printf("  \"avx2_fma_gflops\": %.2f,\n", g2);
    printf("  \"avx512_fma_gflops\": %.2f,\n", g5);
    if (!fma_only) {
        printf("  \"triad_gbs\": %.2f,\n", bw);
        printf("  \"triad_bytes\": %ld,\n", 3L * n * (long)sizeof(float));
    }
    printf("  \"fma_chains_avx2\": %d,\n", PEAK_CHAINS_AVX2);
    printf("  \"fma_chains_avx512\": %d,\n", PEAK_CHAINS_AVX512);
    printf("  \"repetitions\": %d\n", reps);
    printf("}\n");
    return bw < 0.0 ? 1 : 0;
}
