/*
 * nnrt_npy.c -- numpy's .npy arrays and .npz archives (nnrt_npy.h): the
 * .npy header (parsed and written), the zip container (its central
 * directory read, stored and deflated members read and written), and an
 * array's elements converted to float or double as they stream in.
 *
 * .npy (numpy's format version 1.0, 2.0, 3.0):
 *   "\x93NUMPY" u8 major u8 minor, header length (u16 LE for 1.x, u32 LE
 *   for 2.x and 3.x), then the header: a Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (209, 12288), }
 *   padded with spaces and a newline; then the elements, C order.
 * .npz: a zip archive (PKWARE APPNOTE) of NAME.npy members, "stored"
 *   (np.savez) or "deflated" (np.savez_compressed), local headers with
 *   sizes or zip64 extra fields (numpy forces zip64 on each member), the
 *   central directory at the end; zip64 end records are read too.
 *
 * Refused, with one line each: Fortran order, object arrays (pickles are
 * never read), non-numeric or structured dtypes, a shape the file cannot
 * hold, encrypted or otherwise compressed members, a bad CRC.
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_npy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAX_HEADER 65536u  /* numpy writes a few hundred bytes */
#define NPY_DEFLATE_RATIO 1032u /* deflate's largest expansion */
#define NPZ_TAIL 65557u         /* EOCD (22) + the longest comment (65535) */

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static uint32_t npy_u16(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static uint32_t npy_u32(const unsigned char *b)
{
    return npy_u16(b) | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t npy_u64(const unsigned char *b)
{
    return (uint64_t)npy_u32(b) | (uint64_t)npy_u32(b + 4) << 32;
}

static void npy_put16(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
}

static void npy_put32(unsigned char *b, uint32_t v)
{
    npy_put16(b, v);
    npy_put16(b + 2, v >> 16);
}

/* ------------------------------------------------------------------ */
/* The header                                                           */
/* ------------------------------------------------------------------ */

/* The parser of the header's dict literal. */
typedef struct npy_lex {
    const char *s, *end;
} npy_lex;

static void npy_ws(npy_lex *x)
{
    while (x->s < x->end && (*x->s == ' ' || *x->s == '\t' || *x->s == '\n' || *x->s == '\r'))
        x->s++;
}

static int npy_eat(npy_lex *x, char c)
{
    npy_ws(x);
    if (x->s < x->end && *x->s == c) {
        x->s++;
        return 1;
    }
    return 0;
}

/* 'text' or "text" into buf; 0 if none there or too long. */
static int npy_string(npy_lex *x, char *buf, size_t cap)
{
    npy_ws(x);
    if (x->s >= x->end || (*x->s != '\'' && *x->s != '"'))
        return 0;
    char q = *x->s++;
    size_t n = 0;
    while (x->s < x->end && *x->s != q) {
        if (n + 1 >= cap)
            return 0;
        buf[n++] = *x->s++;
    }
    if (x->s >= x->end)
        return 0;
    x->s++;
    buf[n] = '\0';
    return 1;
}

static int npy_word(npy_lex *x, const char *w)
{
    npy_ws(x);
    size_t n = strlen(w);
    if ((size_t)(x->end - x->s) >= n && memcmp(x->s, w, n) == 0) {
        x->s += n;
        return 1;
    }
    return 0;
}

/* (a, b, c) or (a,) or (): into h->shape. */
static int npy_shape(npy_lex *x, nnrt_npy_hdr *h, const char *what, nnrt_err *e)
{
    if (!npy_eat(x, '('))
        return nnrt_errorf(e, "%s: bad .npy header (shape is not a tuple)", what);
    h->ndim = 0;
    for (;;) {
        if (npy_eat(x, ')'))
            return 0;
        npy_ws(x);
        if (x->s >= x->end || *x->s < '0' || *x->s > '9')
            return nnrt_errorf(e, "%s: bad .npy header (shape)", what);
        uint64_t v = 0;
        while (x->s < x->end && *x->s >= '0' && *x->s <= '9') {
            if (v > (UINT64_MAX - 9) / 10)
                return nnrt_errorf(e, "%s: bad .npy header (a dimension too large)", what);
            v = v * 10 + (uint64_t)(*x->s++ - '0');
        }
        if (x->s < x->end && *x->s == 'L') /* Python 2's long */
            x->s++;
        if (h->ndim >= NNRT_NPY_MAXDIM)
            return nnrt_errorf(e, "%s: more than %d dimensions", what, NNRT_NPY_MAXDIM);
        h->shape[h->ndim++] = v;
        if (!npy_eat(x, ',')) {
            if (npy_eat(x, ')'))
                return 0;
            return nnrt_errorf(e, "%s: bad .npy header (shape)", what);
        }
    }
}

/* The dtype string: byte order, kind, size. */
static int npy_descr(const char *d, nnrt_npy_hdr *h, const char *what, nnrt_err *e)
{
    snprintf(h->descr, sizeof h->descr, "%s", d);
    char order = d[0];
    if (order == '<' || order == '>' || order == '|' || order == '=')
        d++;
    else
        order = '='; /* "f4" without an order: native, as numpy reads it */
    char kind = d[0];
    char *end;
    long size = kind ? strtol(d + 1, &end, 10) : 0;
    if (!kind)
        end = (char *)(uintptr_t)d;
    if (kind == 'U' && *end == '\0' && size > 0 && size <= 4096) { /* text: nnrt_npy_read_text */
        h->kind = 'U';
        h->size = 4 * (int)size;
        h->big = order == '>';
        return 0;
    }
    if (kind == 'O')
        return nnrt_errorf(e, "%s: holds Python objects (dtype %s, a pickle): not read; save "
                              "a numeric array", what, h->descr);
    if (*end != '\0' || end == d + 1)
        return nnrt_errorf(e, "%s: dtype '%s' is not supported (expected a number type such "
                              "as <f4, <f8, |u1, <i8)", what, h->descr);
    int ok = ((kind == 'f') && (size == 4 || size == 8)) ||
             ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 ||
                                               size == 8)) ||
             (kind == 'b' && size == 1);
    if (!ok) {
        const char *why = kind == 'U' || kind == 'S' ? " (text)"
                          : kind == 'c'              ? " (complex)"
                          : kind == 'f'              ? " (float16 and long double are not read)"
                          : kind == 'M' || kind == 'm' ? " (dates and times)"
                                                     : "";
        return nnrt_errorf(e, "%s: dtype %s%s is not supported (expected a number type such "
                              "as <f4, <f8, |u1, <i8)", what, h->descr, why);
    }
    h->kind = kind;
    h->size = (int)size;
    h->big = order == '>';
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (order == '=')
        h->big = 1;
#endif
    return 0;
}

