/*
 * nnrt_npz_weights.c -- weights files named *.npz: the parameters as numpy
 * users hold them, one array per tensor, so that
 *
 *     p = np.load("cat.npz");  W1, b1 = p["W1"], p["b1"]
 *
 * is all a numpy program needs (docs/weights.md, numpy).  nnrt_weights_save
 * and nnrt_weights_load (nnrt_weights.c) come here for such a name.
 *
 * Arrays written (stored members, as np.savez writes them; float32
 * little-endian, C order):
 *   W1 (units, fan_in)  b1 (units, 1)  W2 ...     the course's shapes
 *   vW1 vb1 ...  and for adam  sW1 sb1 ...       optimizer state (the course's
 *                                                v and s), when there is some
 *   step, epoch   int64 scalars                   updates and epochs done
 *   optimizer     text scalar: sgd, momentum, adam
 *   signature     uint64 scalar: the model's (nnrt_model.signature)
 *   model         text scalar: its name (for people; not checked)
 * Read back: W and b as float32 or float64 (b of shape (units, 1) or
 * (units,)); everything but W and b optional (a notebook's np.savez of its
 * parameters dict loads); a signature, when present, must be the model's.
 * Every array is checked and read into a scratch copy before anything is
 * copied to the caller: on an error nothing has changed.
 */
#include "nnrt_npy.h"
#include "nnrt_vocab.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int nnrt_npz_is_name(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n >= 4 && path[n - 4] == '.' && tolower((unsigned char)path[n - 3]) == 'n' &&
           tolower((unsigned char)path[n - 2]) == 'p' &&
           tolower((unsigned char)path[n - 1]) == 'z';
}

/* ------------------------------------------------------------------ */
/* Save                                                                 */
/* ------------------------------------------------------------------ */

#define WZ_NAME 24

