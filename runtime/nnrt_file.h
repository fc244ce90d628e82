/*
 * nnrt_file.h -- output files: the one routine the whole project writes
 * its files with (the compiler's -o, the trainer's --out and --log,
 * weights files).
 *
 *     nnrt_afile f;
 *     if (nnrt_afile_open(&f, path, &e)) ...          nothing was created
 *     nnrt_afile_printf(&f, ...);  nnrt_afile_write(&f, p, n);
 *     if (nnrt_afile_commit(&f, &e)) ...              path untouched
 *
 * A regular file (or an absent path) is replaced atomically: the data goes
 * to TARGET.tmp.XXXXXX in the same directory (so the rename cannot cross
 * file systems), created with the permissions of the file it replaces, or
 * 0666 & ~umask for a new one.  Commit writes out the buffer, fsyncs and
 * closes it, renames it over TARGET and fsyncs the directory (best
 * effort), so TARGET is always the old file or the whole new one.  Any
 * failure, and nnrt_afile_abort, unlinks the temporary: nothing is left
 * behind.  TARGET is the path, or, when the path is a symbolic link to a
 * regular file, that file (the link stays a link).
 *
 * Anything else -- a character device (/dev/null, /dev/full, a terminal),
 * a FIFO, /dev/stdout, and "-" (standard output) -- is written in place,
 * never replaced: there is nothing to rename over, and a device node must
 * not become a regular file.  A socket cannot be opened and is refused.
 * A directory is refused.
 *
 * Every byte goes through the module's own buffer and plain write(2)
 * calls (no stdio), so that tests/faultinject.c can fail any open, write,
 * fsync, close or rename of it.
 *
 * Signals: while a temporary exists its name is kept where a signal
 * handler can reach it; nnrt_afile_on_signal (install it for SIGINT,
 * SIGTERM, SIGHUP, SIGPIPE) unlinks every live temporary and then dies of
 * the signal as the default action would.  The temporary's creation and
 * its rename are done with those signals blocked, so a signal never finds
 * a temporary it does not know of.
 *
 * Internal: not installed.  nnrt_file.c depends on nothing but the C
 * library and nnrt_errorf (nnrt_err.c), so the compiler links it too.
 */
#ifndef NNRT_FILE_H
#define NNRT_FILE_H

#include <stddef.h>

#include "nnrt.h"

typedef struct nnrt_afile {
    int fd;           /* the temporary, or the file written in place; -1: not open */
    int err;          /* errno of the first failed write, 0 while all is well:
                         set by the writes, or by a caller whose own work
                         failed; commit then reports it */
    int in_place;     /* not a regular file: written directly, never renamed */
    int slot;         /* the temporary's place in the signal registry, or -1 */
    const char *path; /* as given, for messages; not copied */
    char *target;     /* what commit renames over (malloc'd; NULL when in place) */
    char *tmp;        /* TARGET.tmp.XXXXXX while open, else NULL */
    char *buf;        /* pending bytes (NNRT_AFILE_BUF of them at most) */
    size_t len;
} nnrt_afile;

#define NNRT_AFILE_BUF 65536

/* Can an output be created at path?  0, or -1 with e filled: "PATH: is a
 * directory", "PATH: directory 'D' does not exist", "PATH: directory 'D'
 * is not writable", "PATH: is a socket", "PATH: not writable".  Nothing
 * is created.  "-" is standard output: always 0. */
int nnrt_afile_check(const char *path, nnrt_err *e);
/* Opens the temporary beside path (or path itself, in place); 0, or -1
 * with e filled. */
int nnrt_afile_open(nnrt_afile *f, const char *path, nnrt_err *e);
/* Appends n bytes, writing out full buffers; the first failure is kept in
 * f->err (later writes are dropped). */
void nnrt_afile_write(nnrt_afile *f, const void *p, size_t n);
/* Appends printf-formatted text. */
void nnrt_afile_printf(nnrt_afile *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Writes out what is buffered (for a log read while it grows). */
void nnrt_afile_flush(nnrt_afile *f);
/* Write out, fsync, close, rename over the target, fsync the directory; 0,
 * or -1 with e filled ("PATH: write failed: REASON (file left
 * unchanged)"; in place: "PATH: write failed: REASON"). */
int nnrt_afile_commit(nnrt_afile *f, nnrt_err *e);
/* Closes and unlinks the temporary; the path is untouched.  A no-op on a
 * file that is not open (after commit, or a failed open). */
void nnrt_afile_abort(nnrt_afile *f);
/* A signal handler: unlinks every live temporary, then re-raises sig with
 * its default action.  Async-signal-safe. */
void nnrt_afile_on_signal(int sig);

#endif /* NNRT_FILE_H */
