/*
 * fuzz_spec.c -- the spec parser (compiler/spec.c) and, on what parses,
 * the emitter (compiler/emit.c) for every ISA and the double build.
 * Oracle (round trip): nng_spec_print of a parsed spec parses again, to
 * the same spec (the same canonical text, signature and parameter count).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nngen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* The canonical text of s (malloc'd). */
static char *print_spec(const nng_spec *s, size_t *n)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, n);
    if (!f)
        abort();
    nng_spec_print(s, f);
    if (fclose(f) != 0)
        abort();
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    nng_diag d;
    nng_spec s;
    nng_diag_init(&d, "fuzz.spec", devnull);
    if (nng_parse_text((const char *)data, size, "fuzz.spec", &s, &d) != 0) {
        if (d.errors <= 0)
            abort(); /* a failure reports at least one error */
        return 0;
    }
    static const int isas[] = {NNG_ISA_ALL, NNG_ISA_SCALAR, NNG_ISA_AVX2, NNG_ISA_NEON};
    for (int i = 0; i < 5; i++) {
        nng_emit_opts o = {i < 4 ? isas[i] : NNG_ISA_SCALAR, i == 4, "nngen fuzz.spec"};
        if (nng_emit(&s, &o, devnull) != 0)
            abort();
    }
    size_t n1, n2;
    char *t1 = print_spec(&s, &n1);
    nng_spec s2;
    nng_diag d2;
    nng_diag_init(&d2, "fuzz.spec", stderr);
    if (nng_parse_text(t1, n1, "fuzz.spec", &s2, &d2) != 0) {
        fprintf(stderr, "the canonical print does not parse:\n%s", t1);
        abort();
    }
    char *t2 = print_spec(&s2, &n2);
    if (n1 != n2 || memcmp(t1, t2, n1) != 0 || nng_signature(&s) != nng_signature(&s2) ||
        s.n_weights != s2.n_weights || s.n_in != s2.n_in ||
        nng_param_count_padded(&s) != nng_param_count_padded(&s2)) {
        fprintf(stderr, "round trip differs:\n%s---\n%s", t1, t2);
        abort();
    }
    free(t1);
    free(t2);
    nng_spec_free(&s2);
    nng_spec_free(&s);
    return 0;
}