/* The dict after the magic, version and length: text[0..n). */
static int npy_parse_dict(const char *text, size_t n, nnrt_npy_hdr *h, const char *what,
                          nnrt_err *e)
{
    npy_lex x = {text, text + n};
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    if (!npy_eat(&x, '{'))
        return nnrt_errorf(e, "%s: bad .npy header (not a dict)", what);
    while (!npy_eat(&x, '}')) {
        char key[32], val[64];
        if (!npy_string(&x, key, sizeof key) || !npy_eat(&x, ':'))
            return nnrt_errorf(e, "%s: bad .npy header (expected 'key': value)", what);
        if (strcmp(key, "descr") == 0) {
            npy_ws(&x);
            if (x.s < x.end && *x.s == '[')
                return nnrt_errorf(e, "%s: a structured dtype (record fields) is not "
                                      "supported; save a plain number array", what);
            if (!npy_string(&x, val, sizeof val))
                return nnrt_errorf(e, "%s: bad .npy header (descr)", what);
            if (npy_descr(val, h, what, e))
                return -1;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (npy_word(&x, "True"))
                fortran = 1;
            else if (!npy_word(&x, "False"))
                return nnrt_errorf(e, "%s: bad .npy header (fortran_order)", what);
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (npy_shape(&x, h, what, e))
                return -1;
            have_shape = 1;
        } else {
            return nnrt_errorf(e, "%s: bad .npy header (unknown key '%s')", what, key);
        }
        if (!npy_eat(&x, ',')) {
            if (!npy_eat(&x, '}'))
                return nnrt_errorf(e, "%s: bad .npy header (expected , or })", what);
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return nnrt_errorf(e, "%s: bad .npy header (missing %s)", what,
                           !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    /* the elements, and the shape for messages */
    uint64_t count = 1;
    size_t len = (size_t)snprintf(h->shape_text, sizeof h->shape_text, "(");
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] != 0 && count > (UINT64_MAX >> 4) / h->shape[i])
            return nnrt_errorf(e, "%s: shape too large", what);
        count *= h->shape[i];
        if (len < sizeof h->shape_text)
            len += (size_t)snprintf(h->shape_text + len, sizeof h->shape_text - len, "%s%llu",
                                    i ? ", " : "", (unsigned long long)h->shape[i]);
    }
    if (len < sizeof h->shape_text)
        snprintf(h->shape_text + len, sizeof h->shape_text - len, "%s)",
                 h->ndim == 1 ? "," : "");
    h->count = count;
    int spread = 0; /* dimensions over 1: with at most one, C and Fortran order agree */
    for (int i = 0; i < h->ndim; i++)
        spread += h->shape[i] > 1;
    if (fortran && spread > 1)
        return nnrt_errorf(e, "%s: array of shape %s is in Fortran order (column-major); save "
                              "np.ascontiguousarray(a) instead", what, h->shape_text);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading bytes: a plain file, or a zip member (stored or deflated)    */
/* ------------------------------------------------------------------ */

/* Exactly n bytes of the array's stream into dst; else fills e. */
static int rd_get(nnrt_npy_reader *r, unsigned char *dst, size_t n, nnrt_err *e)
{
    if (n > r->out_left)
        return nnrt_errorf(e, "%s: truncated (the data ends before the header's shape)",
                           r->what);
    if (!r->deflated) {
        size_t got = n <= r->in_left ? fread(dst, 1, n, r->fp) : 0;
        if (got != n)
            return nnrt_errorf(e, "%s: truncated (the data ends before the header's shape)",
                               r->what);
        r->in_left -= n;
    } else {
        r->z.next_out = dst;
        r->z.avail_out = (uInt)n;
        while (r->z.avail_out > 0) {
            if (r->z.avail_in == 0) {
                size_t k = r->in_left < sizeof r->in ? (size_t)r->in_left : sizeof r->in;
                size_t got = k ? fread(r->in, 1, k, r->fp) : 0;
                if (got == 0)
                    return nnrt_errorf(e, "%s: truncated (the compressed data ends early)",
                                       r->what);
                r->in_left -= got;
                r->z.next_in = r->in;
                r->z.avail_in = (uInt)got;
            }
            int zr = inflate(&r->z, Z_NO_FLUSH);
            if (zr == Z_STREAM_END && r->z.avail_out > 0)
                return nnrt_errorf(e, "%s: the compressed data ends before the header's shape",
                                   r->what);
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                return nnrt_errorf(e, "%s: deflate: %s (file corrupted)", r->what,
                                   r->z.msg ? r->z.msg : "bad data");
            if (zr == Z_BUF_ERROR && r->z.avail_in > 0)
                return nnrt_errorf(e, "%s: deflate: no progress (file corrupted)", r->what);
        }
    }
    r->out_left -= n;
    if (r->check_crc) {
        for (size_t off = 0; off < n;) {
            size_t k = n - off > (1u << 30) ? (1u << 30) : n - off;
            r->crc = crc32(r->crc, dst + off, (uInt)k);
            off += k;
        }
        if (r->out_left == 0 && (uint32_t)r->crc != r->want_crc)
            return nnrt_errorf(e, "%s: CRC-32 mismatch (file corrupted)", r->what);
    }
    return 0;
}

/* The magic, version, length and dict, from the reader's stream. */
static int rd_header(nnrt_npy_reader *r, nnrt_err *e)
{
    unsigned char pre[12];
    if (r->out_left < 10)
        return nnrt_errorf(e, "%s: truncated (no complete .npy header)", r->what);
    if (rd_get(r, pre, 10, e))
        return -1;
    if (memcmp(pre, npy_magic, 6) != 0)
        return nnrt_errorf(e, "%s: not a .npy array (bad magic)", r->what);
    int major = pre[6];
    uint64_t hlen, pre_len = 10;
    if (major == 1) {
        hlen = npy_u16(pre + 8);
    } else if (major == 2 || major == 3) {
        if (rd_get(r, pre + 10, 2, e))
            return -1;
        hlen = npy_u32(pre + 8);
        pre_len = 12;
    } else {
        return nnrt_errorf(e, "%s: .npy format version %d.%d is not supported", r->what, major,
                           pre[7]);
    }
    if (hlen > NPY_MAX_HEADER)
        return nnrt_errorf(e, "%s: .npy header of %llu bytes (at most %u read)", r->what,
                           (unsigned long long)hlen, NPY_MAX_HEADER);
    if (hlen > r->out_left)
        return nnrt_errorf(e, "%s: truncated (no complete .npy header)", r->what);
    char *text = malloc((size_t)hlen + 1);
    if (!text)
        return nnrt_errorf(e, "%s: out of memory", r->what);
    int rc = rd_get(r, (unsigned char *)text, (size_t)hlen, e);
    if (rc == 0) {
        text[hlen] = '\0';
        rc = npy_parse_dict(text, (size_t)hlen, &r->h, r->what, e);
    }
    free(text);
    r->h.header_bytes = pre_len + hlen;
    return rc;
}

/* The data's size in bytes; the parse has bounded count * 16. */
static uint64_t npy_data_bytes(const nnrt_npy_hdr *h)
{
    return h->count * (uint64_t)h->size;
}

int nnrt_npy_open(nnrt_npy_reader *r, const char *path, nnrt_err *e)
{
    memset(r, 0, sizeof *r);
    snprintf(r->what, sizeof r->what, "%s", path);
    r->fp = fopen(path, "rb");
    if (!r->fp)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->fp), &st) != 0 || st.st_size < 0) {
        nnrt_npy_close(r);
        return nnrt_errorf(e, "%s: cannot stat", path);
    }
    r->in_left = r->out_left = (uint64_t)st.st_size;
    if (rd_header(r, e)) {
        nnrt_npy_close(r);
        return -1;
    }
    uint64_t want = npy_data_bytes(&r->h);
    if (want > r->in_left) {
        nnrt_errorf(e, "%s: truncated (shape %s of %s needs %llu bytes of data, the file has "
                       "%llu)", path, r->h.shape_text, r->h.descr, (unsigned long long)want,
                    (unsigned long long)r->in_left);
        nnrt_npy_close(r);
        return -1;
    }
    r->out_left = want; /* bytes after the data are ignored */
    return 0;
}

