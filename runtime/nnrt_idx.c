/*
 * nnrt_idx.c -- the IDX loader (LeCun's format; MNIST, Fashion-MNIST),
 * plain or gzip-compressed, images and their labels file (docs/data.md).
 * nnrt_load calls nnrt_idx_load once the file is known to be IDX.
 *
 * Header: 0x00 0x00 <type> <ndims>, then ndims big-endian u32 sizes, then
 * the elements big-endian, row-major.  Types read: 0x08 unsigned byte,
 * 0x0D float32.  zlib's gzread reads plain files unchanged, so one path
 * serves both; a well-formed gzip'd file's data is inflated whole by
 * libdeflate instead (idx_read_whole), twice as fast.
 */
#define _GNU_SOURCE /* MADV_POPULATE_WRITE */

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
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <libdeflate.h>
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
    unsigned char head[4 + 4 * 255]; /* the header's bytes */
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
    memcpy(f->head, h, 4);
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
        memcpy(f->head + 4 + 4 * i, b, 4);
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

/* Elements into floats, n of them from src: u8 through the table, float32
 * big-endian as they are.  A part of idx_read_piped or idx_convert. */
typedef struct idx_conv {
    const unsigned char *src;
    nnrt_real *dst;
    size_t n;
    const nnrt_real *table; /* u8; NULL: float32 */
} idx_conv;

static void *idx_conv_run(void *arg)
{
    const idx_conv *c = arg;
    if (c->table) {
        for (size_t i = 0; i < c->n; i++)
            c->dst[i] = c->table[c->src[i]];
        return NULL;
    }
    for (size_t i = 0; i < c->n; i++) {
        const unsigned char *b = c->src + 4 * i;
        uint32_t u = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        float v;
        memcpy(&v, &u, 4);
        c->dst[i] = (nnrt_real)v;
    }
    return NULL;
}

/* A thread running fn(arg) with every signal blocked (signals stay with
 * the caller).  1 if it runs, 0 if not (then do it here). */
static int idx_spawn(pthread_t *tid, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int ok = pthread_create(tid, NULL, fn, arg) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
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
        pending = idx_spawn(&tid, idx_conv_run, &conv[cur]);
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

/* The n elements of src into dst on up to `threads` threads, parts of at
 * least IDX_CONV_MIN elements each (a thread costs tens of microseconds).
 * src and dst do not overlap; or, on one thread, dst's bytes lie below
 * src's (each element is read before anything is written over it). */
#define IDX_CONV_MIN ((size_t)1 << 20)
#define IDX_CONV_MAX_THREADS 16

static void idx_convert(const unsigned char *src, nnrt_real *dst, size_t n, const nnrt_real *table,
                        int threads)
{
    size_t esize = table ? 1 : 4;
    size_t parts = threads < 1 ? 1 : threads > IDX_CONV_MAX_THREADS ? IDX_CONV_MAX_THREADS
                                                                     : (size_t)threads;
    if (parts > n / IDX_CONV_MIN)
        parts = n / IDX_CONV_MIN ? n / IDX_CONV_MIN : 1;
    idx_conv c[IDX_CONV_MAX_THREADS];
    pthread_t tid[IDX_CONV_MAX_THREADS];
    int running[IDX_CONV_MAX_THREADS] = {0};
    for (size_t k = 0; k < parts; k++) {
        size_t lo = n / parts * k, hi = k + 1 == parts ? n : n / parts * (k + 1);
        c[k] = (idx_conv){src + lo * esize, dst + lo, hi - lo, table};
        if (k > 0)
            running[k] = idx_spawn(&tid[k], idx_conv_run, &c[k]);
    }
    idx_conv_run(&c[0]);
    for (size_t k = 1; k < parts; k++) {
        if (running[k])
            pthread_join(tid[k], NULL);
        else
            idx_conv_run(&c[k]);
    }
}

/* The n elements of E bytes each that lie at the end of dst's own memory
 * (element i at byte S + E i of dst, S = n (D - E), D = sizeof *dst > E)
 * into dst, in place.  Element i's float goes to bytes [D i, D i + D),
 * below every source byte not yet read as long as the elements go in
 * order; so, in stages, the elements [a, b) whose floats end at or below
 * the first unread source byte, S + E a, go on every thread at once (a
 * stage leaves E/D of what was left: 13 stages for 47 million bytes into
 * floats, the last ones short enough for one thread). */
static void idx_convert_in_place(nnrt_real *dst, size_t n, const nnrt_real *table, int threads)
{
    size_t E = table ? 1 : 4, D = sizeof *dst, S = n * (D - E);
    const unsigned char *src = (const unsigned char *)dst + S;
    for (size_t a = 0; a < n;) {
        size_t b = (S + E * a) / D;
        if (b <= a) /* the last element or two: in order, one at a time, is safe */
            b = n;
        idx_convert(src + E * a, dst + a, b - a, table, b == n ? 1 : threads);
        a = b;
    }
}

/* Make the pages of p[0..bytes) present and writable, as the first write
 * to each would (the kernel's populate call where there is one, else a
 * write to each page: nothing else writes them meanwhile).  On a thread of
 * its own while libdeflate inflates, it takes most of the page faults of
 * the floats off the conversion: Fashion-MNIST's are ~0.05 s of one core. */
typedef struct idx_fault {
    unsigned char *p;
    size_t bytes;
} idx_fault;

static void *idx_fault_run(void *arg)
{
    const idx_fault *f = arg;
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    uintptr_t lo = ((uintptr_t)f->p + page - 1) / page * page;
    uintptr_t hi = ((uintptr_t)f->p + f->bytes) / page * page;
    if (hi <= lo)
        return NULL;
#ifdef MADV_POPULATE_WRITE
    if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) == 0)
        return NULL;
