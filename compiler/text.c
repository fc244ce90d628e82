/*
 * text.c -- the emitter's text machinery: the output's named sections and
 * their indentation (generators never indent by hand: tx_line, tx_open,
 * tx_close, tx_cont and tx_pp own the depth), short-lived strings (S) and
 * ISA templates (T), literals of the dtype, C strings, comment-safe text,
 * and the fixed parts of the output copied from templates/generated.c.in
 * with their holes filled.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/* ------------------------------------------------------------------ */
/* Sections and lines                                                   */
/* ------------------------------------------------------------------ */

static void tx_append(emitter *e, const char *t, size_t len)
{
    tx_buf *b = &e->sec[e->cur];
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            e->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, t, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* One line at `depth` levels of 4 spaces. */
static void tx_vline(emitter *e, int depth, const char *fmt, va_list ap)
{
    char small[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    for (int i = 0; i < depth; i++)
        tx_append(e, "    ", 4);
    if (n < 0) {
        e->err = 1;
    } else if ((size_t)n < sizeof small) {
        tx_append(e, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big)
            e->err = 1;
        else {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            tx_append(e, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
    tx_append(e, "\n", 1);
}

void tx_section(emitter *e, int sec)
{
    e->cur = sec;
    e->depth = 0;
}

void tx_line(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tx_vline(e, e->depth, fmt, ap);
    va_end(ap);
}

void tx_open(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tx_vline(e, e->depth++, fmt, ap);
    va_end(ap);
}

void tx_close(emitter *e, const char *text)
{
    e->depth--;
    tx_line(e, "%s", text);
}

/* The continuation of a statement or declaration: one level deeper. */
void tx_cont(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tx_vline(e, e->depth + 1, fmt, ap);
    va_end(ap);
}

/* Preprocessor lines always start in column 0. */
void tx_pp(emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tx_vline(e, 0, fmt, ap);
    va_end(ap);
}

void tx_blank(emitter *e)
{
    tx_append(e, "\n", 1);
}

int tx_write(emitter *e, FILE *out)
{
    int rc = e->err ? -1 : 0;
    for (int i = 0; i < SEC_N; i++) {
        if (rc == 0 && e->sec[i].n && fwrite(e->sec[i].p, 1, e->sec[i].n, out) != e->sec[i].n)
            rc = -1;
        free(e->sec[i].p);
        e->sec[i].p = NULL;
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = -1;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Short-lived strings                                                  */
/* ------------------------------------------------------------------ */

static char *tx_ring(emitter *e)
{
    return e->ring[e->ring_i++ % TX_RING];
}

const char *tx_fmt(emitter *e, const char *fmt, ...)
{
    char *r = tx_ring(e);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r, TX_STR, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= TX_STR)
        e->err = 1;
    return r;
}

/* Expand an ISA template with up to three operands. */
const char *tx_expand(emitter *e, const char *tmpl, const char *a, const char *b, const char *c)
{
    char *r = tx_ring(e);
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        const char *ins = NULL;
        if (p[0] == '$' && p[1] >= '1' && p[1] <= '3')
            ins = p[1] == '1' ? a : p[1] == '2' ? b : c;
        else if (p[0] == '$' && p[1] == 'P')
            ins = e->F;
        if (ins) {
            size_t l = strlen(ins);
            if (n + l >= TX_STR) {
                e->err = 1;
                break;
            }
            memcpy(r + n, ins, l);
            n += l;
            p++;
        } else if (n + 1 < TX_STR) {
            r[n++] = *p;
        } else {
            e->err = 1;
            break;
        }
    }
    r[n] = '\0';
    return r;
}

/* ------------------------------------------------------------------ */
/* Literals, names, comments                                            */
/* ------------------------------------------------------------------ */

/* A real literal that is valid C for the dtype, in the fewest digits that
 * read back as the same value: 2 -> "2.0f" / "2.0", 0.0075f -> "0.0075f"
 * (not "0.00749999983f"); v is a float's value unless --dtype double. */
const char *tx_lit(emitter *e, double v)
{
    char t[64];
    const int most = e->dbl ? 17 : 9;
    for (int digits = 1; digits <= most; digits++) {
        snprintf(t, sizeof t, "%.*g", digits, v);
        if (e->dbl ? strtod(t, NULL) == v : strtof(t, NULL) == (float)v)
            break;
    }
    if (!strpbrk(t, ".eEni"))
        strcat(t, ".0");
    return S(e, "%s%s", t, e->dbl ? "" : "f");
}

/* Upper-case spelling of a kind for the nnrt enums: leaky_relu -> LEAKY_RELU. */
const char *tx_upper(emitter *e, const char *w)
{
    char *r = tx_ring(e);
    size_t n = 0;
    for (; w[n] && n + 1 < TX_STR; n++)
        r[n] = (char)toupper((unsigned char)w[n]);
    r[n] = '\0';
    return r;
}

/* Write `str` as a C string literal (into e->cstr: one at a time). */
const char *tx_cstr(emitter *e, const char *str)
{
    char *r = e->cstr;
    size_t n = 0;
    r[n++] = '"';
    for (const char *p = str ? str : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (n + 6 >= sizeof e->cstr) {
            e->err = 1;
            break;
        }
        if (c == '"' || c == '\\' || c == '?') { /* '?': no trigraphs */
            r[n++] = '\\';
            r[n++] = (char)c;
        } else if (c < 32 || c >= 127) {
            n += (size_t)snprintf(r + n, 6, "\\%03o", c);
        } else {
            r[n++] = (char)c;
        }
    }
    r[n++] = '"';
    r[n] = '\0';
    return r;
}

/* Copy `src` (len bytes) for use inside a C comment: no comment
 * delimiters, no trigraphs, no control characters. */
void tx_comment_text(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        char c = src[i];
        if ((unsigned char)c < 32 || c == 127)
            c = ' ';
        /* no comment delimiters, no trigraphs (-std=c11 has them) */
        if (n > 0 && ((dst[n - 1] == '*' && c == '/') || (dst[n - 1] == '/' && c == '*') ||
                      (dst[n - 1] == '?' && c == '?')))
            dst[n++] = ' ';
        dst[n++] = c;
    }
    dst[n] = '\0';
}

/* Line `line` (1-based) of the spec, trimmed and comment-safe; "" if none. */
const char *tx_spec_line(emitter *e, int line)
{
    const char *src = e->s->source;
    if (!src || line <= 0)
        return "";
    for (int l = 1; l < line && *src; src++)
        if (*src == '\n')
            l++;
    const char *end = strchr(src, '\n');
    size_t len = end ? (size_t)(end - src) : strlen(src);
    while (len > 0 && isspace((unsigned char)*src)) {
        src++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)src[len - 1]))
        len--;
    char *r = tx_ring(e);
    tx_comment_text(r, TX_STR, src, len);
    return r;
}

/* ------------------------------------------------------------------ */
/* Templates: the fixed parts of the output                             */
/* ------------------------------------------------------------------ */
/* compiler/templates/generated.c.in, embedded at build time (one string a
 * line, NULL-terminated) by compiler/templates/embed.cmake. */
extern const char *const nng_template[];

/* Fill the holes (e->holes) of one template line into out (cap bytes). */
static void tx_fill(emitter *e, const char *l, char *out, size_t cap)
{
    size_t n = 0;
    while (*l) {
        const char *ins = l;
        size_t skip = 1, il = 1;
        for (int h = 0; e->holes[h][0] && ins == l; h++) {
            size_t hl = strlen(e->holes[h][0]);
            if (strncmp(l, e->holes[h][0], hl) == 0) {
                skip = hl;
                ins = e->holes[h][1];
                il = strlen(ins);
            }
        }
        if (n + il + 1 > cap) {
            e->err = 1;
            break;
        }
        memcpy(out + n, ins, il);
        n += il;
        l += skip;
    }
    out[n] = '\0';
}

/* Copy section `name` (from the line "@@name" to the next "@@" line) at the
 * current depth; a line holding only @LOSS_CHUNK@ calls `hook`. */
void tx_template(emitter *e, const char *name, void (*hook)(emitter *))
{
    const char *const *t = nng_template;
    while (*t && !((*t)[0] == '@' && (*t)[1] == '@' && strcmp(*t + 2, name) == 0))
        t++;
    if (!*t) {
        e->err = 1;
        return;
    }
    const int base = e->depth;
    char line[1024];
    for (t++; *t && !((*t)[0] == '@' && (*t)[1] == '@'); t++) {
        int sp = 0;
        while ((*t)[sp] == ' ')
            sp++;
        if ((*t)[sp] == '\0') {
            tx_blank(e);
            continue;
        }
        e->depth = base + sp / 4;
        if (strcmp(*t + sp, "@LOSS_CHUNK@") == 0) {
            if (hook)
                hook(e);
            else
                e->err = 1;
            continue;
        }
        tx_fill(e, *t + sp / 4 * 4, line, sizeof line);
        if (line[0] == '#')
            tx_pp(e, "%s", line);
        else
            tx_line(e, "%s", line);
    }
    e->depth = base;
}
