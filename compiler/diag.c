/*
 * diag.c -- the one diagnostic routine.  Every error the compiler reports
 * about a spec goes through nng_error, in one shape:
 *
 *     path:line:col: error: message        (a place in the spec)
 *     path:line: error: message            (a whole line: col == 0)
 *     path: error: message                 (the whole file: line == 0)
 *
 * Each is one line, written with one call so that lines never interleave,
 * and counted: the run fails if d->errors > 0.
 */
#include <stdarg.h>
#include <stdio.h>

#include "nngen.h"

void nng_diag_init(nng_diag *d, const char *path, FILE *out)
{
    d->path = path;
    d->out = out;
    d->errors = 0;
}

void nng_error(nng_diag *d, nng_pos pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    const char *path = d->path ? d->path : "<spec>";
    FILE *out = d->out ? d->out : stderr;
    char line[1024];
    int n;
    if (pos.line > 0 && pos.col > 0)
        n = snprintf(line, sizeof line, "%s:%d:%d: error: %s\n", path, pos.line, pos.col, msg);
    else if (pos.line > 0)
        n = snprintf(line, sizeof line, "%s:%d: error: %s\n", path, pos.line, msg);
    else
        n = snprintf(line, sizeof line, "%s: error: %s\n", path, msg);
    if (n < 0 || (size_t)n >= sizeof line) /* truncated: keep it one line */
        line[sizeof line - 2] = '\n';
    fputs(line, out);
    d->errors++;
}
