/*
 * test_cli.c -- the nngen program, run as a child process: usage errors
 * (exact messages, exit 2), spec errors (exit 1), -o's atomic write (an
 * existing FILE untouched on error, no temporary left behind), a missing
 * output directory, a full disk on stdout, --summary's numbers, --check,
 * --name, --version, --list-isas, and byte-identical output for the same
 * input.
 *
 * The program: $NNGEN_EXE if set (cross builds), else
 * $NNGEN_BINARY_DIR/compiler/nngen.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h" /* isa_table: what --list-isas prints */
#include "nngen.h"

extern char **environ;

static char cli_exe[1024];
static char cli_dir[256]; /* a fresh directory per run of this test */

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* cli_dir/name, in one of 16 rotating buffers (the tests hold a few). */
static const char *in_dir(const char *name)
{
    static char bufs[16][512];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, 512, "%s/%s", cli_dir, name);
    return b;
}

typedef struct run_result {
    int status; /* exit status, or -1 if killed */
    char *out, *err;
    size_t out_len;
} run_result;

/* Runs nngen with args (NULL-terminated) in cli_dir; stdout goes to
 * `stdout_path` if given, else is captured. */
static run_result run_io(const char *stdin_path, const char *stdout_path,
                         const char *const *args)
{
    char *argv[32];
    int n = 0;
    argv[n++] = cli_exe;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = (char *)(uintptr_t)args[n - 1];
    argv[n] = NULL;

    char out_buf[512], err_file[512];
    snprintf(out_buf, sizeof out_buf, "%s/.stdout", cli_dir);
    snprintf(err_file, sizeof err_file, "%s/.stderr", cli_dir);
    const char *out_file = stdout_path ? stdout_path : out_buf;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int r = posix_spawn(&pid, cli_exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        fail_msg("cannot run %s: %s", cli_exe, strerror(r));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        assert_int_equal(errno, EINTR);
    run_result res;
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    res.out = stdout_path ? strdup("") : read_all(out_file, &res.out_len);
    res.err = read_all(err_file, NULL);
    if (!stdout_path)
        unlink(out_file);
    unlink(err_file);
    return res;
}

static run_result run_to(const char *stdout_path, const char *const *args)
{
    return run_io(NULL, stdout_path, args);
}

static run_result run(const char *const *args) { return run_io(NULL, NULL, args); }

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* nngen ARGS must exit with `status`, print nothing on stdout and exactly
 * `err` on stderr. */
static void run_fails(const char *const *args, int status, const char *err)
{
    run_result r = run(args);
    assert_string_equal(r.err, err);
    assert_string_equal(r.out, "");
    assert_int_equal(r.status, status);
    run_free(&r);
}

/* The names in cli_dir, sorted into one string "a b c". */
static char *dir_listing(void)
{
    static char buf[2048];
    char names[32][256];
    int n = 0;
    DIR *d = opendir(cli_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 32)
        if (e->d_name[0] != '.')
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[256];
            memcpy(t, names[j], sizeof t);
            memcpy(names[j], names[j - 1], sizeof t);
            memcpy(names[j - 1], t, sizeof t);
        }
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, names[i]);
    }
    return buf;
}

#define SMALL_SPEC                                                                           \
    "# a small net\n"                                                                        \
    "model small\n"                                                                          \
    "input 4\n"                                                                              \
    "dense 3 relu\n"                                                                         \
    "dense 1 sigmoid\n"                                                                      \
    "loss bce\n"