void nnrt_npy_close(nnrt_npy_reader *r)
{
    if (r->z_open)
        inflateEnd(&r->z);
    r->z_open = 0;
    if (r->fp)
        fclose(r->fp);
    r->fp = NULL;
}

/* One element of h's type at b, as a double. */
static double npy_elem(const nnrt_npy_hdr *h, const unsigned char *b)
{
    uint64_t u = 0;
    for (int i = 0; i < h->size; i++)
        u |= (uint64_t)b[h->big ? h->size - 1 - i : i] << (8 * i);
    switch (h->kind) {
    case 'f':
        if (h->size == 4) {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, 4);
            return (double)f;
        } else {
            double d;
            memcpy(&d, &u, 8);
            return d;
        }
    case 'i': {
        int bits = 8 * h->size;
        if (bits < 64 && (u >> (bits - 1)) & 1u)
            u |= ~UINT64_C(0) << bits; /* sign-extend */
        int64_t s;
        memcpy(&s, &u, 8);
        return (double)s;
    }
    case 'b':
        return u != 0 ? 1.0 : 0.0;
    default:
        return (double)u;
    }
}

int nnrt_npy_read(nnrt_npy_reader *r, void *dst, int dst_double, uint64_t n, float u8_scale,
                  nnrt_err *e)
{
    const nnrt_npy_hdr *h = &r->h;
    if (h->kind == 'U')
        return nnrt_errorf(e, "%s: dtype %s (text) is not numbers", r->what, h->descr);
    size_t per = sizeof r->in / 4 / (size_t)h->size; /* elements per block */
    unsigned char *buf = malloc(per * (size_t)h->size);
    if (!buf)
        return nnrt_errorf(e, "%s: out of memory", r->what);
    int scaled = h->kind == 'u' && h->size == 1 && u8_scale != 1.0f;
    int exact = u8_scale == 1.0f / 255.0f;
    float *df = dst;
    double *dd = dst;
    uint64_t done = 0;
    while (done < n) {
        size_t k = n - done < per ? (size_t)(n - done) : per;
        if (rd_get(r, buf, k * (size_t)h->size, e)) {
            free(buf);
            return -1;
        }
        for (size_t i = 0; i < k; i++) {
            double v = npy_elem(h, buf + i * (size_t)h->size);
            if (dst_double) {
                dd[done + i] = !scaled ? v : exact ? v / 255.0 : v * (double)u8_scale;
            } else {
                float f = (float)v;
                df[done + i] = !scaled ? f : exact ? f / 255.0f : f * u8_scale;
            }
        }
        done += k;
    }
    free(buf);
    return 0;
}

