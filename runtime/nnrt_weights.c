/*
 * nnrt_weights.c -- weights files: save (atomic) and load (every field
 * checked).  The format is in docs/weights.md; in short, little-endian:
 *
 *   "NNGW"  u32 version (2)  u64 signature  u32 n_layers
 *   n_layers x (u32 fan_in, u32 units, u32 act, f32 param)
 *                            param: the activation's parameter (leaky_relu's
 *                            slope; 0 for an activation without one)
 *   u64 n_params  u64 step  u64 epoch  u32 optimizer  u64 state_floats
 *   u32 name_len  name bytes (no NUL)
 *   n_params float32         the parameters, padding included
 *   state_floats float32     optimizer state (0 floats: none)
 *                            (version 3: the same with float64 parameters and
 *                            state, written by a double-precision model)
 *   u32 crc32                zlib's CRC-32 of every byte before it
 *
 * Every number is written byte by byte in little-endian order (floats by
 * their IEEE-754 bit pattern), so a file written on aarch64 and one written
 * on x86-64 are identical.
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_file.h"
#include "nnrt.h"
#include "nnrt_npy.h"
#include "nnrt_vocab.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#define WT_VERSION (NNRT_REAL_IS_DOUBLE ? 3u : 2u) /* 1: layer rows without the activation's
                                                     parameter; 3: float64 values */
#define WT_ESIZE sizeof(nnrt_real) /* bytes per parameter: 4, or 8 in version 3 */
#define WT_ROW 16u    /* bytes per layer row */
#define WT_BLOCK 4096 /* floats encoded per block */

static const char wt_magic[4] = {'N', 'N', 'G', 'W'};


/* ------------------------------------------------------------------ */
/* Shapes, for messages                                                 */
/* ------------------------------------------------------------------ */

/* One row per layer: fan_in, units, act, and the act's parameter. */
typedef struct wt_layer {
    uint32_t fan_in, units, act;
    float param;
} wt_layer;

/* "12288-20-7-5-1", or with acts "12288-20:relu-7:relu-5:relu-1:sigmoid". */
static void wt_shape(char *buf, size_t cap, const wt_layer *l, uint32_t n, int acts)
{
    size_t len = 0;
    buf[0] = '\0';
    if (n == 0) {
        snprintf(buf, cap, "no layers");
        return;
    }
    len += (size_t)snprintf(buf, cap, "%lu", (unsigned long)l[0].fan_in);
    for (uint32_t i = 0; i < n && len < cap; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "-%lu", (unsigned long)l[i].units);
        if (acts && len < cap) {
            const nnrt_act_row *a = nnrt_act_of((nnrt_act)l[i].act);
            if (a)
                len += (size_t)snprintf(buf + len, cap - len, ":%s", a->name);
            else
                len += (size_t)snprintf(buf + len, cap - len, ":act%lu",
                                        (unsigned long)l[i].act);
        }
    }
    if (len >= cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
}

/* The model's layers as rows (malloc'd; NULL when it has none or on OOM). */
static wt_layer *wt_model_layers(const nnrt_model *m)
{
    if (m->n_layers <= 0)
        return NULL;
    wt_layer *l = malloc((size_t)m->n_layers * sizeof *l);
    if (!l)
        return NULL;
    for (int i = 0; i < m->n_layers; i++) {
        l[i].fan_in = (uint32_t)m->layers[i].fan_in;
        l[i].units = (uint32_t)m->layers[i].units;
        l[i].act = (uint32_t)m->layers[i].act;
        l[i].param = m->layers[i].slope;
    }
    return l;
}

/* ------------------------------------------------------------------ */
/* Save                                                                 */
/* ------------------------------------------------------------------ */

typedef struct wt_writer {
    nnrt_afile f;
    uLong crc;
} wt_writer;

static void wt_put(wt_writer *w, const void *p, size_t n)
{
    if (w->f.err || n == 0)
        return;
    nnrt_afile_write(&w->f, p, n);
    const unsigned char *b = p;
    while (n > 0) {
        uInt k = n > 1u << 30 ? 1u << 30 : (uInt)n;
        w->crc = crc32(w->crc, b, k);
        b += k;
        n -= k;
    }
}