static int setup(void **state)
{
    (void)state;
    const char *exe = getenv("NNGEN_EXE");
    const char *bin = getenv("NNGEN_BINARY_DIR");
    if (exe && exe[0])
        snprintf(cli_exe, sizeof cli_exe, "%s", exe);
    else if (bin)
        snprintf(cli_exe, sizeof cli_exe, "%s/compiler/nngen", bin);
    else {
        fprintf(stderr, "test_cli: neither NNGEN_EXE nor NNGEN_BINARY_DIR is set\n");
        return -1;
    }
    if (access(cli_exe, X_OK) != 0) {
        fprintf(stderr, "test_cli: %s: %s\n", cli_exe, strerror(errno));
        return -1;
    }
    strcpy(cli_dir, "/tmp/nng_cli_XXXXXX");
    if (!mkdtemp(cli_dir))
        return -1;
    write_file(in_dir("small.spec"), SMALL_SPEC);
    write_file(in_dir("bad.spec"), "input 4\ndense 3 sigmod\ndense 1 sigmoid\nloss cce\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(cli_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlink(in_dir(e->d_name));
        closedir(d);
    }
    rmdir(cli_dir);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_usage_errors(void **state)
{
    (void)state;
    const char *spec = in_dir("small.spec");
    run_fails((const char *[]){"--iza", "avx2", spec, NULL}, 2,
              "nngen: unknown option '--iza' (did you mean '--isa'?)\n");
    run_fails((const char *[]){"--iza=avx2", spec, NULL}, 2,
              "nngen: unknown option '--iza' (did you mean '--isa'?)\n");
    run_fails((const char *[]){"--summray", spec, NULL}, 2,
              "nngen: unknown option '--summray' (did you mean '--summary'?)\n");
    run_fails((const char *[]){"--fast", spec, NULL}, 2,
              "nngen: unknown option '--fast' (see nngen --help)\n");
    run_fails((const char *[]){"--isa", "x", spec, NULL}, 2,
              "nngen: --isa: expected one of all, scalar, avx2, avx512, neon, got 'x'\n");
    run_fails((const char *[]){"--isa=sse", spec, NULL}, 2,
              "nngen: --isa: expected one of all, scalar, avx2, avx512, neon, got 'sse'\n");
    run_fails((const char *[]){"--dtype", "half", spec, NULL}, 2,
              "nngen: --dtype: expected one of float, double, got 'half'\n");
    run_fails((const char *[]){"--dtype", "double", "--isa", "all", spec, NULL}, 2,
              "nngen: --dtype double needs --isa scalar (got --isa all)\n");
    run_fails((const char *[]){"--dtype", "double", "--isa", "avx2", spec, NULL}, 2,
              "nngen: --dtype double needs --isa scalar (got --isa avx2)\n");
    run_fails((const char *[]){"--name", "my-net", spec, NULL}, 2,
              "nngen: --name: 'my-net' is not a C identifier\n");
    run_fails((const char *[]){"--name", "int", spec, NULL}, 2,
              "nngen: --name: 'int' is a C keyword\n");
    run_fails((const char *[]){NULL}, 2,
              "nngen: missing SPEC file (usage: nngen [options] SPEC; see nngen --help)\n");
    run_fails((const char *[]){"--summary", NULL}, 2,
              "nngen: missing SPEC file (usage: nngen [options] SPEC; see nngen --help)\n");
    run_fails((const char *[]){"a.spec", "b.spec", NULL}, 2,
              "nngen: more than one SPEC file: 'a.spec' and 'b.spec'\n");
    run_fails((const char *[]){spec, "-o", NULL}, 2, "nngen: -o: missing FILE\n");
    run_fails((const char *[]){spec, "--isa", NULL}, 2, "nngen: --isa: missing ISA\n");
    run_fails((const char *[]){"-o", "", spec, NULL}, 2, "nngen: -o: empty file name\n");
    run_fails((const char *[]){"--summary=yes", spec, NULL}, 2,
              "nngen: --summary takes no value, got 'yes'\n");
    run_fails((const char *[]){"--check", "-o", "x.c", spec, NULL}, 2,
              "nngen: --check writes nothing: it cannot be combined with -o\n");
    /* nothing was written anywhere */
    assert_string_equal(dir_listing(), "bad.spec small.spec");
}

static void test_spec_errors(void **state)
{
    (void)state;
    char expected[1024];
    const char *bad = in_dir("bad.spec");
    snprintf(expected, sizeof expected,
             "%s:2:9: error: unknown activation 'sigmod' (did you mean 'sigmoid'?)\n"
             "%s:4:1: error: loss 'cce' needs a softmax output layer (line 3 is sigmoid)\n",
             bad, bad);
    run_fails((const char *[]){bad, NULL}, 1, expected);
    run_fails((const char *[]){"--summary", bad, NULL}, 1, expected);
    run_fails((const char *[]){"--check", bad, NULL}, 1, expected);

    const char *nope = in_dir("nope.spec");
    snprintf(expected, sizeof expected, "%s: error: cannot open: No such file or directory\n",
             nope);
    run_fails((const char *[]){nope, NULL}, 1, expected);
    snprintf(expected, sizeof expected, "%s: error: is a directory, not a spec file\n", cli_dir);
    run_fails((const char *[]){cli_dir, NULL}, 1, expected);
    /* after --, a leading '-' is a file name */
    run_fails((const char *[]){"--", "-x.spec", NULL}, 1,
              "-x.spec: error: cannot open: No such file or directory\n");
}

/* -o with a bad spec leaves an existing FILE byte-identical and no
 * temporary file behind. */
static void test_output_untouched_on_error(void **state)
{
    (void)state;
    const char *out = in_dir("net.c");
    const char *old = "/* the previous net.c */\nint previous;\n";
    write_file(out, old);
    char expected[1024];
    const char *bad = in_dir("bad.spec");
    snprintf(expected, sizeof expected,
             "%s:2:9: error: unknown activation 'sigmod' (did you mean 'sigmoid'?)\n"
             "%s:4:1: error: loss 'cce' needs a softmax output layer (line 3 is sigmoid)\n",
             bad, bad);
    run_fails((const char *[]){"-o", out, bad, NULL}, 1, expected);
    run_fails((const char *[]){"--summary", "-o", out, bad, NULL}, 1, expected);
    char *now = read_all(out, NULL);
    assert_string_equal(now, old);
    free(now);
    assert_string_equal(dir_listing(), "bad.spec net.c small.spec");

    /* -o onto a directory */
    snprintf(expected, sizeof expected, "nngen: cannot write '%s': it is a directory\n", cli_dir);
    run_fails((const char *[]){"-o", cli_dir, in_dir("small.spec"), NULL}, 1, expected);
    assert_string_equal(dir_listing(), "bad.spec net.c small.spec");

    /* a good spec replaces it, atomically, with the usual permissions */
    mode_t mask = umask(022);
    run_result r = run((const char *[]){in_dir("small.spec"), "-o", out, NULL});
    umask(mask);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, "");
    assert_int_equal(r.status, 0);
    run_free(&r);
    size_t len = 0;
    char *code = read_all(out, &len);
    assert_non_null(strstr(code, "const nnrt_model small_model"));
    assert_non_null(strstr(code, "nnrt_main(&small_model, argc, argv)"));
    free(code);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_string_equal(dir_listing(), "bad.spec net.c small.spec");
    unlink(out);
}

