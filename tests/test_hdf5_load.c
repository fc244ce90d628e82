/*
 * test_hdf5_load.c -- libhdf5 is loaded only when an .h5 file is read
 * (runtime/nnrt_hdf5.c, docs/data.md "HDF5 at run time"):
 *   - this program links libnnrt like a trainer does, and no libhdf5 is
 *     mapped before, or after, reading a CSV file;
 *   - a trainer nngen built (build/models/xor) does not need libhdf5;
 *   - NNRT_HDF5_LIB naming a missing library, or one without HDF5's
 *     functions, makes reading an .h5 file fail with one exact line, in
 *     nnrt_load and in the trainer (exit 1, no crash), and loads nothing;
 *   - without the override, reading the cat data maps libhdf5.
 * The cases run in this order: once libhdf5 is loaded it stays loaded.
 *
 * Environment (ctest sets it): NNGEN_SOURCE_DIR, NNGEN_BINARY_DIR,
 * NNGEN_DATA_DIR.  Registered only in builds with HDF5 (tests/data.cmake).
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnrt.h"
#include "nng_tmpdir.h"

extern char **environ;

static const char *h5t_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("environment variable %s is not set (run through ctest)", name);
    return v;
}

/* 1 if a file whose name holds "libhdf5" is mapped into this process. */
static int h5t_hdf5_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f))
        found |= strstr(line, "libhdf5") != NULL;
    fclose(f);
    return found;
}

/* A file that starts with HDF5's magic: enough to reach the HDF5 loader. */
static const char *h5t_fake_h5(void)
{
    static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    const char *p = nng_tmpdir_path("fake.h5");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(magic, 1, sizeof magic, f), sizeof magic);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* nnrt_load(path) must fail with exactly `want`, loading no libhdf5. */
static void h5t_expect_fail(const char *path, const char *want)
{
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    nnrt_dataset d;
    nnrt_err e;
    assert_int_equal(nnrt_load(path, &o, &d, &e), -1);
    assert_string_equal(e.msg, want);
    assert_int_equal(d.m, 0);
    assert_null(d.x);
    nnrt_dataset_free(&d);
    assert_false(h5t_hdf5_mapped());
}

static char h5t_out[1 << 14], h5t_err[1 << 14];

static void h5t_slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Run argv (argv[0] a path) with this process's environment plus `extra`
 * ("NAME=value" or NULL); h5t_out/h5t_err get its output.  Returns the
 * exit status; dying of a signal fails the test. */
