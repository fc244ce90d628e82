/*
 * fuzz_idx.c -- the IDX loader (runtime/nnrt_idx.c): images and labels
 * files, plain, gzip'd by us (a valid stream around fuzzed content) or
 * fuzzed bytes named .gz (damaged streams).
 *   byte 0: bits 0-1 the form (plain, gzip'd, raw .gz), bit 2 a model of
 *           4 inputs (shape checked before allocating);
 *   byte 1: where the images end and the labels begin (a share of the
 *           rest, in 255ths).
 * Oracle: fuzz_load.
 */
#include "fuzz_common.h"

#include <zlib.h>

static void put_form(const char *path, const uint8_t *p, size_t n, int form)
{
    if (form != 1) {
        fuzz_put(path, p, n);
        return;
    }
    gzFile g = gzopen(path, "wb1");
    if (!g || (n && gzwrite(g, p, (unsigned)n) <= 0) || gzclose(g) != Z_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int form = data[0] & 3, gz = form != 0;
    size_t rest = size - 2, cut = rest * data[1] / 255;
    const char *img = fuzz_path(gz ? "t-images-idx3-ubyte.gz" : "t-images-idx3-ubyte");
    const char *lab = fuzz_path(gz ? "t-labels-idx1-ubyte.gz" : "t-labels-idx1-ubyte");
    put_form(img, data + 2, cut, form);
    put_form(lab, data + 2 + cut, rest - cut, form);
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.max_bytes = FUZZ_MAX_BYTES;
    o.model = (data[0] >> 2) & 1 ? fuzz_model(4) : NULL;
    fuzz_load(img, &o);
    unlink(img);
    unlink(lab);
    return 0;
}
