/*
 * np_tool.c -- what tests/numpy_check.py asks of libnnrt without a
 * generated model:
 *
 *   np_tool randn SEED N               N normals of nnrt_np_gauss, one %a per line
 *   np_tool init RULE SEED LAYOUT OUT  nnrt_init_params of LAYOUT (n0-n1-...) saved
 *                                      as OUT (a weights file: .npz for numpy)
 *
 * The descriptor is laid out as generated code lays it out (each tensor
 * 16-float aligned); the signature is 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"
#include "nnrt_vocab.h"

#define NT_MAXL 16

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "randn") == 0) {
        nnrt_np_rng r;
        nnrt_np_seed(&r, (uint32_t)strtoul(argv[2], NULL, 10));
        long n = atol(argv[3]);
        for (long i = 0; i < n; i++)
            printf("%a\n", nnrt_np_gauss(&r));
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "init") == 0) {
        int rule = -1;
        for (const nnrt_word_row *w = nnrt_init_rows; w->name; w++)
            if (strcmp(w->name, argv[2]) == 0)
                rule = w->value;
        nnrt_layer_info l[NT_MAXL];
        int dims[NT_MAXL + 1], n = 0;
        memset(l, 0, sizeof l);
        for (char *p = argv[4]; *p && n <= NT_MAXL;) {
            dims[n++] = (int)strtol(p, &p, 10);
            if (*p == '-')
                p++;
        }
        if (rule < 0 || n < 2) {
            fprintf(stderr, "np_tool: bad rule or layout\n");
            return 2;
        }
        size_t off = 0;
        for (int i = 0; i + 1 < n; i++) {
            l[i].fan_in = dims[i];
            l[i].units = dims[i + 1];
            l[i].act = NNRT_ACT_RELU;
            l[i].w_offset = off;
            off += ((size_t)dims[i] * (size_t)dims[i + 1] + 15) / 16 * 16;
            l[i].b_offset = off;
            off += ((size_t)dims[i + 1] + 15) / 16 * 16;
        }
        nnrt_model m;
        memset(&m, 0, sizeof m);
        m.abi = NNRT_ABI_VERSION;
        m.name = "np_tool";
        m.n_in = dims[0];
        m.n_out = dims[n - 1];
        m.n_layers = n - 1;
        m.layers = l;
        m.n_params = off;
        float *p = nnrt_alloc(off * sizeof(float));
        nnrt_err e = {""};
        if (!p)
            return 1;
        nnrt_init_params(&m, p, (nnrt_init)rule, strtoull(argv[3], NULL, 10));
        int rc = nnrt_weights_save(argv[5], &m, p, NULL, &e);
        nnrt_free(p);
        if (rc) {
            fprintf(stderr, "np_tool: %s\n", e.msg);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "usage: np_tool randn SEED N | init RULE SEED LAYOUT OUT\n");
    return 2;
}
