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
#include <unistd.h>

nnrt_real *nnrt_data_alloc_floats(size_t n)
{
    if (n == 0 || n > SIZE_MAX / sizeof(nnrt_real) - NNRT_ALIGN_BYTES)
        return NULL;
    size_t bytes = n * sizeof(nnrt_real);
    bytes = (bytes + NNRT_ALIGN_BYTES - 1) / NNRT_ALIGN_BYTES * NNRT_ALIGN_BYTES;
    return aligned_alloc(NNRT_ALIGN_BYTES, bytes);
}

void nnrt_data_take(nnrt_dataset *d, size_t m, size_t nf, size_t k, nnrt_real **x, nnrt_real **y)
{
    d->m = (long)m;
    d->n_features = (int)nf;
    d->label_cols = (int)k;
    d->x = *x;
    d->y = *y;
    *x = *y = NULL;
}

int nnrt_data_check_path(const char *path, const char **kind, nnrt_err *e)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return nnrt_errorf(e, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return nnrt_errorf(e, "%s: is a directory, not a data file", path);
    if (kind)
        *kind = S_ISREG(st.st_mode)    ? NULL
                : S_ISFIFO(st.st_mode) ? "a FIFO"
                : S_ISCHR(st.st_mode)  ? "a character device"
                : S_ISBLK(st.st_mode)  ? "a block device"
                : S_ISSOCK(st.st_mode) ? "a socket"
                                       : "not a regular file";
    return 0;
}

size_t nnrt_data_limit(const nnrt_load_opts *o)
{
    size_t lim = o->max_bytes ? o->max_bytes : NNRT_DATA_MAX_BYTES;
#ifdef _SC_PHYS_PAGES
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && (size_t)pages <= SIZE_MAX / (size_t)page &&
        (size_t)pages * (size_t)page < lim)
        lim = (size_t)pages * (size_t)page;
#endif
    return lim;
}

int nnrt_data_check_features(const char *path, const nnrt_load_opts *o, size_t nf, nnrt_err *e)
{
    const nnrt_model *m = o->model;
    if (m && nf != (size_t)m->n_in)
        return nnrt_errorf(e, "%s: %zu features per sample, but model '%s' takes %d", path, nf,
                           m->name ? m->name : "?", m->n_in);
    if (nf > NNRT_MAX_VALUES)
        return nnrt_errorf(e, "%s: %zu values per sample, more than the limit of %d", path, nf,
                           NNRT_MAX_VALUES);
    return 0;
}

int nnrt_data_check_bytes(const char *path, const nnrt_load_opts *o, size_t m, size_t nf,
                          size_t k, nnrt_err *e)
{
    size_t lim = nnrt_data_limit(o), per = (nf + k) * sizeof(nnrt_real);
    if (nf > NNRT_MAX_VALUES || k > NNRT_MAX_VALUES)
        return nnrt_errorf(e, "%s: more than %d values per sample", path, NNRT_MAX_VALUES);
    if (per > 0 && m > lim / per)
        return nnrt_errorf(e, "%s: %zu samples of %zu values would take more than the limit of "
                              "%zu bytes (docs/limits.md)", path, m, nf + k, lim);
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