int nnrt_npy_read_int(nnrt_npy_reader *r, uint64_t *v, int *negative, nnrt_err *e)
{
    const nnrt_npy_hdr *h = &r->h;
    unsigned char b[8];
    if ((h->kind != 'i' && h->kind != 'u') || h->count != 1)
        return nnrt_errorf(e, "%s: expected one integer, found shape %s of %s", r->what,
                           h->shape_text, h->descr);
    if (rd_get(r, b, (size_t)h->size, e))
        return -1;
    uint64_t u = 0;
    for (int i = 0; i < h->size; i++)
        u |= (uint64_t)b[h->big ? h->size - 1 - i : i] << (8 * i);
    *negative = 0;
    if (h->kind == 'i' && (u >> (8 * h->size - 1)) & 1u) {
        *negative = 1;
        u = 0;
    }
    *v = u;
    return 0;
}

int nnrt_npy_read_text(nnrt_npy_reader *r, char *buf, size_t cap, nnrt_err *e)
{
    const nnrt_npy_hdr *h = &r->h;
    unsigned char b[4];
    if (h->kind != 'U' || h->count != 1)
        return nnrt_errorf(e, "%s: expected one string, found shape %s of %s", r->what,
                           h->shape_text, h->descr);
    size_t n = (size_t)h->size / 4, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rd_get(r, b, 4, e))
            return -1;
        uint32_t c = h->big ? (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 |
                                  (uint32_t)b[0] << 24
                            : npy_u32(b);
        if (c == 0)
            continue; /* numpy pads with NULs */
        if (c > 126 || c < 32 || k + 1 >= cap)
            return nnrt_errorf(e, "%s: not a short ASCII string", r->what);
        buf[k++] = (char)c;
    }
    buf[k] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ */
