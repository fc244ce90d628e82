/*
 * nnrt_isa.c -- which paths this CPU can run (nnrt_cpu_has): the CPUID
 * bits, and whether the OS saves the registers they need, as libgcc's and
 * compiler-rt's CPU model report them (__builtin_cpu_supports checks
 * XGETBV: AVX-512 counts only when the OS saves the ZMM and mask state).
 */
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
    return nnrt_cpu_has_avx2() ? "avx2" : "scalar";
#endif
}
