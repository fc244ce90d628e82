/*
 * test_e2e.c -- end to end: the training programs nngen built from
 * models/NAME.spec (build/models/NAME), run on real data, must reach the
 * accuracies of docs/trainer.md ("End-to-end results").
 *
 * Usage: test_e2e CASE    (one ctest test per case, tests/e2e.cmake)
 * Each case runs the model's program as a user would (posix_spawn, with
 * NNGEN_EMULATOR in front under a cross build), reads the --json summary
 * line, and checks thresholds; most cases also check --gradcheck and
 * --predict against the data's own labels (read through libnnrt).  The
 * threads_* cases check that a few steps on 1, 2 and 3 threads give the
 * same weights, byte for byte.
 *
 * Environment: NNGEN_BINARY_DIR (the build), NNGEN_SOURCE_DIR (data/NAME.csv),
 * NNGEN_DATA_DIR (cat/NAME.h5), NNGEN_FASHION_DIR (Fashion-MNIST .gz).
 * A missing data file skips the case, except with CI=true: then it fails.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static const char *e2e_case;
static char e2e_out[1 << 16], e2e_err[1 << 16];

static const char *e2e_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("environment variable %s is not set (run through ctest)", name);
    return v;
}

static const char *e2e_join(const char *a, const char *b)
{
    static char buf[16][1024];
    static int k;
    k = (k + 1) % 16;
    snprintf(buf[k], sizeof buf[k], "%s/%s", a, b);
    return buf[k];
}

static const char *e2e_tmp(const char *name)
{
    return e2e_join(nng_tmpdir, name);
}

/* The data file, or skip the case (fail under CI=true). */
static const char *e2e_need(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return path;
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0)
        fail_msg("CI=true but the data file %s is missing", path);
    print_message("%s is missing: case skipped\n", path);
    skip();
    return NULL;
}

static void e2e_slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Run build/models/<model> with the NULL-terminated arguments; returns
 * the exit status; e2e_out / e2e_err hold its output. */
static int e2e_run(const char *model, ...)
{
    char *argv[64];
    int argc = 0;
    char emu[512] = "";
    const char *ev = getenv("NNGEN_EMULATOR");
    if (ev && *ev) {
        snprintf(emu, sizeof emu, "%s", ev);
        for (char *t = strtok(emu, " ;"); t && argc < 8; t = strtok(NULL, " ;"))
            argv[argc++] = t;
    }
    char exe[1024];
    snprintf(exe, sizeof exe, "%s/models/%s", e2e_env("NNGEN_BINARY_DIR"), model);
    struct stat st;
    if (stat(exe, &st) != 0)
        fail_msg("%s was not built", exe);
    argv[argc++] = exe;
    va_list ap;
    va_start(ap, model);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char op[600], ep[600];
    snprintf(op, sizeof op, "%s", e2e_tmp("stdout.txt"));
    snprintf(ep, sizeof ep, "%s", e2e_tmp("stderr.txt"));
    /* posix_spawn, not fork: fork hangs under qemu-user here */
    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, op, O_WRONLY | O_CREAT | O_TRUNC,
                                                      0644),
                     0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, ep, O_WRONLY | O_CREAT | O_TRUNC,
                                                      0644),
                     0);
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        fail_msg("cannot run %s: %s", argv[0], strerror(err));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    e2e_slurp(op, e2e_out, sizeof e2e_out);
    e2e_slurp(ep, e2e_err, sizeof e2e_err);
    if (!WIFEXITED(status))
        fail_msg("%s died of signal %d; stderr:\n%s", model, WTERMSIG(status), e2e_err);
    int rc = WEXITSTATUS(status);
    /* what a user would see, for the ctest log */
    print_message("$ %s ... -> exit %d\n%s", model, rc, e2e_out);
    if (rc != 0)
        print_message("stderr:\n%s\n", e2e_err);
    return rc;
}

/* A number from the --json summary line. */
static double e2e_json(const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(e2e_out, pat);
    if (!p)
        fail_msg("no \"%s\" in the summary:\n%s", key, e2e_out);
    return strtod(p + strlen(pat), NULL);
}

/* The path the program ran, from the --json summary line: the best this
 * CPU has (the models are built with every path and no -m flags), unless
 * NNGEN_ISA forces one. */