/* The zip container                                                    */
/* ------------------------------------------------------------------ */

static int npz_read_at(nnrt_npz *z, uint64_t off, void *dst, size_t n)
{
    if (off > z->file_size || n > z->file_size - off)
        return -1;
    if (fseeko(z->fp, (off_t)off, SEEK_SET) != 0)
        return -1;
    return fread(dst, 1, n, z->fp) == n ? 0 : -1;
}

void nnrt_npz_close(nnrt_npz *z)
{
    if (z->fp)
        fclose(z->fp);
    free(z->mem);
    memset(z, 0, sizeof *z);
}

/* The zip64 extra field (id 1) of a central directory entry: the 64-bit
 * values of the fields that hold 0xffffffff, in APPNOTE's order. */
static void npz_zip64(const unsigned char *x, size_t n, nnrt_npz_member *m, int need_u,
                      int need_c, int need_o)
{
    while (n >= 4) {
        uint32_t id = npy_u16(x), len = npy_u16(x + 2);
        if (len > n - 4)
            return;
        if (id == 1) {
            const unsigned char *p = x + 4, *end = p + len;
            if (need_u && end - p >= 8) {
                m->usize = npy_u64(p);
                p += 8;
            }
            if (need_c && end - p >= 8) {
                m->csize = npy_u64(p);
                p += 8;
            }
            if (need_o && end - p >= 8)
                m->offset = npy_u64(p);
            return;
        }
        x += 4 + len;
        n -= 4 + len;
    }
}

int nnrt_npz_open(nnrt_npz *z, const char *path, nnrt_err *e)
{
    memset(z, 0, sizeof *z);
    z->path = path;
    z->fp = fopen(path, "rb");
    if (!z->fp)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(z->fp), &st) != 0 || st.st_size < 0) {
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: cannot stat", path);
    }
    if (S_ISDIR(st.st_mode)) {
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: is a directory", path);
    }
    z->file_size = (uint64_t)st.st_size;
    unsigned char *cd = NULL, tail[NPZ_TAIL];
    size_t tn = z->file_size < NPZ_TAIL ? (size_t)z->file_size : NPZ_TAIL;
    uint64_t tail_at = z->file_size - tn;
    if (tn < 22 || npz_read_at(z, tail_at, tail, tn)) {
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: not a zip archive (too short for its end record)", path);
    }
    size_t at = tn - 22 + 1;
    while (at-- > 0)
        if (npy_u32(tail + at) == 0x06054b50u)
            break;
    if (at == (size_t)-1) {
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: not a zip archive (no end record: truncated?)", path);
    }
    const unsigned char *eo = tail + at;
    uint64_t eocd = tail_at + at;
    uint64_t entries = npy_u16(eo + 10), cd_size = npy_u32(eo + 12), cd_off = npy_u32(eo + 16);
    if ((entries == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) && at >= 20 &&
        npy_u32(eo - 20) == 0x07064b50u) { /* zip64: the locator, then the record */
        unsigned char r64[56];
        uint64_t r64_at = npy_u64(eo - 20 + 8);
        if (npz_read_at(z, r64_at, r64, sizeof r64) || npy_u32(r64) != 0x06064b50u) {
            nnrt_npz_close(z);
            return nnrt_errorf(e, "%s: damaged zip64 end record", path);
        }
        entries = npy_u64(r64 + 32);
        cd_size = npy_u64(r64 + 40);
        cd_off = npy_u64(r64 + 48);
        eocd = r64_at;
    }
    if (cd_off > eocd || cd_size > eocd - cd_off || entries > cd_size / 46) {
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: damaged zip archive (central directory out of bounds)",
                           path);
    }
    cd = malloc(cd_size ? (size_t)cd_size : 1);
    z->mem = calloc(entries ? (size_t)entries : 1, sizeof *z->mem);
    if (!cd || !z->mem) {
        free(cd);
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: out of memory", path);
    }
    if (npz_read_at(z, cd_off, cd, (size_t)cd_size)) {
        free(cd);
        nnrt_npz_close(z);
        return nnrt_errorf(e, "%s: read error", path);
    }
    size_t p = 0;
    for (uint64_t i = 0; i < entries; i++) {
        if (cd_size - p < 46 || npy_u32(cd + p) != 0x02014b50u) {
            free(cd);
            nnrt_npz_close(z);
            return nnrt_errorf(e, "%s: damaged zip archive (central directory entry %llu)",
                               path, (unsigned long long)i + 1);
        }
        const unsigned char *c = cd + p;
        size_t nl = npy_u16(c + 28), xl = npy_u16(c + 30), cl = npy_u16(c + 32);
        if (cd_size - p - 46 < nl + xl + cl) {
            free(cd);
            nnrt_npz_close(z);
            return nnrt_errorf(e, "%s: damaged zip archive (central directory entry %llu)",
                               path, (unsigned long long)i + 1);
        }
        nnrt_npz_member m;
        memset(&m, 0, sizeof m);
        m.method = (int)npy_u16(c + 10) | ((npy_u16(c + 8) & 1u) ? 0x10000 : 0);
        m.crc = npy_u32(c + 16);
        m.csize = npy_u32(c + 20);
        m.usize = npy_u32(c + 24);
        m.offset = npy_u32(c + 42);
        npz_zip64(c + 46 + nl, xl, &m, m.usize == 0xffffffffu, m.csize == 0xffffffffu,
                  m.offset == 0xffffffffu);
        const char *name = (const char *)c + 46;
        if (nl > 4 && nl - 4 < sizeof m.name && memcmp(name + nl - 4, ".npy", 4) == 0) {
            memcpy(m.name, name, nl - 4);
            m.name[nl - 4] = '\0';
            if (!memchr(m.name, '\0', nl - 4))
                z->mem[z->n++] = m;
        }
        p += 46 + nl + xl + cl;
    }
    free(cd);
    return 0;
}

