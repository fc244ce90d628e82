/*
 * main.c -- the nngen command line:
 *
 *     nngen [options] SPEC
 *
 * reads SPEC (compiler/spec.c), then writes one C file (compiler/emit.c;
 * with --inference --weights W, the inference-only file of compiler/infer.c),
 * a layer table (--summary, from compiler/layout.c) or nothing (--check) to standard output or,
 * with -o FILE, atomically to FILE: FILE.tmp.XXXXXX in the same directory,
 * flushed, fsync'ed and renamed over FILE, so that FILE is either the old
 * file or the complete new one.  `nngen --list-isas` prints the rows of
 * the ISA table (compiler/isa.c) instead.
 *
 * Exit status: 0 ok, 1 errors in the spec or while writing, 2 bad command
 * line.  Every error is one line on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit.h" /* isa_table, for --list-isas */
#include "nngen.h"
#include "nnrt_file.h"

enum { MAIN_OK = 0, MAIN_FAIL = 1, MAIN_USAGE = 2 };

typedef struct main_cli {
    const char *spec;   /* SPEC */
    const char *out;    /* -o FILE, or NULL for stdout */
    const char *name;   /* --name */
    int isas;           /* --isa */
    const char *isa_word;
    int dtype_double;   /* --dtype double */
    int summary, check; /* --summary, --check */
    int inference;      /* --inference: the forward-only file (compiler/infer.c) */
    const char *weights; /* --weights FILE, its parameters */
    float *params;      /* read from it */
    char *cmdline;      /* the command line, for the generated header */
} main_cli;

static const struct {
    const char *name;
    int bits;
} main_isas[] = {{"all", NNG_ISA_ALL},
                 {"scalar", NNG_ISA_SCALAR},
                 {"avx2", NNG_ISA_AVX2},
                 {"avx512", NNG_ISA_AVX512},
                 {"neon", NNG_ISA_NEON},
                 {NULL, 0}};

/* The options; `arg` names the value of those that take one. */
static const struct {
    const char *name;
    const char *arg;
} main_options[] = {{"-o", "FILE"},      {"--output", "FILE"},  {"--isa", "ISA"},
                    {"--dtype", "TYPE"}, {"--name", "NAME"},    {"--summary", NULL},
                    {"--check", NULL},   {"--list-isas", NULL}, {"--version", NULL},
                    {"--help", NULL},    {"-h", NULL},          {"--inference", NULL},
                    {"--weights", "FILE"}, {NULL, NULL}};

static const char main_usage[] =
    "usage: nngen [options] SPEC\n"
    "Compile the network that SPEC describes (" NNGEN_DOCDIR "/spec.md)\n"
    "into one C file (SPEC - reads standard input):\n"
    "forward, backward and optimizer update as fixed-size loops with AVX-512,\n"
    "AVX2+FMA, NEON and scalar paths, plus a model descriptor and main() for\n"
    "libnnrt.\n"
    "\n"
    "  -o FILE, --output FILE\n"
    "                 write to FILE (atomically) instead of standard output\n"
    "                 (-o - is standard output)\n"
    "  --isa ISA      all (default: every path the target can have, the best\n"
    "                 the CPU runs chosen at start-up; no -m flags needed),\n"
    "                 or one only: scalar, avx2, avx512 or neon\n"
    "  --dtype TYPE   float (default) or double: a double-precision trainer\n"
    "                 (the scalar path only; docs/double.md)\n"
    "  --name NAME    C prefix of the generated symbols (default: the spec's\n"
    "                 model name, else the spec file's base name)\n"
    "  --inference    write the inference-only file instead: the trained\n"
    "                 parameters of --weights as a constant array, the forward\n"
    "                 pass of every path and NAME_predict(); needs no libnnrt,\n"
    "                 no SLEEF, no libm (" NNGEN_DOCDIR "/inference.md)\n"
    "  --weights FILE with --inference: the weights file the trainer saved\n"
    "                 (--save FILE; nngen's own format or .npz) for this spec;\n"
    "                 without it, the weights the spec writes for every layer\n"
    "  --summary      print the layer table (parameters, FLOPs per sample)\n"
    "                 instead of code\n"
    "  --check        only check the spec; print nothing if it is valid\n"
    "  --list-isas    print the paths nngen can emit, one a line: name, floats per\n"
    "                 vector, the preprocessor condition that selects it, and\n"
    "                 how to compile for it (tab-separated; nngen-compare reads it)\n"
    "  --version      print nngen's version\n"
    "  -h, --help     print this help\n"
    "\n"
    "Exit status: 0 ok, 1 errors in the spec or while writing, 2 bad usage.\n"
    "\n"
    "Example:\n"
    "  nngen models/cat.spec -o cat_net.c\n"
    "  cc -O2 -march=native cat_net.c $(pkg-config --cflags --libs nnrt) -o cat_train\n"
    "  ./cat_train --train train_catvnoncat.h5 --test test_catvnoncat.h5\n";

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int usage_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "nngen: %s\n", msg);
    return MAIN_USAGE;
}