#endif
    for (uintptr_t a = lo; a < hi; a += page)
        *(volatile unsigned char *)a = 0;
    return NULL;
}

/* A gzip'd file of u8 elements whole, no second copy: map the file, let
 * libdeflate inflate it into the last bytes of dst's own memory (the n
 * bytes of data end where dst ends, the header just before them) and
 * turn them into floats in place, on `threads` threads.  libdeflate is
 * about twice as fast as zlib's stream (Fashion-MNIST's training images:
 * 0.07-0.09 s against 0.15-0.19 s on a Zen 5); with two threads or more a
 * thread makes the rest of dst's pages present meanwhile.
 *
 * Only a file that is gzip members holding exactly the header idx_open
 * read and the n elements, every member's CRC-32 and length right, goes
 * this way: 0.  Anything else -- damaged, cut short, bytes past the data,
 * float32 elements (no room for them beside their floats), a file that
 * cannot be mapped -- -1, dst's contents undefined and f->gz where it was:
 * idx_read then takes zlib's way, whose messages name the problem. */
static int idx_read_whole(idx_file *f, size_t n, nnrt_real *dst, const nnrt_real *table,
                          int threads)
{
    size_t D = sizeof *dst;
    if (f->type != IDX_U8 || f->fsize == SIZE_MAX || f->fsize == 0 || n > SIZE_MAX / D ||
        n * (D - 1) < f->header)
        return -1;
    size_t S = n * (D - 1), need = f->header + n;
    unsigned char *out = (unsigned char *)dst + S - f->header;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    unsigned char *in = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size == f->fsize)
        in = mmap(NULL, f->fsize, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (in == MAP_FAILED)
        return -1;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    idx_fault fault = {(unsigned char *)dst, S - f->header}; /* below what libdeflate writes */
    pthread_t tid;
    int faulting = d && threads > 1 && idx_spawn(&tid, idx_fault_run, &fault);
    size_t at = 0, have = 0;
    while (d && at < f->fsize && have < need) {
        size_t used = 0, made = 0;
        if (libdeflate_gzip_decompress_ex(d, in + at, f->fsize - at, out + have, need - have,
                                          &used, &made) != LIBDEFLATE_SUCCESS)
            break;
        at += used;
        have += made;
    }
    if (faulting)
        pthread_join(tid, NULL);
    libdeflate_free_decompressor(d);
    munmap(in, f->fsize);
    if (!d || at != f->fsize || have != need || memcmp(out, f->head, f->header) != 0)
        return -1;
    idx_convert_in_place(dst, n, table, threads);
    return 0;
}

/* Read n elements into dst, converting: u8 through table, float32 BE as is.
 * A gzip'd file goes through idx_read_whole when it can, else, u8 with
 * threads >= 2, through idx_read_piped. */
static int idx_read(idx_file *f, const char *what, size_t n, nnrt_real *dst, const nnrt_real *table,
                    int threads, nnrt_err *e)
{
    if (!gzdirect(f->gz) && idx_read_whole(f, n, dst, table, threads) == 0)
        return 0;
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
        idx_conv c = {buf, dst + done, want, esize == 1 ? table : NULL};
        idx_conv_run(&c);
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
