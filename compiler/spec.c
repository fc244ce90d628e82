/*
 * spec.c -- the front end: spec text -> nng_spec (lexer, parser, checks).
 *
 * The language is line-based: one directive per line, `#` starts a comment
 * that runs to the end of the line, blank lines are ignored, and tokens are
 * separated by spaces or tabs (docs/spec.md is the user's reference).
 *
 *   spec       -> { line }
 *   line       -> [ directive ] [ '#' comment ] EOL          EOL: \n or \r\n
 *   directive  -> modelstat | inputstat | densestat | weightsstat | biasstat
 *               | lossstat | trainstat
 *   modelstat  -> 'model' NAME                  NAME: C identifier, <= 63 chars
 *   inputstat  -> 'input' dims
 *   dims       -> INT { 'x' INT }               1..4 factors, no spaces: 64x64x3
 *   densestat  -> 'dense' INT ACT [ PARAM '=' FLOAT ]
 *   ACT        -> a word of nnrt_act_rows (runtime/nnrt_vocab.c): sigmoid, tanh, ...
 *   PARAM      -> that row's parameter word, if it has one (leaky_relu: slope)
 *   weightsstat -> 'weights' FLOAT { FLOAT }    one unit's row: fan_in numbers
 *   biasstat   -> 'bias' FLOAT { FLOAT }        the layer's biases: units numbers
 *   lossstat   -> 'loss' LOSS
 *   LOSS       -> 'bce' | 'mse' | 'cce' | 'perceptron'  (or the long names, runtime/nnrt_vocab.c)
 *   trainstat  -> 'train' { trainopt }
 *   trainopt   -> KEY '=' VALUE                 no spaces around '='
 *   KEY=VALUE  -> lr=FLOAT | epochs=INT | iterations=INT | batch=('full' | INT)
 *               | optimizer=('sgd' | 'momentum' | 'adam') | beta1=FLOAT
 *               | beta2=FLOAT | eps=FLOAT
 *               | init=('zeros' | 'small' | 'course' | 'xavier' | 'he') | seed=INT
 *   INT        -> DIGIT { DIGIT }
 *   FLOAT      -> [ '-' | '+' ] ( DIGITS [ '.' [ DIGITS ] ] | '.' DIGITS )
 *                 [ ( 'e' | 'E' ) [ '-' | '+' ] DIGITS ]
 *
 * Every directive but `dense`, `weights` and `bias` appears at most once,
 * anywhere; dense layers apply in file order.  A layer's weights written
 * in the spec (docs/spec.md, "Weights in the spec") are lines right under
 * its `dense` line (comments and blank lines between are fine): one
 * `weights` line per unit, in order, then one `bias` line; a layer has
 * both or neither, and every number is finite as a float.  The text must be UTF-8 without NUL or control bytes
 * (tabs excepted); columns count characters, from 1.
 *
 * Errors: a syntax error ends its line (the parser goes on with the next
 * one); the checks that need the whole file (softmax placement, loss versus
 * output, step layers, the weights' counts, parameter count, missing
 * directives) run at the end and are skipped where an earlier error would
 * only make them repeat it.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nngen.h"

#define SPEC_MAX_FILE (1L << 20) /* bytes; specs are a few lines */
#define SPEC_MAX_ERRORS 20       /* then stop reading */
#define SPEC_SHOW 40             /* bytes of a token quoted in a message */

typedef struct tok {
    const char *s;
    size_t n;
    nng_pos pos;
} tok;

typedef struct parser {
    nng_spec *s;
    nng_diag *d;
    const char *line, *eol; /* the current line, without its end of line */
    const char *cur;        /* the lexer's position in it */
    int lineno;
    int directives;         /* non-blank lines */
    int unknown_lines;      /* lines whose directive was never recognised */
    nng_pos first_model, first_input, first_loss, first_train;
    int bad_input, bad_dense, bad_loss; /* a line of that kind had an error */
    int dense_lines[NNG_MAX_LAYERS + 1]; /* lines of the dense directives, good or bad */
    int n_dense_lines;
    /* weights and bias lines: the layer they belong to (the dense line
     * right above), -1 after any other directive, -2 after a dense line
     * with an error (they are skipped); what each layer has so far */
    int lit_layer;
    tok lit_after; /* the directive that ended the last layer's lines */
    struct spec_lit {
        int rows, cols;   /* weights lines so far, numbers in each */
        nng_pos first;    /* the first weights word */
        int bias_line;    /* the bias line, or 0 */
        int bad;          /* one of its lines had an error */
    } lit[NNG_MAX_LAYERS];
    nng_pos train_seen[NNRT_N_HPARAMS]; /* the train keys given */
} parser;

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

/* A token as quoted in messages: at most SPEC_SHOW bytes (cut at a UTF-8
 * character boundary), then "...". */
typedef struct shown {
    char s[SPEC_SHOW + 4];
} shown;

static shown show(const char *s, size_t n)
{
    shown r;
    size_t k = n;
    if (k > SPEC_SHOW) {
        k = SPEC_SHOW;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
    }
    memcpy(r.s, s, k);
    if (k < n)
        memcpy(r.s + k, "...", 4);
    else
        r.s[k] = '\0';
    return r;
}

static shown show_tok(const tok *t) { return show(t->s, t->n); }

/* "a, b, c or d" from a NULL-terminated list. */
static const char *word_list(const char *const *w, char *buf, size_t cap)
{
    size_t n = 0, len = 0;
    while (w[n])
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int k = snprintf(buf + len, cap - len, "%s%s", sep, w[i]);
        if (k < 0 || (size_t)k >= cap - len)
            break;
        len += (size_t)k;
    }
    return buf;
}

/* The word of `words` that t was probably meant to be, or NULL. */
static const char *suggest(const tok *t, const char *const *words)
{
    char w[SPEC_SHOW + 1];
    if (t->n > SPEC_SHOW)
        return NULL; /* no spec word is that long */
    memcpy(w, t->s, t->n);
    w[t->n] = '\0';
    return nnrt_did_you_mean(w, words);
}

/* "unknown KIND 'w' (did you mean 'x'?)" or "(expected a, b or c)". */
static int unknown_word(parser *P, const tok *t, const char *kind, const char *const *words)
{
    char list[256];
    shown sw = show_tok(t);
    const char *best = suggest(t, words);
    if (best)
        nng_error(P->d, t->pos, "unknown %s '%s' (did you mean '%s'?)", kind, sw.s, best);
    else
        nng_error(P->d, t->pos, "unknown %s '%s' (expected %s)", kind, sw.s,
                  word_list(words, list, sizeof list));
    return -1;
}