static void e2e_expect_best_path(void)
{
    const char *p = strstr(e2e_out, "\"isa\":\"");
    if (!p)
        fail_msg("no \"isa\" in the summary:\n%s", e2e_out);
    p += strlen("\"isa\":\"");
    const char *forced = getenv("NNGEN_ISA");
    const char *want = forced && *forced ? forced : nnrt_best_isa();
    size_t n = strlen(want);
    print_message("%s: ran the %.*s path (expected %s)\n", e2e_case, (int)strcspn(p, "\""), p,
                  want);
    assert_true(strncmp(p, want, n) == 0 && p[n] == '"');
}

static void e2e_expect_min(const char *key, double min)
{
    double v = e2e_json(key);
    print_message("%s: %s = %.4f (needs >= %.4f)\n", e2e_case, key, v, min);
    assert_true(v >= min);
}

static void e2e_expect_max(const char *key, double max)
{
    double v = e2e_json(key);
    print_message("%s: %s = %.4f (needs < %.4f)\n", e2e_case, key, v, max);
    assert_true(v < max);
}

static void e2e_gradcheck(const char *model, const char *train)
{
    assert_int_equal(e2e_run(model, "--train", train, "--gradcheck", NULL), 0);
    assert_non_null(strstr(e2e_out, "gradcheck: "));
    assert_non_null(strstr(e2e_out, ": ok\n"));
}

/* Classes of a --predict file: the last field of each line. */
static long e2e_pred_classes(const char *path, long *cls, long cap)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    e2e_slurp(path, buf, (size_t)st.st_size + 1);
    long n = 0;
    for (char *line = buf; *line && n < cap;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        char *last = strrchr(line, ',');
        cls[n++] = strtol(last ? last + 1 : line, NULL, 10);
        line = nl + 1;
    }
    free(buf);
    return n;
}

/* --predict on a labelled file: the accuracy of the predicted classes
 * against the file's labels equals the trainer's reported accuracy. */
static void e2e_predict_matches(const char *model, const char *weights, const char *file,
                                double reported)
{
    const char *out = e2e_tmp("pred.txt");
    assert_int_equal(e2e_run(model, "--load", weights, "--predict", file, "--out", out, NULL),
                     0);
    nnrt_dataset d;
    nnrt_err e;
    assert_int_equal(nnrt_load(file, NULL, &d, &e), 0);
    long *cls = malloc((size_t)d.m * sizeof(long));
    assert_non_null(cls);
    assert_int_equal(e2e_pred_classes(out, cls, d.m), d.m);
    long right = 0;
    for (long i = 0; i < d.m; i++)
        right += cls[i] == (long)d.y[i];
    double acc = (double)right / (double)d.m;
    print_message("%s: --predict on %s: %ld/%ld right (%.4f), trainer said %.4f\n", model,
                  file, right, d.m, acc, reported);
    assert_true(fabs(acc - reported) < 1e-6);
    free(cls);
    nnrt_dataset_free(&d);
}

/* ------------------------------------------------------------------ */
/* The cases                                                            */
/* ------------------------------------------------------------------ */

static void e2e_cat_case(const char *model, double min_train, double min_test)
{
    const char *dd = e2e_env("NNGEN_DATA_DIR");
    const char *tr = e2e_need(e2e_join(dd, "cat/train_catvnoncat.h5"));
    const char *te = e2e_need(e2e_join(dd, "cat/test_catvnoncat.h5"));
    const char *w = e2e_tmp("w.nngw");
    assert_int_equal(e2e_run(model, "--train", tr, "--test", te, "--quiet", "--json", "--save",
                             w, NULL),
                     0);
    e2e_expect_best_path();
    e2e_expect_min("train_acc", min_train);
    e2e_expect_min("test_acc", min_test);
    e2e_predict_matches(model, w, te, e2e_json("test_acc"));
    e2e_gradcheck(model, tr);
}

static void test_logreg_cat(void **state)
{
    (void)state;
    e2e_cat_case("logreg_cat", 0.95, 0.68);
}

static void test_cat2(void **state)
{
    (void)state;
    e2e_cat_case("cat2", 0.95, 0.70);
}

