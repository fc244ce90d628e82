/*
 * nng_tmpdir.h -- a fresh temporary directory per test, shared by the
 * cmocka suites that write files (test_data.c, test_weights.c, test_e2e.c).
 *
 *   nng_tmpdir_make(tag)     mkdtemp $TMPDIR/nng-TAG-XXXXXX (or /tmp); 0 or -1
 *   nng_tmpdir_path(name)    "DIR/name" in one of 8 rotating buffers
 *   nng_tmpdir_remove()      delete the directory and everything below it,
 *                            making read-only subdirectories writable first
 *
 * Header-only (static inline functions): each test program has its one directory.
 * Needs _POSIX_C_SOURCE >= 200809L before the first system header.
 */
#ifndef NNG_TMPDIR_H
#define NNG_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char nng_tmpdir[256];

static inline int nng_tmpdir_make(const char *tag)
{
    const char *t = getenv("TMPDIR");
    snprintf(nng_tmpdir, sizeof nng_tmpdir, "%s/nng-%s-XXXXXX", t && *t ? t : "/tmp", tag);
    return mkdtemp(nng_tmpdir) ? 0 : -1;
}

static inline const char *nng_tmpdir_path(const char *name)
{
    static char buf[8][512];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", nng_tmpdir, name);
    return p;
}

static inline void nng_tmpdir_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char p[1024];
        int k = snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
        if (k < 0 || (size_t)k >= sizeof p)
            continue;
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(p, 0700);
            nng_tmpdir_remove_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static inline void nng_tmpdir_remove(void)
{
    if (nng_tmpdir[0])
        nng_tmpdir_remove_tree(nng_tmpdir);
}

#endif