static void wt_put_u32(wt_writer *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    wt_put(w, b, 4);
}

static void wt_put_u64(wt_writer *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    wt_put(w, b, 8);
}

static void wt_put_floats(wt_writer *w, const float *f, size_t n)
{
    unsigned char b[4 * WT_BLOCK];
    while (n > 0 && !w->f.err) {
        size_t k = n < WT_BLOCK ? n : WT_BLOCK;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, &f[i], 4);
            b[4 * i] = (unsigned char)u;
            b[4 * i + 1] = (unsigned char)(u >> 8);
            b[4 * i + 2] = (unsigned char)(u >> 16);
            b[4 * i + 3] = (unsigned char)(u >> 24);
        }
        wt_put(w, b, 4 * k);
        f += k;
        n -= k;
    }
}

/* n reals, each its WT_ESIZE bytes little-endian. */
static void wt_put_reals(wt_writer *w, const nnrt_real *f, size_t n)
{
    unsigned char b[8];
    for (size_t i = 0; i < n && !w->f.err; i++) {
        uint64_t u = 0;
        if (WT_ESIZE == 8) {
            memcpy(&u, &f[i], 8);
        } else {
            uint32_t u32;
            memcpy(&u32, &f[i], 4);
            u = u32;
        }
        for (size_t j = 0; j < WT_ESIZE; j++)
            b[j] = (unsigned char)(u >> (8 * j));
        wt_put(w, b, WT_ESIZE);
    }
}

int nnrt_weights_save(const char *path, const nnrt_model *m, const nnrt_real *params,
                      const nnrt_checkpoint *ck, nnrt_err *e)
{
    nnrt_checkpoint none = {0, 0, NNRT_OPT_SGD, NULL, 0};
    if (!ck)
        ck = &none;
    if (!nnrt_word_of(nnrt_opt_rows, (int)ck->optimizer))
        return nnrt_errorf(e, "%s: unknown optimizer kind %d", path, (int)ck->optimizer);
    if (ck->step < 0 || ck->epoch < 0)
        return nnrt_errorf(e, "%s: negative step or epoch (%ld, %ld)", path, ck->step,
                           ck->epoch);
    size_t sf = ck->state ? ck->state_floats : 0;
    if (sf != 0 && sf != nnrt_state_floats(m, ck->optimizer))
        return nnrt_errorf(e, "%s: optimizer state has %zu floats, but %s for model '%s' "
                              "keeps %zu", path, sf, nnrt_opt_name(ck->optimizer), m->name,
                           nnrt_state_floats(m, ck->optimizer));
    if (nnrt_npz_is_name(path)) /* numpy's .npz: nnrt_npz_weights.c */
        return nnrt_npz_weights_save(path, m, params, ck, e);
    size_t name_len = m->name ? strlen(m->name) : 0;
    if (name_len > UINT32_MAX)
        return nnrt_errorf(e, "%s: model name too long", path);

    wt_writer w;
    w.crc = crc32(0L, Z_NULL, 0);
    if (nnrt_afile_open(&w.f, path, e))
        return -1;
    wt_put(&w, wt_magic, 4);
    wt_put_u32(&w, WT_VERSION);
    wt_put_u64(&w, m->signature);
    wt_put_u32(&w, (uint32_t)m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        wt_put_u32(&w, (uint32_t)m->layers[i].fan_in);
        wt_put_u32(&w, (uint32_t)m->layers[i].units);
        wt_put_u32(&w, (uint32_t)m->layers[i].act);
        wt_put_floats(&w, &m->layers[i].slope, 1);
    }
    wt_put_u64(&w, (uint64_t)m->n_params);
    wt_put_u64(&w, (uint64_t)ck->step);
    wt_put_u64(&w, (uint64_t)ck->epoch);
    wt_put_u32(&w, (uint32_t)ck->optimizer);
    wt_put_u64(&w, (uint64_t)sf);
    wt_put_u32(&w, (uint32_t)name_len);
    wt_put(&w, m->name, name_len);
    if (WT_ESIZE == 4) {
        wt_put_floats(&w, (const float *)(const void *)params, m->n_params);
        wt_put_floats(&w, (const float *)(const void *)ck->state, sf);
    } else {
        wt_put_reals(&w, params, m->n_params);
        wt_put_reals(&w, ck->state, sf);
    }
    wt_put_u32(&w, (uint32_t)w.crc);

    return nnrt_afile_commit(&w.f, e);
}

