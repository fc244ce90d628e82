/*
 * fuzz_common.h -- what the libFuzzer targets of tests/fuzz/ share: the
 * input written to a file of this process (the loaders take paths), the
 * limits the loaders get (small enough for libFuzzer's memory limit), and
 * the oracle every failed load must pass.  Header-only: each target is one
 * program.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnrt.h"

#define FUZZ_MAX_BYTES ((size_t)64 << 20) /* nnrt_load_opts.max_bytes under the fuzzer */

/* "$TMPDIR/nng-fuzz-PID-NAME": a file of this process. */
static inline const char *fuzz_path(const char *name)
{
    static char buf[4][512];
    static int k;
    const char *t = getenv("TMPDIR");
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/nng-fuzz-%ld-%s", t && *t ? t : "/tmp", (long)getpid(), name);
    return p;
}

/* Writes n bytes to path (a fresh file); aborts if it cannot. */
static inline void fuzz_put(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Reads a whole file (malloc'd, *n bytes); NULL if it cannot. */
static inline unsigned char *fuzz_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    fclose(f);
    *n = len;
    return b;
}

/* A failed load: one line of message, and the data set left empty. */
static inline void fuzz_check_failed_load(int rc, const nnrt_err *e, const nnrt_dataset *d)
{
    if (rc != -1 || e->msg[0] == '\0' || strchr(e->msg, '\n') || d->m != 0 || d->x || d->y) {
        fprintf(stderr, "bad failure: rc %d, message '%s', m %ld\n", rc, e->msg, d->m);
        abort();
    }
}

/* A loaded data set: its shape consistent and every float readable. */
static inline void fuzz_check_loaded(const nnrt_dataset *d)
{
    if (d->m < 0 || d->n_features < 0 || d->label_cols < 0 || (d->m > 0 && !d->x) ||
        (d->m > 0 && d->label_cols > 0 && !d->y)) {
        fprintf(stderr, "bad data set: m %ld, %d features, %d labels\n", d->m, d->n_features,
                d->label_cols);
        abort();
    }
    volatile float sink = 0.0f;
    size_t nx = (size_t)d->m * (size_t)d->n_features, ny = (size_t)d->m * (size_t)d->label_cols;
    for (size_t i = 0; i < nx; i += 61)
        sink += d->x[i];
    for (size_t i = 0; i < ny; i += 61)
        sink += d->y[i];
    if (nx)
        sink += d->x[nx - 1];
    if (ny)
        sink += d->y[ny - 1];
    (void)sink;
}

/* One load of `path`: the oracle of success or failure. */
static inline void fuzz_load(const char *path, const nnrt_load_opts *o)
{
    nnrt_dataset d;
    nnrt_err e = {""};
    memset(&d, 0x5a, sizeof d);
    int rc = nnrt_load(path, o, &d, &e);
    if (rc == 0)
        fuzz_check_loaded(&d);
    else
        fuzz_check_failed_load(rc, &e, &d);
    nnrt_dataset_free(&d);
}

/* A one-layer model of n_in inputs (one sigmoid output): the loaders check
 * a file's samples against it before allocating.  One object per program. */
static inline const nnrt_model *fuzz_model(int n_in)
{
    static nnrt_layer_info layer;
    static nnrt_model m;
    layer = (nnrt_layer_info){1, n_in, NNRT_ACT_SIGMOID, 0.0f, 0, 16, 1, 0};
    m = (nnrt_model){.abi = NNRT_ABI_VERSION, .name = "fz", .n_in = n_in, .n_out = 1,
                     .n_layers = 1, .layers = &layer, .loss = NNRT_LOSS_BCE};
    return &m;
}

/* The model weights files are loaded into: 3 -> 4 leaky_relu(0.2) -> 2
 * sigmoid, FUZZ_NP floats of parameters (each array padded to 16). */
#define FUZZ_NP 64
static inline const nnrt_model *fuzz_weights_model(void)
{
    static nnrt_layer_info layers[2] = {{4, 3, NNRT_ACT_LEAKY_RELU, 0.2f, 0, 16, 2, 0},
                                        {2, 4, NNRT_ACT_SIGMOID, 0.0f, 32, 48, 3, 0}};
    static const nnrt_model m = {.abi = NNRT_ABI_VERSION, .name = "fz", .n_in = 3, .n_out = 2,
                                 .n_layers = 2, .layers = layers, .loss = NNRT_LOSS_BCE,
                                 .n_params = FUZZ_NP, .n_weights = 12 + 4 + 8 + 2,
                                 .signature = 0x6e6e67656e667a31ull};
    return &m;
}

/* nnrt_weights_load into params (FUZZ_NP floats), state (2 * FUZZ_NP) and
 * *ck, filled with a pattern first: a failed load must leave all three as
 * they were and say one line.  Returns the load's result. */
static inline int fuzz_weights_load(const char *path, float *params, float *state,
                                    size_t state_cap, nnrt_checkpoint *ck)
{
    static float p0[FUZZ_NP], s0[2 * FUZZ_NP];
    nnrt_checkpoint ck0;
    memset(params, 0xa5, FUZZ_NP * sizeof(float));
    memset(state, 0x5a, 2 * FUZZ_NP * sizeof(float));
    memset(ck, 0xa5, sizeof *ck);
    memcpy(p0, params, sizeof p0);
    memcpy(s0, state, sizeof s0);
    ck0 = *ck;
    nnrt_err e = {""};
    int rc = nnrt_weights_load(path, fuzz_weights_model(), params, state, state_cap, ck, &e);
    if (rc != 0 && (rc != -1 || !e.msg[0] || strchr(e.msg, '\n') ||
                    memcmp(params, p0, sizeof p0) || memcmp(state, s0, sizeof s0) ||
                    memcmp(ck, &ck0, sizeof ck0))) {
        fprintf(stderr, "a failed load changed its outputs or said '%s'\n", e.msg);
        abort();
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* FUZZ_COMMON_H */