static void test_cat(void **state)
{
    (void)state;
    e2e_cat_case("cat", 0.95, 0.76);
}

static void test_xor(void **state)
{
    (void)state;
    const char *src = e2e_env("NNGEN_SOURCE_DIR");
    const char *tr = e2e_need(e2e_join(src, "data/xor.csv"));
    const char *full = e2e_tmp("full.nngw"), *half = e2e_tmp("half.nngw"),
               *res = e2e_tmp("res.nngw"), *out = e2e_tmp("xor.txt");
    assert_int_equal(e2e_run("xor", "--train", tr, "--quiet", "--json", "--save", full,
                             "--predict", tr, "--out", out, NULL),
                     0);
    e2e_expect_best_path();
    e2e_expect_min("train_acc", 1.0);
    long cls[8];
    assert_int_equal(e2e_pred_classes(out, cls, 8), 4);
    assert_int_equal(cls[0], 0);
    assert_int_equal(cls[1], 1);
    assert_int_equal(cls[2], 1);
    assert_int_equal(cls[3], 0);
    /* generated code + driver: half the run, resumed, equals the whole run */
    assert_int_equal(e2e_run("xor", "--train", tr, "--quiet", "--epochs", "1000", "--save", half,
                             NULL),
                     0);
    assert_int_equal(e2e_run("xor", "--train", tr, "--quiet", "--resume", half, "--save", res,
                             NULL),
                     0);
    char a[4096], b[4096];
    e2e_slurp(full, a, sizeof a);
    e2e_slurp(res, b, sizeof b);
    struct stat sa, sb;
    assert_int_equal(stat(full, &sa), 0);
    assert_int_equal(stat(res, &sb), 0);
    assert_int_equal(sa.st_size, sb.st_size);
    assert_memory_equal(a, b, (size_t)sa.st_size < sizeof a ? (size_t)sa.st_size : sizeof a);
    e2e_gradcheck("xor", tr);
}

static void test_sex(void **state)
{
    (void)state;
    const char *src = e2e_env("NNGEN_SOURCE_DIR");
    const char *tr = e2e_need(e2e_join(src, "data/sex_train.csv"));
    const char *pr = e2e_need(e2e_join(src, "data/sex_predict.csv"));
    const char *out = e2e_tmp("sex.txt");
    assert_int_equal(e2e_run("sex", "--train", tr, "--quiet", "--json", "--predict", pr, "--out",
                             out, NULL),
                     0);
    e2e_expect_best_path();
    e2e_expect_max("train_rmse", 0.1);
    char buf[256];
    e2e_slurp(out, buf, sizeof buf);
    double emily = -1.0, frank = -1.0;
    assert_int_equal(sscanf(buf, "%lf\n%lf\n", &emily, &frank), 2);
    print_message("sex: Emily (-7, -3) -> %.4f, Frank (20, 2) -> %.4f\n", emily, frank);
    assert_true(emily > 0.5); /* 1 = female */
    assert_true(frank < 0.5);
    e2e_gradcheck("sex", tr);
}

static void test_house(void **state)
{
    (void)state;
    const char *src = e2e_env("NNGEN_SOURCE_DIR");
    const char *tr = e2e_need(e2e_join(src, "data/house_train.csv"));
    const char *te = e2e_need(e2e_join(src, "data/house_test.csv"));
    assert_int_equal(e2e_run("house", "--train", tr, "--test", te, "--quiet", "--json", NULL), 0);
    /* standardized target: predicting the mean gives RMSE 1; the noise
     * alone gives about 0.12 (scripts/make_house_csv.py) */
    e2e_expect_best_path();
    e2e_expect_max("train_rmse", 0.20);
    e2e_expect_max("test_rmse", 0.25);
    e2e_gradcheck("house", tr);
}