static int h5t_run(char *const argv[], const char *extra)
{
    char *envp[256];
    size_t n = 0;
    for (char **v = environ; *v && n < 254; v++)
        envp[n++] = *v;
    if (extra)
        envp[n++] = (char *)extra;
    envp[n] = NULL;
    char op[600], ep[600];
    snprintf(op, sizeof op, "%s", nng_tmpdir_path("stdout.txt"));
    snprintf(ep, sizeof ep, "%s", nng_tmpdir_path("stderr.txt"));
    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(
        posix_spawn_file_actions_addopen(&fa, 1, op, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
    assert_int_equal(
        posix_spawn_file_actions_addopen(&fa, 2, ep, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(err));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    h5t_slurp(op, h5t_out, sizeof h5t_out);
    h5t_slurp(ep, h5t_err, sizeof h5t_err);
    if (!WIFEXITED(status))
        fail_msg("%s died of signal %d; stderr:\n%s", argv[0], WTERMSIG(status), h5t_err);
    return WEXITSTATUS(status);
}

static const char *h5t_model(const char *name)
{
    static char exe[1024];
    snprintf(exe, sizeof exe, "%s/models/%s", h5t_env("NNGEN_BINARY_DIR"), name);
    struct stat st;
    if (stat(exe, &st) != 0)
        fail_msg("%s was not built", exe);
    return exe;
}

/* ------------------------------------------------------------------ */

static void test_csv_loads_no_hdf5(void **state)
{
    (void)state;
    /* linked like a trainer: libnnrt alone brings no libhdf5 */
    assert_false(h5t_hdf5_mapped());
    char csv[1024];
    snprintf(csv, sizeof csv, "%s/data/xor.csv", h5t_env("NNGEN_SOURCE_DIR"));
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    nnrt_dataset d;
    nnrt_err e;
    if (nnrt_load(csv, &o, &d, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(d.m, 4);
    nnrt_dataset_free(&d);
    assert_false(h5t_hdf5_mapped());
}

/* What ldd does (glibc): the dynamic linker lists the libraries the
 * program needs, and stops. */
static void test_trainer_needs_no_hdf5(void **state)
{
    (void)state;
    char *argv[] = {(char *)h5t_model("xor"), NULL};
    assert_int_equal(h5t_run(argv, "LD_TRACE_LOADED_OBJECTS=1"), 0);
    print_message("models/xor loads:\n%s", h5t_out);
    assert_non_null(strstr(h5t_out, "libc.so"));
    assert_null(strstr(h5t_out, "hdf5"));
}

static void test_missing_library(void **state)
{
    (void)state;
    const char *lib = nng_tmpdir_path("no-such-libhdf5.so.103");
    char want[1024];
    snprintf(want, sizeof want, "%s", lib); /* nng_tmpdir_path's buffers rotate */
    assert_int_equal(setenv("NNRT_HDF5_LIB", want, 1), 0);
    const char *h5 = h5t_fake_h5();
    char msg[4096];
    snprintf(msg, sizeof msg,
             "%s: cannot read HDF5: %s not loadable (%s: cannot open shared object file: No such "
             "file or directory)",
             h5, want, want);
    h5t_expect_fail(h5, msg);
    /* the same error the second time: a failure is not remembered */
    h5t_expect_fail(h5, msg);
    assert_int_equal(unsetenv("NNRT_HDF5_LIB"), 0);
}

static void test_library_without_hdf5(void **state)
{
    (void)state;
    /* a real library (libnnrt links zlib) without HDF5's functions */
    assert_int_equal(setenv("NNRT_HDF5_LIB", "libz.so.1", 1), 0);
    const char *h5 = h5t_fake_h5();
    char msg[4096];
    snprintf(msg, sizeof msg, "%s: cannot read HDF5: libz.so.1 has no H5open (not libhdf5?)", h5);
    h5t_expect_fail(h5, msg);
    assert_int_equal(unsetenv("NNRT_HDF5_LIB"), 0);
}

/* The trainer reports it as any data error: one line, exit status 1. */
static void test_trainer_reports_missing_library(void **state)
{
    (void)state;
    char lib[1024];
    snprintf(lib, sizeof lib, "%s", nng_tmpdir_path("no-such-libhdf5.so.103"));
    char env[1100];
    snprintf(env, sizeof env, "NNRT_HDF5_LIB=%s", lib);
    const char *h5 = h5t_fake_h5();
    char *argv[] = {(char *)h5t_model("xor"), "--train", (char *)h5, "--quiet", NULL};
    int rc = h5t_run(argv, env);
    print_message("exit %d, stderr: %s", rc, h5t_err);
    assert_int_equal(rc, 1);
    char want[4096];
    snprintf(want, sizeof want,
             "%s: cannot read HDF5: %s not loadable (%s: cannot open shared object file: No such "
             "file or directory)\n",
             h5, lib, lib);
    size_t n = strlen(h5t_err), w = strlen(want);
    assert_true(n >= w);
    assert_string_equal(h5t_err + n - w, want);    /* "PROG: " + the message */
    assert_ptr_equal(strchr(h5t_err, '\n'), h5t_err + n - 1); /* one line */
}

static void test_h5_loads_hdf5(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/cat/test_catvnoncat.h5", h5t_env("NNGEN_DATA_DIR"));
    struct stat st;
    if (stat(path, &st) != 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0)
            fail_msg("CI=true but the data file %s is missing", path);
        print_message("%s is missing: case skipped\n", path);
        skip();
    }
    assert_false(h5t_hdf5_mapped());
    nnrt_load_opts o;
    nnrt_load_opts_default(&o);
    nnrt_dataset d;
    nnrt_err e;
    if (nnrt_load(path, &o, &d, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(d.m, 50);
    assert_int_equal(d.n_features, 64 * 64 * 3);
    nnrt_dataset_free(&d);
    assert_true(h5t_hdf5_mapped());
}

static int h5t_setup(void **state)
{
    (void)state;
    return nng_tmpdir_make("hdf5-load");
}

static int h5t_teardown(void **state)
{
    (void)state;
    nng_tmpdir_remove();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_loads_no_hdf5),
        cmocka_unit_test(test_trainer_needs_no_hdf5),
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_library_without_hdf5),
        cmocka_unit_test(test_trainer_reports_missing_library),
        cmocka_unit_test(test_h5_loads_hdf5),
    };
    return cmocka_run_group_tests(tests, h5t_setup, h5t_teardown);
}
