/* peak_avx512.c -- AVX-512F peak kernel (compiled with -mavx512f); called
 * only when the CPU reports AVX-512F. */
#include <immintrin.h>

#include "peak_fma.h"

#define STEP(r) r = _mm512_fmadd_ps(r, a, b)

float peak_fma_avx512(long iters)
{
    const __m512 a = _mm512_set1_ps(0.999999f);
    const __m512 b = _mm512_set1_ps(1e-7f);
    __m512 r0 = _mm512_set1_ps(0.0f), r1 = _mm512_set1_ps(1.0f), r2 = _mm512_set1_ps(2.0f),
           r3 = _mm512_set1_ps(3.0f), r4 = _mm512_set1_ps(4.0f), r5 = _mm512_set1_ps(5.0f),
           r6 = _mm512_set1_ps(6.0f), r7 = _mm512_set1_ps(7.0f), r8 = _mm512_set1_ps(8.0f),
           r9 = _mm512_set1_ps(9.0f), r10 = _mm512_set1_ps(10.0f), r11 = _mm512_set1_ps(11.0f),
           r12 = _mm512_set1_ps(12.0f), r13 = _mm512_set1_ps(13.0f), r14 = _mm512_set1_ps(14.0f),
           r15 = _mm512_set1_ps(15.0f);
    for (long i = 0; i < iters; i++) {
        STEP(r0); STEP(r1); STEP(r2); STEP(r3); STEP(r4); STEP(r5); STEP(r6); STEP(r7);
        STEP(r8); STEP(r9); STEP(r10); STEP(r11); STEP(r12); STEP(r13); STEP(r14); STEP(r15);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r0, r1), _mm512_add_ps(r2, r3)),
                             _mm512_add_ps(_mm512_add_ps(r4, r5), _mm512_add_ps(r6, r7)));
    __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r8, r9), _mm512_add_ps(r10, r11)),
                             _mm512_add_ps(_mm512_add_ps(r12, r13), _mm512_add_ps(r14, r15)));
    return _mm512_reduce_add_ps(_mm512_add_ps(s, t));
}
