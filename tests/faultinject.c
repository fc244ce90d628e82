/*
 * faultinject.c -- an LD_PRELOAD shim that makes one call of the output
 * path fail, or raises a signal inside it, for tests/faultinject.sh:
 *
 *     NNG_FAULT=CALL:N:ACTION  LD_PRELOAD=libnng_faultinject.so  program ...
 *
 * CALL is open, write, fsync, close or rename; N counts the calls of that
 * kind from 1; ACTION is an errno name (ENOSPC, EIO, EACCES, EROFS, EDQUOT,
 * EFBIG, EINTR) -- the call then fails with it, doing nothing (close
 * closes the descriptor, as Linux does) -- or a signal name (SIGKILL,
 * SIGTERM, SIGINT, SIGHUP): the signal is raised when the call begins, and
 * the call goes on if the process survives it (the signal blocked).
 *
 * Only output files count: "open" is a mkstemp() or an open() for
 * writing; write, fsync and close count only on descriptors those returned
 * (so messages on stderr never do); every rename counts.  With
 * NNG_FAULT_LOG=FILE each counted call appends "CALL N" to FILE, so a test
 * can learn how many calls a run makes and pick one.
 *
 * Linux/glibc only; built without sanitizers (it is loaded before them).
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { FI_OPEN, FI_WRITE, FI_FSYNC, FI_CLOSE, FI_RENAME, FI_NCALLS };
static const char *const fi_names[FI_NCALLS] = {"open", "write", "fsync", "close", "rename"};

static int fi_ready;
static int fi_call = -1;   /* the call to fault */
static long fi_nth;        /* its occurrence */
static int fi_errno;       /* fail with this, or */
static int fi_signal;      /* raise this */
static long fi_count[FI_NCALLS];
static int fi_log = -1;

#define FI_MAXFD 4096
static unsigned char fi_tracked[FI_MAXFD];

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);

/* The next definition of `name` (libc's, or a sanitizer's) into *fn; a
 * function pointer copied from dlsym's void * (POSIX), not cast (ISO C). */
static void fi_sym(const char *name, void *fn, size_t size)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        fprintf(stderr, "faultinject: no %s\n", name);
        abort();
    }
    memcpy(fn, &p, size);
}

static int fi_parse_action(const char *a)
{
    static const struct {
        const char *name;
        int err, sig;
    } acts[] = {{"ENOSPC", ENOSPC, 0}, {"EIO", EIO, 0},         {"EACCES", EACCES, 0},
                {"EROFS", EROFS, 0},   {"EDQUOT", EDQUOT, 0},   {"EFBIG", EFBIG, 0},
                {"EINTR", EINTR, 0},   {"SIGKILL", 0, SIGKILL}, {"SIGTERM", 0, SIGTERM},
                {"SIGINT", 0, SIGINT}, {"SIGHUP", 0, SIGHUP}};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strcmp(a, acts[i].name) == 0) {
            fi_errno = acts[i].err;
            fi_signal = acts[i].sig;
            return 0;
        }
    return -1;
}

