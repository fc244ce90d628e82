/*
 * fuzz_npy.c -- numpy's formats (runtime/nnrt_npy.c, nnrt_npy_data.c,
 * nnrt_npz_weights.c): .npy and .npz data sets, and .npz weights files.
 * Byte 0 of the input chooses:
 *   bit 0: .npz (else .npy), bit 1: features only (no labels unless
 *   named), bit 2: a model of 4 inputs (shape checked before allocating),
 *   bit 3: load the .npz as a weights file of a fixed 3 -> 4 -> 2 model;
 * the rest is the file.  Oracles: fuzz_load for data; for weights, a failed
 * load leaves the parameters, the state and the checkpoint untouched and
 * says one line.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int npz = data[0] & 1;
    const char *path = fuzz_path(npz ? "d.npz" : "d_x.npy");
    fuzz_put(path, data + 1, size - 1);
    if (npz && (data[0] & 8)) {
        static float params[FUZZ_NP], state[2 * FUZZ_NP];
        nnrt_checkpoint ck;
        fuzz_weights_load(path, params, state, 2 * FUZZ_NP, &ck);
    } else {
        nnrt_load_opts o;
        nnrt_load_opts_default(&o);
        o.max_bytes = FUZZ_MAX_BYTES;
        o.features = data[0] & 2 ? 4 : 0;
        o.model = data[0] & 4 ? fuzz_model(4) : NULL;
        fuzz_load(path, &o);
    }
    unlink(path);
    return 0;
}
