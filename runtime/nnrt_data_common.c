/*
 * nnrt_data_common.c -- the small pieces every data loader shares: the
 * data set's aligned float arrays and handing them over, the path check,
 * file name suffixes and zlib's error message (nnrt_data_internal.h).
 * Calls no loader.
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_data_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

float *nnrt_data_alloc_floats(size_t n)
{
    if (n == 0 || n > SIZE_MAX / sizeof(float) - NNRT_ALIGN_BYTES)
        return NULL;
    size_t bytes = n * sizeof(float);
    bytes = (bytes + NNRT_ALIGN_BYTES - 1) / NNRT_ALIGN_BYTES * NNRT_ALIGN_BYTES;
    return aligned_alloc(NNRT_ALIGN_BYTES, bytes);
}

void nnrt_data_take(nnrt_dataset *d, size_t m, size_t nf, size_t k, float **x, float **y)
{
    d->m = (long)m;
    d->n_features = (int)nf;
    d->label_cols = (int)k;
    d->x = *x;
    d->y = *y;
    *x = *y = NULL;
}

int nnrt_data_check_path(const char *path, nnrt_err *e)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return nnrt_errorf(e, "%s: is a directory, not a data file", path);
    return 0;
}

int nnrt_data_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (k > n)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != tolower((unsigned char)suffix[i]))
            return 0;
    return 1;
}

const char *nnrt_data_gz_msg(gzFile gz, const char *path, int *code)
{
    const char *m = gzerror(gz, code);
    size_t n = strlen(path);
    if (strncmp(m, path, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
        m += n + 2;
    return m;
}
