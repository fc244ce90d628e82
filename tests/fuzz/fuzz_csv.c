/*
 * fuzz_csv.c -- the CSV loader (runtime/nnrt_csv.c), plain and gzip'd.
 * The first two input bytes are the options that shape parsing:
 *   byte 0: bits 0-1 header (auto, none, yes), bits 2-4 label columns
 *           (0..7: 0 = the default 1), bit 5 features-only mode (features
 *           = 2), bit 6 gzip the rest (named .csv.gz), bit 7 a model of 2
 *           inputs (shape checked before allocating);
 *   byte 1: the label column (255: the default, last), else byte % 8.
 * The rest is the file.  Oracle: fuzz_load (one-line failure, data set
 * empty; a success is consistent and readable).
 */
#include "fuzz_common.h"

#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    o.format = NNRT_FMT_AUTO;
    o.max_bytes = FUZZ_MAX_BYTES;
    int h = data[0] & 3;
    o.header = h == 0 ? -1 : h == 1 ? 0 : 1;
    o.label_cols = (data[0] >> 2) & 7;
    o.features = (data[0] >> 5) & 1 ? 2 : 0;
    o.model = (data[0] >> 7) & 1 ? fuzz_model(2) : NULL;
    o.label_col = data[1] == 255 ? -1 : data[1] % 8;
    int gz = (data[0] >> 6) & 1;
    const char *path = fuzz_path(gz ? "f.csv.gz" : "f.csv");
    if (gz) {
        gzFile g = gzopen(path, "wb1");
        if (!g || (size > 2 && gzwrite(g, data + 2, (unsigned)(size - 2)) <= 0) ||
            gzclose(g) != Z_OK)
            abort();
    } else {
        fuzz_put(path, data + 2, size - 2);
    }
    fuzz_load(path, &o);
    unlink(path);
    return 0;
}