static void fi_init(void)
{
    if (fi_ready)
        return;
    fi_ready = 1;
    fi_sym("write", &real_write, sizeof real_write);
    fi_sym("close", &real_close, sizeof real_close);
    const char *spec = getenv("NNG_FAULT");
    if (spec && *spec) {
        char call[16], action[16];
        long nth;
        int ok = sscanf(spec, "%15[a-z]:%ld:%15s", call, &nth, action) == 3 && nth >= 1;
        for (int i = 0; ok && i < FI_NCALLS; i++)
            if (strcmp(call, fi_names[i]) == 0)
                fi_call = i;
        if (!ok || fi_call < 0 || fi_parse_action(action)) {
            fprintf(stderr, "faultinject: bad NNG_FAULT '%s' (CALL:N:ACTION)\n", spec);
            abort();
        }
        fi_nth = nth;
    }
    const char *log = getenv("NNG_FAULT_LOG");
    if (log && *log) {
        int (*real_open)(const char *, int, ...);
        fi_sym("open", &real_open, sizeof real_open);
        fi_log = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
}

/* Counts a call of kind k; 1 if it is to fail (errno set), 0 to go on. */
static int fi_hit(int k)
{
    fi_init();
    long n = ++fi_count[k];
    if (fi_log >= 0) {
        char line[48];
        int len = snprintf(line, sizeof line, "%s %ld\n", fi_names[k], n);
        real_write(fi_log, line, (size_t)len);
    }
    if (k != fi_call || n != fi_nth)
        return 0;
    if (fi_signal) {
        raise(fi_signal);
        return 0;
    }
    errno = fi_errno;
    return 1;
}

static int fi_is_tracked(int fd)
{
    return fd >= 0 && fd < FI_MAXFD && fi_tracked[fd];
}

static int fi_track(int fd)
{
    if (fd >= 0 && fd < FI_MAXFD)
        fi_tracked[fd] = 1;
    return fd;
}

#define FI_REAL(ret, name, params)                                                             \
    static ret(*real_fn) params;                                                               \
    if (!real_fn)                                                                              \
        fi_sym(name, &real_fn, sizeof real_fn)

/* open() and open64(): the mode is there only with O_CREAT (or O_TMPFILE,
 * which the runtime does not use). */
#define FI_OPEN_MODE(flags, mode)                                                              \
    do {                                                                                       \
        if ((flags) & O_CREAT) {                                                               \
            va_list ap;                                                                        \
            va_start(ap, flags);                                                               \
            (mode) = (mode_t)va_arg(ap, int);                                                  \
            va_end(ap);                                                                        \
        }                                                                                      \
    } while (0)

/* An open of an output file (for writing) counts, and may fail. */
static int fi_open(int (*real)(const char *, int, ...), const char *path, int flags,
                   mode_t mode)
{
    int out = (flags & (O_WRONLY | O_RDWR)) != 0;
    if (out && fi_hit(FI_OPEN))
        return -1;
    int fd = real(path, flags, mode);
    return out ? fi_track(fd) : fd;
}

int open(const char *path, int flags, ...)
{
    FI_REAL(int, "open", (const char *, int, ...));
    mode_t mode = 0;
    FI_OPEN_MODE(flags, mode);
    return fi_open(real_fn, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    FI_REAL(int, "open64", (const char *, int, ...));
    mode_t mode = 0;
    FI_OPEN_MODE(flags, mode);
    return fi_open(real_fn, path, flags, mode);
}

int mkstemp(char *tmpl)
{
    FI_REAL(int, "mkstemp", (char *));
    if (fi_hit(FI_OPEN))
        return -1;
    return fi_track(real_fn(tmpl));
}

int mkostemp(char *tmpl, int flags)
{
    FI_REAL(int, "mkostemp", (char *, int));
    if (fi_hit(FI_OPEN))
        return -1;
    return fi_track(real_fn(tmpl, flags));
}

ssize_t write(int fd, const void *p, size_t n)
{
    fi_init();
    if (fi_is_tracked(fd) && fi_hit(FI_WRITE))
        return -1;
    return real_write(fd, p, n);
}

int fsync(int fd)
{
    FI_REAL(int, "fsync", (int));
    if (fi_is_tracked(fd) && fi_hit(FI_FSYNC))
        return -1;
    return real_fn(fd);
}

int close(int fd)
{
    fi_init();
    if (fi_is_tracked(fd)) {
        fi_tracked[fd] = 0;
        if (fi_hit(FI_CLOSE)) {
            int err = errno;
            real_close(fd); /* Linux: the descriptor is gone whatever close says */
            errno = err;
            return -1;
        }
    }
    return real_close(fd);
}

int rename(const char *from, const char *to)
{
    FI_REAL(int, "rename", (const char *, const char *));
    if (fi_hit(FI_RENAME))
        return -1;
    return real_fn(from, to);
}