/* ------------------------------------------------------------------ */
/* Lexer                                                                */
/* ------------------------------------------------------------------ */

/* Column (in characters, from 1) of p in the current line. */
static int col_of(const parser *P, const char *p)
{
    int col = 1;
    for (const char *q = P->line; q < p; q++)
        if (((unsigned char)*q & 0xC0) != 0x80)
            col++;
    return col;
}

/* Length of the valid UTF-8 character at p (< e), or 0 if invalid. */
static int utf8_len(const unsigned char *p, const unsigned char *e)
{
    unsigned c = p[0];
    int len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* > U+10FFFF */
    } else
        return 0;
    if (e - p < len || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* The bytes of the current line: UTF-8, no NUL, no control characters
 * but tab.  Reports the first bad one. */
static int check_bytes(parser *P)
{
    const unsigned char *p = (const unsigned char *)P->line;
    const unsigned char *e = (const unsigned char *)P->eol;
    while (p < e) {
        nng_pos pos = {P->lineno, 0};
        int len = utf8_len(p, e);
        if (len == 1 && (*p >= 0x20 || *p == '\t') && *p != 0x7F) {
            p++;
            continue;
        }
        if (len > 1) {
            p += len;
            continue;
        }
        pos.col = col_of(P, (const char *)p);
        if (*p == 0)
            nng_error(P->d, pos, "NUL byte in the spec (is this a text file?)");
        else if (*p == '\r')
            nng_error(P->d, pos, "carriage return not followed by a newline "
                                 "(lines must end with \\n or \\r\\n)");
        else if (len == 1)
            nng_error(P->d, pos, "control character 0x%02x in the spec", *p);
        else
            nng_error(P->d, pos, "invalid UTF-8 byte 0x%02x", *p);
        return -1;
    }
    return 0;
}

/* The next token of the line into *t; 0 at the end of the line (or at a
 * comment), where t->pos is the column a token would have started at. */
static int lex_next(parser *P, tok *t)
{
    const char *p = P->cur;
    while (p < P->eol && (*p == ' ' || *p == '\t'))
        p++;
    t->s = p;
    t->pos.line = P->lineno;
    t->pos.col = col_of(P, p);
    if (p == P->eol || *p == '#') {
        t->n = 0;
        P->cur = p;
        return 0;
    }
    const char *q = p;
    while (q < P->eol && *q != ' ' && *q != '\t' && *q != '#')
        q++;
    t->n = (size_t)(q - p);
    P->cur = q;
    return 1;
}

static int tok_is(const tok *t, const char *w)
{
    return strlen(w) == t->n && memcmp(t->s, w, t->n) == 0;
}

/* The index of t in `words` (NULL-terminated), or -1. */
static int word_index(const tok *t, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (tok_is(t, words[i]))
            return i;
    return -1;
}

/* Splits "key=value" at its first '=' (0 if there is none). */
static int split_eq(const tok *t, tok *key, tok *val)
{
    const char *eq = memchr(t->s, '=', t->n);
    if (!eq)
        return 0;
    key->s = t->s;
    key->n = (size_t)(eq - t->s);
    key->pos = t->pos;
    val->s = eq + 1;
    val->n = t->n - key->n - 1;
    val->pos.line = t->pos.line;
    val->pos.col = t->pos.col + (int)key->n + 1; /* keys are ASCII when they match */
    return 1;
}

/* Nothing more on the line. */
static int expect_end(parser *P, const char *after)
{
    tok t;
    if (!lex_next(P, &t))
        return 0;
    nng_error(P->d, t.pos, "unexpected '%s' after %s", show_tok(&t).s, after);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

enum { NUM_OK, NUM_SYNTAX, NUM_LOW, NUM_HIGH };

/* An unsigned decimal integer s[0..n) in [lo, hi]. */
static int scan_count(const char *s, size_t n, unsigned long long lo, unsigned long long hi,
                      unsigned long long *v)
{
    unsigned long long x = 0;
    int high = 0;
    if (n == 0)
        return NUM_SYNTAX;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return NUM_SYNTAX;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            high = 1;
        else
            x = x * 10 + d;
    }
    if (high || x > hi)
        return NUM_HIGH;
    if (x < lo)
        return NUM_LOW;
    *v = x;
    return NUM_OK;
}

/* A count field, with its messages:
 *   "WHAT: expected a positive integer, got '20x'"
 *   "WHAT must be at least 1, got 0"
 *   "WHAT: 2000000 is over the limit of 1000000 (LIMIT)" */
static int count_field(parser *P, const tok *t, const char *what, unsigned long long lo,
                       unsigned long long hi, const char *limit, unsigned long long *v)
{
    switch (scan_count(t->s, t->n, lo, hi, v)) {
    case NUM_OK:
        return 0;
    case NUM_SYNTAX:
        if (t->n == 0)
            nng_error(P->d, t->pos, "%s: missing value", what);
        else
            nng_error(P->d, t->pos, "%s: expected a %s integer, got '%s'", what,
                      lo > 0 ? "positive" : "non-negative", show_tok(t).s);
        return -1;
    case NUM_LOW:
        nng_error(P->d, t->pos, "%s must be at least %llu, got %s", what, lo, show_tok(t).s);
        return -1;
    default:
        nng_error(P->d, t->pos, "%s: %s is over the limit of %llu%s%s%s", what, show_tok(t).s, hi,
                  limit ? " (" : "", limit ? limit : "", limit ? ")" : "");
        return -1;
    }
}

/* A decimal float s[0..n) (FLOAT in the grammar) that is finite as a float;
 * *v the double nearest to it (a float build rounds it once more). */
static int scan_float(const char *s, size_t n, double *v)
{
    size_t i = 0, digits = 0;
    char buf[64];
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return NUM_SYNTAX;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, exp_digits++;
        if (exp_digits == 0)
            return NUM_SYNTAX;
    }
    if (i != n)
        return NUM_SYNTAX;
    if (n >= sizeof buf)
        return NUM_HIGH; /* 64 characters of digits: absurd either way */
    memcpy(buf, s, n);
    buf[n] = '\0';
    double x = strtod(buf, NULL);
    if (!isfinite(x) || fabs(x) > (double)3.0e38f)
        return NUM_HIGH;
    *v = x;
    return NUM_OK;
}

/* A float field in the interval lo..hi, open or closed at each end:
 *   "WHAT: expected a number, got 'abc'"
 *   "WHAT must be in (0, 100], got 0" */
