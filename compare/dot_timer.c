/*
 * dot_timer.c -- the timing program of `nngen-compare --dot N`.
 *
 * The model is the spec nngen-compare writes for N: one identity unit over
 * N inputs, z = w . x + b, so its forward pass for one sample is a dot
 * product of two N-element vectors (plus b = 0).  nngen-compare compiles
 * this file with each variant's generated file (built with -DNNGEN_NO_MAIN)
 * and runs
 *
 *     dot_timer CALLS
 *
 * which calls dot_model.forward once untimed, then CALLS times under the
 * clock, and prints one JSON line in the trainer's words:
 *
 *     {"isa":"avx2","steps":CALLS,"train_seconds":T,"samples_per_s":CALLS/T,
 *      "result":R,"exact":E}
 *
 * w and x hold integers 0..3 (a fixed generator), so every product and
 * every partial sum is an integer of at most 9N <= 9e6 < 2^24 (N is at most
 * nngen's 10^6 inputs): exact in float whatever the order of the additions.  Every path must
 * therefore return exactly E, the sum computed here in integers.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnrt.h"

extern const nnrt_model dot_model;

static double dt_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 0..3 from a 64-bit linear congruential generator (Knuth's MMIX
 * constants), top bits. */
static int dt_small(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)(*s >> 62);
}

int main(int argc, char **argv)
{
    const nnrt_model *m = &dot_model;
    char *end = NULL;
    long calls = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || !end || *end || calls < 1) {
        fprintf(stderr, "usage: dot_timer CALLS (CALLS >= 1)\n");
        return 2;
    }
    if (m->n_layers != 1 || m->n_out != 1 || m->layers[0].fan_in != m->n_in) {
        fprintf(stderr, "dot_timer: model '%s' is not one unit over its inputs\n", m->name);
        return 1;
    }
    long n = m->n_in;
    float *params = nnrt_alloc(m->n_params * sizeof(float)); /* zeroed: b = 0 */
    float *x = nnrt_alloc((size_t)n * sizeof(float));
    void *ws = nnrt_alloc(m->ws_bytes > 0 ? m->ws_bytes : 1);
    if (!params || !x || !ws) {
        fprintf(stderr, "dot_timer: out of memory\n");
        return 1;
    }
    float *w = params + m->layers[0].w_offset;
    unsigned long long seed = 1;
    long long exact = 0;
    for (long i = 0; i < n; i++) {
        int a = dt_small(&seed), b = dt_small(&seed);
        w[i] = (float)a;
        x[i] = (float)b;
        exact += (long long)a * b;
    }

    float z = 0.0f;
    m->forward(params, x, 1, &z, ws); /* untimed: page faults, caches */
    double t0 = dt_now();
    for (long c = 0; c < calls; c++)
        m->forward(params, x, 1, &z, ws);
    double t = dt_now() - t0;

    printf("{\"isa\":\"%s\",\"steps\":%ld,\"train_seconds\":%.9g,\"samples_per_s\":%.9g,"
           "\"result\":%.9g,\"exact\":%lld}\n",
           m->isa, calls, t, t > 0.0 ? (double)calls / t : 0.0, (double)z, exact);
    nnrt_free(params);
    nnrt_free(x);
    nnrt_free(ws);
    return fflush(stdout) == 0 ? 0 : 1;
}