static void test_output_dir_missing(void **state)
{
    (void)state;
    char expected[1024];
    const char *out = in_dir("no/such/dir/net.c");
    snprintf(expected, sizeof expected,
             "nngen: %s: cannot create a temporary file beside it: No such file or "
             "directory\n", out);
    run_fails((const char *[]){in_dir("small.spec"), "-o", out, NULL}, 1, expected);
    assert_string_equal(dir_listing(), "bad.spec small.spec");
}

/* A write error on stdout (a full disk) is reported, not ignored. */
static void test_stdout_full(void **state)
{
    (void)state;
    struct stat st; /* the device, not a file left where it was */
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode) || access("/dev/full", W_OK) != 0)
        skip();
    run_result r = run_to("/dev/full", (const char *[]){in_dir("small.spec"), NULL});
    assert_string_equal(r.err, "nngen: error writing to standard output: No space left on "
                               "device\n");
    assert_int_equal(r.status, 1);
    run_free(&r);
    r = run_to("/dev/full", (const char *[]){"--summary", in_dir("small.spec"), NULL});
    assert_string_equal(r.err, "nngen: error writing to standard output: No space left on "
                               "device\n");
    assert_int_equal(r.status, 1);
    run_free(&r);
}

static void test_summary(void **state)
{
    (void)state;
    char expected[2048];
    /* params 3*(4+1) + 1*(3+1) = 19; FLOPs fwd 2*3*4 + 2*1*3 = 30;
     * train: 2*30 + dA of layer 2 (2*1*3) = 66; padded 16+16+16+16 = 64. */
    snprintf(expected, sizeof expected,
             "model small (%s): input 4 = 4 features, loss bce\n"
             "layer  line       in      out  activation       params      FLOPs fwd    FLOPs train\n"
             "    1     4        4        3  relu                 15             24             48\n"
             "    2     5        3        1  sigmoid               4              6             18\n"
             "total                                              19             30             66\n"
             "padded parameter array: 64 floats (256 bytes)\n"
             "FLOPs are per sample, 2 per multiply-add; train = forward + backward.\n",
             in_dir("small.spec"));
    run_result r = run((const char *[]){"--summary", in_dir("small.spec"), NULL});
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, expected);
    assert_int_equal(r.status, 0);
    run_free(&r);

    /* --name renames; --summary -o writes the table to the file */
    const char *out = in_dir("summary.txt");
    r = run((const char *[]){"--summary", "--name", "renamed", "-o", out, in_dir("small.spec"),
                             NULL});
    assert_int_equal(r.status, 0);
    char *text = read_all(out, NULL);
    assert_non_null(text);
    assert_memory_equal(text, "model renamed (", 15);
    assert_non_null(strstr(text, "total                                              19"));
    free(text);
    run_free(&r);
    unlink(out);
}

