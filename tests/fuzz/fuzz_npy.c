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

#define NP 64

static nnrt_layer_info wlayers[2] = {{4, 3, NNRT_ACT_LEAKY_RELU, 0.2f, 0, 16, 2},
                                     {2, 4, NNRT_ACT_SIGMOID, 0.0f, 32, 48, 3}};

static void weights(const char *path)
{
    nnrt_model m;
    memset(&m, 0, sizeof m);
    m.abi = NNRT_ABI_VERSION;
    m.name = "fz";
    m.n_in = 3;
    m.n_out = 2;
    m.n_layers = 2;
    m.layers = wlayers;
    m.loss = NNRT_LOSS_BCE;
    m.n_params = NP;
    m.n_weights = 26;
    m.signature = 0x6e6e67656e667a31ull;
    static float params[NP], state[2 * NP], p0[NP], s0[2 * NP];
    nnrt_checkpoint ck, ck0;
    memset(params, 0xa5, sizeof params);
    memset(state, 0x5a, sizeof state);
    memset(&ck, 0xa5, sizeof ck);
    memcpy(p0, params, sizeof params);
    memcpy(s0, state, sizeof state);
    ck0 = ck;
    nnrt_err e = {""};
    int rc = nnrt_weights_load(path, &m, params, state, 2 * NP, &ck, &e);
    if (rc != 0 && (rc != -1 || !e.msg[0] || strchr(e.msg, '\n') ||
                    memcmp(params, p0, sizeof p0) || memcmp(state, s0, sizeof s0) ||
                    memcmp(&ck, &ck0, sizeof ck))) {
        fprintf(stderr, "a failed .npz load changed its outputs or said '%s'\n", e.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static nnrt_layer_info layers[1] = {{1, 4, NNRT_ACT_SIGMOID, 0.0f, 0, 16, 1}};
    static nnrt_model model;
    model.abi = NNRT_ABI_VERSION;
    model.name = "four";
    model.n_in = 4;
    model.n_out = 1;
    model.n_layers = 1;
    model.layers = layers;
    int npz = data[0] & 1;
    const char *path = fuzz_path(npz ? "d.npz" : "d_x.npy");
    fuzz_put(path, data + 1, size - 1);
    if (npz && (data[0] & 8)) {
        weights(path);
    } else {
        nnrt_load_opts o;
        nnrt_load_opts_default(&o);
        o.max_bytes = FUZZ_MAX_BYTES;
        o.features = data[0] & 2 ? 4 : 0;
        o.model = data[0] & 4 ? &model : NULL;
        fuzz_load(path, &o);
    }
    unlink(path);
    return 0;
}