static int float_field(parser *P, const tok *t, const char *what, double lo, int lo_open,
                       double hi, int hi_open, double *v)
{
    double x = 0.0;
    int r = scan_float(t->s, t->n, &x);
    if (r == NUM_SYNTAX) {
        if (t->n == 0)
            nng_error(P->d, t->pos, "%s: missing value", what);
        else
            nng_error(P->d, t->pos, "%s: expected a number, got '%s'", what, show_tok(t).s);
        return -1;
    }
    double xd = (double)(float)x; /* in range as a float too */
    if (r == NUM_HIGH || (lo_open ? xd <= lo : xd < lo) || (hi_open ? xd >= hi : xd > hi)) {
        nng_error(P->d, t->pos, "%s must be in %c%g, %g%c, got %s", what, lo_open ? '(' : '[', lo,
                  hi, hi_open ? ')' : ']', show_tok(t).s);
        return -1;
    }
    *v = x;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                                */
/* ------------------------------------------------------------------ */

static const char *const spec_c_keywords[] = {
    /* C11 */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict",
    "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Bool",
    "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
    /* C23 */
    "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert",
    "thread_local", "true", "typeof", "typeof_unqual", "_BitInt", "_Decimal32", "_Decimal64",
    "_Decimal128", NULL};

static int spec_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int spec_is_digit(char c) { return c >= '0' && c <= '9'; }

const char *nng_name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "is empty";
    if (!spec_is_alpha(name[0]))
        return "is not a C identifier";
    for (size_t i = 1; i < len; i++)
        if (!spec_is_alpha(name[i]) && !spec_is_digit(name[i]))
            return "is not a C identifier";
    if (len > NNG_MAX_NAME)
        return "is too long (the limit is 63 characters)";
    for (const char *const *k = spec_c_keywords; *k; k++)
        if (strlen(*k) == len && memcmp(*k, name, len) == 0)
            return "is a C keyword";
    if (name[0] == '_' && len > 1 && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z')))
        return "is reserved in C (it starts with '__' or '_' and a capital)";
    if (len >= 4 && memcmp(name, "nnrt", 4) == 0)
        return "starts with 'nnrt' (reserved for the runtime)";
    return NULL;
}

/* The default model name: the file's base name without its extension,
 * every other character than [A-Za-z0-9_] made '_', prefixed by "m_" if
 * that is not yet a valid name (a digit first, a keyword, reserved). */
static void default_name(const char *path, char *out)
{
    const char *base = !path ? "model" : strcmp(path, "-") == 0 ? "stdin" : path;
    const char *slash = strrchr(base, '/');
    if (slash)
        base = slash + 1;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        n = (size_t)(dot - base);
    if (n > NNG_MAX_NAME - 2)
        n = NNG_MAX_NAME - 2;
    char tmp[NNG_MAX_NAME - 1];
    for (size_t i = 0; i < n; i++)
        tmp[i] = spec_is_alpha(base[i]) || spec_is_digit(base[i]) ? base[i] : '_';
    tmp[n] = '\0';
    if (n == 0)
        strcpy(tmp, "model");
    out[0] = '\0';
    if (nng_name_problem(tmp, strlen(tmp)))
        strcpy(out, "m_");
    strcat(out, tmp); /* n <= NNG_MAX_NAME - 2 */
}

/* ------------------------------------------------------------------ */
/* Directives                                                           */
/* ------------------------------------------------------------------ */

/* A directive that may appear once: "duplicate 'loss' (first at line 3)". */
static int once(parser *P, nng_pos *first, const tok *kw)
{
    if (first->line) {
        nng_error(P->d, kw->pos, "duplicate '%s' (first at line %d)", show_tok(kw).s, first->line);
        return -1;
    }
    *first = kw->pos;
    return 0;
}

/* modelstat -> 'model' NAME */
static int modelstat(parser *P, const tok *kw)
{
    tok t;
    if (once(P, &P->first_model, kw))
        return -1;
    if (!lex_next(P, &t)) {
        nng_error(P->d, t.pos, "model: missing name");
        return -1;
    }
    const char *why = nng_name_problem(t.s, t.n);
    if (why) {
        nng_error(P->d, t.pos, "model name '%s' %s", show_tok(&t).s, why);
        return -1;
    }
    memcpy(P->s->name, t.s, t.n);
    P->s->name[t.n] = '\0';
    P->s->name_pos = t.pos;
    return expect_end(P, "the model name");
}

/* inputstat -> 'input' dims
 * dims      -> INT { 'x' INT } */
static int inputstat(parser *P, const tok *kw)
{
    tok t;
    if (once(P, &P->first_input, kw))
        return -1;
    if (!lex_next(P, &t)) {
        nng_error(P->d, t.pos, "input: missing size (e.g. 'input 784' or 'input 64x64x3')");
        return -1;
    }
    int shape[4], rank = 0, low = 0, high = 0;
    unsigned long long total = 1;
    const char *p = t.s, *e = t.s + t.n;
    for (;;) {
        const char *x = memchr(p, 'x', (size_t)(e - p));
        const char *fe = x ? x : e;
        unsigned long long v = 0;
        int r = scan_count(p, (size_t)(fe - p), 0, (unsigned long long)NNG_MAX_UNITS, &v);
        if (r == NUM_SYNTAX) {
            nng_error(P->d, t.pos, "input: expected a size like 784, 28x28 or 64x64x3, got '%s'",
                      show_tok(&t).s);
            return -1;
        }
        if (rank == 4) {
            nng_error(P->d, t.pos, "input: at most 4 dimensions, got '%s'", show_tok(&t).s);
            return -1;
        }
        if (r == NUM_HIGH)
            high = 1;
        else {
            if (v == 0)
                low = 1;
            total *= v; /* each <= 10^6 and we stop at 4: no overflow */
            if (total > (unsigned long long)NNG_MAX_UNITS)
                high = 1, total = (unsigned long long)NNG_MAX_UNITS + 1;
            shape[rank] = (int)v;
        }
        rank++;
        if (!x)
            break;
        p = x + 1;
    }
    if (low) {
        nng_error(P->d, t.pos, "input size must be at least 1, got %s", show_tok(&t).s);
        return -1;
    }
    if (high) {
        nng_error(P->d, t.pos, "input: %s is over the limit of %ld features (NNG_MAX_UNITS)",
                  show_tok(&t).s, NNG_MAX_UNITS);
        return -1;
    }
    P->s->input_rank = rank;
    memcpy(P->s->input_shape, shape, sizeof shape[0] * (size_t)rank);
    P->s->n_in = (int)total;
    P->s->input_pos = kw->pos;
    return expect_end(P, "the input size (write sizes like 64x64x3, without spaces)");
}

static const nnrt_act_row *act_by_word(const tok *t)
{
    for (const nnrt_act_row *r = nnrt_act_rows; r->name; r++)
        if (tok_is(t, r->name))
            return r;
    return NULL;
}

/* densestat -> 'dense' INT ACT [ PARAM '=' FLOAT ]
 * PARAM is the activation's parameter, if it has one (slope for leaky_relu). */
static int densestat(parser *P, const tok *kw)
{
    tok t;
    unsigned long long units;
    const char *act_words[16];
    size_t n_act = 0;
    for (const nnrt_act_row *r = nnrt_act_rows; r->name && n_act < 15; r++)
        act_words[n_act++] = r->name;
    act_words[n_act] = NULL;

    if (P->s->n_layers == NNG_MAX_LAYERS) {
        nng_error(P->d, kw->pos, "too many dense layers (the limit is %d, NNG_MAX_LAYERS)",
                  NNG_MAX_LAYERS);
        return -1;
    }
    if (!lex_next(P, &t)) {
        nng_error(P->d, t.pos, "dense: missing the number of units");
        return -1;
    }
    if (count_field(P, &t, "dense units", 1, (unsigned long long)NNG_MAX_UNITS, "NNG_MAX_UNITS",
                    &units))
        return -1;
    if (!lex_next(P, &t)) {
        char list[256];
        nng_error(P->d, t.pos, "dense: missing activation (%s)",
                  word_list(act_words, list, sizeof list));
        return -1;
    }
    const nnrt_act_row *act = act_by_word(&t);
    if (!act)
        return unknown_word(P, &t, "activation", act_words);
    nng_layer L = {.units = (int)units, .act = act->act,
                   .param = act->param ? act->param_default : 0.0f, .pos = kw->pos};
    const char *params[16]; /* every activation's parameter word */
    size_t n_params = 0;
    for (const nnrt_act_row *r = nnrt_act_rows; r->name && n_params < 15; r++)
        if (r->param)
            params[n_params++] = r->param;
    params[n_params] = NULL;
    int have_param = 0;
    while (lex_next(P, &t)) {
        tok key, val;
        if (!split_eq(&t, &key, &val)) {
            if (word_index(&t, params) >= 0)
                nng_error(P->d, t.pos, "dense: expected %s=VALUE, got '%s'", show_tok(&t).s,
                          show_tok(&t).s);
            else
                nng_error(P->d, t.pos, "unexpected '%s' after the activation", show_tok(&t).s);
            return -1;
        }
        int k = word_index(&key, params);
        if (k < 0) {
            const char *best = suggest(&key, params);
            if (best) {
                nng_error(P->d, key.pos, "unknown dense option '%s' (did you mean '%s'?)",
                          show_tok(&key).s, best);
            } else {
                char list[256];
                size_t len = 0;
                list[0] = '\0';
                for (const nnrt_act_row *r = nnrt_act_rows; r->name; r++)
                    if (r->param && len < sizeof list)
                        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s=, for %s",
                                                len ? "; " : "", r->param, r->name);
                nng_error(P->d, key.pos, "unknown dense option '%s' (%s %s)", show_tok(&key).s,
                          n_params == 1 ? "the only one is" : "the options are", list);
            }
            return -1;
        }
        if (!act->param || strcmp(act->param, params[k]) != 0) {
            const char *owner = "?";
            for (const nnrt_act_row *r = nnrt_act_rows; r->name; r++)
                if (r->param && strcmp(r->param, params[k]) == 0)
                    owner = r->name;
            nng_error(P->d, key.pos, "%s is only for %s, not %s", params[k], owner, act->name);
            return -1;
        }
        if (have_param) {
            nng_error(P->d, key.pos, "duplicate '%s'", act->param);
            return -1;
        }
        have_param = 1;
        double param = 0.0;
        if (float_field(P, &val, act->param, act->param_lo, 0, act->param_hi, 1, &param))
            return -1;
        L.param = (float)param;
    }
    P->s->layers[P->s->n_layers++] = L;
    return 0;
}

