/*
 * embed.c -- the consumer's own program around the model built with
 * nngen_add_model(xor_net SPEC xor.spec NO_MAIN): loads the weights the
 * trainer saved and classifies the four XOR inputs itself.
 * Usage: xor_embed WEIGHTS.nngw   (prints the outputs and "4/4 correct")
 */
#include <stdio.h>

#include "nnrt.h"

extern const nnrt_model xor_model;

int main(int argc, char **argv)
{
    static const float x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const nnrt_model *m = &xor_model;
    if (argc != 2) {
        fprintf(stderr, "usage: %s WEIGHTS.nngw\n", argv[0]);
        return 2;
    }
    float *params = nnrt_alloc(m->n_params * sizeof(float));
    void *ws = nnrt_alloc(m->ws_bytes);
    nnrt_err e;
    if (!params || !ws || nnrt_weights_load(argv[1], m, params, NULL, 0, NULL, &e) != 0) {
        fprintf(stderr, "xor_embed: %s\n", params && ws ? e.msg : "out of memory");
        return 1;
    }
    float out[4];
    m->forward(params, &x[0][0], 4, out, ws);
    int correct = 0;
    for (int i = 0; i < 4; i++) {
        int want = (int)x[i][0] ^ (int)x[i][1];
        printf("%g xor %g -> %.4f\n", (double)x[i][0], (double)x[i][1], (double)out[i]);
        correct += (out[i] > 0.5f) == want;
    }
    printf("%d/4 correct (isa %s)\n", correct, m->isa);
    nnrt_free(params);
    nnrt_free(ws);
    return correct == 4 ? 0 : 1;
}