/* SPEC - reads standard input; -o - writes standard output; -o onto the
 * SPEC itself is refused. */
static void test_stdin_stdout(void **state)
{
    (void)state;
    run_result r = run_io(in_dir("bad.spec"), NULL, (const char *[]){"--check", "-", NULL});
    assert_string_equal(r.err,
                        "<stdin>:2:9: error: unknown activation 'sigmod' (did you mean "
                        "'sigmoid'?)\n"
                        "<stdin>:4:1: error: loss 'cce' needs a softmax output layer (line 3 is "
                        "sigmoid)\n");
    assert_int_equal(r.status, 1);
    run_free(&r);

    r = run_io(in_dir("small.spec"), NULL, (const char *[]){"--summary", "-o", "-", "-", NULL});
    assert_string_equal(r.err, "");
    assert_memory_equal(r.out, "model small (<stdin>): input 4 = 4 features, loss bce\n", 52);
    assert_int_equal(r.status, 0);
    run_free(&r);

    /* without a model line, the name is "stdin" */
    const char *anon = in_dir("anon.spec");
    write_file(anon, "input 2\ndense 1 sigmoid\nloss bce\n");
    r = run_io(anon, NULL, (const char *[]){"-", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "const nnrt_model stdin_model"));
    run_free(&r);
    unlink(anon);

    char expected[1024];
    const char *spec = in_dir("small.spec");
    snprintf(expected, sizeof expected,
             "nngen: -o '%s' is the SPEC file: it would be overwritten\n", spec);
    run_fails((const char *[]){spec, "-o", spec, NULL}, 2, expected);
    char *text = read_all(spec, NULL);
    assert_string_equal(text, SMALL_SPEC);
    free(text);
    assert_string_equal(dir_listing(), "bad.spec small.spec");
}

static void test_check_version_help(void **state)
{
    (void)state;
    run_result r = run((const char *[]){"--check", in_dir("small.spec"), NULL});
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    assert_int_equal(r.status, 0);
    run_free(&r);

    char expected[128];
    snprintf(expected, sizeof expected, "nngen %s (nnrt ABI %d)\n", NNGEN_VERSION,
             NNRT_ABI_VERSION);
    r = run((const char *[]){"--version", NULL});
    assert_string_equal(r.out, expected);
    assert_string_equal(r.err, "");
    assert_int_equal(r.status, 0);
    run_free(&r);

    r = run((const char *[]){"--help", NULL});
    assert_memory_equal(r.out, "usage: nngen [options] SPEC\n", 28);
    assert_non_null(strstr(r.out, "--summary"));
    assert_string_equal(r.err, "");
    assert_int_equal(r.status, 0);
    run_free(&r);
    r = run((const char *[]){"-h", "--bogus", NULL});
    assert_memory_equal(r.out, "usage: nngen [options] SPEC\n", 28);
    assert_int_equal(r.status, 0);
    run_free(&r);
}