static void test_fashion(void **state)
{
    (void)state;
    const char *fd = e2e_env("NNGEN_FASHION_DIR");
    const char *tr = e2e_need(e2e_join(fd, "train-images-idx3-ubyte.gz"));
    const char *te = e2e_need(e2e_join(fd, "t10k-images-idx3-ubyte.gz"));
    e2e_need(e2e_join(fd, "train-labels-idx1-ubyte.gz"));
    e2e_need(e2e_join(fd, "t10k-labels-idx1-ubyte.gz"));
    const char *w = e2e_tmp("fashion.nngw");
    assert_int_equal(e2e_run("fashion", "--train", tr, "--test", te, "--quiet", "--json",
                             "--save", w, NULL),
                     0);
    e2e_expect_best_path();
    e2e_expect_min("test_acc", 0.88);
    e2e_expect_min("train_acc", 0.90);
    e2e_predict_matches("fashion", w, te, e2e_json("test_acc"));
    e2e_gradcheck("fashion", te);
}

/* `model` with the arguments a (up to 12, then NULL) and --threads 1, 2, 3:
 * the saved weights the same bytes, and the --json line the same from
 * "train_loss" on (the evaluation of those weights). */
static void e2e_same_on_threads(const char *model, const char *const *a)
{
    static char first[1024];
    const char *w1 = e2e_tmp("t1.nngw"), *wn = e2e_tmp("tn.nngw");
    for (int t = 1; t <= 3; t++) {
        char threads[8];
        snprintf(threads, sizeof threads, "%d", t);
        assert_int_equal(e2e_run(model, "--threads", threads, "--quiet", "--json", "--save",
                                 t == 1 ? w1 : wn, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                                 a[7], a[8], a[9], a[10], a[11], NULL),
                         0);
        const char *p = strstr(e2e_out, "\"train_loss\"");
        assert_non_null(p);
        print_message("%s, %d thread%s: %s", model, t, t > 1 ? "s" : "", p);
        if (t == 1) {
            snprintf(first, sizeof first, "%s", p);
            continue;
        }
        assert_string_equal(p, first);
        struct stat sa, sb;
        assert_int_equal(stat(w1, &sa), 0);
        assert_int_equal(stat(wn, &sb), 0);
        assert_int_equal(sa.st_size, sb.st_size);
        char *x = malloc((size_t)sa.st_size), *y = malloc((size_t)sa.st_size);
        assert_non_null(x);
        assert_non_null(y);
        FILE *f = fopen(w1, "rb"), *g = fopen(wn, "rb");
        assert_non_null(f);
        assert_non_null(g);
        assert_int_equal(fread(x, 1, (size_t)sa.st_size, f), (size_t)sa.st_size);
        assert_int_equal(fread(y, 1, (size_t)sa.st_size, g), (size_t)sa.st_size);
        fclose(f);
        fclose(g);
        assert_memory_equal(x, y, (size_t)sa.st_size);
        free(x);
        free(y);
    }
}

static void test_threads_cat(void **state)
{
    (void)state;
    const char *dd = e2e_env("NNGEN_DATA_DIR");
    const char *tr = e2e_need(e2e_join(dd, "cat/train_catvnoncat.h5"));
    const char *te = e2e_need(e2e_join(dd, "cat/test_catvnoncat.h5"));
    const char *a[12] = {"--train", tr, "--test", te, "--iterations", "4"};
    e2e_same_on_threads("cat", a);
}

static void test_threads_fashion(void **state)
{
    (void)state;
    const char *fd = e2e_env("NNGEN_FASHION_DIR");
    char tr[1024], te[1024]; /* e2e_join's buffers are reused */
    snprintf(tr, sizeof tr, "%s", e2e_need(e2e_join(fd, "train-images-idx3-ubyte.gz")));
    snprintf(te, sizeof te, "%s", e2e_need(e2e_join(fd, "t10k-images-idx3-ubyte.gz")));
    e2e_need(e2e_join(fd, "train-labels-idx1-ubyte.gz"));
    e2e_need(e2e_join(fd, "t10k-labels-idx1-ubyte.gz"));
    const char *a[12] = {"--train", tr, "--test", te, "--iterations", "6", "--batch", "64"};
    e2e_same_on_threads("fashion", a);
    const char *b[12] = {"--train", tr, "--iterations", "3", "--batch", "256"};
    e2e_same_on_threads("fashion", b);
}

/* ------------------------------------------------------------------ */
/* The perceptron chapter (docs/perceptron.md)                          */
/* ------------------------------------------------------------------ */

/* The outputs --predict wrote for the 4 rows of data/gates/inputs.csv,
 * as "0001". */
