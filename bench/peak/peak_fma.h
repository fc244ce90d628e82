/*
 * peak_fma.h -- the kernels of the peak program, one per ISA file (each file
 * is compiled with its own -m flags, so the AVX-512 code never reaches a
 * build that cannot run it).
 *
 * Each kernel runs `iters` rounds of `chains` independent fused multiply-add
 * chains and returns a value that depends on every chain (so the compiler
 * cannot drop the work).  Flops done = iters * chains * lanes * 2.
 */
#ifndef PEAK_FMA_H
#define PEAK_FMA_H

#define PEAK_CHAINS_AVX2 12   /* named accumulators in each kernel */
#define PEAK_CHAINS_AVX512 16

float peak_fma_avx2(long iters);   /* 12 chains of _mm256_fmadd_ps: 8 lanes */
float peak_fma_avx512(long iters); /* 16 chains of _mm512_fmadd_ps: 16 lanes */

#endif