/* The numbers of the rest of a weights or bias line (at least one), each
 * finite as a float, into a new array *out of *n. */
static int lit_numbers(parser *P, const char *what, float **out, size_t *n)
{
    tok t;
    float *v = NULL;
    size_t cap = 0;
    *n = 0;
    while (lex_next(P, &t)) {
        double x = 0.0; /* stored as a float (docs/spec.md) */
        int r = scan_float(t.s, t.n, &x);
        if (r != NUM_OK) {
            char buf[64] = "";
            char *end = buf;
            double xd = 0.0;
            if (t.n < sizeof buf) { /* "nan", "-inf", "Infinity": C reads them, not finite */
                memcpy(buf, t.s, t.n);
                buf[t.n] = '\0';
                xd = strtod(buf, &end);
            }
            if (r == NUM_HIGH || (end != buf && *end == '\0' && !isfinite(xd)))
                nng_error(P->d, t.pos, "%s: '%s' is not a finite number (as a float)", what,
                          show_tok(&t).s);
            else
                nng_error(P->d, t.pos, "%s: expected a number, got '%s'", what, show_tok(&t).s);
            free(v);
            return -1;
        }
        if (*n == cap) {
            float *nv = realloc(v, (cap ? 2 * cap : 16) * sizeof *v);
            if (!nv) {
                free(v);
                nng_error(P->d, t.pos, "out of memory");
                return -1;
            }
            v = nv;
            cap = cap ? 2 * cap : 16;
        }
        v[(*n)++] = (float)x;
    }
    if (*n == 0) {
        nng_error(P->d, t.pos, "%s: missing numbers", what);
        return -1;
    }
    *out = v;
    return 0;
}

/* The layer a weights or bias line belongs to: the dense line right above
 * it (only comments, blank lines and that layer's other weights and bias
 * lines between).  -1 after reporting a misplaced line; -2 when that dense
 * line had an error (the line is skipped: its error is reported). */
