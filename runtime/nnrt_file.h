/*
 * nnrt_file.h -- output files replaced atomically: the one routine the
 * whole project writes its files with (the compiler's -o, the trainer's
 * --out and --log, weights files).
 *
 *     nnrt_afile f;
 *     if (nnrt_afile_open(&f, path, &e)) ...          nothing was created
 *     fprintf(f.fp, ...);  nnrt_afile_write(&f, p, n);
 *     if (nnrt_afile_commit(&f, &e)) ...              path untouched
 *
 * The data goes to PATH.tmp.XXXXXX in the same directory (so the rename
 * cannot cross file systems), created with the permissions of the file it
 * replaces, or 0666 & ~umask for a new one.  Commit flushes, fsyncs and
 * closes it, renames it over PATH and fsyncs the directory (best effort),
 * so PATH is always the old file or the whole new one.  Any failure, and
 * nnrt_afile_abort, unlinks the temporary: nothing is left behind.
 *
 * A symbolic link at PATH is replaced by the new file (rename semantics);
 * the caller decides what to do about other non-regular files beforehand.
 *
 * Internal: not installed.  nnrt_file.c depends on nothing but the C
 * library and nnrt_errorf (nnrt_err.c), so the compiler links it too.
 */
#ifndef NNRT_FILE_H
#define NNRT_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "nnrt.h"

typedef struct nnrt_afile {
    FILE *fp;         /* write here */
    int err;          /* errno of the first failed write, 0 while all is well:
                         set by nnrt_afile_write, or by a caller whose own
                         writes failed; commit then reports it */
    const char *path; /* replaced on commit; not copied */
    char *tmp;        /* PATH.tmp.XXXXXX while open, else NULL */
} nnrt_afile;

/* Creates the temporary beside path; 0, or -1 with e filled. */
int nnrt_afile_open(nnrt_afile *f, const char *path, nnrt_err *e);
/* fwrite(p, 1, n, f->fp), remembering the first failure in f->err. */
void nnrt_afile_write(nnrt_afile *f, const void *p, size_t n);
/* Flush, fsync, close, rename over the path, fsync the directory; 0, or -1
 * with e filled ("PATH: write failed: REASON (file left unchanged)"). */
int nnrt_afile_commit(nnrt_afile *f, nnrt_err *e);
/* Closes and unlinks the temporary; the path is untouched.  A no-op on a
 * file that is not open (after commit, or a failed open). */
void nnrt_afile_abort(nnrt_afile *f);

#endif /* NNRT_FILE_H */