static void e2e_gate_outputs(const char *path, char *bits)
{
    long cls[8];
    assert_int_equal(e2e_pred_classes(path, cls, 8), 4);
    for (int i = 0; i < 4; i++) {
        assert_true(cls[i] == 0 || cls[i] == 1);
        bits[i] = (char)('0' + cls[i]);
    }
    bits[4] = '\0';
}

static const struct {
    const char *model, *data, *truth; /* truth: y for (0,0), (1,0), (0,1), (1,1) */
} e2e_gates_table[] = {{"gate_and", "data/gates/and.csv", "0001"},
                       {"gate_nand", "data/gates/nand.csv", "1110"},
                       {"gate_or", "data/gates/or.csv", "0111"},
                       {"gate_xor", "data/gates/xor.csv", "0110"}};

/* Each gate's weights are in its spec: --predict with no --load prints its
 * truth table, on every path this CPU runs.  The perceptron rule has no
 * gradient to check or other optimizer, and says so in one line. */
static void test_gates(void **state)
{
    (void)state;
    const char *src = e2e_env("NNGEN_SOURCE_DIR");
    char in[1024];
    snprintf(in, sizeof in, "%s", e2e_need(e2e_join(src, "data/gates/inputs.csv")));
    char out[1024]; /* e2e_join's buffers are reused */
    snprintf(out, sizeof out, "%s", e2e_tmp("gate.txt"));
    static const char *const isas[] = {"scalar", "avx2", "avx512", "neon"};
    for (size_t g = 0; g < sizeof e2e_gates_table / sizeof e2e_gates_table[0]; g++) {
        const char *model = e2e_gates_table[g].model;
        int paths = 0;
        for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
            if (!nnrt_cpu_has(isas[i]))
                continue;
            assert_int_equal(e2e_run(model, "--predict", in, "--out", out, "--isa", isas[i], NULL),
                             0);
            char bits[5];
            e2e_gate_outputs(out, bits);
            print_message("%s on %s: %s (truth table %s)\n", model, isas[i], bits,
                          e2e_gates_table[g].truth);
            assert_string_equal(bits, e2e_gates_table[g].truth);
            paths++;
        }
        assert_true(paths >= 2); /* scalar and the vector path of this CPU */
        /* the truth table is the training data's: 4/4 before any step */
        char data[1024];
        snprintf(data, sizeof data, "%s", e2e_join(src, e2e_gates_table[g].data));
        assert_int_equal(e2e_run(model, "--train", data, "--epochs", "1", "--lr", "1e-30",
                                 "--quiet", "--json", NULL),
                         0);
        e2e_expect_min("train_acc", 1.0);
    }
    assert_int_equal(e2e_run("gate_and", "--train", e2e_join(src, "data/gates/and.csv"),
                             "--gradcheck", NULL),
                     2);
    assert_string_equal(e2e_err, "gate_and: --gradcheck: model 'gate_and' learns by the "
                                 "perceptron rule (loss perceptron), whose error signal is no "
                                 "derivative: there is no gradient to check\n");
    assert_int_equal(e2e_run("gate_and", "--train", e2e_join(src, "data/gates/and.csv"),
                             "--optimizer", "adam", NULL),
                     2);
    assert_non_null(strstr(e2e_err, "--optimizer adam: model 'gate_and' learns by the perceptron "
                                    "rule"));
    assert_int_equal(e2e_run("gate_and", "--train", e2e_join(src, "data/gates/and.csv"),
                             "--batch", "4", NULL),
                     2);
    assert_non_null(strstr(e2e_err, "--batch: model 'gate_and' learns by the perceptron rule"));
}

/* AND, NAND and OR learned from zeros (--init replaces the spec's weights)
 * by the perceptron rule: 4/4 within 10 epochs, and the weights learned
 * give the truth table. */
