/*
 * nnrt_file.c -- output files (nnrt_file.h): regular files replaced
 * atomically (a temporary beside the path, synced, renamed over it), other
 * files written in place, temporaries removed on a signal.  The project's
 * only code that creates output files.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include "nnrt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AF_SUFFIX ".tmp.XXXXXX"

/* ------------------------------------------------------------------ */
/* The temporaries a signal handler removes                             */
/* ------------------------------------------------------------------ */

#define AF_SLOTS 8     /* temporaries open at once (the trainer has at most 2) */
#define AF_SLOT_PATH (4096 + sizeof AF_SUFFIX)

static struct af_slot {
    volatile sig_atomic_t live;
    char path[AF_SLOT_PATH];
} af_slots[AF_SLOTS];

/* The signals nnrt_afile_on_signal is meant for, blocked while a temporary
 * is created or renamed. */
static void af_block(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGPIPE);
    sigprocmask(SIG_BLOCK, &s, old);
}

static void af_unblock(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

/* Records tmp for the handler; its slot, or -1 (no room: the temporary is
 * then not removed by a signal). */
static int af_register(const char *tmp)
{
    size_t n = strlen(tmp);
    for (int i = 0; i < AF_SLOTS; i++) {
        if (af_slots[i].live || n >= AF_SLOT_PATH)
            continue;
        memcpy(af_slots[i].path, tmp, n + 1);
        atomic_signal_fence(memory_order_seq_cst);
        af_slots[i].live = 1;
        return i;
    }
    return -1;
}

static void af_unregister(nnrt_afile *f)
{
    if (f->slot >= 0)
        af_slots[f->slot].live = 0;
    f->slot = -1;
}

void nnrt_afile_on_signal(int sig)
{
    int saved = errno;
    for (int i = 0; i < AF_SLOTS; i++) {
        if (af_slots[i].live) {
            unlink(af_slots[i].path);
            af_slots[i].live = 0;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    raise(sig); /* delivered when the handler returns: the default action */
    errno = saved;
}

/* ------------------------------------------------------------------ */
/* Paths                                                                */
/* ------------------------------------------------------------------ */

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

/* The directory holding path (malloc'd): "." for a bare name, "/" for
 * "/name".  NULL when out of memory. */
static char *af_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

/* fsync the directory holding path, so that the rename itself is durable.
 * Best effort: some file systems refuse. */
static void af_sync_dir(const char *path)
{
    char *dir = af_dir(path);
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static const char *af_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* What a regular file at path is replaced as: path itself, or the file a
 * symbolic link at path leads to (malloc'd).  NULL with e filled. */
static char *af_target(const char *path, nnrt_err *e)
{
    struct stat st;
    char *t;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) == 0) {
        t = realpath(path, NULL);
        if (!t)
            nnrt_errorf(e, "%s: cannot follow the link: %s", path, strerror(errno));
        return t;
    }
    t = strdup(path);
    if (!t)
        nnrt_errorf(e, "%s: out of memory", path);
    return t;
}

int nnrt_afile_check(const char *path, nnrt_err *e)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return 0;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode))
            return nnrt_errorf(e, "%s: is %s", path, af_kind(st.st_mode));
        if (access(path, W_OK) != 0)
            return nnrt_errorf(e, "%s: not writable: %s", path, strerror(errno));
        return 0;
    }
    char *t = af_target(path, e);
    if (!t)
        return -1;
    char *dir = af_dir(t);
    int rc = 0;
    if (!dir)
        rc = nnrt_errorf(e, "%s: out of memory", path);
    else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = nnrt_errorf(e, "%s: directory '%s' does not exist", path, dir);
    else if (access(dir, W_OK) != 0)
        rc = nnrt_errorf(e, "%s: directory '%s' is not writable", path, dir);
    free(dir);
    free(t);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Open, write, commit                                                  */
/* ------------------------------------------------------------------ */

static void af_release(nnrt_afile *f)
{
    free(f->buf);
    free(f->target);
    free(f->tmp);
    f->buf = f->target = f->tmp = NULL;
    f->fd = -1;
    f->len = 0;
}

/* Writes a file in place (not a regular file): 0, or -1 with e filled. */
static int af_open_in_place(nnrt_afile *f, const char *path, mode_t mode, nnrt_err *e)
{
    f->in_place = 1;
    if (S_ISDIR(mode) || S_ISSOCK(mode))
        return nnrt_errorf(e, "%s: is %s", path, af_kind(mode));
    f->fd = open(path, O_WRONLY | O_NOCTTY);
    if (f->fd < 0)
        return nnrt_errorf(e, "%s: cannot open it for writing: %s", path, strerror(errno));
    return 0;
}

