/*
 * test_golden_files.c -- what nngen writes is byte for byte its golden copy.
 *
 *     test_golden_files NNGEN
 *
 * For each row `name ARGS...` of tests/golden/MANIFEST, runs `NNGEN ARGS`
 * in the source directory (NNGEN_SOURCE_DIR) and compares its standard
 * output with tests/golden/<name>.c; a difference prints the first
 * differing lines of both.  Every models/NAME.spec must have a row.  After an
 * intended change of the output, scripts/regen-golden.sh rewrites the
 * copies (review the diff, commit them with the change).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole of f in a malloc'ed, NUL-terminated buffer; NULL on error. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n - 1, f);
        if (n + 1 < cap)
            break;
        char *nb = realloc(b, cap *= 2);
        if (!nb)
            free(b);
        b = nb;
    }
    if (b && ferror(f)) {
        free(b);
        b = NULL;
    }
    if (b) {
        b[n] = '\0';
        *len = n;
    }
    return b;
}

/* Prints up to 3 lines from line `line` (1-based) of text, prefixed. */
static void print_lines(const char *text, long line, const char *prefix)
{
    const char *p = text;
    for (long l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    for (int k = 0; k < 3 && p && *p; k++) {
        const char *eol = strchr(p, '\n');
        int len = eol ? (int)(eol - p) : (int)strlen(p);
        fprintf(stderr, "  %s %ld: %.*s\n", prefix, line + k, len, p);
        p = eol ? eol + 1 : NULL;
    }
}

/* 0 if `got` is `want`; else reports the first differing line. */
static int compare(const char *name, const char *args, const char *want, size_t wn,
                   const char *got, size_t gn)
{
    if (wn == gn && memcmp(want, got, wn) == 0)
        return 0;
    size_t i = 0;
    long line = 1;
    for (; i < wn && i < gn && want[i] == got[i]; i++)
        line += want[i] == '\n';
    fprintf(stderr,
            "FAIL %s: `nngen %s` differs from tests/golden/%s.c from line %ld "
            "(%zu bytes vs %zu):\n",
            name, args, name, line, gn, wn);
    print_lines(want, line, "golden ");
    print_lines(got, line, "emitted");
    return 1;
}

static int check_row(const char *src, const char *nngen, const char *name, const char *args)
{
    char path[4096], cmd[8192];
    snprintf(path, sizeof path, "%s/tests/golden/%s.c", src, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "FAIL %s: no %s (scripts/regen-golden.sh writes it)\n", name, path);
        return 1;
    }
    size_t wn = 0, gn = 0;
    char *want = read_all(f, &wn);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s", src, nngen, args);
    FILE *p = popen(cmd, "r");
    char *got = p ? read_all(p, &gn) : NULL;
    int status = p ? pclose(p) : -1;
    int rc;
    if (!want || !got || status != 0) {
        fprintf(stderr, "FAIL %s: `%s` failed (status %d)\n", name, cmd, status);
        rc = 1;
    } else {
        rc = compare(name, args, want, wn, got, gn);
    }
    if (rc == 0)
        printf("ok   %s: nngen %s\n", name, args);
    free(want);
    free(got);
    return rc;
}

int main(int argc, char **argv)
{
    const char *src = getenv("NNGEN_SOURCE_DIR");
    if (argc != 2 || !src) {
        fprintf(stderr, "usage: NNGEN_SOURCE_DIR=DIR test_golden_files NNGEN\n");
        return 2;
    }
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/tests/golden/MANIFEST", src);
    FILE *m = fopen(path, "r");
    if (!m) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    int failed = 0, rows = 0;
    char covered[8192] = " ";
    while (fgets(line, sizeof line, m)) {
        line[strcspn(line, "\n")] = '\0';
        char *name = line + strspn(line, " \t");
        if (*name == '\0' || *name == '#')
            continue;
        char *args = name + strcspn(name, " \t");
        if (*args)
            *args++ = '\0';
        args += strspn(args, " \t");
        failed += check_row(src, argv[1], name, args);
        rows++;
        if (strlen(covered) + strlen(args) + 2 < sizeof covered) {
            strcat(covered, args);
            strcat(covered, " ");
        }
    }
    fclose(m);

    /* Every models/NAME.spec has a row. */
    snprintf(path, sizeof path, "%s/models", src);
    DIR *d = opendir(path);
    for (struct dirent *de; d && (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".spec") != 0)
            continue;
        char want[512];
        snprintf(want, sizeof want, " models/%s ", de->d_name);
        if (!strstr(covered, want)) {
            fprintf(stderr, "FAIL models/%s has no row in tests/golden/MANIFEST\n", de->d_name);
            failed++;
        }
    }
    if (d)
        closedir(d);
    if (failed)
        fprintf(stderr,
                "%d of %d golden checks failed.  If the change of output is intended: "
                "scripts/regen-golden.sh, then review `git diff tests/golden`.\n",
                failed, rows);
    else
        printf("%d golden copies match\n", rows);
    return failed != 0 || rows == 0;
}