static void test_perceptron_learns(void **state)
{
    (void)state;
    const char *src = e2e_env("NNGEN_SOURCE_DIR");
    char in[1024];
    snprintf(in, sizeof in, "%s", e2e_need(e2e_join(src, "data/gates/inputs.csv")));
    char w[1024], out[1024]; /* e2e_join's buffers are reused */
    snprintf(w, sizeof w, "%s", e2e_tmp("learned.nngw"));
    snprintf(out, sizeof out, "%s", e2e_tmp("learned.txt"));
    for (size_t g = 0; g < 3; g++) {
        const char *model = e2e_gates_table[g].model;
        char data[1024];
        snprintf(data, sizeof data, "%s", e2e_join(src, e2e_gates_table[g].data));
        for (const char *const *seed = (const char *const[]){"1", "2", "3", NULL}; *seed; seed++) {
            assert_int_equal(e2e_run(model, "--train", data, "--init", "zeros", "--epochs", "10",
                                     "--seed", *seed, "--quiet", "--json", "--save", w, NULL),
                             0);
            e2e_expect_min("train_acc", 1.0);
            assert_int_equal(e2e_run(model, "--load", w, "--predict", in, "--out", out, NULL), 0);
            char bits[5];
            e2e_gate_outputs(out, bits);
            assert_string_equal(bits, e2e_gates_table[g].truth);
        }
    }
}

/* No single perceptron is XOR: trained by the rule from zeros and from
 * random weights, with 8 seeds each, no evaluation of 500 epochs ever
 * reaches 4/4.  The 2-layer sigmoid network of models/xor.spec does. */
static void test_perceptron_xor(void **state)
{
    (void)state;
    const char *src = e2e_env("NNGEN_SOURCE_DIR");
    char data[1024];
    snprintf(data, sizeof data, "%s", e2e_need(e2e_join(src, "data/gates/xor.csv")));
    char log[1024];
    snprintf(log, sizeof log, "%s", e2e_tmp("xor_log.csv"));
    static char buf[1 << 16];
    long rows = 0;
    for (const char *const *init = (const char *const[]){"zeros", "xavier", NULL}; *init; init++)
        for (int seed = 1; seed <= 8; seed++) {
            char sd[16];
            snprintf(sd, sizeof sd, "%d", seed);
            assert_int_equal(e2e_run("gate_and", "--train", data, "--init", *init, "--seed", sd,
                                     "--epochs", "500", "--eval-every", "1", "--log", log,
                                     "--quiet", "--json", NULL),
                             0);
            assert_true(e2e_json("train_acc") < 1.0);
            /* step,epoch,train_loss,train_acc,...: every row below 4/4 */
            e2e_slurp(log, buf, sizeof buf);
            char *line = strchr(buf, '\n');
            long n = 0;
            while (line && line[1]) {
                char *f = line + 1;
                for (int k = 0; k < 3; k++)
                    f = strchr(f, ',') + 1;
                double acc = strtod(f, NULL);
                if (acc >= 1.0)
                    fail_msg("init %s seed %d: 4/4 at row %ld of %s", *init, seed, n + 1, log);
                n++;
                line = strchr(line + 1, '\n');
            }
            assert_int_equal(n, 501); /* the start and each epoch */
            rows += n;
        }
    print_message("single perceptron on XOR: %ld evaluations, none 4/4\n", rows);
    assert_int_equal(e2e_run("xor", "--train", data, "--quiet", "--json", NULL), 0);
    e2e_expect_min("train_acc", 1.0);
}

/* ------------------------------------------------------------------ */

static int e2e_setup(void **state)
{
    (void)state;
    return nng_tmpdir_make("e2e");
}

static int e2e_teardown(void **state)
{
    (void)state;
    nng_tmpdir_remove();
    return 0;
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest all[] = {
        cmocka_unit_test_setup_teardown(test_logreg_cat, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_cat2, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_cat, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_xor, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_sex, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_house, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_fashion, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_threads_cat, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_threads_fashion, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_gates, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_perceptron_learns, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_perceptron_xor, e2e_setup, e2e_teardown),
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE   (logreg_cat, cat2, cat, xor, sex, house, fashion, "
                        "threads_cat, threads_fashion, gates, perceptron_learns, "
                        "perceptron_xor)\n",
                argv[0]);
        return 2;
    }
    char want[64];
    snprintf(want, sizeof want, "test_%s", argv[1]);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i].name, want) == 0) {
            const struct CMUnitTest one[1] = {all[i]};
            e2e_case = argv[1];
            return cmocka_run_group_tests_name(argv[1], one, NULL, NULL);
        }
    fprintf(stderr, "%s: unknown case '%s'\n", argv[0], argv[1]);
    return 2;
}
