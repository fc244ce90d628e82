/*
 * expr.c -- the vocabulary's small expressions (an activation's derivative
 * in runtime/nnrt_vocab.c, an optimizer's step in emit.c) turned into the
 * body of an elementwise loop: scalar C for the plain loops, the ISA row's
 * intrinsics for a vector path.  Both come from one tree, so the two paths
 * do the same operations in the same order.
 *
 *   stmt -> NAME '=' expr
 *   expr -> NUMBER | NAME | OP '(' expr {',' expr} ')'
 *   OP   -> add | sub | mul | div | sqrt | sel_gt0
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

#define EX_NODES 64 /* per loop: every statement of it */
#define EX_NAME 16
#define EX_STMTS 4
#define EX_HOIST 12

typedef struct ex_op {
    const char *name;
    int nargs;
    int prec;          /* C precedence class of the scalar form: 1 ?:, 2 + -, 3 * /, 4 call */
    const char *infix; /* scalar: " + "; NULL: a call or sel_gt0 */
    size_t isa;        /* offset of the ISA row's template */
} ex_op;

enum { EX_NUM, EX_NAMED, EX_APPLY };

static const ex_op ex_ops[] = {
    {"add", 2, 2, " + ", offsetof(isa_row, add)},
    {"sub", 2, 2, " - ", offsetof(isa_row, sub)},
    {"mul", 2, 3, " * ", offsetof(isa_row, mul)},
    {"div", 2, 3, " / ", offsetof(isa_row, div)},
    {"sqrt", 1, 4, NULL, offsetof(isa_row, sqrt)},
    {"sel_gt0", 3, 1, NULL, offsetof(isa_row, sel_gt0)},
};

typedef struct ex_node {
    int kind;
    double num;
    char name[EX_NAME];
    const ex_op *op;
    int arg[3];
} ex_node;

/* A parsed loop and what rendering it has seen so far. */
typedef struct ex_ctx {
    emitter *e;
    const isa_row *I;
    const ex_loop *x;
    ex_node n[EX_NODES];
    int nn;
    int n_stmts;
    char target[EX_STMTS][EX_NAME];
    int root[EX_STMTS];
    int assigned;                  /* vector paths: statements whose value is named */
    char hoist[EX_HOIST][EX_NAME]; /* vector paths: the broadcasts before the loop: */
    double hoist_num[EX_HOIST];    /* a scalar's name, or "" and a number */
    int n_hoist;
    const char *s; /* the parser's position */
} ex_ctx;

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

static void ex_space(ex_ctx *c)
{
    while (isspace((unsigned char)*c->s))
        c->s++;
}

/* A name into out; 0 if there is none. */
static int ex_word(ex_ctx *c, char out[EX_NAME])
{
    ex_space(c);
    size_t n = 0;
    while ((isalnum((unsigned char)c->s[n]) || c->s[n] == '_') && n + 1 < EX_NAME)
        n++;
    if (n == 0 || isdigit((unsigned char)c->s[0]))
        return 0;
    memcpy(out, c->s, n);
    out[n] = '\0';
    c->s += n;
    return 1;
}

static int ex_expect(ex_ctx *c, char ch)
{
    ex_space(c);
    if (*c->s != ch)
        return 0;
    c->s++;
    return 1;
}

/* expr -> NUMBER | NAME | OP '(' expr {',' expr} ')'; the node, or -1. */
static int ex_parse(ex_ctx *c)
{
    if (c->nn >= EX_NODES)
        return -1;
    int k = c->nn++;
    ex_node *n = &c->n[k];
    ex_space(c);
    if (isdigit((unsigned char)*c->s)) {
        char *end;
        n->kind = EX_NUM;
        n->num = strtod(c->s, &end);
        c->s = end;
        return k;
    }
    if (!ex_word(c, n->name))
        return -1;
    ex_space(c);
    if (*c->s != '(') {
        n->kind = EX_NAMED;
        return k;
    }
    c->s++;
    n->kind = EX_APPLY;
    for (size_t o = 0; o < sizeof ex_ops / sizeof ex_ops[0]; o++)
        if (strcmp(ex_ops[o].name, n->name) == 0)
            n->op = &ex_ops[o];
    if (!n->op)
        return -1;
    for (int a = 0; a < n->op->nargs; a++) {
        if (a > 0 && !ex_expect(c, ','))
            return -1;
        int arg = ex_parse(c);
        if (arg < 0)
            return -1;
        n->arg[a] = arg;
    }
    return ex_expect(c, ')') ? k : -1;
}

