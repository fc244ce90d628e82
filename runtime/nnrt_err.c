/*
 * nnrt_err.c -- the runtime's one way to say what went wrong: nnrt_errorf
 * fills an nnrt_err with one line.  Depends on nothing but the C library,
 * so the compiler links it too (with nnrt_file.c, compiler/CMakeLists.txt).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nnrt.h"

int nnrt_errorf(nnrt_err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        e->msg[0] = '\0';
    /* One line: interior newlines become spaces, trailing ones go. */
    size_t len = strlen(e->msg);
    while (len > 0 && (e->msg[len - 1] == '\n' || e->msg[len - 1] == '\r'))
        e->msg[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (e->msg[i] == '\n' || e->msg[i] == '\r')
            e->msg[i] = ' ';
    return -1;
}