/* ------------------------------------------------------------------ */
/* The command line                                                     */
/* ------------------------------------------------------------------ */

/* What the output says of a path the user gave (SPEC, -o FILE): the path
 * itself when relative, its base name when absolute, so that the same
 * spec compiled from two build directories (nngen_add_model runs nngen in
 * the source directory with -o /abs/build/NAME.c) gives the same bytes. */
static const char *main_embedded(const char *path)
{
    if (!path || path[0] != '/')
        return path;
    const char *b = strrchr(path, '/');
    return b[1] ? b + 1 : path;
}

/* argv joined by spaces, each argument quoted for a POSIX shell if it
 * needs it; argv[0] is written as "nngen" so that the text does not depend
 * on where nngen was run from, and an absolute SPEC or -o path (cli's, which
 * point into argv) as its base name (main_embedded). */
static char *main_cmdline(int argc, char **argv, const main_cli *cli)
{
    size_t cap = 16;
    for (int i = 1; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *s = malloc(cap), *p = s;
    if (!s)
        return NULL;
    p += sprintf(p, "nngen");
    char arg[4096];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t alen = strlen(a);
        const char *paths[2] = {cli->spec, cli->out};
        for (int k = 0; k < 2; k++)
            if (paths[k] && paths[k] >= a && paths[k] < a + alen && paths[k][0] == '/' &&
                alen < sizeof arg) {
                /* the path is a's tail (SPEC, "-o" FILE, "-oFILE", "--output=FILE") */
                snprintf(arg, sizeof arg, "%.*s%s", (int)(paths[k] - a), a,
                         main_embedded(paths[k]));
                a = arg;
            }
        int plain = a[0] != '\0';
        for (const char *c = a; *c; c++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "_-./=:,+@%",
                        *c))
                plain = 0;
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *c = a; *c; c++) {
            if (*c == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = (unsigned char)*c < 0x20 ? '?' : *c; /* keep it one line */
        }
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

/* The option an unknown one was meant to be, or NULL.  A short option
 * ("-V") is one letter: an edit away from every other ("-o", "-h"), so
 * spelling says nothing; it is taken for the short option of the other
 * case, else for the one long option starting with its letter ("-V",
 * "-v": --version).  A long option gets the closest long one. */
static const char *main_did_you_mean(const char *name)
{
    const char *words[16];
    size_t w = 0;
    if (name[0] == '-' && name[1] != '-' && name[1] != '\0' && name[2] == '\0') {
        char lower = (char)(name[1] >= 'A' && name[1] <= 'Z' ? name[1] - 'A' + 'a' : name[1]);
        const char *hit = NULL;
        int hits = 0;
        for (size_t j = 0; main_options[j].name; j++) {
            const char *o = main_options[j].name;
            if (o[1] != '-' && o[1] == lower)
                return o;
            if (o[1] == '-' && o[2] == lower) {
                hit = o;
                hits++;
            }
        }
        return hits == 1 ? hit : NULL;
    }
    for (size_t j = 0; main_options[j].name; j++)
        if (main_options[j].name[1] == '-')
            words[w++] = main_options[j].name;
    words[w] = NULL;
    return nnrt_did_you_mean(name, words);
}

/* --list-isas: the rows of the ISA table (compiler/isa.c), in its order,
 * one a line, tab-separated: name, floats per vector, the preprocessor
 * condition under which the generated file runs that path ("1": always, the
 * scalar loops) and how to compile for it.  A compiler given -march=native
 * meets the condition on a CPU that has the path; nngen-compare asks it so,
 * so a row added to the table is compared without a change there. */
static int main_list_isas(FILE *out)
{
    fputs("# name\tfloats\tcondition\tcompile with\n", out);
    for (int i = 0; i < ISA_N; i++) {
        const isa_row *r = &isa_table[i];
        fprintf(out, "%s\t%d\t%s\t%s\n", r->name, r->lanes, r->guard ? r->guard : "1",
                r->flags ? r->flags : "any C11 compiler");
    }
    return fflush(out) == 0 && !ferror(out) ? MAIN_OK : MAIN_FAIL;
}

/* Parses the arguments into *c.  Returns -1 to go on, or an exit status
 * (0 after --help / --list-isas / --version). */
static int main_args(int argc, char **argv, main_cli *c)
{
    const char *dtype = NULL;
    int options_done = 0, isa_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (c->spec)
                return usage_error("more than one SPEC file: '%s' and '%s'", c->spec, a);
            c->spec = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        /* --opt=value and -oFILE */
        char name[64];
        const char *value = NULL;
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (a[1] == 'o' && a[2] != '\0') {
            n = 2;
            value = a + 2;
        } else if (eq)
            value = eq + 1;
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, a, n);
        name[n] = '\0';

        size_t k = 0;
        while (main_options[k].name && strcmp(main_options[k].name, name) != 0)
            k++;
        if (!main_options[k].name) {
            const char *best = main_did_you_mean(name);
            if (best)
                return usage_error("unknown option '%s' (did you mean '%s'?)", name, best);
            return usage_error("unknown option '%s' (see nngen --help)", name);
        }
        if (main_options[k].arg && !value) {
            if (i + 1 >= argc)
                return usage_error("%s: missing %s", name, main_options[k].arg);
            value = argv[++i];
        } else if (!main_options[k].arg && value)
            return usage_error("%s takes no value, got '%s'", name, value);

        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            fputs(main_usage, stdout);
            return fflush(stdout) == 0 ? MAIN_OK : MAIN_FAIL;
        }
        if (strcmp(name, "--list-isas") == 0)
            return main_list_isas(stdout);
        if (strcmp(name, "--version") == 0) {
            printf("nngen %s (nnrt ABI %d)\n", NNGEN_VERSION, NNRT_ABI_VERSION);
            return fflush(stdout) == 0 ? MAIN_OK : MAIN_FAIL;
        }
        if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0) {
            if (!value[0])
                return usage_error("%s: empty file name", name);
            c->out = strcmp(value, "-") == 0 ? NULL : value; /* -o -: stdout */
        } else if (strcmp(name, "--isa") == 0) {
            size_t j = 0;
            while (main_isas[j].name && strcmp(main_isas[j].name, value) != 0)
                j++;
            if (!main_isas[j].name)
                return usage_error(
                    "--isa: expected one of all, scalar, avx2, avx512, neon, got '%s'", value);
            c->isas = main_isas[j].bits;
            c->isa_word = main_isas[j].name;
            isa_given = 1;
        } else if (strcmp(name, "--dtype") == 0) {
            if (strcmp(value, "float") != 0 && strcmp(value, "double") != 0)
                return usage_error("--dtype: expected one of float, double, got '%s'", value);
            dtype = value;
        } else if (strcmp(name, "--name") == 0) {
            const char *why = nng_name_problem(value, strlen(value));
            if (why)
                return usage_error("--name: '%s' %s", value, why);
            c->name = value;
        } else if (strcmp(name, "--weights") == 0) {
            if (!value[0])
                return usage_error("%s: empty file name", name);
            c->weights = value;
        } else if (strcmp(name, "--inference") == 0)
            c->inference = 1;
        else if (strcmp(name, "--summary") == 0)
            c->summary = 1;
        else
            c->check = 1;
    }
    c->dtype_double = dtype && strcmp(dtype, "double") == 0;
    if (!c->spec)
        return usage_error("missing SPEC file (usage: nngen [options] SPEC; see nngen --help)");
    if (c->dtype_double && !isa_given) { /* double has the scalar path only */
        c->isas = NNG_ISA_SCALAR;
        c->isa_word = "scalar";
    }
    if (c->dtype_double && c->isas != NNG_ISA_SCALAR)
        return usage_error("--dtype double needs --isa scalar (got --isa %s)", c->isa_word);
    if (c->weights && !c->inference)
        return usage_error("--weights is for --inference (the trainer loads weights with --load)");
    if (c->inference && c->dtype_double)
        return usage_error("--inference writes float code: --dtype double is not supported");
    if (c->inference && (c->summary || c->check))
        return usage_error("--inference cannot be combined with %s",
                           c->summary ? "--summary" : "--check");
    if (c->check && (c->summary || c->out))
        return usage_error("--check writes nothing: it cannot be combined with %s",
                           c->summary ? "--summary" : "-o");
    struct stat a, b;
    if (c->out && stat(c->spec, &a) == 0 && stat(c->out, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return usage_error("-o '%s' is the SPEC file: it would be overwritten", c->out);
    return -1;
}

/* ------------------------------------------------------------------ */
/* --summary                                                            */
/* ------------------------------------------------------------------ */

static int main_summary(const nng_spec *s, FILE *out)
{
    char shape[64] = "";
    size_t n = 0;
    for (int i = 0; i < s->input_rank && n < sizeof shape - 12; i++)
        n += (size_t)snprintf(shape + n, sizeof shape - n, "%s%d", i ? "x" : "",
                              s->input_shape[i]);
    const char *path = !s->path || strcmp(s->path, "-") == 0 ? "<stdin>" : s->path;
    fprintf(out, "model %s (%s): input %s = %d features, loss %s\n", s->name, path, shape,
            s->n_in, nnrt_loss_of(s->loss)->name);
    fprintf(out, "%5s %5s %8s %8s  %-11s %11s %14s %14s\n", "layer", "line", "in", "out",
            "activation", "params", "FLOPs fwd", "FLOPs train");
    for (int l = 0; l < s->n_layers; l++) {
        const nng_layer *L = &s->layers[l];
        fprintf(out, "%5d %5d %8ld %8d  %-11s %11lld %14.0f %14.0f\n", l + 1, L->pos.line,
                nng_fan_in(s, l), L->units, nnrt_act_name(L->act), nng_layer_weights(s, l),
                nng_flops_fwd_layer(s, l), nng_flops_train_layer(s, l));
    }
    fprintf(out, "%-41s %11ld %14.0f %14.0f\n", "total", s->n_weights, nng_flops_fwd(s),
            nng_flops_train(s));
    size_t padded = nng_param_count_padded(s);
    fprintf(out, "padded parameter array: %zu floats (%zu bytes)\n", padded,
            padded * sizeof(float));
    fputs("FLOPs are per sample, 2 per multiply-add; train = forward + backward.\n", out);
    return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                               */
/* ------------------------------------------------------------------ */

static int main_produce(const main_cli *c, const nng_spec *s, FILE *out)
{
    if (c->summary)
        return main_summary(s, out);
    nng_emit_opts o;
    memset(&o, 0, sizeof o);
    o.isas = c->isas;
    o.dtype_double = c->dtype_double;
    o.cmdline = c->cmdline;
    if (c->inference)
        return nng_emit_inference(s, &o, c->params, c->weights, out);
    return nng_emit(s, &o, out);
}

/* A signal while -o's temporary exists removes it (nnrt_afile_on_signal)
 * and ends the run as the signal would. */
static void main_catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = nnrt_afile_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

/* -o FILE: the output is made in memory, then written through nnrt_afile
 * (runtime/nnrt_file.h): FILE is never left half-written (a FILE that is
 * no regular file, /dev/stdout or a FIFO, is written in place). */
static int main_write_file(const main_cli *c, const nng_spec *s)
{
    const char *path = c->out;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "nngen: cannot write '%s': it is a directory\n", path);
        return MAIN_FAIL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int bad = !mem || main_produce(c, s, mem) != 0;
    if (mem && fclose(mem) != 0)
        bad = 1;
    if (bad) {
        fprintf(stderr, "nngen: out of memory\n");
        free(text);
        return MAIN_FAIL;
    }
    nnrt_afile f;
    nnrt_err e = {""};
    main_catch_signals();
    int r = nnrt_afile_open(&f, path, &e);
    if (r == 0) {
        nnrt_afile_write(&f, text, len);
        r = nnrt_afile_commit(&f, &e);
    }
    free(text);
    if (r) {
        fprintf(stderr, "nngen: %s\n", e.msg);
        return MAIN_FAIL;
    }
    return MAIN_OK;
}

static int main_write_stdout(const main_cli *c, const nng_spec *s)
{
    errno = 0;
    int r = main_produce(c, s, stdout);
    if (r != 0 || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "nngen: error writing to standard output: %s\n",
                strerror(errno ? errno : EIO));
        return MAIN_FAIL;
    }
    return MAIN_OK;
}