/* stmt -> NAME '=' expr, for every statement of the loop; 0 on success. */
static int ex_parse_loop(ex_ctx *c)
{
    for (c->n_stmts = 0; c->x->stmts[c->n_stmts]; c->n_stmts++) {
        if (c->n_stmts >= EX_STMTS)
            return -1;
        c->s = c->x->stmts[c->n_stmts];
        if (!ex_word(c, c->target[c->n_stmts]) || !ex_expect(c, '='))
            return -1;
        int r = ex_parse(c);
        ex_space(c);
        if (r < 0 || *c->s)
            return -1;
        c->root[c->n_stmts] = r;
    }
    return c->n_stmts > 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Names                                                                */
/* ------------------------------------------------------------------ */

/* The next space-separated word of *list into w; 0 at the end. */
static int ex_next(const char **list, char w[EX_NAME])
{
    const char *p = *list ? *list + strspn(*list, " ") : "";
    size_t n = strcspn(p, " ");
    if (n == 0)
        return 0;
    snprintf(w, EX_NAME, "%.*s", (int)n, p);
    *list = p + n;
    return 1;
}

/* Is `name` one of the words of `list`? */
static int ex_in(const char *list, const char *name)
{
    char w[EX_NAME];
    while (ex_next(&list, w))
        if (strcmp(w, name) == 0)
            return 1;
    return 0;
}

/* The statement that defines temporary `name` before statement `upto`, or -1. */
static int ex_temp(const ex_ctx *c, const char *name, int upto)
{
    if (ex_in(c->x->arrays, name))
        return -1;
    for (int k = upto - 1; k >= 0; k--)
        if (strcmp(c->target[k], name) == 0)
            return k;
    return -1;
}

/* The vector holding array `name`: its initial and v (av, dv, gv, pv, mv, vv). */
static const char *ex_vec_name(ex_ctx *c, const char *name)
{
    return S(c->e, "%cv", name[0]);
}

/* What a scalar name spells: p is the activation's parameter. */
static const char *ex_scalar(const ex_ctx *c, const char *name)
{
    return strcmp(name, "p") == 0 && c->x->p ? c->x->p : name;
}

/* The vector a hoisted number is broadcast into: one, two, half, k<index>. */
static const char *ex_num_name(ex_ctx *c, double v)
{
    static const struct {
        double v;
        const char *name;
    } names[] = {{1.0, "one"}, {2.0, "two"}, {0.5, "half"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (names[k].v == v)
            return names[k].name;
    for (int k = 0; k < c->n_hoist; k++)
        if (!c->hoist[k][0] && c->hoist_num[k] == v)
            return S(c->e, "k%d", k);
    c->e->err = 1; /* not hoisted */
    return "?";
}

/* Adds the scalars and the numbers but 0 that node k of statement `stmt`
 * uses to the hoist list, in the order they appear. */
static void ex_collect(ex_ctx *c, int k, int stmt)
{
    const ex_node *n = &c->n[k];
    if (n->kind == EX_APPLY) {
        for (int i = 0; i < n->op->nargs; i++)
            ex_collect(c, n->arg[i], stmt);
        return;
    }
    if (n->kind == EX_NAMED && (ex_in(c->x->arrays, n->name) || ex_temp(c, n->name, stmt) >= 0))
        return;
    if (n->kind == EX_NUM && n->num == 0.0)
        return; /* the ISA row's zero */
    const char *name = n->kind == EX_NAMED ? n->name : "";
    for (int h = 0; h < c->n_hoist; h++)
        if (strcmp(c->hoist[h], name) == 0 && (*name || c->hoist_num[h] == n->num))
            return;
    if (c->n_hoist >= EX_HOIST) {
        c->e->err = 1;
        return;
    }
    snprintf(c->hoist[c->n_hoist], EX_NAME, "%s", name);
    c->hoist_num[c->n_hoist++] = n->num;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                            */
/* ------------------------------------------------------------------ */

static void ex_copy(emitter *e, char *out, const char *s)
{
    size_t n = strlen(s);
    if (n >= TX_STR) {
        e->err = 1;
        n = TX_STR - 1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

/* A name of statement `stmt` into out. */
static void ex_render_name(ex_ctx *c, const char *name, int stmt, char *out)
{
    emitter *e = c->e;
    if (c->I->lanes == 1) {
        ex_copy(e, out, ex_in(c->x->arrays, name) ? S(e, "%s[i]", name) : ex_scalar(c, name));
    } else if (ex_temp(c, name, stmt) >= 0) {
        ex_copy(e, out, name);
    } else if (ex_in(c->x->arrays, name)) {
        int named = ex_in(c->x->loads, name); /* loaded, or assigned before */
        for (int s = 0; s < c->assigned; s++)
            named |= strcmp(c->target[s], name) == 0;
        ex_copy(e, out,
                named ? ex_vec_name(c, name) : T(e, c->I->loadu, S(e, "%s + i", name), NULL, NULL));
    } else {
        ex_copy(e, out, S(e, "v%s", ex_scalar(c, name)));
    }
}

/* Node k of statement `stmt` into out (TX_STR bytes); returns its
 * precedence class (ex_op.prec; 4 for atoms). */
static int ex_render(ex_ctx *c, int k, int stmt, char *out)
{
    emitter *e = c->e;
    const ex_node *n = &c->n[k];
    const int vec = c->I->lanes > 1;
    if (n->kind == EX_NUM) {
        if (!vec)
            ex_copy(e, out, tx_lit(e, n->num));
        else
            ex_copy(e, out, n->num == 0.0 ? c->I->zero : ex_num_name(c, n->num));
        return 4;
    }
    if (n->kind == EX_NAMED) {
        int t = ex_temp(c, n->name, stmt);
        if (t >= 0 && !vec) /* the scalar path has no temporaries */
            return ex_render(c, c->root[t], t, out);
        ex_render_name(c, n->name, stmt, out);
        return 4;
    }
    const ex_op *op = n->op;
    char a[3][TX_STR];
    int prec[3];
    for (int i = 0; i < op->nargs; i++)
        prec[i] = ex_render(c, n->arg[i], stmt, a[i]);
    if (vec) {
        const char *tmpl = *(const char *const *)((const char *)c->I + op->isa);
        ex_copy(e, out, T(e, tmpl, a[0], op->nargs > 1 ? a[1] : NULL, op->nargs > 2 ? a[2] : NULL));
        return 4;
    }
    if (op->nargs == 1) { /* sqrt */
        ex_copy(e, out, S(e, "%s%s(%s)", op->name, e->dbl ? "" : "f", a[0]));
        return op->prec;
    }
    /* parenthesized: an operand that binds less tightly, a right operand
     * that binds as tightly (no reliance on associativity), any compound
     * operand of a division, a sel_gt0 inside a sel_gt0 */
    const int div = strcmp(op->name, "div") == 0;
    char w[3][TX_STR + 2];
    for (int i = 0; i < op->nargs; i++) {
        int paren = prec[i] < op->prec || (i > 0 && prec[i] == op->prec) || (div && prec[i] < 4) ||
                    (!op->infix && prec[i] == op->prec);
        snprintf(w[i], sizeof w[i], "%s%.*s%s", paren ? "(" : "", TX_STR - 1, a[i],
                 paren ? ")" : "");
    }
    if (op->infix)
        ex_copy(e, out, S(e, "%s%s%s", w[0], op->infix, w[1]));
    else /* sel_gt0 */
        ex_copy(e, out, S(e, "%s > %s ? %s : %s", w[0], tx_lit(e, 0), w[1], w[2]));
    return op->prec;
}

/* ------------------------------------------------------------------ */
/* Loops                                                                */
/* ------------------------------------------------------------------ */

/* Parses the loop for ISA row I, and plans the broadcasts of a vector
 * path: `consts` in order, then what the statements use. */
static int ex_start(ex_ctx *c, emitter *e, const isa_row *I, const ex_loop *x)
{
    memset(c, 0, sizeof *c);
    c->e = e;
    c->I = I;
    c->x = x;
    if (ex_parse_loop(c) != 0 || !ex_in(x->arrays, c->target[c->n_stmts - 1])) {
        e->err = 1;
        return -1;
    }
    const char *list = x->consts;
    while (c->n_hoist < EX_HOIST && ex_next(&list, c->hoist[c->n_hoist]))
        c->n_hoist++;
    for (int s = 0; s < c->n_stmts; s++)
        ex_collect(c, c->root[s], s);
    return 0;
}

void ex_hoist(emitter *e, const isa_row *I, const ex_loop *x)
{
    ex_ctx c;
    if (I->lanes == 1 || ex_start(&c, e, I, x) != 0)
        return;
    for (int h = 0; h < c.n_hoist; h++) {
        if (c.hoist[h][0]) {
            const char *v = ex_scalar(&c, c.hoist[h]);
            tx_line(e, "const %s v%s = %s;", I->vt, v, T(e, I->set1, v, NULL, NULL));
        } else {
            double v = c.hoist_num[h];
            tx_line(e, "const %s %s = %s;", I->vt, ex_num_name(&c, v),
                    T(e, I->set1, tx_lit(e, v), NULL, NULL));
        }
    }
}

void ex_body(emitter *e, const isa_row *I, const ex_loop *x)
{
    ex_ctx c;
    if (ex_start(&c, e, I, x) != 0)
        return;
    char v[TX_STR], a[EX_NAME];
    const int last = c.n_stmts - 1;
    if (I->lanes == 1) {
        for (int s = 0; s <= last; s++)
            if (ex_in(x->arrays, c.target[s])) {
                ex_render(&c, c.root[s], s, v);
                tx_line(e, "%s[i] = %s;", c.target[s], v);
            }
        return;
    }
    for (const char *list = x->loads; ex_next(&list, a);)
        tx_line(e, "const %s %s = %s;", I->vt, ex_vec_name(&c, a),
                T(e, I->loadu, S(e, "%s + i", a), NULL, NULL));
    for (int s = 0; s < last; s++) {
        const char *t = c.target[s];
        ex_render(&c, c.root[s], s, v);
        tx_line(e, "const %s %s = %s;", I->vt, ex_in(x->arrays, t) ? ex_vec_name(&c, t) : t, v);
        c.assigned = s + 1;
    }
    for (int s = 0; s < last; s++) {
        const char *t = c.target[s];
        if (ex_in(x->arrays, t))
            tx_line(e, "%s;", T(e, I->storeu, S(e, "%s + i", t), ex_vec_name(&c, t), NULL));
    }
    ex_render(&c, c.root[last], last, v);
    tx_line(e, "%s;", T(e, I->storeu, S(e, "%s + i", c.target[last]), v, NULL));
}
