/*
 * infer_cmake_xor.c -- nngen_add_model(... INFERENCE WEIGHTS ...) (ctest
 * infer_cmake): the static library of xor's inference file, built from
 * tests/specs_infer/xor.nngw (models/xor.spec trained 2000 epochs), links
 * into a program with no runtime and gets the four rows of XOR right.
 */
#include <stdio.h>

/* The library's API (docs/inference.md); with the library only, the
 * caller declares it. */
void xor_predict(const float *x, long m, float *out);
const char *xor_path(void);

int main(void)
{
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    const int want[4] = {0, 1, 1, 0};
    float p[4];
    int bad = 0;
    xor_predict(x, 4, p);
    for (int i = 0; i < 4; i++) {
        printf("%g xor %g: p = %.4f\n", (double)x[2 * i], (double)x[2 * i + 1], (double)p[i]);
        bad |= (p[i] >= 0.5f) != want[i];
    }
    printf("path: %s\n", xor_path());
    return bad;
}