int nnrt_npz_weights_save(const char *path, const nnrt_model *m, const nnrt_real *params,
                          const nnrt_checkpoint *ck, nnrt_err *e)
{
    size_t sf = ck->state ? ck->state_floats : 0; /* ck checked by nnrt_weights_save */
    int moments = sf == 0 ? 0 : ck->optimizer == NNRT_OPT_ADAM ? 2 : 1;
    size_t L = (size_t)(m->n_layers > 0 ? m->n_layers : 0), n = 0;
    size_t cap = 2 * L * (1 + (size_t)moments) + 5;
    nnrt_npy_out *a = calloc(cap, sizeof *a);
    char(*names)[WZ_NAME] = calloc(cap, sizeof *names);
    if (!a || !names) {
        free(a);
        free(names);
        return nnrt_errorf(e, "%s: out of memory", path);
    }
    static const char *const pre[] = {"", "v", "s"};
    for (int k = 0; k <= moments; k++) {
        const nnrt_real *base = k == 0 ? params : ck->state + (size_t)(k - 1) * m->n_params;
        for (size_t l = 0; l < L; l++) {
            const nnrt_layer_info *Ly = &m->layers[l];
            for (int wb = 0; wb < 2; wb++) {
                snprintf(names[n], WZ_NAME, "%s%c%zu", pre[k], wb ? 'b' : 'W', l + 1);
                a[n].name = names[n];
                a[n].type = NNRT_REAL_IS_DOUBLE ? 'd' : 'f'; /* float64 from a double model */
                a[n].ndim = 2;
                a[n].shape[0] = (uint64_t)Ly->units;
                a[n].shape[1] = wb ? 1u : (uint64_t)Ly->fan_in;
                a[n].data = base + (wb ? Ly->b_offset : Ly->w_offset);
                n++;
            }
        }
    }
    int64_t step = ck->step, epoch = ck->epoch;
    uint64_t sig = m->signature;
    a[n++] = (nnrt_npy_out){"step", 'i', 0, {0, 0}, &step};
    a[n++] = (nnrt_npy_out){"epoch", 'i', 0, {0, 0}, &epoch};
    a[n++] = (nnrt_npy_out){"optimizer", 'U', 0, {0, 0}, nnrt_opt_name(ck->optimizer)};
    a[n++] = (nnrt_npy_out){"signature", 'u', 0, {0, 0}, &sig};
    a[n++] = (nnrt_npy_out){"model", 'U', 0, {0, 0}, m->name ? m->name : ""};
    int rc = nnrt_npz_write(path, a, n, 0, e);
    free(a);
    free(names);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Load                                                                 */
/* ------------------------------------------------------------------ */

typedef struct wz_ctx {
    nnrt_npz z;
    const nnrt_model *m;
    const char *path;
    nnrt_err *e;
    nnrt_npy_reader r;
} wz_ctx;

/* Tensor `name` of layer l (0-based; W if !is_b) into dst; absent: 1 (if
 * optional) or an error. */
static int wz_tensor(wz_ctx *c, const char *name, int l, int is_b, nnrt_real *dst, int optional)
{
    const nnrt_layer_info *Ly = &c->m->layers[l];
    const nnrt_npz_member *mb = nnrt_npz_find(&c->z, name);
    if (!mb) {
        if (optional)
            return 1;
        char found[300];
        nnrt_npz_names(&c->z, found, sizeof found);
        return nnrt_errorf(c->e, "%s: no array '%s' (found: %s)", c->path, name, found);
    }
    if (nnrt_npz_member_open(&c->z, mb, &c->r, c->e))
        return -1;
    const nnrt_npy_hdr *h = &c->r.h;
    uint64_t rows = (uint64_t)Ly->units, cols = is_b ? 1u : (uint64_t)Ly->fan_in;
    int rc = -1;
    int shape_ok = h->ndim == 2 && h->shape[0] == rows && h->shape[1] == cols;
    if (is_b && h->ndim == 1 && h->shape[0] == rows)
        shape_ok = 1;
    if (h->kind != 'f') {
        nnrt_errorf(c->e, "%s: array '%s' has dtype %s; weights are float32 or float64",
                    c->path, name, h->descr);
    } else if (!shape_ok) {
        nnrt_errorf(c->e, "%s: array '%s' has shape %s, but model '%s' needs (%llu, %llu) "
                          "(layer %d: %d inputs, %d units)", c->path, name, h->shape_text,
                    c->m->name, (unsigned long long)rows, (unsigned long long)cols, l + 1,
                    Ly->fan_in, Ly->units);
    } else {
        rc = nnrt_npy_read(&c->r, dst, NNRT_REAL_IS_DOUBLE, rows * cols, 1.0f, c->e);
    }
    c->r.fp = NULL; /* the archive's */
    nnrt_npy_close(&c->r);
    return rc;
}

/* Integer scalar `name`: 1 when absent, else 0 or -1. */
static int wz_int(wz_ctx *c, const char *name, uint64_t *v)
{
    const nnrt_npz_member *mb = nnrt_npz_find(&c->z, name);
    if (!mb)
        return 1;
    int neg = 0, rc = nnrt_npz_member_open(&c->z, mb, &c->r, c->e);
    if (rc == 0) {
        rc = nnrt_npy_read_int(&c->r, v, &neg, c->e);
        c->r.fp = NULL;
        nnrt_npy_close(&c->r);
    }
    if (rc == 0 && neg)
        return nnrt_errorf(c->e, "%s: array '%s' is negative", c->path, name);
    return rc;
}

/* Text scalar `name`: 1 when absent, else 0 or -1. */
static int wz_text(wz_ctx *c, const char *name, char *buf, size_t cap)
{
    const nnrt_npz_member *mb = nnrt_npz_find(&c->z, name);
    if (!mb)
        return 1;
    int rc = nnrt_npz_member_open(&c->z, mb, &c->r, c->e);
    if (rc == 0) {
        rc = nnrt_npy_read_text(&c->r, buf, cap, c->e);
        c->r.fp = NULL;
        nnrt_npy_close(&c->r);
    }
    return rc;
}

/* No W or b beyond the model's layers: "W3" in a 2-layer model's file
 * means weights for another network. */
static int wz_extra_layers(wz_ctx *c)
{
    for (size_t i = 0; i < c->z.n; i++) {
        const char *s = c->z.mem[i].name;
        if (*s == 'v' || *s == 's')
            s++;
        if ((*s != 'W' && *s != 'b') || !isdigit((unsigned char)s[1]))
            continue;
        char *end;
        long k = strtol(s + 1, &end, 10);
        if (*end == '\0' && k > c->m->n_layers)
            return nnrt_errorf(c->e, "%s: holds '%s', but model '%s' has %d layer%s", c->path,
                               c->z.mem[i].name, c->m->name, c->m->n_layers,
                               c->m->n_layers == 1 ? "" : "s");
    }
    return 0;
}

/* The parameters (k = 0) or moment k (1: v, 2: s) into dst; 1 if the
 * file has none of that moment's arrays. */
static int wz_set(wz_ctx *c, int k, nnrt_real *dst)
{
    static const char *const pre[] = {"", "v", "s"};
    int absent = 0, present = 0;
    for (int l = 0; l < c->m->n_layers; l++) {
        for (int wb = 0; wb < 2; wb++) {
            char name[WZ_NAME];
            snprintf(name, sizeof name, "%s%c%d", pre[k], wb ? 'b' : 'W', l + 1);
            const nnrt_layer_info *Ly = &c->m->layers[l];
            int rc = wz_tensor(c, name, l, wb, dst + (wb ? Ly->b_offset : Ly->w_offset),
                               k > 0 && present == 0);
            if (rc < 0)
                return -1;
            if (rc == 1)
                absent = 1;
            else
                present = 1;
        }
    }
    if (absent && present)
        return nnrt_errorf(c->e, "%s: holds only some of the optimizer's %s arrays", c->path,
                           pre[k]);
    return absent ? 1 : 0;
}

int nnrt_npz_weights_load(const char *path, const nnrt_model *m, nnrt_real *params,
                          nnrt_real *state_out, size_t state_cap, nnrt_checkpoint *ck, nnrt_err *e)
{
    wz_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return nnrt_errorf(e, "%s: out of memory", path);
    c->m = m;
    c->path = path;
    c->e = e;
    nnrt_real *p = NULL, *st = NULL;
    int rc = -1;
    if (nnrt_npz_open(&c->z, path, e))
        goto done;
    if (wz_extra_layers(c))
        goto done;
    uint64_t sig = 0;
    int have = wz_int(c, "signature", &sig);
    if (have < 0)
        goto done;
    if (have == 0 && sig != m->signature) {
        char fname[128] = "?";
        if (wz_text(c, "model", fname, sizeof fname) < 0)
            goto done;
        nnrt_errorf(e, "%s: weights are for model '%s' (signature %016llx), not '%s' "
                       "(signature %016llx): other activations, parameters or loss",
                    path, fname, (unsigned long long)sig, m->name,
                    (unsigned long long)m->signature);
        goto done;
    }
    p = nnrt_alloc(m->n_params * sizeof(nnrt_real));
    if (!p) {
        nnrt_errorf(e, "%s: out of memory", path);
        goto done;
    }
    if (wz_set(c, 0, p))
        goto done;
    uint64_t step = 0, epoch = 0;
    char oname[32] = "sgd";
    if (wz_int(c, "step", &step) < 0 || wz_int(c, "epoch", &epoch) < 0 ||
        wz_text(c, "optimizer", oname, sizeof oname) < 0)
        goto done;
    if (step > (uint64_t)LONG_MAX || epoch > (uint64_t)LONG_MAX) {
        nnrt_errorf(e, "%s: step or epoch out of range", path);
        goto done;
    }
    int opt = -1;
    for (const nnrt_word_row *w = nnrt_opt_rows; w->name; w++)
        if (strcmp(w->name, oname) == 0)
            opt = w->value;
    if (opt < 0) {
        nnrt_errorf(e, "%s: unknown optimizer '%s' (expected sgd, momentum or adam)", path,
                    oname);
        goto done;
    }
    size_t sf = nnrt_state_floats(m, (nnrt_opt_kind)opt);
    int copy = state_out && sf > 0 && sf == state_cap;
    if (copy) {
        st = nnrt_alloc(sf * sizeof(nnrt_real));
        if (!st) {
            nnrt_errorf(e, "%s: out of memory", path);
            goto done;
        }
        int moments = opt == NNRT_OPT_ADAM ? 2 : 1;
        for (int k = 1; k <= moments && copy; k++) {
            int r = wz_set(c, k, st + (size_t)(k - 1) * m->n_params);
            if (r < 0)
                goto done;
            if (r == 1 && k == 2) {
                nnrt_errorf(e, "%s: holds adam's v arrays but not its s arrays (sW1, ...)",
                            path);
                goto done;
            }
            copy = r == 0;
        }
    }
    memcpy(params, p, m->n_params * sizeof(nnrt_real));
    if (copy)
        memcpy(state_out, st, sf * sizeof(nnrt_real));
    if (ck) {
        ck->step = (long)step;
        ck->epoch = (long)epoch;
        ck->optimizer = (nnrt_opt_kind)opt;
        ck->state = copy ? state_out : NULL;
        ck->state_floats = copy ? sf : 0;
    }
    rc = 0;
done:
    nnrt_free(p);
    nnrt_free(st);
    nnrt_npz_close(&c->z);
    free(c);
    return rc;
}
