/*
 * nnrt_file.c -- output files replaced atomically (nnrt_file.h): a
 * temporary beside the path, synced, renamed over it.  The project's only
 * code that creates output files.
 */
#define _POSIX_C_SOURCE 200809L

#include "nnrt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AF_SUFFIX ".tmp.XXXXXX"

/* Permission bits for the new file: the old file's, else 0666 & ~umask
 * (what fopen would have given; mkstemp makes 0600). */
static mode_t af_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return st.st_mode & 07777;
    mode_t mask = umask(022);
    umask(mask);
    return 0666 & ~mask;
}

/* fsync the directory holding path, so that the rename itself is durable.
 * Best effort: some file systems refuse. */
static void af_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash && slash != path) {
        size_t n = (size_t)(slash - path);
        dir = malloc(n + 1);
        if (!dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir ? dir : slash ? "/" : ".", O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int nnrt_afile_open(nnrt_afile *f, const char *path, nnrt_err *e)
{
    f->fp = NULL;
    f->err = 0;
    f->path = path;
    size_t n = strlen(path);
    f->tmp = malloc(n + sizeof AF_SUFFIX);
    if (!f->tmp)
        return nnrt_errorf(e, "%s: out of memory", path);
    memcpy(f->tmp, path, n);
    memcpy(f->tmp + n, AF_SUFFIX, sizeof AF_SUFFIX);
    mode_t mode = af_mode(path);
    int fd = mkstemp(f->tmp);
    if (fd < 0) {
        nnrt_errorf(e, "%s: cannot create a temporary file beside it: %s", path,
                    strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        return -1;
    }
    (void)fchmod(fd, mode); /* best effort, as for any new file */
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        nnrt_errorf(e, "%s: %s", path, strerror(errno));
        close(fd);
        nnrt_afile_abort(f);
        return -1;
    }
    return 0;
}

void nnrt_afile_write(nnrt_afile *f, const void *p, size_t n)
{
    if (f->err || n == 0)
        return;
    errno = 0;
    if (fwrite(p, 1, n, f->fp) != n)
        f->err = errno ? errno : EIO;
}

int nnrt_afile_commit(nnrt_afile *f, nnrt_err *e)
{
    if (!f->tmp)
        return nnrt_errorf(e, "%s: not open for writing", f->path ? f->path : "?");
    int err = f->err;
    errno = 0;
    if (!err && (fflush(f->fp) != 0 || ferror(f->fp)))
        err = errno ? errno : EIO;
    if (!err && fsync(fileno(f->fp)) != 0 && errno != EINVAL)
        err = errno;
    if (fclose(f->fp) != 0 && !err)
        err = errno ? errno : EIO;
    f->fp = NULL;
    if (err) {
        nnrt_afile_abort(f);
        return nnrt_errorf(e, "%s: write failed: %s (file left unchanged)", f->path,
                           strerror(err));
    }
    if (rename(f->tmp, f->path) != 0) {
        err = errno;
        nnrt_afile_abort(f);
        return nnrt_errorf(e, "%s: cannot replace it: %s (file left unchanged)", f->path,
                           strerror(err));
    }
    free(f->tmp);
    f->tmp = NULL;
    af_sync_dir(f->path);
    return 0;
}

void nnrt_afile_abort(nnrt_afile *f)
{
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
    }
    if (f->tmp) {
        unlink(f->tmp);
        free(f->tmp);
        f->tmp = NULL;
    }
}