/* ------------------------------------------------------------------ */
/* Load                                                                 */
/* ------------------------------------------------------------------ */

/* The file, read front to back in one pass: the header first (every
 * count checked against the file's size before anything is allocated for
 * it), then exactly the bytes the header promises.  Nothing is read twice
 * and nothing beyond what a weights file of this model can hold is kept. */
typedef struct wt_reader {
    FILE *fp;
    uint64_t off;   /* bytes read so far */
    uint64_t fsize; /* the file's size, or WT_UNKNOWN (a pipe, a device) */
    uLong crc;      /* of every byte read so far */
    const char *path;
    nnrt_err *e;
} wt_reader;

#define WT_UNKNOWN (~0ull)
#define WT_KEEP_ROWS 256u /* layer rows kept for messages beyond the model's own */
#define WT_KEEP_NAME 256u /* bytes of the file's model name kept for messages */

static int wt_truncated(wt_reader *r, uint64_t want, uint64_t found)
{
    return nnrt_errorf(r->e, "%s: truncated (expected at least %llu bytes, found %llu)", r->path,
                       (unsigned long long)want, (unsigned long long)found);
}

/* Bytes [off, off+k) must exist (known before reading when the size is). */
static int wt_need(wt_reader *r, uint64_t k)
{
    if (r->fsize == WT_UNKNOWN || (r->fsize >= r->off && k <= r->fsize - r->off))
        return 0;
    uint64_t want = r->off + k;
    return wt_truncated(r, want < k ? WT_UNKNOWN : want, r->fsize);
}

/* The next k bytes into p (NULL: only counted and checksummed); crc says
 * whether they are part of the checksum. */
static int wt_get(wt_reader *r, void *p, size_t k, int crc)
{
    unsigned char scratch[4096];
    while (k > 0) {
        size_t n = p ? k : k < sizeof scratch ? k : sizeof scratch;
        unsigned char *dst = p ? p : scratch;
        size_t got = fread(dst, 1, n, r->fp);
        if (crc)
            r->crc = crc32(r->crc, dst, (uInt)got);
        r->off += got;
        if (got < n) {
            if (ferror(r->fp))
                return nnrt_errorf(r->e, "%s: read error", r->path);
            return wt_truncated(r, r->off + (k - got), r->off);
        }
        k -= n;
        if (p)
            p = (unsigned char *)p + n;
    }
    return 0;
}

static uint32_t wt_u32_at(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int wt_get_u32(wt_reader *r, uint32_t *v)
{
    unsigned char b[4];
    if (wt_get(r, b, 4, 1))
        return -1;
    *v = wt_u32_at(b);
    return 0;
}

static int wt_get_u64(wt_reader *r, uint64_t *v)
{
    unsigned char b[8];
    if (wt_get(r, b, 8, 1))
        return -1;
    *v = (uint64_t)wt_u32_at(b) | (uint64_t)wt_u32_at(b + 4) << 32;
    return 0;
}

static void wt_get_floats(const unsigned char *b, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = wt_u32_at(b + 4 * i);
        memcpy(&dst[i], &u, 4);
    }
}

/* n reals of WT_ESIZE bytes each, little-endian. */
static void wt_get_reals(const unsigned char *b, nnrt_real *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = b + WT_ESIZE * i;
        uint64_t u = wt_u32_at(p);
        if (WT_ESIZE == 8) {
            u |= (uint64_t)wt_u32_at(p + 4) << 32;
            memcpy(&dst[i], &u, 8);
        } else {
            uint32_t u32 = (uint32_t)u;
            memcpy(&dst[i], &u32, 4);
        }
    }
}