/* --list-isas prints every row of the ISA table, in its order, and exits 0
 * without a SPEC; nngen-compare builds one variant per row it lists. */
static void test_list_isas(void **state)
{
    (void)state;
    char expected[4096];
    size_t n = (size_t)snprintf(expected, sizeof expected,
                                "# name\tfloats\tcondition\tcompile with\n");
    for (int i = 0; i < ISA_N; i++) {
        const isa_row *I = &isa_table[i];
        n += (size_t)snprintf(expected + n, sizeof expected - n, "%s\t%d\t%s\t%s\n", I->name,
                              I->lanes, I->guard ? I->guard : "1",
                              I->flags ? I->flags : "any C11 compiler");
    }
    assert_true(n < sizeof expected);
    run_result r = run((const char *[]){"--list-isas", NULL});
    assert_string_equal(r.out, expected);
    assert_string_equal(r.err, "");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nscalar\t1\t1\t"));
    run_free(&r);
    run_fails((const char *[]){"--list-isas=x", NULL}, 2,
              "nngen: --list-isas takes no value, got 'x'\n");
}

/* The same spec and options give byte-identical C; --name and --isa are
 * honoured; the command line is recorded, an absolute SPEC or -o path as
 * its base name (the file must not depend on the directories). */
static void test_code(void **state)
{
    (void)state;
    const char *spec = in_dir("small.spec");
    run_result a = run((const char *[]){spec, "--isa", "scalar", NULL});
    run_result b = run((const char *[]){spec, "--isa", "scalar", NULL});
    assert_int_equal(a.status, 0);
    assert_string_equal(a.err, "");
    assert_true(a.out_len > 1000);
    assert_int_equal(a.out_len, b.out_len);
    assert_memory_equal(a.out, b.out, a.out_len);
    assert_true(spec[0] == '/');
    assert_non_null(strstr(a.out, " *   spec:    small.spec\n"));
    assert_non_null(strstr(a.out, " *   command: nngen small.spec --isa scalar\n"));
    assert_non_null(strstr(a.out, ".spec_file = \"small.spec\","));
    assert_null(strstr(a.out, spec)); /* the absolute path, nowhere */
    assert_non_null(strstr(a.out, "const nnrt_model small_model"));
    run_free(&a);
    run_free(&b);

    a = run((const char *[]){"--name", "other_net", spec, NULL});
    assert_int_equal(a.status, 0);
    assert_non_null(strstr(a.out, "const nnrt_model other_net_model"));
    assert_null(strstr(a.out, "small_model"));
    run_free(&a);
    a = run((const char *[]){"--name=x", spec, "--isa", "scalar", NULL});
    assert_int_equal(a.status, 0);
    assert_non_null(strstr(a.out, "nngen --name=x small.spec --isa scalar\n"));
    run_free(&a);

    /* an argument with a space is quoted in the recorded command; the
     * default name comes from the file name */
    const char *spaced = in_dir("my net.spec");
    write_file(spaced, "input 2\ndense 1 sigmoid\nloss bce\n");
    a = run((const char *[]){spaced, NULL});
    assert_int_equal(a.status, 0);
    assert_non_null(strstr(a.out, "nngen 'my net.spec'\n"));
    assert_non_null(strstr(a.out, "const nnrt_model my_net_model"));
    run_free(&a);
    unlink(spaced);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_output_untouched_on_error),
        cmocka_unit_test(test_output_dir_missing),
        cmocka_unit_test(test_stdout_full),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_check_version_help),
        cmocka_unit_test(test_list_isas),
        cmocka_unit_test(test_stdin_stdout),
        cmocka_unit_test(test_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