static int lit_owner(parser *P, const tok *kw)
{
    if (P->lit_layer >= 0 || P->lit_layer == -2)
        return P->lit_layer;
    if (P->lit_after.n)
        nng_error(P->d, kw->pos, "misplaced '%s': it goes right under its 'dense' line (line %d "
                                 "is '%s')", show_tok(kw).s, P->lit_after.pos.line,
                  show_tok(&P->lit_after).s);
    else
        nng_error(P->d, kw->pos, "misplaced '%s': no 'dense' line above it", show_tok(kw).s);
    return -1;
}

/* The fan_in of layer l, or 0 while it is unknown (the first layer's,
 * before a good 'input' line). */
static long lit_fan_in(const parser *P, int l)
{
    if (l > 0)
        return P->s->layers[l - 1].units;
    return P->first_input.line && !P->bad_input ? P->s->n_in : 0;
}

/* A row of weights, checked against the layer (and its rows so far) and
 * appended to L->w; 0 or -1. */
static int lit_row(parser *P, const tok *kw, int l, float *v, size_t n)
{
    nng_layer *L = &P->s->layers[l];
    struct spec_lit *lit = &P->lit[l];
    long k = lit_fan_in(P, l);
    if (lit->rows == L->units)
        nng_error(P->d, kw->pos, "weights: layer %d (line %d) has %d unit%s; this is row %d "
                                 "(one 'weights' line per unit)", l + 1, L->pos.line, L->units,
                  L->units == 1 ? "" : "s", lit->rows + 1);
    else if (k && (long)n != k)
        nng_error(P->d, kw->pos, "weights: %zu number%s, but each unit of layer %d takes %ld "
                                 "input%s (its fan_in)", n, n == 1 ? "" : "s", l + 1, k,
                  k == 1 ? "" : "s");
    else if (lit->rows && (int)n != lit->cols)
        nng_error(P->d, kw->pos, "weights: %zu number%s, but the layer's first row (line %d) "
                                 "has %d", n, n == 1 ? "" : "s", lit->first.line, lit->cols);
    else {
        float *w = realloc(L->w, (size_t)(lit->rows + 1) * n * sizeof *w);
        if (!w) {
            nng_error(P->d, kw->pos, "out of memory");
            return -1;
        }
        memcpy(w + (size_t)lit->rows * n, v, n * sizeof *v);
        L->w = w;
        if (lit->rows++ == 0)
            lit->first = L->w_pos = kw->pos;
        lit->cols = (int)n;
        return 0;
    }
    return -1;
}

/* The biases, checked against the layer, into L->b (which takes v); 0 or -1. */
static int lit_bias(parser *P, const tok *kw, int l, float *v, size_t n)
{
    nng_layer *L = &P->s->layers[l];
    if ((long)n != L->units) {
        nng_error(P->d, kw->pos, "bias: %zu number%s, but layer %d has %d unit%s (one bias each)",
                  n, n == 1 ? "" : "s", l + 1, L->units, L->units == 1 ? "" : "s");
        return -1;
    }
    free(L->b);
    L->b = v;
    return 0;
}

/* weightsstat -> 'weights' FLOAT { FLOAT }
 *   one unit's row of the layer above, fan_in numbers; one line per unit
 * biasstat    -> 'bias' FLOAT { FLOAT }
 *   the biases of the layer above, one per unit, after its weights */
static int litstat(parser *P, const tok *kw)
{
    int l = lit_owner(P, kw), bias = tok_is(kw, "bias");
    float *v = NULL;
    size_t n;
    if (l < 0)
        return l == -2 ? 0 : -1; /* -2: the dense line's error is reported */
    struct spec_lit *lit = &P->lit[l];
    int r = -1;
    if (lit->bias_line && bias)
        nng_error(P->d, kw->pos, "duplicate 'bias' for layer %d (first at line %d)", l + 1,
                  lit->bias_line);
    else if (lit->bias_line)
        nng_error(P->d, kw->pos, "'weights' after the layer's 'bias' (line %d): give the rows "
                                 "first", lit->bias_line);
    else if (bias && lit->rows == 0 && !lit->bad)
        nng_error(P->d, kw->pos, "'bias' without 'weights': give layer %d's rows first (one "
                                 "'weights' line per unit)", l + 1);
    else {
        if (bias)
            lit->bias_line = kw->pos.line;
        if (lit_numbers(P, bias ? "bias" : "weights", &v, &n) == 0) {
            r = bias ? lit_bias(P, kw, l, v, n) : lit_row(P, kw, l, v, n);
            if (r == 0 && bias)
                v = NULL; /* L->b has it */
        }
    }
    free(v);
    if (r)
        lit->bad = 1;
    return r;
}

/* lossstat -> 'loss' LOSS */
static int lossstat(parser *P, const tok *kw)
{
    tok t;
    const char *words[16];
    size_t n = 0;
    for (const nnrt_loss_row *r = nnrt_loss_rows; r->name && n < 7; r++)
        words[n++] = r->name;
    words[n] = NULL;
    if (once(P, &P->first_loss, kw))
        return -1;
    if (!lex_next(P, &t)) {
        char list[128];
        nng_error(P->d, t.pos, "loss: missing name (%s)", word_list(words, list, sizeof list));
        return -1;
    }
    for (const nnrt_loss_row *r = nnrt_loss_rows; r->name; r++)
        if (tok_is(&t, r->name) || (r->alias && tok_is(&t, r->alias))) {
            P->s->loss = r->loss;
            P->s->loss_pos = kw->pos;
            return expect_end(P, "the loss");
        }
    /* Suggest among the long names too, but list only the short ones. */
    const char *all[16];
    size_t k = 0;
    for (const nnrt_loss_row *r = nnrt_loss_rows; r->name && k < 14; r++) {
        all[k++] = r->name;
        if (r->alias)
            all[k++] = r->alias;
    }
    all[k] = NULL;
    const char *best = suggest(&t, all);
    if (best) {
        nng_error(P->d, t.pos, "unknown loss '%s' (did you mean '%s'?)", show_tok(&t).s, best);
        return -1;
    }
    return unknown_word(P, &t, "loss", words);
}

/* The train keys are the rows of nnrt_hparams (runtime/nnrt_vocab.h), which
 * the trainer's flags read too: both accept the same values. */
#define SPEC_N_TRAIN_KEYS NNRT_N_HPARAMS

/* VALUE of an enum key: a word of the table `tab`. */
static int named_value(parser *P, const tok *val, const char *what, const nnrt_word_row *tab,
                       int *out)
{
    const char *words[16];
    size_t n = 0;
    for (const nnrt_word_row *r = tab; r->name && n < 15; r++)
        words[n++] = r->name;
    words[n] = NULL;
    if (val->n == 0) {
        char list[128];
        nng_error(P->d, val->pos, "%s: missing value (%s)", what,
                  word_list(words, list, sizeof list));
        return -1;
    }
    for (const nnrt_word_row *r = tab; r->name; r++)
        if (tok_is(val, r->name)) {
            *out = r->value;
            return 0;
        }
    return unknown_word(P, val, what, words);
}

