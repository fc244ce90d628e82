/*
 * nnrt_isa.c -- which paths this CPU can run, and which path of a
 * generated model runs.
 *
 * nnrt_cpu_has: the CPUID bits, and whether the OS saves the registers
 * they need, as libgcc's and compiler-rt's CPU model report them
 * (__builtin_cpu_supports checks XGETBV: AVX-512 counts only when the OS
 * saves the ZMM and mask state).
 *
 * Dispatch (the way SLEEF's and OpenBLAS's dispatchers do it): a file
 * generated with --isa all carries every path its target can have, best
 * first, and its constructor calls nnrt_dispatch_init once at start-up;
 * NNGEN_ISA, or the trainer's --isa through nnrt_model_select, forces
 * another path the file has and the CPU runs, and a path that cannot run
 * is refused in one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrt.h"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
#define ISA_X86 1
#endif

const char *nnrt_cpu_lacks(const char *isa)
{
    if (strcmp(isa, "scalar") == 0)
        return NULL;
#if defined(ISA_X86)
    __builtin_cpu_init(); /* also when called from a constructor */
    int avx512 = strcmp(isa, "avx512") == 0;
    if (avx512 || strcmp(isa, "avx2") == 0) {
        if (avx512 && !__builtin_cpu_supports("avx512f"))
            return "avx512f";
        if (!__builtin_cpu_supports("avx2"))
            return "avx2";
        if (!__builtin_cpu_supports("fma"))
            return "fma";
        return NULL;
    }
#endif
#if defined(__aarch64__)
    if (strcmp(isa, "neon") == 0)
        return NULL; /* part of the aarch64 baseline */
#endif
    return isa;
}

int nnrt_cpu_has(const char *isa)
{
    return nnrt_cpu_lacks(isa) == NULL;
}

int nnrt_cpu_has_avx2(void)
{
    return nnrt_cpu_has("avx2");
}

const char *nnrt_best_isa(void)
{
#if defined(__aarch64__)
    return "neon";
#else
    return nnrt_cpu_has("avx512") ? "avx512" : nnrt_cpu_has("avx2") ? "avx2" : "scalar";
#endif
}

/* ------------------------------------------------------------------ */
/* Which path of a model runs                                           */
/* ------------------------------------------------------------------ */

static const nnrt_path *isa_find(const nnrt_dispatch *d, const char *isa)
{
    for (int i = 0; i < d->n_paths; i++)
        if (strcmp(d->paths[i].isa, isa) == 0)
            return &d->paths[i];
    return NULL;
}

/* Can d run path `isa` here?  0, or -1 with "WHO ISA: why not" in e (WHO
 * is a flag, "--isa avx2", or a variable, "NNGEN_ISA=avx2"). */
static int isa_check(const nnrt_dispatch *d, const char *isa, const char *who, nnrt_err *e)
{
    const char *sep = strncmp(who, "--", 2) == 0 ? " " : "=";
    if (!isa_find(d, isa)) {
        char list[128] = "";
        size_t len = 0;
        for (int i = 0; i < d->n_paths && len < sizeof list; i++) {
            int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", d->paths[i].isa);
            len += k > 0 ? (size_t)k : 0;
        }
        return nnrt_errorf(e, "%s%s%s: this model has no %s path (it has %s)", who, sep, isa, isa,
                           list);
    }
    const char *lacks = nnrt_cpu_lacks(isa);
    if (lacks)
        return nnrt_errorf(e, "%s%s%s: this CPU lacks %s", who, sep, isa, lacks);
    return 0;
}

static void isa_use(nnrt_dispatch *d, const nnrt_path *p, const char *why)
{
    d->path = p;
    snprintf(d->isa, sizeof d->isa, "%s", p->isa);
    snprintf(d->why, sizeof d->why, "%s", why);
}

void nnrt_dispatch_init(nnrt_dispatch *d)
{
    const nnrt_path *best = &d->paths[d->n_paths - 1]; /* scalar */
    for (int i = 0; i < d->n_paths; i++)
        if (nnrt_cpu_has(d->paths[i].isa)) {
            best = &d->paths[i];
            break;
        }
    isa_use(d, best, "best this CPU has");
    d->refused.msg[0] = '\0';
    const char *want = getenv("NNGEN_ISA");
    if (want && *want && isa_check(d, want, "NNGEN_ISA", &d->refused) == 0)
        isa_use(d, isa_find(d, want), "forced by NNGEN_ISA");
}

int nnrt_model_select(const nnrt_model *m, const char *isa, const char *by, nnrt_err *e)
{
    nnrt_dispatch *d = m->dispatch;
    if (d && isa) {
        if (isa_check(d, isa, by, e))
            return -1;
        char why[48];
        snprintf(why, sizeof why, "forced by %s", by);
        isa_use(d, isa_find(d, isa), why);
        return 0;
    }
    if (d) {
        if (!d->refused.msg[0])
            return 0;
        *e = d->refused;
        return -1;
    }
    /* a file of one path: that one, if the CPU runs it */
    const char *want = isa ? isa : getenv("NNGEN_ISA");
    const char *who = isa ? by : "NNGEN_ISA", *sep = isa ? " " : "=";
    if (want && *want && strcmp(want, m->isa) != 0)
        return nnrt_errorf(e, "%s%s%s: this model has only the %s path (nngen --isa %s)", who,
                           sep, want, m->isa, m->isa);
    const char *lacks = nnrt_cpu_lacks(m->isa);
    if (lacks)
        return nnrt_errorf(e, "this model has only the %s path (nngen --isa %s) and this CPU "
                              "lacks %s", m->isa, m->isa, lacks);
    return 0;
}

const char *nnrt_model_why(const nnrt_model *m)
{
    return m->dispatch ? m->dispatch->why : "the only path compiled in";
}
