/*
 * nnrt_idx.c -- the IDX loader (LeCun's format; MNIST, Fashion-MNIST),
 * plain or gzip-compressed, images and their labels file (docs/data.md).
 * nnrt_load calls nnrt_idx_load once the file is known to be IDX.
 *
 * Header: 0x00 0x00 <type> <ndims>, then ndims big-endian u32 sizes, then
 * the elements big-endian, row-major.  Types read: 0x08 unsigned byte,
 * 0x0D float32.  zlib's gzread reads plain files unchanged, so one path
 * serves both.
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_data_internal.h"

#include <pthread.h>
#include <signal.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#define IDX_BLOCK 65536 /* bytes read per block */

#define IDX_U8 0x08
#define IDX_F32 0x0D

typedef struct idx_file {
    const char *path;
    gzFile gz;
    int type;
    size_t count;   /* first dimension: samples */
    size_t per;     /* product of the other dimensions */
    size_t header;  /* header bytes */
    size_t fsize;   /* the file's size on disk */
    char shape[96]; /* "10000 x 28 x 28" for messages */
} idx_file;

static const char *idx_type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

/* Open and read the header.  On failure nothing stays open. */
static int idx_open(idx_file *f, const char *path, nnrt_err *e)
{
    unsigned char h[4];
    memset(f, 0, sizeof *f);
    f->path = path;
    const char *kind;
    if (nnrt_data_check_path(path, &kind, e))
        return -1;
    if (kind)
        return nnrt_errorf(e, "%s: is %s, not a regular file (IDX is read from files only)",
                           path, kind);
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return nnrt_errorf(e, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    gzbuffer(f->gz, 1u << 17);
    struct stat st;
    f->fsize = stat(path, &st) == 0 ? (size_t)st.st_size : SIZE_MAX;
    int r = gzread(f->gz, h, 4);
    if (r < 0) {
        int zerr = Z_OK;
        nnrt_errorf(e, "%s: gzip: %s (file corrupted)", path, nnrt_data_gz_msg(f->gz, path, &zerr));
        goto fail;
    }
    if (r < 4) {
        nnrt_errorf(e, "%s: truncated (expected at least 4 bytes of IDX header, found %d)",
                    path, r < 0 ? 0 : r);
        goto fail;
    }
    if (h[0] != 0 || h[1] != 0) {
        nnrt_errorf(e, "%s: not an IDX file (bad magic)", path);
        goto fail;
    }
    if (h[2] != IDX_U8 && h[2] != IDX_F32) {
        nnrt_errorf(e, "%s: IDX element type 0x%02X (%s) is not supported (only 0x08 unsigned "
                       "byte and 0x0D float)", path, h[2], idx_type_name(h[2]));
        goto fail;
    }
    if (h[3] == 0) {
        nnrt_errorf(e, "%s: IDX file with 0 dimensions", path);
        goto fail;
    }
    f->type = h[2];
    int ndims = h[3];
    f->header = 4 + 4 * (size_t)ndims;
    f->per = 1;
    size_t len = 0;
    for (int i = 0; i < ndims; i++) {
        unsigned char b[4];
        r = gzread(f->gz, b, 4);
        if (r < 0) {
            int zerr = Z_OK;
            nnrt_errorf(e, "%s: gzip: %s (file corrupted)", path,
                        nnrt_data_gz_msg(f->gz, path, &zerr));
            goto fail;
        }
        if (r < 4) {
            nnrt_errorf(e, "%s: truncated (expected %zu bytes of IDX header, found %zu)", path,
                        f->header, 4 + 4 * (size_t)i + (size_t)(r < 0 ? 0 : r));
            goto fail;
        }
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (i == 0) {
            f->count = v;
        } else {
            if (v != 0 && f->per > (size_t)INT_MAX / v) {
                nnrt_errorf(e, "%s: IDX sample size too large", path);
                goto fail;
            }
            f->per *= v;
        }
        if (len < sizeof f->shape)
            len += (size_t)snprintf(f->shape + len, sizeof f->shape - len, "%s%lu",
                                    i ? " x " : "", (unsigned long)v);
    }
    if (f->per == 0) {
        nnrt_errorf(e, "%s: IDX samples have size 0 (%s)", path, f->shape);
        goto fail;
    }
    if (f->count > (SIZE_MAX / 8) / f->per) {
        nnrt_errorf(e, "%s: IDX data too large (%s)", path, f->shape);
        goto fail;
    }
    return 0;
fail:
    gzclose(f->gz);
    f->gz = NULL;
    return -1;
}

/* Deflate expands at most 1032:1 (RFC 1951 blocks: 258 bytes per 2-bit
 * code at best), whatever the number of gzip members. */
#define IDX_GZ_MAX_RATIO 1032

/* A file too short for what its header promises is refused before anything
 * is allocated for it: uncompressed, by its size; gzip'd, when the header
 * promises more than its compressed size could hold (a damaged header
 * would otherwise have us allocate gigabytes for a file of a few bytes). */
static int idx_check_size(const idx_file *f, const char *what, nnrt_err *e)
{
    size_t esize = f->type == IDX_U8 ? 1 : 4, want = f->count * f->per * esize;
    size_t have = f->fsize - f->header;
    if (gzdirect(f->gz) && f->fsize >= f->header && have < want)
        return nnrt_errorf(e, "%s: truncated (header says %s; expected %zu bytes of %s, found "
                              "%zu)", f->path, f->shape, want, what, have);
    if (!gzdirect(f->gz) && f->fsize != SIZE_MAX && f->fsize <= SIZE_MAX / IDX_GZ_MAX_RATIO &&
        want > f->fsize * IDX_GZ_MAX_RATIO)
        return nnrt_errorf(e, "%s: header says %s, %zu bytes of %s, more than a %zu-byte gzip "
                              "file can hold (truncated or corrupted)", f->path, f->shape, want,
                           what, f->fsize);
    return 0;
}

/* Bytes through the u8 table into floats: one block of idx_read_piped. */
typedef struct idx_conv {
    const unsigned char *src;
    nnrt_real *dst;
    size_t n;
    const nnrt_real *table;
} idx_conv;

static void *idx_conv_run(void *arg)
{
    const idx_conv *c = arg;
    for (size_t i = 0; i < c->n; i++)
        c->dst[i] = c->table[c->src[i]];
    return NULL;
}

#define IDX_PIPE_BLOCK ((size_t)4 << 20) /* bytes a block of idx_read_piped */

/* idx_read for u8 elements with a second thread (o->threads >= 2): zlib
 * inflates block k + 1 while a thread of its own turns block k into floats
 * (and takes dst's page faults): Fashion-MNIST's training images, 0.15 s of
 * inflating and 0.08 s of converting on one thread, take the inflating's
 * time.  The same floats.  -1 if a thread or the buffers cannot be had
 * (nothing read yet: the caller reads on one thread), else 0 or 1 (error,
 * e filled). */
static int idx_read_piped(idx_file *f, size_t n, nnrt_real *dst, const nnrt_real *table, nnrt_err *e,
                          const char *what)
{
    unsigned char *buf[2] = {malloc(IDX_PIPE_BLOCK), malloc(IDX_PIPE_BLOCK)};
    if (!buf[0] || !buf[1]) {
        free(buf[0]);
        free(buf[1]);
        return -1;
    }
    idx_conv conv[2];
    pthread_t tid;
    int pending = 0, cur = 0, rc = 0;
    sigset_t all, old;
    sigfillset(&all);
    for (size_t done = 0; done < n && rc == 0;) {
        size_t want = n - done < IDX_PIPE_BLOCK ? n - done : IDX_PIPE_BLOCK;
        int r = gzread(f->gz, buf[cur], (unsigned)want);
        if (pending) { /* the block before, converted meanwhile */
            pthread_join(tid, NULL);
            pending = 0;
        }
        if (r < 0 || (size_t)r < want) {
            int zerr = Z_OK;
            const char *zmsg = nnrt_data_gz_msg(f->gz, f->path, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                nnrt_errorf(e, "%s: gzip: %s (file corrupted)", f->path, zmsg);
            else
                nnrt_errorf(e, "%s: truncated (header says %s; expected %zu bytes of %s, found "
                               "%zu)", f->path, f->shape, n, what, done + (size_t)(r < 0 ? 0 : r));
            rc = 1;
            break;
        }
        conv[cur] = (idx_conv){buf[cur], dst + done, want, table};
        pthread_sigmask(SIG_BLOCK, &all, &old); /* signals stay with the caller */
        pending = pthread_create(&tid, NULL, idx_conv_run, &conv[cur]) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!pending)
            idx_conv_run(&conv[cur]);
        done += want;
        cur ^= 1;
    }
    if (pending)
        pthread_join(tid, NULL);
    free(buf[0]);
    free(buf[1]);
    return rc;
}

/* Read n elements into dst, converting: u8 through table, float32 BE as is;
 * gzip'd u8 with threads >= 2 through idx_read_piped. */
static int idx_read(idx_file *f, const char *what, size_t n, nnrt_real *dst, const nnrt_real *table,
                    int threads, nnrt_err *e)
{
    if (threads > 1 && f->type == IDX_U8 && !gzdirect(f->gz) && n > IDX_PIPE_BLOCK) {
        int rc = idx_read_piped(f, n, dst, table, e, what);
        if (rc > 0)
            return -1;
        if (rc == 0)
            n = 0; /* all read: on to the CRC below */
    }
    unsigned char buf[IDX_BLOCK];
    size_t esize = f->type == IDX_U8 ? 1 : 4;
    size_t done = 0;
    while (done < n) {
        size_t want = n - done;
        if (want > IDX_BLOCK / esize)
            want = IDX_BLOCK / esize;
        int r = gzread(f->gz, buf, (unsigned)(want * esize));
        if (r < 0 || (size_t)r < want * esize) {
            int zerr = Z_OK;
            const char *zmsg = nnrt_data_gz_msg(f->gz, f->path, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return nnrt_errorf(e, "%s: gzip: %s (file corrupted)", f->path, zmsg);
            size_t got = done * esize + (size_t)(r < 0 ? 0 : r);
            return nnrt_errorf(e, "%s: truncated (header says %s; expected %zu bytes of %s, "
                                  "found %zu)", f->path, f->shape, n * esize, what, got);
        }
        if (esize == 1) {
            for (size_t i = 0; i < want; i++)
                dst[done + i] = table[buf[i]];
        } else {
            for (size_t i = 0; i < want; i++) {
                const unsigned char *b = buf + 4 * i;
                uint32_t u = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                             (uint32_t)b[2] << 8 | b[3];
                float v;
                memcpy(&v, &u, 4);
                dst[done + i] = (nnrt_real)v;
            }
        }
        done += want;
    }
    /* gzip: read on to the end of the stream so that zlib checks its CRC. */
    if (!gzdirect(f->gz)) {
        unsigned char extra[256];
        while (gzread(f->gz, extra, sizeof extra) > 0)
            ;
        int zerr = Z_OK;
        const char *zmsg = nnrt_data_gz_msg(f->gz, f->path, &zerr);
        if (zerr != Z_OK && zerr != Z_BUF_ERROR)
            return nnrt_errorf(e, "%s: gzip: %s (file corrupted)", f->path, zmsg);
    }
    return 0;
}

/* "dir/train-images-idx3-ubyte.gz" -> "dir/train-labels-idx1-ubyte.gz":
 * in the file name (not the directory), the last "images" becomes "labels"
 * and "idx3" (any idxN) becomes "idx1".  0 on success. */
static int idx_labels_name(const char *path, char *out, size_t cap)
{
    size_t n = strlen(path);
    if (n + 1 > cap)
        return -1;
    memcpy(out, path, n + 1);
    char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    char *hit = NULL;
    for (char *p = strstr(base, "images"); p; p = strstr(p + 1, "images"))
        hit = p;
    if (!hit)
        return -1;
    memcpy(hit, "labels", 6);
    char *idx = strstr(base, "idx");
    if (idx && isdigit((unsigned char)idx[3]) && !isdigit((unsigned char)idx[4]))
        idx[3] = '1';
    return 0;
}

int nnrt_idx_labels_path(const char *path, char *out, size_t cap)
{
    if (idx_labels_name(path, out, cap))
        return -1;
    /* If only the other compression of the derived name exists, use it. */
    struct stat st;
    if (stat(out, &st) != 0) {
        char alt[4096];
        size_t n = strlen(out);
        int ok;
        if (nnrt_data_ends_with(out, ".gz"))
            ok = snprintf(alt, sizeof alt, "%.*s", (int)(n - 3), out) > 0;
        else
            ok = snprintf(alt, sizeof alt, "%s.gz", out) < (int)sizeof alt;
        if (ok && strlen(alt) < cap && stat(alt, &st) == 0)
            memcpy(out, alt, strlen(alt) + 1);
    }
    return 0;
}

int nnrt_idx_load(const char *path, const nnrt_load_opts *o, nnrt_dataset *d, nnrt_err *e)
{
    idx_file img, lab;
    char lpath[4096];
    const char *labels = o->labels_path;
    if (!labels) {
        if (nnrt_idx_labels_path(path, lpath, sizeof lpath))
            return nnrt_errorf(e, "%s: cannot derive the labels file name (expected "
                                  "'...-images-idx3-ubyte[.gz]'); name the labels file", path);
        labels = lpath;
    }
    if (idx_open(&img, path, e))
        return -1;
    if (idx_open(&lab, labels, e)) {
        gzclose(img.gz);
        return -1;
    }
    int rc = -1;
    nnrt_real *x = NULL, *y = NULL;
    if (lab.count != img.count) {
        nnrt_errorf(e, "%s: %zu labels for %zu images", labels, lab.count, img.count);
        goto done;
    }
    nnrt_real table[256];
    for (int i = 0; i < 256; i++)
        table[i] = o->scale != (nnrt_real)1 / 255 ? (nnrt_real)i * o->scale : (nnrt_real)i / 255;
    nnrt_real ltable[256];
    for (int i = 0; i < 256; i++)
        ltable[i] = (nnrt_real)i;
    if (nnrt_data_check_features(path, o, img.per, e) ||
        nnrt_data_check_bytes(path, o, img.count, img.per, lab.per, e) ||
        idx_check_size(&img, "pixel data", e) || idx_check_size(&lab, "labels", e))
        goto done;
    if (img.count > 0) {
        x = nnrt_data_alloc_floats(img.count * img.per);
        y = nnrt_data_alloc_floats(lab.count * lab.per);
        if (!x || !y) {
            nnrt_errorf(e, "%s: out of memory for %s samples", path, img.shape);
            goto done;
        }
        if (idx_read(&img, "pixel data", img.count * img.per, x, table, o->threads, e) ||
            idx_read(&lab, "labels", lab.count * lab.per, y, ltable, 1, e))
            goto done;
    }
    nnrt_data_take(d, img.count, img.per, lab.per, &x, &y);
    rc = 0;
done:
    free(x);
    free(y);
    gzclose(img.gz);
    gzclose(lab.gz);
    return rc;
}