/* trainopt -> KEY '=' VALUE */
static int trainopt(parser *P, const tok *t, nng_pos *seen)
{
    tok key, val;
    nnrt_train_cfg *c = &P->s->train;
    const char *names[SPEC_N_TRAIN_KEYS + 1];
    for (size_t i = 0; i <= SPEC_N_TRAIN_KEYS; i++)
        names[i] = nnrt_hparams[i].name;

    if (!split_eq(t, &key, &val)) {
        for (const nnrt_hparam *k = nnrt_hparams; k->name; k++)
            if (tok_is(t, k->name)) {
                nng_error(P->d, t->pos, "train: expected %s=VALUE, got '%s'", k->name,
                          show_tok(t).s);
                return -1;
            }
        nng_error(P->d, t->pos, "train: expected key=value, got '%s'", show_tok(t).s);
        return -1;
    }
    size_t i = 0;
    while (nnrt_hparams[i].name && !tok_is(&key, nnrt_hparams[i].name))
        i++;
    if (!nnrt_hparams[i].name)
        return unknown_word(P, &key, "train key", names);
    const nnrt_hparam *k = &nnrt_hparams[i];
    if (seen[i].line) {
        nng_error(P->d, key.pos, "duplicate train key '%s' (first at column %d)", k->name,
                  seen[i].col);
        return -1;
    }
    seen[i] = key.pos;
    char *field = (char *)c + k->offset;
    unsigned long long v = 0;
    int e = 0;
    switch (k->kind) {
    case NNRT_HP_REAL:
        return float_field(P, &val, k->name, k->lo, k->lo_open, k->hi, k->hi_open,
                           (double *)(void *)field);
    case NNRT_HP_BATCH:
        if (tok_is(&val, "full")) {
            c->batch = 0;
            return 0;
        }
        switch (scan_count(val.s, val.n, 1, (unsigned long long)k->hi, &v)) {
        case NUM_OK:
            c->batch = (long)v;
            return 0;
        case NUM_LOW:
            nng_error(P->d, val.pos, "batch must be at least 1 (or 'full'), got %s",
                      show_tok(&val).s);
            return -1;
        case NUM_HIGH:
            return count_field(P, &val, "batch", 1, (unsigned long long)k->hi, k->limit, &v);
        default:
            if (val.n == 0)
                nng_error(P->d, val.pos, "batch: missing value");
            else
                nng_error(P->d, val.pos, "batch: expected 'full' or a positive integer, got '%s'",
                          show_tok(&val).s);
            return -1;
        }
    case NNRT_HP_COUNT:
        if (count_field(P, &val, k->name, (unsigned long long)k->lo, (unsigned long long)k->hi,
                        k->limit, &v))
            return -1;
        *(long *)(void *)field = (long)v;
        return 0;
    case NNRT_HP_SEED:
        if (count_field(P, &val, k->name, 0, UINT64_MAX, NULL, &v))
            return -1;
        c->seed = (uint64_t)v;
        return 0;
    case NNRT_HP_OPT:
        if (named_value(P, &val, "optimizer", nnrt_opt_rows, &e))
            return -1;
        c->optimizer = (nnrt_opt_kind)e;
        return 0;
    default:
        if (named_value(P, &val, "init", nnrt_init_rows, &e))
            return -1;
        c->init = (nnrt_init)e;
        return 0;
    }
}

