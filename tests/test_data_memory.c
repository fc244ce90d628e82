/*
 * test_data_memory.c -- loading keeps ONE float copy of the features.
 *
 * Loads Fashion-MNIST's training images (60000 x 784 floats = 188.16 MB)
 * and checks that the process's peak resident size grew by no more than
 * that array, the labels and 16 MiB of buffers.  Not under AddressSanitizer
 * (its shadow memory and quarantine change the numbers).
 *
 *   test_data_memory FILE [LABELS]   loads FILE, prints m, n_features and
 *                                    the peak RSS (for /usr/bin/time -v runs)
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnrt.h"

#if defined(__SANITIZE_ADDRESS__)
#define MEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_ASAN 1
#endif
#endif

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

static void test_fashion_one_copy(void **state)
{
    (void)state;
#ifdef MEM_ASAN
    skip();
#endif
    const char *dir = getenv("NNGEN_FASHION_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz",
             dir && *dir ? dir : "/usr/share/datasets/fashion-mnist");
    if (access(path, R_OK) != 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0)
            fail_msg("CI=true but %s is missing", path);
        skip();
    }
    long before = peak_kib();
    nnrt_dataset d;
    nnrt_err e = {""};
    if (nnrt_load(path, NULL, &d, &e) != 0)
        fail_msg("%s", e.msg);
    long after = peak_kib();
    double x_kib = (double)d.m * d.n_features * sizeof(float) / 1024.0;
    double y_kib = (double)d.m * d.label_cols * sizeof(float) / 1024.0;
    printf("test_data_memory: peak RSS grew by %ld KiB; x is %.0f KiB, y %.0f KiB\n",
           after - before, x_kib, y_kib);
    assert_int_equal(d.m, 60000);
    assert_true((double)(after - before) <= x_kib + y_kib + 16384.0);
    nnrt_dataset_free(&d);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        nnrt_dataset d;
        nnrt_err e = {""};
        nnrt_load_opts o;
        nnrt_load_opts_default(&o);
        if (argc > 2)
            o.labels_path = argv[2];
        if (nnrt_load(argv[1], &o, &d, &e) != 0) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        printf("%s: m %ld, n_features %d, label_cols %d; x %.2f MB; peak RSS %ld KiB\n", d.path,
               d.m, d.n_features, d.label_cols,
               (double)d.m * d.n_features * sizeof(float) / 1e6, peak_kib());
        nnrt_dataset_free(&d);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fashion_one_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