/* Opens path for reading; its size in r->fsize when it is a regular file. */
static int wt_open(wt_reader *r, const char *path, nnrt_err *e)
{
    struct stat st;
    memset(r, 0, sizeof *r);
    r->path = path;
    r->e = e;
    r->crc = crc32(0L, Z_NULL, 0);
    if (stat(path, &st) != 0)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return nnrt_errorf(e, "%s: is a directory, not a weights file", path);
    r->fp = fopen(path, "rb");
    if (!r->fp)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    r->fsize = S_ISREG(st.st_mode) && st.st_size >= 0 ? (uint64_t)st.st_size : WT_UNKNOWN;
    return 0;
}

/* 0 if the file's layers (sizes, activations and their parameters) and
 * signature are the model's; else fills e with the first difference. */
static int wt_match(wt_reader *r, const nnrt_model *m, uint64_t sig, const wt_layer *fl,
                    uint32_t kept, uint32_t fn, const char *fname)
{
    int same = fn == (uint32_t)m->n_layers && kept == fn;
    wt_layer *ml = wt_model_layers(m);
    if (m->n_layers > 0 && !ml)
        return nnrt_errorf(r->e, "%s: out of memory", r->path);
    for (uint32_t i = 0; same && i < fn; i++)
        same = fl[i].fan_in == ml[i].fan_in && fl[i].units == ml[i].units &&
               fl[i].act == ml[i].act;
    /* the same layers: a parameter of an activation that has one
     * (compared as stored, bit for bit) */
    for (uint32_t i = 0; same && i < fn; i++) {
        const nnrt_act_row *a = nnrt_act_of((nnrt_act)fl[i].act);
        if (memcmp(&fl[i].param, &ml[i].param, sizeof(float)) == 0)
            continue;
        if (a && a->param)
            nnrt_errorf(r->e, "%s: layer %lu was trained with %s %s %g, this model has %s %g",
                        r->path, (unsigned long)i + 1, a->name, a->param,
                        (double)fl[i].param, a->param, (double)ml[i].param);
        else /* the writer stores this model's value, 0 for an activation without one */
            nnrt_errorf(r->e, "%s: layer %lu stores the activation parameter %g, this model has "
                              "%g (damaged file?)", r->path, (unsigned long)i + 1,
                        (double)fl[i].param, (double)ml[i].param);
        free(ml);
        return -1;
    }
    if (same && sig == m->signature) {
        free(ml);
        return 0;
    }
    char fs[200], ms[200];
    uint32_t mn = m->n_layers > 0 ? (uint32_t)m->n_layers : 0;
    wt_shape(fs, sizeof fs, fl, kept, 0);
    wt_shape(ms, sizeof ms, ml, mn, 0);
    if (strcmp(fs, ms) == 0) { /* same sizes: show the activations */
        wt_shape(fs, sizeof fs, fl, kept, 1);
        wt_shape(ms, sizeof ms, ml, mn, 1);
    }
    free(ml);
    if (strcmp(fs, ms) == 0) /* same layers: the loss differs */
        return nnrt_errorf(r->e, "%s: weights are for model '%s' (%s, signature %016llx), not "
                                 "'%s' (signature %016llx)", r->path, fname, fs,
                           (unsigned long long)sig, m->name, (unsigned long long)m->signature);
    return nnrt_errorf(r->e, "%s: weights are for model '%s' (%s), not '%s' (%s)", r->path,
                       fname, fs, m->name, ms);
}