/* trainstat -> 'train' { trainopt } */
static int trainstat(parser *P, const tok *kw)
{
    tok t;
    nng_pos *seen = P->train_seen;
    size_t i_epochs = (size_t)(nnrt_hparam_find("epochs", 6) - nnrt_hparams);
    size_t i_iters = (size_t)(nnrt_hparam_find("iterations", 10) - nnrt_hparams);
    if (once(P, &P->first_train, kw))
        return -1;
    P->s->train_pos = kw->pos;
    while (lex_next(P, &t)) {
        if (trainopt(P, &t, seen))
            return -1;
        if (seen[i_epochs].line && seen[i_iters].line) {
            int iters_first = seen[i_epochs].col > seen[i_iters].col;
            nng_error(P->d, t.pos, "both epochs and iterations given (%s at column %d); use one",
                      iters_first ? "iterations" : "epochs",
                      iters_first ? seen[i_iters].col : seen[i_epochs].col);
            return -1;
        }
    }
    if (seen[i_iters].line)
        P->s->train.epochs = 0;
    else if (seen[i_epochs].line)
        P->s->train.iterations = 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lines and the whole file                                             */
/* ------------------------------------------------------------------ */

static const struct {
    const char *word;
    int (*parse)(parser *P, const tok *kw);
} spec_directives[] = {
    {"model", modelstat},     {"input", inputstat}, {"dense", densestat},
    {"weights", litstat},     {"bias", litstat},    {"loss", lossstat},
    {"train", trainstat},     {NULL, NULL}};

/* line -> [ directive ] [ '#' comment ] EOL */
static void parse_line(parser *P, const char *line, const char *eol, int lineno)
{
    tok kw;
    P->line = P->cur = line;
    P->eol = eol;
    P->lineno = lineno;
    if (check_bytes(P)) {
        P->unknown_lines++;
        return;
    }
    if (!lex_next(P, &kw))
        return; /* blank or comment */
    P->directives++;
    for (size_t i = 0; spec_directives[i].word; i++) {
        if (!tok_is(&kw, spec_directives[i].word))
            continue;
        if (spec_directives[i].parse == densestat && P->n_dense_lines <= NNG_MAX_LAYERS)
            P->dense_lines[P->n_dense_lines++] = lineno;
        int lit = spec_directives[i].parse == litstat;
        if (!lit) { /* weights and bias lines go with the dense line above */
            P->lit_layer = -1;
            P->lit_after = kw;
        }
        int r = spec_directives[i].parse(P, &kw);
        if (spec_directives[i].parse == densestat)
            P->lit_layer = r == 0 ? P->s->n_layers - 1 : -2;
        if (r == 0)
            return;
        if (spec_directives[i].parse == inputstat)
            P->bad_input = 1;
        else if (spec_directives[i].parse == densestat)
            P->bad_dense = 1;
        else if (spec_directives[i].parse == lossstat)
            P->bad_loss = 1;
        return;
    }
    const char *words[8];
    size_t n = 0;
    for (size_t i = 0; spec_directives[i].word; i++)
        words[n++] = spec_directives[i].word;
    words[n] = NULL;
    unknown_word(P, &kw, "directive", words);
    P->unknown_lines++;
    P->lit_layer = -1;
    P->lit_after = kw;
}

/* The checks that need the whole file. */
static void check_spec(parser *P, size_t len)
{
    nng_spec *s = P->s;
    nng_diag *d = P->d;
    nng_pos file = {0, 0};

    if (P->directives == 0 && P->unknown_lines == 0) {
        if (len == 0)
            nng_error(d, file, "empty spec (expected 'input', 'dense' and 'loss' lines)");
        else
            nng_error(d, file, "no directives, only comments and blank lines "
                               "(expected 'input', 'dense' and 'loss' lines)");
        return;
    }
    int guessing = P->unknown_lines > 0; /* a bad line may have been the missing one */
    if (!P->first_input.line && !guessing)
        nng_error(d, file, "missing 'input' directive (e.g. 'input 64x64x3')");
    if (P->n_dense_lines == 0 && !guessing)
        nng_error(d, file, "no 'dense' layer");
    if (!P->first_loss.line && !guessing)
        nng_error(d, file, "missing 'loss' directive (bce, mse, cce or perceptron)");

    /* Softmax only last, and over at least two units. */
    int last_line = P->n_dense_lines ? P->dense_lines[P->n_dense_lines - 1] : 0;
    for (int l = 0; l < s->n_layers; l++) {
        const nng_layer *L = &s->layers[l];
        if (L->act != NNRT_ACT_SOFTMAX)
            continue;
        if (L->pos.line != last_line) {
            int next = 0;
            for (int i = P->n_dense_lines - 1; i >= 0 && P->dense_lines[i] > L->pos.line; i--)
                next = P->dense_lines[i];
            nng_error(d, L->pos, "softmax must be the last layer (another dense layer follows "
                                 "at line %d)",
                      next);
        } else if (L->units < 2)
            nng_error(d, L->pos, "softmax needs at least 2 units (for one output use sigmoid "
                                 "with bce)");
    }

    /* Loss versus output layer (when the output layer parsed). */
    if (s->n_layers > 0 && s->layers[s->n_layers - 1].pos.line == last_line &&
        P->first_loss.line && !P->bad_loss) {
        const nng_layer *out = &s->layers[s->n_layers - 1];
        const char *loss = nnrt_loss_of(s->loss)->name;
        const char *act = nnrt_act_of(out->act)->name;
        if (out->act == NNRT_ACT_STEP && s->loss != NNRT_LOSS_PERCEPTRON)
            nng_error(d, out->pos, "step cannot be trained by loss '%s': its derivative is zero "
                                   "almost everywhere, so no gradient reaches the weights (a step "
                                   "output learns by 'loss perceptron')", loss);
        else if (s->loss == NNRT_LOSS_PERCEPTRON && out->act != NNRT_ACT_STEP)
            nng_error(d, s->loss_pos, "loss 'perceptron' needs a step output layer (line %d is %s)",
                      out->pos.line, act);
        else if (out->act == NNRT_ACT_SOFTMAX && s->loss != NNRT_LOSS_CCE)
            nng_error(d, s->loss_pos, "a softmax output (line %d) needs loss 'cce', not '%s'",
                      out->pos.line, loss);
        else if (s->loss == NNRT_LOSS_CCE && out->act != NNRT_ACT_SOFTMAX)
            nng_error(d, s->loss_pos, "loss 'cce' needs a softmax output layer (line %d is %s)",
                      out->pos.line, act);
        else if (s->loss == NNRT_LOSS_BCE && out->act != NNRT_ACT_SIGMOID)
            nng_error(d, s->loss_pos, "loss 'bce' needs a sigmoid output layer (line %d is %s)",
                      out->pos.line, act);
    }

    /* Hidden step layers: no gradient passes them; the perceptron rule
     * trains only the output layer and leaves them as they are. */
    if (P->first_loss.line && !P->bad_loss && s->loss != NNRT_LOSS_PERCEPTRON)
        for (int l = 0; l + 1 < s->n_layers; l++)
            if (s->layers[l].act == NNRT_ACT_STEP)
                nng_error(d, s->layers[l].pos, "step cannot be trained by loss '%s': its "
                                               "derivative is zero almost everywhere, so no "
                                               "gradient passes it (with 'loss perceptron' a "
                                               "hidden step layer keeps its weights)",
                          nnrt_loss_of(s->loss)->name);
    /* The perceptron rule: sgd's step, one sample at a time. */
    if (P->first_loss.line && !P->bad_loss && s->loss == NNRT_LOSS_PERCEPTRON) {
        const nnrt_hparam *hb = nnrt_hparam_find("batch", 5), *ho = nnrt_hparam_find("optimizer", 9);
        nng_pos pb = P->train_seen[hb - nnrt_hparams], po = P->train_seen[ho - nnrt_hparams];
        if (!pb.line)
            s->train.batch = 1;
        else if (s->train.batch != 1) {
            char b[32] = "full";
            if (s->train.batch)
                snprintf(b, sizeof b, "%ld", s->train.batch);
            nng_error(d, pb, "loss 'perceptron' updates after every sample: batch=1, not batch=%s",
                      b);
        }
        if (po.line && s->train.optimizer != NNRT_OPT_SGD)
            nng_error(d, po, "loss 'perceptron' is the perceptron rule, sgd's step w -= lr (a - y) "
                             "x: optimizer=%s does not apply", nnrt_opt_name(s->train.optimizer));
    }

    /* Weights written in the spec: a row per unit, fan_in numbers each, and
     * a bias line (what a single line could check, it did). */
    for (int l = 0; l < s->n_layers; l++) {
        const struct spec_lit *lit = &P->lit[l];
        nng_layer *L = &s->layers[l];
        if (lit->bad || (!lit->rows && !L->b))
            continue;
        if (lit->rows < L->units)
            nng_error(d, lit->first, "weights: layer %d (line %d) has %d row%s, but %d units "
                                     "(one 'weights' line per unit)", l + 1, L->pos.line,
                      lit->rows, lit->rows == 1 ? "" : "s", L->units);
        else if (!lit->bias_line)
            nng_error(d, lit->first, "weights: layer %d (line %d) has no 'bias' line after its "
                                     "rows", l + 1, L->pos.line);
        else if (l == 0 && P->first_input.line && !P->bad_input && lit->cols != s->n_in)
            nng_error(d, lit->first, "weights: rows of %d number%s, but layer 1 takes the "
                                     "input's %d features (its fan_in)", lit->cols,
                      lit->cols == 1 ? "" : "s", s->n_in);
        else
            s->n_literal++;
    }

    /* Parameters: units * (fan_in + 1) per layer. */
    if (P->first_input.line && !P->bad_input && !P->bad_dense) {
        long long total = 0;
        for (int l = 0; l < s->n_layers; l++) {
            total += nng_layer_weights(s, l);
            if (total > NNG_MAX_PARAMS) {
                nng_error(d, s->layers[l].pos,
                          "too many parameters: %lld up to this layer, over the limit of %ld "
                          "(NNG_MAX_PARAMS)",
                          total, NNG_MAX_PARAMS);
                break;
            }
        }
        s->n_weights = (long)total;
    }
}

static void spec_defaults(nng_spec *s)
{
    s->train = nnrt_train_defaults;
    s->loss = NNRT_LOSS_BCE;
}

int nng_parse_text(const char *text, size_t len, const char *path, nng_spec *out, nng_diag *d)
{
    memset(out, 0, sizeof *out);
    if (!d->path)
        d->path = path;
    if (!text)
        text = "", len = 0;
    int errors0 = d->errors;
    out->path = path;
    out->source = malloc(len + 1);
    if (!out->source) {
        nng_error(d, (nng_pos){0, 0}, "out of memory");
        return -1;
    }
    if (len)
        memcpy(out->source, text, len);
    out->source[len] = '\0';
    spec_defaults(out);
    default_name(path, out->name);

    parser P;
    memset(&P, 0, sizeof P);
    P.lit_layer = -1;
    P.s = out;
    P.d = d;
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* a UTF-8 byte order mark */
    int lineno = 0;
    while (p < end) {
        if (d->errors - errors0 >= SPEC_MAX_ERRORS) {
            nng_error(d, (nng_pos){lineno, 0}, "too many errors; stopping here");
            break;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *le = eol;
        if (nl && le > p && le[-1] == '\r')
            le--;
        parse_line(&P, p, le, ++lineno);
        p = nl ? nl + 1 : end;
    }
    if (p >= end)
        check_spec(&P, len);
    if (d->errors > errors0) {
        nng_spec_free(out);
        return -1;
    }
    return 0;
}

int nng_parse_file(const char *path, nng_spec *out, nng_diag *d)
{
    nng_pos file = {0, 0};
    memset(out, 0, sizeof *out);
    int is_stdin = strcmp(path, "-") == 0;
    if (!d->path || (is_stdin && strcmp(d->path, "-") == 0))
        d->path = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        nng_error(d, file, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        nng_error(d, file, "is a directory, not a spec file");
        if (!is_stdin)
            fclose(f);
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int err = 0;
    while (buf) {
        if (len > (size_t)SPEC_MAX_FILE) {
            nng_error(d, file, "too large for a spec (over %ld bytes)", SPEC_MAX_FILE);
            err = 1;
            break;
        }
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) {
            if (ferror(f)) {
                nng_error(d, file, "cannot read: %s", strerror(errno));
                err = 1;
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (!buf) {
        nng_error(d, file, "out of memory");
        return -1;
    }
    if (err) {
        free(buf);
        return -1;
    }
    int r = nng_parse_text(buf, len, path, out, d);
    free(buf);
    return r;
}

void nng_spec_free(nng_spec *s)
{
    free(s->source);
    s->source = NULL;
    for (int l = 0; l < s->n_layers && l < NNG_MAX_LAYERS; l++) {
        free(s->layers[l].w);
        free(s->layers[l].b);
        s->layers[l].w = s->layers[l].b = NULL;
    }
}

/* The shortest decimal that reads back as the same float (single) or
 * double (the train line's values: nnrt_train_cfg keeps them as double). */
static void print_float(FILE *out, double v, int single)
{
    char buf[32];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, out);
}

void nng_spec_print(const nng_spec *s, FILE *out)
{
    fprintf(out, "model %s\n", s->name);
    fputs("input ", out);
    for (int i = 0; i < s->input_rank; i++)
        fprintf(out, "%s%d", i ? "x" : "", s->input_shape[i]);
    fputc('\n', out);
    for (int l = 0; l < s->n_layers; l++) {
        const nng_layer *L = &s->layers[l];
        fprintf(out, "dense %d %s", L->units, nnrt_act_of(L->act)->name);
        if (nnrt_act_of(L->act)->param) {
            fprintf(out, " %s=", nnrt_act_of(L->act)->param);
            print_float(out, (double)L->param, 1);
        }
        fputc('\n', out);
        if (!L->w || !L->b)
            continue;
        long k = nng_fan_in(s, l);
        for (int j = 0; j < L->units; j++) {
            fputs("weights", out);
            for (long i = 0; i < k; i++) {
                fputc(' ', out);
                print_float(out, (double)L->w[(size_t)j * (size_t)k + (size_t)i], 1);
            }
            fputc('\n', out);
        }
        fputs("bias", out);
        for (int j = 0; j < L->units; j++) {
            fputc(' ', out);
            print_float(out, (double)L->b[j], 1);
        }
        fputc('\n', out);
    }
    fprintf(out, "loss %s\n", nnrt_loss_of(s->loss)->name);
    const nnrt_train_cfg *c = &s->train;
    fputs("train lr=", out);
    print_float(out, c->lr, 0);
    if (c->iterations > 0)
        fprintf(out, " iterations=%ld", c->iterations);
    else
        fprintf(out, " epochs=%ld", c->epochs);
    if (c->batch > 0)
        fprintf(out, " batch=%ld", c->batch);
    else
        fputs(" batch=full", out);
    for (const nnrt_word_row *r = nnrt_opt_rows; r->name; r++)
        if (r->value == (int)c->optimizer)
            fprintf(out, " optimizer=%s", r->name);
    fputs(" beta1=", out);
    print_float(out, c->beta1, 0);
    fputs(" beta2=", out);
    print_float(out, c->beta2, 0);
    fputs(" eps=", out);
    print_float(out, c->eps, 0);
    for (const nnrt_word_row *r = nnrt_init_rows; r->name; r++)
        if (r->value == (int)c->init)
            fprintf(out, " init=%s", r->name);
    fprintf(out, " seed=%" PRIu64 "\n", c->seed);
}