const nnrt_npz_member *nnrt_npz_find(const nnrt_npz *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->mem[i].name, name) == 0)
            return &z->mem[i];
    return NULL;
}

void nnrt_npz_names(const nnrt_npz *z, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (z->n == 0)
        snprintf(buf, cap, "no arrays");
    for (size_t i = 0; i < z->n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", z->mem[i].name);
    if (len >= cap && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
}

int nnrt_npz_member_open(nnrt_npz *z, const nnrt_npz_member *mb, nnrt_npy_reader *r,
                         nnrt_err *e)
{
    memset(r, 0, sizeof *r);
    snprintf(r->what, sizeof r->what, "%s: array '%s'", z->path, mb->name);
    if (mb->method & 0x10000)
        return nnrt_errorf(e, "%s is encrypted", r->what);
    if (mb->method != 0 && mb->method != 8)
        return nnrt_errorf(e, "%s: zip compression method %d (only stored and deflated are "
                              "read)", r->what, mb->method);
    if (mb->method == 0 && mb->csize != mb->usize)
        return nnrt_errorf(e, "%s: damaged zip entry (stored, but %llu bytes become %llu)",
                           r->what, (unsigned long long)mb->csize,
                           (unsigned long long)mb->usize);
    /* a deflated member cannot become more than 1032 times its size: a
     * larger claim is refused before anything is inflated or allocated */
    if (mb->method == 8 && mb->csize < UINT64_MAX / NPY_DEFLATE_RATIO &&
        mb->usize > mb->csize * NPY_DEFLATE_RATIO + 64)
        return nnrt_errorf(e, "%s: claims %llu bytes from %llu compressed, more than deflate "
                              "can give (a zip bomb, or damaged)", r->what,
                           (unsigned long long)mb->usize, (unsigned long long)mb->csize);
    unsigned char lh[30];
    if (npz_read_at(z, mb->offset, lh, 30) || npy_u32(lh) != 0x04034b50u)
        return nnrt_errorf(e, "%s: damaged zip archive (no local header at %llu)", r->what,
                           (unsigned long long)mb->offset);
    uint64_t data = mb->offset + 30 + npy_u16(lh + 26) + npy_u16(lh + 28);
    if (data > z->file_size || mb->csize > z->file_size - data)
        return nnrt_errorf(e, "%s: truncated (the member's %llu bytes run past the end of the "
                              "file)", r->what, (unsigned long long)mb->csize);
    if (fseeko(z->fp, (off_t)data, SEEK_SET) != 0)
        return nnrt_errorf(e, "%s: seek failed", r->what);
    r->fp = z->fp; /* borrowed: nnrt_npy_close must not close it */
    r->in_left = mb->csize;
    r->out_left = mb->usize;
    r->check_crc = 1;
    r->want_crc = mb->crc;
    r->crc = crc32(0L, Z_NULL, 0);
    if (mb->method == 8) {
        r->deflated = 1;
        if (inflateInit2(&r->z, -MAX_WBITS) != Z_OK) {
            r->fp = NULL;
            return nnrt_errorf(e, "%s: zlib: cannot start inflate", r->what);
        }
        r->z_open = 1;
    }
    if (rd_header(r, e))
        goto fail;
    uint64_t want = npy_data_bytes(&r->h);
    if (r->out_left != want) {
        nnrt_errorf(e, "%s: shape %s of %s is %llu bytes, but the member holds %llu", r->what,
                    r->h.shape_text, r->h.descr, (unsigned long long)want,
                    (unsigned long long)r->out_left);
        goto fail;
    }
    return 0;
fail:
    r->fp = NULL;
    nnrt_npy_close(r);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */
/* ------------------------------------------------------------------ */

/* The .npy bytes of a (header and data), malloc'd into *out. */
static int npy_encode(const nnrt_npy_out *a, unsigned char **out, size_t *len, nnrt_err *e)
{
    char descr[24], shape[64];
    size_t isz, count = 1;
    size_t slen = a->type == 'U' ? strlen((const char *)a->data) : 0;
    switch (a->type) {
    case 'f': snprintf(descr, sizeof descr, "<f4"); isz = 4; break;
    case 'd': snprintf(descr, sizeof descr, "<f8"); isz = 8; break;
    case 'i': snprintf(descr, sizeof descr, "<i8"); isz = 8; break;
    case 'u': snprintf(descr, sizeof descr, "<u8"); isz = 8; break;
    default:
        snprintf(descr, sizeof descr, "<U%zu", slen ? slen : 1);
        isz = 4 * (slen ? slen : 1);
        break;
    }
    if (a->ndim == 0)
        snprintf(shape, sizeof shape, "()");
    else if (a->ndim == 1)
        snprintf(shape, sizeof shape, "(%llu,)", (unsigned long long)a->shape[0]);
    else
        snprintf(shape, sizeof shape, "(%llu, %llu)", (unsigned long long)a->shape[0],
                 (unsigned long long)a->shape[1]);
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] != 0 && count > SIZE_MAX / 16 / a->shape[i])
            return nnrt_errorf(e, "array '%s' too large", a->name);
        count *= (size_t)a->shape[i];
    }
    char dict[160];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                      descr, shape);
    /* numpy pads the header with spaces and a newline to a multiple of 64 */
    size_t hl = (size_t)dl + 1, total_h = 10 + hl;
    total_h = (total_h + 63) / 64 * 64;
    hl = total_h - 10;
    size_t data = count * isz;
    unsigned char *b = malloc(total_h + data);
    if (!b)
        return nnrt_errorf(e, "out of memory");
    memcpy(b, npy_magic, 6);
    b[6] = 1;
    b[7] = 0;
    npy_put16(b + 8, (uint32_t)hl);
    memset(b + 10, ' ', hl);
    memcpy(b + 10, dict, (size_t)dl);
    b[total_h - 1] = '\n';
    unsigned char *d = b + total_h;
    for (size_t i = 0; i < count; i++) {
        uint64_t u = 0;
        if (a->type == 'f') {
            uint32_t w;
            memcpy(&w, (const float *)a->data + i, 4);
            u = w;
        } else if (a->type == 'd') {
            memcpy(&u, (const double *)a->data + i, 8);
        } else if (a->type == 'i' || a->type == 'u') {
            memcpy(&u, (const uint64_t *)a->data + i, 8);
        }
        if (a->type == 'U') {
            memset(d, 0, isz);
            for (size_t k = 0; k < slen; k++)
                d[4 * k] = (unsigned char)((const char *)a->data)[k];
            break;
        }
        for (size_t k = 0; k < isz; k++)
            d[i * isz + k] = (unsigned char)(u >> (8 * k));
    }
    *out = b;
    *len = total_h + data;
    return 0;
}

