/*
 * fuzz_weights.c -- the weights loader (runtime/nnrt_weights.c) on one
 * fixed model, 3 -> 4 leaky_relu(0.2) -> 2 sigmoid.  The input is the file.
 * Oracles:
 *   - a failed load leaves the parameters, the optimizer state and the
 *     checkpoint exactly as they were, and says one line;
 *   - a successful load, saved again (with the file's model name), gives
 *     the input back bit for bit: every byte of the format is accounted
 *     for.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const nnrt_model *model = fuzz_weights_model();
    const char *path = fuzz_path("w.nngw"), *again = fuzz_path("again.nngw");
    fuzz_put(path, data, size);
    static float params[FUZZ_NP], state[2 * FUZZ_NP];
    nnrt_checkpoint ck;
    nnrt_err e = {""};
    if (fuzz_weights_load(path, params, state, 2 * FUZZ_NP, &ck) != 0) {
        unlink(path);
        return 0;
    }
    /* As the trainer resumes: the state of the file's optimizer, if any. */
    size_t want = nnrt_state_floats(model, ck.optimizer);
    if (nnrt_weights_load(path, model, params, state, want, &ck, &e) != 0) {
        fprintf(stderr, "the second load failed: %s\n", e.msg);
        abort();
    }
    /* The file's model name: after the header and the rows. */
    const size_t at = 20 + 16 * 2 + 36;
    uint32_t nlen = (uint32_t)data[at] | (uint32_t)data[at + 1] << 8 |
                    (uint32_t)data[at + 2] << 16 | (uint32_t)data[at + 3] << 24;
    char *name = malloc((size_t)nlen + 1);
    if (!name)
        abort();
    memcpy(name, data + at + 4, nlen);
    name[nlen] = '\0';
    if (strlen(name) == nlen) { /* a name with a NUL in it cannot be given back */
        nnrt_model m2 = *model;
        m2.name = name;
        if (nnrt_weights_save(again, &m2, params, &ck, &e) != 0) {
            fprintf(stderr, "the save failed: %s\n", e.msg);
            abort();
        }
        size_t n;
        unsigned char *b = fuzz_slurp(again, &n);
        if (!b || n != size || memcmp(b, data, size) != 0) {
            fprintf(stderr, "loaded and saved again: %zu bytes, not the %zu read\n", n, size);
            abort();
        }
        free(b);
        unlink(again);
    }
    free(name);
    unlink(path);
    return 0;
}