int main(int argc, char **argv)
{
    main_cli c;
    memset(&c, 0, sizeof c);
    c.isas = NNG_ISA_ALL;
    c.isa_word = "all";
    int r = main_args(argc, argv, &c);
    if (r >= 0)
        return r;

    nng_diag d;
    nng_spec s;
    nng_diag_init(&d, c.spec, stderr);
    if (nng_parse_file(c.spec, &s, &d) != 0)
        return MAIN_FAIL;
    if (c.name)
        snprintf(s.name, sizeof s.name, "%s", c.name);
    if (c.check) {
        nng_spec_free(&s);
        return MAIN_OK;
    }
    if (c.inference && !c.weights) { /* the weights the spec writes, if it writes them all */
        if (s.n_literal < s.n_layers) {
            fprintf(stderr, "nngen: --inference needs --weights FILE (the trainer's --save file)%s\n",
                    s.n_literal ? ": the spec writes the weights of only some layers" : "");
            nng_spec_free(&s);
            return MAIN_USAGE;
        }
        c.params = nng_literal_params(&s);
        if (!c.params) {
            fprintf(stderr, "nngen: out of memory\n");
            nng_spec_free(&s);
            return MAIN_FAIL;
        }
    } else if (c.inference) {
        nnrt_err e = {""};
        c.params = nng_weights_read(&s, c.weights, &e);
        if (!c.params) {
            fprintf(stderr, "nngen: %s\n", e.msg);
            nng_spec_free(&s);
            return MAIN_FAIL;
        }
    }
    c.cmdline = main_cmdline(argc, argv, &c);
    if (!c.summary) /* the generated header's and the descriptor's spec path */
        s.path = main_embedded(s.path);
    if (!c.cmdline) {
        fprintf(stderr, "nngen: out of memory\n");
        free(c.params);
        nng_spec_free(&s);
        return MAIN_FAIL;
    }
    r = c.out ? main_write_file(&c, &s) : main_write_stdout(&c, &s);
    free(c.cmdline);
    free(c.params);
    nng_spec_free(&s);
    return r;
}