int nnrt_weights_load(const char *path, const nnrt_model *m, nnrt_real *params, nnrt_real *state_out,
                      size_t state_cap, nnrt_checkpoint *ck, nnrt_err *e)
{
    if (nnrt_npz_is_name(path)) /* numpy's .npz: nnrt_npz_weights.c */
        return nnrt_npz_weights_load(path, m, params, state_out, state_cap, ck, e);
    wt_reader r;
    if (wt_open(&r, path, e))
        return -1;
    wt_layer *fl = NULL;
    char fname[WT_KEEP_NAME + 1];
    unsigned char *pbuf = NULL, *sbuf = NULL, magic[4];
    int rc = -1;
    uint32_t version, n_layers, opt, name_len, crc_stored;
    uint64_t sig, n_params, step, epoch, sf;

    size_t k = r.fsize < 4 ? (size_t)r.fsize : 4;
    size_t got = fread(magic, 1, k, r.fp);
    r.off = got;
    r.crc = crc32(r.crc, magic, (uInt)got);
    if (memcmp(magic, wt_magic, got) != 0) {
        nnrt_errorf(e, "%s: not an nngen weights file (bad magic)", path);
        goto done;
    }
    if (got < 4) {
        if (ferror(r.fp))
            nnrt_errorf(e, "%s: read error", path);
        else
            wt_truncated(&r, 4, got);
        goto done;
    }
    if (wt_get_u32(&r, &version))
        goto done;
    if (version == 1) {
        nnrt_errorf(e, "%s: weights format version 1 is no longer read (version 2 stores each "
                       "layer's activation parameter): train and save again", path);
        goto done;
    }
    if ((version == 2 || version == 3) && version != WT_VERSION) {
        nnrt_errorf(e, "%s: %s weights, and model '%s' is %s; an .npz weights file converts "
                       "(docs/double.md)", path, version == 3 ? "float64" : "float32", m->name,
                    NNRT_REAL_IS_DOUBLE ? "double (nngen --dtype double)" : "float");
        goto done;
    }
    if (version != WT_VERSION) {
        nnrt_errorf(e, "%s: unsupported version %lu", path, (unsigned long)version);
        goto done;
    }
    if (wt_get_u64(&r, &sig) || wt_get_u32(&r, &n_layers) ||
        wt_need(&r, (uint64_t)n_layers * WT_ROW))
        goto done;
    /* The rows are kept as far as a message or the model can use them. */
    uint32_t mrows = m->n_layers > 0 ? (uint32_t)m->n_layers : 0;
    uint32_t keep = n_layers < WT_KEEP_ROWS + mrows ? n_layers : WT_KEEP_ROWS + mrows;
    fl = malloc(keep ? (size_t)keep * sizeof *fl : 1);
    if (!fl) {
        nnrt_errorf(e, "%s: out of memory", path);
        goto done;
    }
    for (uint32_t i = 0; i < n_layers; i++) {
        wt_layer l;
        unsigned char pb[4];
        if (wt_get_u32(&r, &l.fan_in) || wt_get_u32(&r, &l.units) || wt_get_u32(&r, &l.act) ||
            wt_get(&r, pb, 4, 1))
            goto done;
        wt_get_floats(pb, &l.param, 1);
        if (i < keep)
            fl[i] = l;
    }
    if (wt_get_u64(&r, &n_params) || wt_get_u64(&r, &step) || wt_get_u64(&r, &epoch) ||
        wt_get_u32(&r, &opt) || wt_get_u64(&r, &sf) || wt_get_u32(&r, &name_len) ||
        wt_need(&r, name_len))
        goto done;
    size_t nkeep = name_len < WT_KEEP_NAME ? name_len : WT_KEEP_NAME;
    if (wt_get(&r, fname, nkeep, 1) || wt_get(&r, NULL, name_len - nkeep, 1))
        goto done;
    fname[nkeep] = '\0';

    /* The size the header promises (saturating: a damaged count gives an
     * absurd size, reported as such), checked against the file's size
     * before a byte of the body is read. */
    uint64_t want = r.off, lim = ~0ull;
    uint64_t body[3] = {n_params, sf, 1};
    for (int i = 0; i < 3; i++)
        want = body[i] > (lim - want) / 4 ? lim : want + (i < 2 ? WT_ESIZE : 4) * body[i];
    if (r.fsize != WT_UNKNOWN && r.fsize < want) {
        nnrt_errorf(e, "%s: truncated (expected %llu bytes, found %llu)", path,
                    (unsigned long long)want, (unsigned long long)r.fsize);
        goto done;
    }
    if (r.fsize != WT_UNKNOWN && r.fsize > want) {
        nnrt_errorf(e, "%s: size mismatch (expected %llu bytes, found %llu): trailing data or a "
                       "damaged header", path, (unsigned long long)want,
                    (unsigned long long)r.fsize);
        goto done;
    }
    /* Not a regular file (a pipe): no more than this model's file can be. */
    uint64_t most = r.off + WT_ESIZE * (3 * (uint64_t)m->n_params) + 4;
    if (r.fsize == WT_UNKNOWN && want > most) {
        nnrt_errorf(e, "%s: header says %llu bytes, more than a weights file of model '%s' can "
                       "hold (%llu)", path, (unsigned long long)want, m->name,
                    (unsigned long long)most);
        goto done;
    }
    /* The body: kept only where it can be this model's; checksummed all. */
    int keep_p = n_params == (uint64_t)m->n_params;
    int keep_s = keep_p && state_out && sf > 0 && sf == state_cap;
    pbuf = keep_p && n_params ? malloc(WT_ESIZE * (size_t)n_params) : NULL;
    sbuf = keep_s ? malloc(WT_ESIZE * (size_t)sf) : NULL;
    if ((keep_p && n_params && !pbuf) || (keep_s && !sbuf)) {
        nnrt_errorf(e, "%s: out of memory", path);
        goto done;
    }
    unsigned char cb[4];
    for (uint64_t left = n_params, i = 0; i < 2; i++, left = sf) {
        unsigned char *dst = i == 0 ? pbuf : sbuf;
        while (left > 0) { /* in pieces: WT_ESIZE * left may not fit a size_t */
            size_t n = left > (1u << 28) ? (size_t)1 << 28 : (size_t)left;
            if (wt_get(&r, dst, WT_ESIZE * n, 1))
                goto done;
            if (dst)
                dst += WT_ESIZE * n;
            left -= n;
        }
    }
    if (wt_get(&r, cb, 4, 0))
        goto done;
    crc_stored = wt_u32_at(cb);
    if (r.fsize == WT_UNKNOWN && fread(cb, 1, 1, r.fp) == 1) {
        nnrt_errorf(e, "%s: size mismatch (expected %llu bytes, found more): trailing data or a "
                       "damaged header", path, (unsigned long long)want);
        goto done;
    }
    if ((uint32_t)r.crc != crc_stored) {
        nnrt_errorf(e, "%s: checksum mismatch (file corrupted)", path);
        goto done;
    }
    /* Intact.  Now: is it for this model? */
    if (wt_match(&r, m, sig, fl, n_layers < keep ? n_layers : keep, n_layers, fname))
        goto done;
    if (n_params != (uint64_t)m->n_params) {
        nnrt_errorf(e, "%s: holds %llu parameters, but model '%s' has %zu", path,
                    (unsigned long long)n_params, m->name, m->n_params);
        goto done;
    }
    if (!nnrt_word_of(nnrt_opt_rows, (int)opt)) {
        nnrt_errorf(e, "%s: unknown optimizer kind %lu", path, (unsigned long)opt);
        goto done;
    }
    if (sf != 0 && sf != nnrt_state_floats(m, (nnrt_opt_kind)opt)) {
        nnrt_errorf(e, "%s: optimizer state has %llu floats, but %s keeps %zu", path,
                    (unsigned long long)sf, nnrt_opt_name((nnrt_opt_kind)opt),
                    nnrt_state_floats(m, (nnrt_opt_kind)opt));
        goto done;
    }
    if (step > (uint64_t)LONG_MAX || epoch > (uint64_t)LONG_MAX) {
        nnrt_errorf(e, "%s: step or epoch out of range", path);
        goto done;
    }
    if (pbuf)
        wt_get_reals(pbuf, params, m->n_params);
    if (keep_s)
        wt_get_reals(sbuf, state_out, (size_t)sf);
    if (ck) {
        ck->step = (long)step;
        ck->epoch = (long)epoch;
        ck->optimizer = (nnrt_opt_kind)opt;
        ck->state = keep_s ? state_out : NULL;
        ck->state_floats = keep_s ? (size_t)sf : 0;
    }
    rc = 0;
done:
    free(sbuf);
    free(pbuf);
    free(fl);
    fclose(r.fp);
    return rc;
}