int nnrt_afile_open(nnrt_afile *f, const char *path, nnrt_err *e)
{
    *f = (nnrt_afile){-1, 0, 0, -1, path, NULL, NULL, NULL, 0};
    struct stat st;
    int rc = 0;
    f->buf = malloc(NNRT_AFILE_BUF);
    if (!f->buf)
        return nnrt_errorf(e, "%s: out of memory", path);
    if (strcmp(path, "-") == 0) {
        f->in_place = 1;
        f->fd = STDOUT_FILENO;
        return 0;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        rc = af_open_in_place(f, path, st.st_mode, e);
        if (rc)
            af_release(f);
        return rc;
    }
    f->target = af_target(path, e);
    size_t n = f->target ? strlen(f->target) : 0;
    f->tmp = f->target ? malloc(n + sizeof AF_SUFFIX) : NULL;
    if (!f->tmp) {
        if (f->target)
            nnrt_errorf(e, "%s: out of memory", path);
        af_release(f);
        return -1;
    }
    memcpy(f->tmp, f->target, n);
    memcpy(f->tmp + n, AF_SUFFIX, sizeof AF_SUFFIX);
    mode_t mode = af_mode(f->target);
    sigset_t old;
    af_block(&old);
    f->fd = mkstemp(f->tmp);
    int err = errno;
    if (f->fd >= 0)
        f->slot = af_register(f->tmp);
    af_unblock(&old);
    if (f->fd < 0) {
        nnrt_errorf(e, "%s: cannot create a temporary file beside it: %s", path, strerror(err));
        af_release(f);
        return -1;
    }
    (void)fchmod(f->fd, mode); /* best effort, as for any new file */
    return 0;
}

/* Writes out the buffer; a failure goes to f->err. */
static void af_drain(nnrt_afile *f)
{
    size_t off = 0;
    while (off < f->len && !f->err) {
        ssize_t k = write(f->fd, f->buf + off, f->len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            f->err = k < 0 ? errno : EIO;
        else
            off += (size_t)k;
    }
    f->len = 0;
}

void nnrt_afile_write(nnrt_afile *f, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0 && !f->err && f->buf) {
        size_t k = NNRT_AFILE_BUF - f->len;
        if (k > n)
            k = n;
        memcpy(f->buf + f->len, s, k);
        f->len += k;
        s += k;
        n -= k;
        if (f->len == NNRT_AFILE_BUF)
            af_drain(f);
    }
}

void nnrt_afile_printf(nnrt_afile *f, const char *fmt, ...)
{
    char small[512];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (!f->err)
            f->err = EINVAL;
    } else if ((size_t)n < sizeof small) {
        nnrt_afile_write(f, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            nnrt_afile_write(f, big, (size_t)n);
            free(big);
        } else if (!f->err) {
            f->err = ENOMEM;
        }
    }
    va_end(ap2);
}

void nnrt_afile_flush(nnrt_afile *f)
{
    if (f->buf && f->len)
        af_drain(f);
}

int nnrt_afile_commit(nnrt_afile *f, nnrt_err *e)
{
    const char *name = f->path ? f->path : "?";
    if (!f->buf)
        return nnrt_errorf(e, "%s: not open for writing", name);
    if (strcmp(name, "-") == 0)
        name = "standard output";
    nnrt_afile_flush(f);
    int err = f->err;
    if (f->in_place) {
        /* no fsync: a device or a pipe has nothing to sync */
        if (f->fd != STDOUT_FILENO && close(f->fd) != 0 && !err)
            err = errno;
        af_release(f);
        return err ? nnrt_errorf(e, "%s: write failed: %s", name, strerror(err)) : 0;
    }
    if (!err && fsync(f->fd) != 0 && errno != EINVAL)
        err = errno;
    if (close(f->fd) != 0 && !err)
        err = errno;
    f->fd = -1;
    if (err) {
        nnrt_afile_abort(f);
        return nnrt_errorf(e, "%s: write failed: %s (file left unchanged)", name,
                           strerror(err));
    }
    sigset_t old;
    af_block(&old);
    int r = rename(f->tmp, f->target);
    err = errno;
    if (r == 0)
        af_unregister(f);
    af_unblock(&old);
    if (r != 0) {
        nnrt_afile_abort(f);
        return nnrt_errorf(e, "%s: cannot replace it: %s (file left unchanged)", name,
                           strerror(err));
    }
    af_sync_dir(f->target);
    af_release(f);
    return 0;
}

void nnrt_afile_abort(nnrt_afile *f)
{
    if (f->fd >= 0 && f->fd != STDOUT_FILENO)
        close(f->fd);
    f->fd = -1;
    if (f->tmp && !f->in_place) {
        unlink(f->tmp);
        af_unregister(f);
    }
    af_release(f);
}