/* Raw deflate of src into *dst (malloc'd). */
static int npz_deflate(const unsigned char *src, size_t n, unsigned char **dst, size_t *dn,
                       nnrt_err *e)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return nnrt_errorf(e, "zlib: cannot start deflate");
    if (n > 0xffffffffu) {
        deflateEnd(&s);
        return nnrt_errorf(e, "array too large to compress in one piece");
    }
    uLong cap = deflateBound(&s, (uLong)n);
    unsigned char *b = malloc(cap ? cap : 1);
    if (!b) {
        deflateEnd(&s);
        return nnrt_errorf(e, "out of memory");
    }
    s.next_in = (unsigned char *)(uintptr_t)src;
    s.avail_in = (uInt)n;
    s.next_out = b;
    s.avail_out = (uInt)cap;
    int zr = deflate(&s, Z_FINISH);
    *dn = cap - s.avail_out;
    deflateEnd(&s);
    if (zr != Z_STREAM_END) {
        free(b);
        return nnrt_errorf(e, "zlib: deflate failed");
    }
    *dst = b;
    return 0;
}

int nnrt_npz_write(const char *path, const nnrt_npy_out *a, size_t n, int deflate_it,
                   nnrt_err *e)
{
    if (n > 0xffff)
        return nnrt_errorf(e, "%s: too many arrays for a zip archive", path);
    unsigned char *cd = malloc(n * (46 + 132) + 1);
    if (!cd)
        return nnrt_errorf(e, "%s: out of memory", path);
    nnrt_afile f;
    if (nnrt_afile_open(&f, path, e)) {
        free(cd);
        return -1;
    }
    size_t cdn = 0;
    uint64_t off = 0;
    nnrt_err why = {""};
    for (size_t i = 0; i < n; i++) {
        char name[132];
        int nl = snprintf(name, sizeof name, "%s.npy", a[i].name);
        unsigned char *raw = NULL, *z = NULL;
        size_t rl = 0, zl = 0;
        if (nl <= 0 || (size_t)nl >= sizeof name) {
            nnrt_errorf(&why, "array name '%s' too long", a[i].name);
            goto fail;
        }
        if (npy_encode(&a[i], &raw, &rl, &why))
            goto fail;
        if (rl > 0xfffffffeu) {
            free(raw);
            nnrt_errorf(&why, "array '%s': more than 4 GiB (no zip64 here)", a[i].name);
            goto fail;
        }
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), raw, (uInt)rl);
        if (deflate_it && npz_deflate(raw, rl, &z, &zl, &why)) {
            free(raw);
            goto fail;
        }
        const unsigned char *body = z ? z : raw;
        size_t bl = z ? zl : rl;
        if (rl > 0xfffffffeu || off + 30 + (uint64_t)nl + bl > 0xfffffffeu) {
            free(raw);
            free(z);
            nnrt_errorf(&why, "more than 4 GiB: too large for this writer (no zip64)");
            goto fail;
        }
        unsigned char lh[30];
        npy_put32(lh, 0x04034b50u);
        npy_put16(lh + 4, 20);               /* version needed: 2.0 */
        npy_put16(lh + 6, 0);                /* flags */
        npy_put16(lh + 8, z ? 8 : 0);        /* method */
        npy_put16(lh + 10, 0);               /* time 00:00:00 */
        npy_put16(lh + 12, (1 << 5) | 1);    /* date 1980-01-01 */
        npy_put32(lh + 14, crc);
        npy_put32(lh + 18, (uint32_t)bl);
        npy_put32(lh + 22, (uint32_t)rl);
        npy_put16(lh + 26, (uint32_t)nl);
        npy_put16(lh + 28, 0);
        nnrt_afile_write(&f, lh, 30);
        nnrt_afile_write(&f, name, (size_t)nl);
        nnrt_afile_write(&f, body, bl);
        unsigned char *c = cd + cdn;
        npy_put32(c, 0x02014b50u);
        npy_put16(c + 4, 20); /* made by: 2.0 */
        memcpy(c + 6, lh + 4, 26);
        npy_put16(c + 32, 0);           /* comment */
        npy_put16(c + 34, 0);           /* disk */
        npy_put16(c + 36, 0);           /* internal attributes */
        npy_put32(c + 38, 0);           /* external attributes */
        npy_put32(c + 42, (uint32_t)off);
        memcpy(c + 46, name, (size_t)nl);
        cdn += 46 + (size_t)nl;
        off += 30 + (uint64_t)nl + bl;
        free(raw);
        free(z);
    }
    unsigned char eo[22];
    npy_put32(eo, 0x06054b50u);
    npy_put16(eo + 4, 0);
    npy_put16(eo + 6, 0);
    npy_put16(eo + 8, (uint32_t)n);
    npy_put16(eo + 10, (uint32_t)n);
    npy_put32(eo + 12, (uint32_t)cdn);
    npy_put32(eo + 16, (uint32_t)off);
    npy_put16(eo + 20, 0);
    nnrt_afile_write(&f, cd, cdn);
    nnrt_afile_write(&f, eo, 22);
    free(cd);
    return nnrt_afile_commit(&f, e);
fail:
    free(cd);
    nnrt_afile_abort(&f);
    return nnrt_errorf(e, "%s: %s (file left unchanged)", path, why.msg);
}

int nnrt_npy_write(const char *path, const nnrt_npy_out *a, nnrt_err *e)
{
    unsigned char *raw;
    size_t rl;
    nnrt_err why = {""};
    if (npy_encode(a, &raw, &rl, &why))
        return nnrt_errorf(e, "%s: %s (file left unchanged)", path, why.msg);
    nnrt_afile f;
    if (nnrt_afile_open(&f, path, e)) {
        free(raw);
        return -1;
    }
    nnrt_afile_write(&f, raw, rl);
    free(raw);
    return nnrt_afile_commit(&f, e);
}
