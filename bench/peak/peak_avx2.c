/* peak_avx2.c -- AVX2+FMA peak kernel (compiled with -mavx2 -mfma). */
#include <immintrin.h>

#include "peak_fma.h"

/* 12 named accumulators (an array would live in memory at -O2): more than
 * FMA latency (4) x FMA pipes (2) on current cores, so the units never wait,
 * and with a and b 14 of the 16 ymm registers (16 chains would spill). */
#define STEP(r) r = _mm256_fmadd_ps(r, a, b)

float peak_fma_avx2(long iters)
{
    const __m256 a = _mm256_set1_ps(0.999999f);
    const __m256 b = _mm256_set1_ps(1e-7f);
    __m256 r0 = _mm256_set1_ps(0.0f), r1 = _mm256_set1_ps(1.0f), r2 = _mm256_set1_ps(2.0f),
           r3 = _mm256_set1_ps(3.0f), r4 = _mm256_set1_ps(4.0f), r5 = _mm256_set1_ps(5.0f),
           r6 = _mm256_set1_ps(6.0f), r7 = _mm256_set1_ps(7.0f), r8 = _mm256_set1_ps(8.0f),
           r9 = _mm256_set1_ps(9.0f), r10 = _mm256_set1_ps(10.0f), r11 = _mm256_set1_ps(11.0f);
    for (long i = 0; i < iters; i++) {
        STEP(r0); STEP(r1); STEP(r2); STEP(r3); STEP(r4); STEP(r5); STEP(r6); STEP(r7);
        STEP(r8); STEP(r9); STEP(r10); STEP(r11);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(r0, r1), _mm256_add_ps(r2, r3)),
                             _mm256_add_ps(_mm256_add_ps(r4, r5), _mm256_add_ps(r6, r7)));
    __m256 t = _mm256_add_ps(_mm256_add_ps(r8, r9), _mm256_add_ps(r10, r11));
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(s, t));
    return out[0] + out[7];
}
