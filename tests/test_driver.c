/*
 * test_driver.c -- the training driver (nnrt_main) and nnrt_gradcheck on
 * hand-written tiny models (test_driver_model.h): flags and their exact
 * messages, data errors, training to a real accuracy, determinism,
 * save/load/resume equality, --predict output, --log rows, divergence,
 * the gradient check, and threads (the same bits on 1, 2 and 3).
 *
 * Each run of nnrt_main has its stdout and stderr sent to files, so exit
 * statuses and messages are checked exactly.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nnrt.h"
#include "test_driver_model.h"

static char td_dir[256];
static char td_out[4096 * 16], td_err[4096 * 4];

static const char *td_path(const char *name)
{
    static char buf[64][512];
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", td_dir, name);
    return buf[k];
}

static void td_slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Run nnrt_main(m, argv) with stdout and stderr sent to files (in this
 * process: fork does not work under every emulator the cross build runs
 * the tests with); NULL-terminated args after argv[0].  Returns the exit
 * status; td_out / td_err hold what it printed. */
static int td_run(const nnrt_model *m, const char *arg0, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    argv[argc++] = (char *)arg0;
    va_start(ap, arg0);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char op[600], ep[600];
    snprintf(op, sizeof op, "%s", td_path("stdout.txt"));
    snprintf(ep, sizeof ep, "%s", td_path("stderr.txt"));
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    int fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    close(fo);
    close(fe);
    int rc = nnrt_main(m, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    td_slurp(op, td_out, sizeof td_out);
    td_slurp(ep, td_err, sizeof td_err);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Data files (deterministic)                                           */
/* ------------------------------------------------------------------ */

static uint64_t td_lcg;
static double td_unit(void) /* [-1, 1) */
{
    td_lcg = td_lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(td_lcg >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static void td_write(const char *name, const char *text)
{
    FILE *f = fopen(td_path(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void td_make_data(void)
{
    FILE *f;
    td_lcg = 42;
    /* blob: 100 points, class 1 inside the circle of radius 0.6 */
    f = fopen(td_path("blob.csv"), "w");
    assert_non_null(f);
    fprintf(f, "x1,x2,label\n");
    for (int i = 0; i < 100; i++) {
        double a = td_unit(), b = td_unit();
        fprintf(f, "%.5f,%.5f,%d\n", a, b, a * a + b * b < 0.36 ? 1 : 0);
    }
    fclose(f);
    /* blob_x: features only, for --predict */
    td_write("blob_x.csv", "0,0\n0.9,0.9\n-0.1,0.2\n-0.95,0.8\n");
    /* tri: three classes by the sign pattern of x1 - x2 and x1 + x2 */
    f = fopen(td_path("tri.csv"), "w");
    assert_non_null(f);
    for (int i = 0; i < 90; i++) {
        double a = td_unit(), b = td_unit();
        int c = a > 0.3 ? 0 : b > 0.0 ? 1 : 2;
        fprintf(f, "%.5f,%.5f,%d\n", a, b, c);
    }
    fclose(f);
    /* lin: y = 2 x1 - 3 x2 + 0.5 exactly */
    f = fopen(td_path("lin.csv"), "w");
    assert_non_null(f);
    for (int i = 0; i < 50; i++) {
        double a = td_unit(), b = td_unit();
        fprintf(f, "%.4f,%.4f,%.6f\n", a, b, 2.0 * a - 3.0 * b + 0.5);
    }
    fclose(f);
    /* big: features and targets near 1e9; lr 100 makes the second loss overflow */
    td_write("big.csv", "1e9,2e9,-4e9\n-1e9,1e9,-5e9\n2e9,-1e9,7e9\n");
    td_write("badlabel.csv", "0.1,0.2,1\n0.3,0.4,2\n");
    td_write("threecol.csv", "1,2,3,1\n");
    /* many: 3000 points of blob's rule (evaluated in 6 blocks of 512) */
    f = fopen(td_path("many.csv"), "w");
    assert_non_null(f);
    for (int i = 0; i < 3000; i++) {
        double a = td_unit(), b = td_unit();
        fprintf(f, "%.5f,%.5f,%d\n", a, b, a * a + b * b < 0.36 ? 1 : 0);
    }
    fclose(f);
}

static int td_setup(void **state)
{
    (void)state;
    tm_setup();
    const char *tmp = getenv("TMPDIR");
    snprintf(td_dir, sizeof td_dir, "%s/nng_driver_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(td_dir))
        return -1;
    td_make_data();
    return 0;
}

static int td_teardown(void **state)
{
    (void)state;
    DIR *d = opendir(td_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                unlink(td_path(e->d_name));
        closedir(d);
    }
    rmdir(td_dir);
    return 0;
}

static void td_files_equal(const char *a, const char *b, int want_equal)
{
    static char x[1 << 16], y[1 << 16];
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    assert_non_null(f);
    assert_non_null(g);
    size_t n = fread(x, 1, sizeof x, f), k = fread(y, 1, sizeof y, g);
    fclose(f);
    fclose(g);
    assert_true(n > 0);
    int eq = n == k && memcmp(x, y, n) == 0;
    assert_int_equal(eq, want_equal);
}

/* Number after "key": in the JSON line of td_out. */
static double td_json(const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(td_out, pat);
    if (!p) {
        fprintf(stderr, "no %s in:\n%s\n", key, td_out);
        fail();
    }
    return strtod(p + strlen(pat), NULL);
}

/* ------------------------------------------------------------------ */
/* Flags                                                                */
/* ------------------------------------------------------------------ */

static void test_help(void **state)
{
    (void)state;
    assert_int_equal(td_run(&tm_blob, "./blob_train", "--help", NULL), 0);
    assert_non_null(strstr(td_out, "usage: blob_train --train FILE"));
    assert_non_null(strstr(td_out, "--lr F"));
    assert_non_null(strstr(td_out, "learning rate [0.5]"));
    assert_non_null(strstr(td_out, "[200]")); /* epochs from the spec */
    assert_non_null(strstr(td_out, "[full]"));
    assert_non_null(strstr(td_out, "  --eps F                Adam epsilon [1e-08]\n"));
    assert_non_null(strstr(td_out, "  --optimizer NAME       sgd, momentum or adam [sgd]\n"));
    assert_non_null(strstr(td_out, "  --init NAME            zeros, small, course, xavier, he, "
                                   "numpy, numpy_small, numpy_xavier or numpy_he [xavier]\n"));
    assert_non_null(strstr(td_out, "  --seed N               seed of the initial weights and the "
                                   "shuffle [1]\n"));
    assert_null(strstr(td_out, "--iterations N         train for N parameter updates ["));
    assert_non_null(strstr(td_out, "model 'blob': 2-3 tanh-1 sigmoid, loss bce"));
    assert_string_equal(td_err, "");
}

static void test_bad_flags(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    assert_int_equal(td_run(&tm_blob, "/x/y/cat_train", "--train", tr, "--lr", "abc", NULL), 2);
    assert_string_equal(td_err, "cat_train: --lr: 'abc' is not a number\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--lr=-1", NULL), 2);
    assert_string_equal(td_err, "cat_train: --lr: '-1' must be in (0, 100]\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--epochs", "2.5", NULL), 2);
    assert_string_equal(td_err, "cat_train: --epochs: '2.5' is not a whole number\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--epochs", "0", NULL), 2);
    assert_string_equal(td_err, "cat_train: --epochs: '0' must be in [1, 1000000]\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--epoch", "3", NULL), 2);
    assert_string_equal(td_err, "cat_train: unknown flag '--epoch' (did you mean --epochs?)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--trian", tr, NULL), 2);
    assert_string_equal(td_err, "cat_train: unknown flag '--trian' (did you mean --train?)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--pred", tr, NULL), 2);
    assert_string_equal(td_err, "cat_train: unknown flag '--pred' (did you mean --predict?)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--bta1", "0.5", NULL), 2);
    assert_string_equal(td_err, "cat_train: unknown flag '--bta1' (did you mean --beta1?)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--frobnicate", NULL), 2);
    assert_string_equal(td_err, "cat_train: unknown flag '--frobnicate' (see --help)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", NULL), 2);
    assert_string_equal(td_err, "cat_train: --train needs a value (FILE)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", NULL), 2);
    assert_string_equal(td_err, "cat_train: no --train FILE given (see --help)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--optimizer", "adma", NULL),
                     2);
    assert_string_equal(td_err,
                        "cat_train: --optimizer: 'adma' is not one of sgd, momentum, adam\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--batch", "half", NULL), 2);
    assert_string_equal(td_err, "cat_train: --batch: 'half' is not a number\n");
    assert_int_equal(
        td_run(&tm_blob, "cat_train", "--train", tr, "--epochs", "2", "--iterations", "3", NULL),
        2);
    assert_string_equal(td_err, "cat_train: --epochs and --iterations cannot be used together\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "stray", NULL), 2);
    assert_string_equal(td_err,
                        "cat_train: unexpected argument 'stray' (flags start with --; see --help)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--batch", "500", NULL), 2);
    assert_string_equal(td_err,
                        "cat_train: --batch 500 is larger than the training set (100 samples)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--predict", tr, NULL), 2);
    assert_string_equal(td_err, "cat_train: --predict needs weights: give --load FILE (or "
                                "--train FILE to train first)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--seed", "-4", NULL), 2);
    assert_string_equal(td_err, "cat_train: --seed: '-4' must be a non-negative whole number\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--quiet=1", NULL), 2);
    assert_string_equal(td_err, "cat_train: --quiet takes no value\n");
    /* --isa: a file of one path runs only that one (test_isa_report: files
     * of several) */
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, "--isa", "avx2", NULL), 2);
    assert_string_equal(td_err, "cat_train: --isa avx2: this model has only the scalar path "
                                "(nngen --isa scalar)\n");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--isa", "scalar", "--info", NULL), 0);
    assert_non_null(strstr(td_out, "\nisa scalar (the only path compiled in)\n"));
}

/* The hyper-parameter flags take what the spec's `train` line takes (the
 * rows of nnrt_hparams), no more: a value out of bounds is one line naming
 * the flag, the value and the interval. */
static void test_hparam_bounds(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    static const struct {
        const char *flag, *value, *err;
    } bad[] = {
        {"--lr", "200", "cat_train: --lr: '200' must be in (0, 100]\n"},
        {"--lr", "0", "cat_train: --lr: '0' must be in (0, 100]\n"},
        {"--lr", "1e-50", "cat_train: --lr: '1e-50' must be in (0, 100]\n"}, /* 0 as a float */
        {"--lr", "inf", "cat_train: --lr: 'inf' must be in (0, 100]\n"},
        {"--lr", "nan", "cat_train: --lr: 'nan' is not a number\n"},
        {"--eps", "2", "cat_train: --eps: '2' must be in (0, 1]\n"},
        {"--beta1", "1", "cat_train: --beta1: '1' must be in [0, 1)\n"},
        {"--beta2", "-0.5", "cat_train: --beta2: '-0.5' must be in [0, 1)\n"},
        {"--epochs", "2000000", "cat_train: --epochs: '2000000' must be in [1, 1000000]\n"},
        {"--epochs", "-3", "cat_train: --epochs: '-3' must be in [1, 1000000]\n"},
        {"--iterations", "99999999999999999999",
         "cat_train: --iterations: '99999999999999999999' must be in [1, 1000000000]\n"},
        {"--batch", "0", "cat_train: --batch: '0' must be in [1, 1000000000] or 'full'\n"},
        {"--init", "glorot",
         "cat_train: --init: 'glorot' is not one of zeros, small, course, xavier, he, numpy, "
         "numpy_small, numpy_xavier, numpy_he\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(td_run(&tm_blob, "cat_train", "--train", tr, bad[i].flag, bad[i].value,
                                NULL),
                         2);
        assert_string_equal(td_err, bad[i].err);
    }
    /* the ends the spec accepts, the flags accept */
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--lr", "100", "--eps", "1", "--beta1",
                            "0", "--epochs", "1", "--quiet", NULL),
                     0);
    assert_string_equal(td_err, "");
}

/* Output paths are checked before training, not after it. */
static void test_output_paths(void **state)
{
    (void)state;
    char want[1024];
    const char *tr = td_path("blob.csv"), *bad = td_path("nodir/w.nngw");
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--save", bad, NULL), 1);
    snprintf(want, sizeof want, "t: --save %s: directory '%s/nodir' does not exist\n", bad,
             td_dir);
    assert_string_equal(td_err, want);
    assert_string_equal(td_out, ""); /* nothing trained */
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--log", td_dir, NULL), 1);
    snprintf(want, sizeof want, "t: --log %s: is a directory\n", td_dir);
    assert_string_equal(td_err, want);
}

static void test_data_errors(void **state)
{
    (void)state;
    char want[1024];
    const char *missing = td_path("nope.csv");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", missing, NULL), 1);
    snprintf(want, sizeof want, "cat_train: %s: No such file or directory\n", missing);
    assert_string_equal(td_err, want);
    const char *bad = td_path("badlabel.csv");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", bad, NULL), 1);
    snprintf(want, sizeof want, "cat_train: %s: sample 1, label is 2, but bce needs 0 or 1\n",
             bad);
    assert_string_equal(td_err, want);
    const char *wide = td_path("threecol.csv");
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", wide, NULL), 1);
    snprintf(want, sizeof want,
             "cat_train: %s: 3 features per sample, but model 'blob' takes 2\n", wide);
    assert_string_equal(td_err, want);
    /* test set errors are reported the same way */
    assert_int_equal(td_run(&tm_blob, "cat_train", "--train", td_path("blob.csv"), "--test",
                            bad, NULL),
                     1);
    snprintf(want, sizeof want, "cat_train: %s: sample 1, label is 2, but bce needs 0 or 1\n",
             bad);
    assert_string_equal(td_err, want);
}

/* ------------------------------------------------------------------ */
/* Training                                                             */
/* ------------------------------------------------------------------ */

static void test_train_blob(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", tr, "--test", tr, "--epochs",
                            "300", "--lr", "1", "--optimizer", "adam", "--lr", "0.05",
                            "--quiet", "--json", NULL),
                     0);
    assert_string_equal(td_err, "");
    assert_true(td_json("train_acc") >= 0.95);
    assert_true(td_json("test_acc") >= 0.95);
    assert_true(td_json("train_loss") < 0.25);
    assert_int_equal((long)td_json("steps"), 300);
    assert_non_null(strstr(td_out, "blob: 300 steps (300 epochs, full batch, adam lr 0.05)"));
    assert_non_null(strstr(td_out, " samples/s, scalar (the only path compiled in), 1 thread\n"));
    assert_non_null(strstr(td_out, "{\"model\":\"blob\",\"isa\":\"scalar\","));
    assert_non_null(strstr(td_out, "  train  loss "));
    assert_non_null(strstr(td_out, "  test   loss "));
    /* per-sample SGD works too: 90 steps per epoch */
    assert_int_equal(td_run(&tm_tri, "tri_train", "--train", td_path("tri.csv"), "--epochs",
                            "50", "--batch", "1", "--optimizer", "sgd", "--lr", "0.05",
                            "--quiet", "--json", NULL),
                     0);
    assert_int_equal((long)td_json("steps"), 4500);
    assert_true(td_json("train_acc") >= 0.9);
    /* samples/s is the 4500 samples over train_seconds, the steps' time
     * only, within the wall time */
    double ts = td_json("train_seconds");
    assert_true(ts > 0.0 && ts <= td_json("seconds") + 0.0005);
    assert_true(fabs(td_json("samples_per_s") * ts - 4500.0) < 0.5);
}

static void test_train_tri_and_lin(void **state)
{
    (void)state;
    assert_int_equal(td_run(&tm_tri, "tri_train", "--train", td_path("tri.csv"), "--quiet",
                            "--json", NULL),
                     0);
    assert_true(td_json("train_acc") >= 0.9);
    /* 90 samples, batch 16: 6 steps per epoch */
    assert_int_equal((long)td_json("steps"), 600);
    assert_int_equal(td_run(&tm_lin, "lin_train", "--train", td_path("lin.csv"), "--epochs",
                            "2000", "--quiet", "--json", NULL),
                     0);
    assert_true(td_json("train_rmse") < 1e-3);
    assert_non_null(strstr(td_out, "  train  mse "));
    assert_non_null(strstr(td_out, " rmse "));
    assert_null(strstr(td_out, "accuracy"));
}

static void test_progress_and_log(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv"), *log = td_path("run.csv");
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", tr, "--epochs", "10",
                            "--eval-every", "3", "--log", log, NULL),
                     0);
    /* not a terminal: one plain line per evaluation (3, 6, 9, and the end) */
    int lines = 0;
    for (const char *p = td_err; (p = strstr(p, "\n")) != NULL; p++)
        lines++;
    assert_int_equal(lines, 4);
    assert_null(strchr(td_err, '\r'));
    assert_non_null(strstr(td_err, "epoch 3  step 3/10  train loss "));
    assert_non_null(strstr(td_err, "epoch 10  step 10/10  train loss "));
    char csv[4096];
    td_slurp(log, csv, sizeof csv);
    /* the first row: the weights before the first update (step 0) */
    assert_memory_equal(csv, "step,epoch,train_loss,train_acc,test_loss,test_acc,seconds\n0,0,",
                        strlen("step,epoch,train_loss,train_acc,test_loss,test_acc,seconds\n0,0,"));
    long step[8];
    int rows = 0;
    const char *p = strchr(csv, '\n') + 1;
    while (*p && rows < 8) {
        step[rows++] = strtol(p, NULL, 10);
        /* no test set: the test columns are empty */
        assert_non_null(strstr(p, ",,,"));
        p = strchr(p, '\n') + 1;
    }
    assert_int_equal(rows, 5);
    assert_int_equal(step[0], 0);
    assert_int_equal(step[1], 3);
    assert_int_equal(step[2], 6);
    assert_int_equal(step[3], 9);
    assert_int_equal(step[4], 10);
    /* --quiet: nothing on stderr */
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", tr, "--epochs", "5", "--quiet",
                            NULL),
                     0);
    assert_string_equal(td_err, "");
    /* iterations: --eval-every counts steps; default ~20 evaluations */
    assert_int_equal(td_run(&tm_tri, "tri_train", "--train", td_path("tri.csv"),
                            "--iterations", "40", NULL),
                     0);
    lines = 0;
    for (const char *q = td_err; (q = strstr(q, "\n")) != NULL; q++)
        lines++;
    assert_int_equal(lines, 20);
}

/* --plot: one point per evaluation (the step-0 one included), as an SVG
 * whose curves have as many points; --version's two lines. */
static void test_plot_and_version(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv"), *svg = td_path("run.svg");
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", tr, "--test", tr, "--epochs", "10",
                            "--eval-every", "3", "--quiet", "--plot", svg, NULL),
                     0);
    assert_string_equal(td_err, "");
    static char text[1 << 16];
    td_slurp(svg, text, sizeof text);
    assert_non_null(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(text, ">blob: loss and accuracy, train and test against step</text>"));
    /* 4 curves of the 5 evaluations (0, 3, 6, 9, 10): 4 spaces between
     * the 5 points of each polyline, and each point marked */
    int curves = 0, circles = 0;
    for (const char *p = strstr(text, "<polyline"); p; p = strstr(p + 1, "<polyline")) {
        const char *q = strstr(p, "points=\"") + 8, *end = strchr(q, '"');
        int spaces = 0;
        for (; q < end; q++)
            spaces += *q == ' ';
        assert_int_equal(spaces, 4);
        curves++;
    }
    for (const char *p = strstr(text, "<circle"); p; p = strstr(p + 1, "<circle"))
        circles++;
    assert_int_equal(curves, 4);
    assert_int_equal(circles, 20);
    assert_non_null(strstr(text, "</svg>\n"));

    assert_int_equal(td_run(&tm_blob, "blob_train", "--load", tr, "--predict", tr, "--plot", svg,
                            NULL),
                     2);
    assert_string_equal(td_err, "blob_train: --plot FILE draws the training: give --train FILE "
                                "too\n");

    char want[128];
    assert_int_equal(td_run(&tm_blob, "blob_train", "--version", NULL), 0);
    snprintf(want, sizeof want, "nngen %s\nmodel blob, signature %016llx\n",
             tm_blob.nngen_version ? tm_blob.nngen_version : "?",
             (unsigned long long)tm_blob.signature);
    assert_string_equal(td_out, want);
    assert_string_equal(td_err, "");
}

/* '-' reads standard input (one input at most); --format names the format. */
static void test_stdin_and_format(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    int saved = dup(STDIN_FILENO), fd = open(tr, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", "-", "--epochs", "2", NULL), 0);
    assert_non_null(strstr(td_out, "accuracy"));
    assert_non_null(strstr(td_out, "/100)"));
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", "-", "--test", "-", NULL), 2);
    assert_string_equal(td_err, "blob_train: --train - and --test - both read standard input; "
                                "only one input may be '-'\n");
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", tr, "--format", "xls", NULL), 2);
    assert_string_equal(td_err, "blob_train: --format: 'xls' is not one of csv, tsv, idx, hdf5, "
                                "npz, npy\n");
    /* a CSV read as TSV is one column a line */
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", tr, "--format", "tsv", NULL), 1);
    assert_non_null(strstr(td_err, "1 column leaves no features beside 1 label column (columns "
                                   "are separated by tabs only)\n"));
    assert_int_equal(td_run(&tm_blob, "blob_train", "--train", "-", "--format", "npz", NULL), 1);
    assert_string_equal(td_err, "blob_train: <stdin>: standard input is read as CSV or TSV only "
                                "(npz needs a file it can seek in or reopen)\n");
}

static void test_determinism(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    const char *a = td_path("a.w"), *b = td_path("b.w"), *c = td_path("c.w");
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "7", "--epochs", "5",
                            "--optimizer", "momentum", "--quiet", "--save", a, NULL),
                     0);
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "7", "--epochs", "5",
                            "--optimizer", "momentum", "--quiet", "--save", b, NULL),
                     0);
    td_files_equal(a, b, 1);
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "7", "--epochs", "5",
                            "--optimizer", "momentum", "--quiet", "--seed", "2", "--save", c,
                            NULL),
                     0);
    td_files_equal(a, c, 0);
}

static void test_resume_equals_uninterrupted(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    const char *full = td_path("full.w"), *half = td_path("half.w"), *res = td_path("res.w");
    /* 100 samples, batch 30: 4 steps per epoch (the last one 10 samples);
     * 10 steps cross two epoch boundaries; resume at step 5, mid-epoch */
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "30", "--iterations", "10",
                            "--optimizer", "adam", "--lr", "0.01", "--quiet", "--save", full,
                            NULL),
                     0);
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "30", "--iterations", "5",
                            "--optimizer", "adam", "--lr", "0.01", "--quiet", "--save", half,
                            NULL),
                     0);
    /* the optimizer comes from the checkpoint */
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "30", "--iterations", "10",
                            "--lr", "0.01", "--quiet", "--resume", half, "--save", res, "--json",
                            NULL),
                     0);
    assert_int_equal((long)td_json("steps"), 10);
    td_files_equal(full, res, 1);
    /* --load starts at step 0 with fresh optimizer state: not the same run */
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "30", "--iterations", "5",
                            "--optimizer", "adam", "--lr", "0.01", "--quiet", "--load", half,
                            "--save", res, NULL),
                     0);
    td_files_equal(full, res, 0);
    /* a different optimizer than the checkpoint's */
    char want[1024];
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--batch", "30", "--iterations", "10",
                            "--optimizer", "sgd", "--quiet", "--resume", half, NULL),
                     1);
    snprintf(want, sizeof want, "t: %s: was trained with adam, not sgd (leave out --optimizer "
                                "to continue with adam)\n", half);
    assert_string_equal(td_err, want);
    /* weights of another model */
    assert_int_equal(td_run(&tm_tri, "t", "--train", td_path("tri.csv"), "--quiet", "--load",
                            half, NULL),
                     1);
    assert_non_null(strstr(td_err, "weights are for model 'blob'"));
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--load", half, "--resume", half,
                            NULL),
                     2);
}

static int td_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_predict(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv"), *w = td_path("blob.w"), *out = td_path("pred.txt");
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--optimizer", "adam", "--lr", "0.05",
                            "--epochs", "300", "--quiet", "--save", w, NULL),
                     0);
    /* features-only CSV to stdout: "probability,class" per line */
    assert_int_equal(td_run(&tm_blob, "t", "--load", w, "--predict", td_path("blob_x.csv"),
                            NULL),
                     0);
    assert_int_equal(td_count_lines(td_out), 4);
    const char *p = td_out;
    int cls[4];
    for (int i = 0; i < 4; i++) {
        char *end;
        double prob = strtod(p, &end);
        assert_true(prob >= 0.0 && prob <= 1.0);
        assert_int_equal(*end, ',');
        cls[i] = (int)strtol(end + 1, &end, 10);
        assert_int_equal(*end, '\n');
        assert_int_equal(cls[i], prob >= 0.5);
        p = end + 1;
    }
    /* inside the circle: 1; corners: 0 */
    assert_int_equal(cls[0], 1);
    assert_int_equal(cls[1], 0);
    assert_int_equal(cls[2], 1);
    assert_int_equal(cls[3], 0);
    /* a labelled file works too (labels ignored); --out written whole */
    assert_int_equal(td_run(&tm_blob, "t", "--load", w, "--predict", tr, "--out", out, NULL),
                     0);
    assert_string_equal(td_out, "");
    char buf[8192];
    td_slurp(out, buf, sizeof buf);
    assert_int_equal(td_count_lines(buf), 100);
    /* an error leaves the existing output untouched, and no temporary */
    assert_int_equal(td_run(&tm_blob, "t", "--load", w, "--predict", td_path("threecol.csv"),
                            "--out", out, NULL),
                     1);
    char want[1024];
    snprintf(want, sizeof want, "t: %s: 3 features per sample, but model 'blob' takes 2\n",
             td_path("threecol.csv"));
    assert_string_equal(td_err, want);
    char again[8192];
    td_slurp(out, again, sizeof again);
    assert_string_equal(buf, again);
    DIR *d = opendir(td_dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
    /* cce: three probabilities and the argmax */
    assert_int_equal(td_run(&tm_tri, "t", "--train", td_path("tri.csv"), "--quiet",
                            "--predict", td_path("blob_x.csv"), NULL),
                     0);
    assert_int_equal(td_count_lines(td_out), 4);
    double q[3], sum = 0.0;
    long c;
    assert_int_equal(sscanf(td_out, "%lf,%lf,%lf,%ld", &q[0], &q[1], &q[2], &c), 4);
    for (int i = 0; i < 3; i++)
        sum += q[i];
    assert_true(sum > 0.999 && sum < 1.001);
    assert_true(q[c] >= q[0] && q[c] >= q[1] && q[c] >= q[2]);
    /* the summary moved to stderr since stdout holds predictions */
    assert_non_null(strstr(td_err, "tri: 600 steps"));
    /* mse: the outputs only */
    assert_int_equal(td_run(&tm_lin, "t", "--train", td_path("lin.csv"), "--quiet", "--epochs",
                            "2000", "--predict", td_path("blob_x.csv"), "--out", out, NULL),
                     0);
    td_slurp(out, buf, sizeof buf);
    double v;
    char extra;
    assert_int_equal(sscanf(buf, "%lf%c", &v, &extra), 2);
    assert_int_equal(extra, '\n');
    assert_true(fabs(v - 0.5) < 1e-2); /* f(0, 0) = 0.5 */
}

/* A CSV of exactly n_in columns is features only (docs/trainer.md, Predict),
 * whatever the model's shape: also when n_in is no more than the label
 * columns the loader would take from it (pair: 2 inputs, 2 outputs). */
static void test_predict_features_only(void **state)
{
    (void)state;
    /* pair learns (x1 + x2, x1 - x2) */
    FILE *f = fopen(td_path("pair.csv"), "w");
    assert_non_null(f);
    td_lcg = 7;
    for (int i = 0; i < 40; i++) {
        double a = td_unit(), b = td_unit();
        fprintf(f, "%.5f,%.5f,%.5f,%.5f\n", a, b, a + b, a - b);
    }
    fclose(f);
    td_write("pair_x.csv", "0.5,0.25\n-1,0.5\n");
    const char *w = td_path("pair.w"), *tr = td_path("pair.csv");
    assert_int_equal(td_run(&tm_pair, "t", "--train", tr, "--epochs", "2000", "--quiet",
                            "--save", w, NULL),
                     0);
    assert_int_equal(td_run(&tm_pair, "t", "--load", w, "--predict", td_path("pair_x.csv"),
                            NULL),
                     0);
    assert_string_equal(td_err, "");
    double v[4];
    assert_int_equal(sscanf(td_out, "%lf,%lf\n%lf,%lf\n", &v[0], &v[1], &v[2], &v[3]), 4);
    assert_int_equal(td_count_lines(td_out), 2);
    const double want[4] = {0.75, 0.25, -0.5, -1.5};
    for (int i = 0; i < 4; i++)
        assert_true(fabs(v[i] - want[i]) < 1e-2);
    /* the labelled file still reads as features and labels */
    assert_int_equal(td_run(&tm_pair, "t", "--load", w, "--predict", tr, NULL), 0);
    assert_int_equal(td_count_lines(td_out), 40);
    /* other widths are still refused, naming the features the file has */
    td_write("pair_3.csv", "1,2,3\n");
    char want_err[1024];
    snprintf(want_err, sizeof want_err,
             "t: %s: 1 features per sample, but model 'pair' takes 2\n", td_path("pair_3.csv"));
    assert_int_equal(td_run(&tm_pair, "t", "--load", w, "--predict", td_path("pair_3.csv"), NULL),
                     1);
    assert_string_equal(td_err, want_err);
    /* One input (a cce model over 3 classes): a one-column CSV is its
     * features; the two-column training file still reads as feature and
     * label. */
    td_write("one.csv", "0.5,2\n-0.5,0\n");
    td_write("one_x.csv", "0.5\n-0.5\n");
    assert_int_equal(td_run(&tm_one, "t", "--train", td_path("one.csv"), "--quiet", "--predict",
                            td_path("one.csv"), NULL),
                     0);
    assert_int_equal(td_count_lines(td_out), 2);
    char *labelled = strdup(td_out);
    assert_non_null(labelled);
    assert_int_equal(td_run(&tm_one, "t", "--train", td_path("one.csv"), "--quiet", "--predict",
                            td_path("one_x.csv"), NULL),
                     0);
    assert_string_equal(td_out, labelled); /* same samples, same outputs and classes */
    free(labelled);
}

static void test_divergence(void **state)
{
    (void)state;
    const char *w = td_path("div.w");
    unlink(w);
    assert_int_equal(td_run(&tm_lin, "lin_train", "--train", td_path("big.csv"), "--lr",
                            "100", "--epochs", "50", "--save", w, "--quiet", NULL),
                     3);
    long s1 = -1, s0 = -1;
    assert_int_equal(sscanf(td_err, "lin_train: step %ld: loss is inf (diverged); keeping the "
                                    "weights from step %ld", &s1, &s0),
                     2);
    assert_int_equal(s1, 2);
    assert_int_equal(s0, 1);
    /* the weights of step 1 were saved, finite, with step 1 */
    float params[64];
    nnrt_checkpoint ck;
    nnrt_err e;
    assert_int_equal(nnrt_weights_load(w, &tm_lin, params, NULL, 0, &ck, &e), 0);
    assert_int_equal(ck.step, 1);
    for (size_t i = 0; i < tm_lin.n_params; i++)
        assert_true(isfinite(params[i]));
}

/* The parameters of weights file `path` into p (64 floats at most);
 * returns the step it holds. */
static long td_params(const nnrt_model *m, const char *path, float *p)
{
    nnrt_checkpoint ck;
    nnrt_err e;
    assert_true(m->n_params <= 64);
    assert_int_equal(nnrt_weights_load(path, m, p, NULL, 0, &ck, &e), 0);
    return ck.step;
}

/* tm_poison's update t sets parameter `at` to `val` (m: tm_poison, or
 * td_wide, the same network run in chunks on `threads` threads).  Trained
 * with batch `batch` and optimizer `opt` for `iters` steps, the run must stop exactly
 * as a check after every update would: exit 3, "step t: the update made a
 * parameter NaN or inf (diverged); keeping the weights from step t-1", and
 * --save writes the weights of step t-1: finite, and equal to those of a
 * run of t-1 steps.  (The driver checks the parameters only now and then,
 * and finds the step by running the steps since its last check again.) */
static void td_poisoned_on(const nnrt_model *m, const char *threads, long t, size_t at,
                           float val, const char *batch, const char *opt, const char *iters)
{
    const char *tr = td_path("blob.csv"), *w = td_path("poison.w"), *ref = td_path("clean.w");
    char t1[32], want[256];
    snprintf(t1, sizeof t1, "%ld", t - 1);
    unlink(w);
    unlink(ref);
    tm_poison_def.poison_step = t;
    tm_poison_def.poison_at = at;
    tm_poison_def.poison_val = val;
    assert_int_equal(td_run(m, "p", "--train", tr, "--batch", batch, "--optimizer", opt,
                            "--iterations", iters, "--save", w, "--quiet", "--threads", threads,
                            NULL),
                     3);
    snprintf(want, sizeof want, "p: step %ld: the update made a parameter NaN or inf (diverged); "
                                "keeping the weights from step %ld\n", t, t - 1);
    assert_string_equal(td_err, want);
    assert_int_equal(td_run(m, "p", "--train", tr, "--batch", batch, "--optimizer", opt,
                            "--iterations", t1, "--save", ref, "--quiet", "--threads", threads,
                            NULL),
                     0);
    float got[64], clean[64];
    assert_int_equal(td_params(m, w, got), t - 1);
    assert_int_equal(td_params(m, ref, clean), t - 1);
    for (size_t i = 0; i < m->n_params; i++)
        assert_true(isfinite(got[i]));
    assert_memory_equal(got, clean, m->n_params * sizeof(float));
    tm_poison_def.poison_step = 0;
}

static void td_poisoned(long t, size_t at, float val, const char *batch, const char *opt,
                        const char *iters)
{
    td_poisoned_on(&tm_poison, "1", t, at, val, batch, opt, iters);
}

static void test_divergence_hidden(void **state)
{
    (void)state;
    size_t pad = tm_poison.n_params - 1; /* padding: no loss ever sees it */
    size_t w0 = tm_poison_layers[0].w_offset; /* inf: tanh(+-inf) = +-1, loss finite */
    size_t b2 = tm_poison_layers[1].b_offset; /* NaN: the next loss is NaN */
    /* per-sample SGD, deep inside a chunk of steps between checks */
    td_poisoned(123457, pad, NAN, "1", "sgd", "200000");
    td_poisoned(7, w0, INFINITY, "full", "momentum", "50");
    /* the loss of step t+1 is NaN, but the update of step t is what diverged;
     * Adam's state is restored and replayed too */
    td_poisoned(54321, b2, NAN, "7", "adam", "100000");
    td_poisoned(3001, w0, -INFINITY, "30", "adam", "4000");

    /* the largest finite floats are not NaN or inf */
    const char *tr = td_path("blob.csv");
    tm_poison_def.poison_step = 5;
    tm_poison_def.poison_at = pad;
    tm_poison_def.poison_val = -FLT_MAX;
    assert_int_equal(td_run(&tm_poison, "p", "--train", tr, "--iterations", "50", "--quiet", NULL),
                     0);
    tm_poison_def.poison_val = FLT_MAX;
    assert_int_equal(td_run(&tm_poison, "p", "--train", tr, "--iterations", "50", "--batch", "1",
                            "--quiet", NULL),
                     0);

    /* nothing is evaluated or shown from parameters that have not been
     * checked: the evaluation lines stop at step 6 */
    tm_poison_def.poison_step = 7;
    tm_poison_def.poison_at = pad;
    tm_poison_def.poison_val = NAN;
    assert_int_equal(td_run(&tm_poison, "p", "--train", tr, "--epochs", "20", "--eval-every", "1",
                            NULL),
                     3);
    tm_poison_def.poison_step = 0;
    assert_non_null(strstr(td_err, "epoch 6  step 6/20  train loss "));
    assert_null(strstr(td_err, "step 7/20"));
    assert_non_null(strstr(td_err, "p: step 7: the update made a parameter NaN or inf (diverged); "
                                   "keeping the weights from step 6\n"));
    assert_non_null(strstr(td_out, "blob: 6 steps (6 epochs, full batch, sgd lr 0.5)"));
}

/* A weights file whose parameters hold a NaN or an inf (intact, so the loader
 * keeps every bit): --load and --resume, for training or --predict, refuse
 * it with one line naming the parameter, exit 1, and leave --save alone. */
static void test_load_nonfinite(void **state)
{
    (void)state;
    const nnrt_model *m = &tm_blob;
    const char *w = td_path("fin.w"), *bad = td_path("nonfinite.w"), *keep = td_path("keep.w");
    assert_int_equal(td_run(m, "t", "--train", td_path("blob.csv"), "--epochs", "2", "--quiet",
                            "--save", w, NULL),
                     0);
    const char *keep0 = td_path("keep0.w");
    for (int i = 0; i < 2; i++)
        assert_int_equal(td_run(m, "t", "--train", td_path("blob.csv"), "--epochs", "1",
                                "--quiet", "--save", i ? keep0 : keep, NULL),
                         0);
    td_files_equal(keep, keep0, 1); /* deterministic: the same run, the same bytes */
    float p[64];
    long step = td_params(m, w, p);
    const nnrt_layer_info *L = &m->layers[m->n_layers - 1];
    struct {
        size_t at;
        float val;
        char want[200];
    } cases[3];
    cases[0].at = L->b_offset;
    cases[0].val = NAN;
    snprintf(cases[0].want, sizeof cases[0].want,
             "t: %s: parameter %zu (layer %d b[0]) is NaN; these weights cannot be used\n", bad,
             L->b_offset, m->n_layers);
    cases[1].at = m->layers[0].w_offset + (size_t)m->layers[0].fan_in + 1;
    cases[1].val = -INFINITY;
    snprintf(cases[1].want, sizeof cases[1].want,
             "t: %s: parameter %zu (layer 1 W[1][1]) is infinite; these weights cannot be used\n",
             bad, cases[1].at);
    /* padding (zeros) is checked too: blob's W1 is 3x2 floats padded to 16 */
    cases[2].at = m->layers[0].w_offset + 6;
    assert_true(cases[2].at < m->layers[0].b_offset);
    cases[2].val = NAN;
    snprintf(cases[2].want, sizeof cases[2].want,
             "t: %s: parameter %zu (layer 1 padding after W) is NaN; these weights cannot be "
             "used\n",
             bad, cases[2].at);
    for (int c = 0; c < 3; c++) {
        float q[64];
        memcpy(q, p, sizeof q);
        q[cases[c].at] = cases[c].val;
        nnrt_checkpoint ck = {.step = step, .epoch = 2, .optimizer = NNRT_OPT_SGD};
        nnrt_err e;
        assert_int_equal(nnrt_weights_save(bad, m, q, &ck, &e), 0);
        assert_int_equal(td_run(m, "t", "--load", bad, "--predict", td_path("blob_x.csv"), NULL),
                         1);
        assert_string_equal(td_err, cases[c].want);
        assert_string_equal(td_out, "");
        assert_int_equal(td_run(m, "t", "--train", td_path("blob.csv"), "--resume", bad,
                                "--epochs", "3", "--quiet", "--save", keep, NULL),
                         1);
        assert_string_equal(td_err, cases[c].want);
        assert_int_equal(td_run(m, "t", "--train", td_path("blob.csv"), "--load", bad, "--quiet",
                                "--save", keep, NULL),
                         1);
        assert_string_equal(td_err, cases[c].want);
        td_files_equal(keep, keep0, 1); /* the refused runs left --save's file alone */
    }
}

/* Evaluations cost a forward pass over the data: --quiet without --log
 * makes only the last one (nothing would show the others); otherwise about
 * 20 a run, or every --eval-every.  Training is the same either way. */
static void test_quiet_evaluates_once(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv"), *w1 = td_path("q1.w"), *w2 = td_path("q2.w");
    const char *log = td_path("q.csv");
    struct {
        const char *extra[4];
        long rows; /* forward rows: 100 samples per evaluation */
    } cases[] = {
        {{"--quiet", NULL}, 100},
        {{"--quiet", "--log", log, NULL}, 21 * 100}, /* --log's step-0 row too */
        {{NULL}, 20 * 100}, /* stderr is a file: one line per evaluation */
        {{"--quiet", "--eval-every", "8", NULL}, 5 * 100},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *const *x = cases[c].extra;
        tm_forward_rows = 0;
        assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--epochs", "40", "--save",
                                c ? w2 : w1, x[0], x[1], x[2], x[3], NULL),
                         0);
        if (tm_forward_rows != cases[c].rows)
            fail_msg("case %zu: %ld forward rows, want %ld", c, tm_forward_rows, cases[c].rows);
        if (c)
            td_files_equal(w1, w2, 1);
    }
}

static void test_gradcheck(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--gradcheck", NULL), 0);
    assert_non_null(strstr(td_out, "gradcheck: 13 of 13 parameters on 16 samples of "));
    assert_non_null(strstr(td_out, ": ok\n"));
    assert_int_equal(td_run(&tm_broken, "t", "--train", tr, "--gradcheck", NULL), 1);
    assert_non_null(strstr(td_out, ": FAILED\n"));
    /* direct: the right gradient agrees to float precision, the wrong one not */
    float params[64];
    float x[4] = {0.1f, -0.4f, 0.7f, 0.2f}, y[2] = {1.0f, 0.0f};
    nnrt_init_params(&tm_blob, params, NNRT_INIT_XAVIER, 3);
    nnrt_err e;
    double ok = nnrt_gradcheck(&tm_blob, params, x, y, 2, 100, 1e-2, 1e-3, &e);
    assert_true(ok >= 0.0 && ok < 1e-2);
    double bad = nnrt_gradcheck(&tm_broken, params, x, y, 2, 100, 1e-2, 1e-3, &e);
    assert_true(bad > 0.1);
    assert_true(nnrt_gradcheck(&tm_blob, params, x, y, 0, 100, 1e-2, 1e-3, &e) < 0.0);
    assert_string_equal(e.msg, "gradcheck: no samples");
}

static void test_nothing_to_train(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv"), *w = td_path("ten.w");
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--epochs", "10", "--quiet", "--save",
                            w, NULL),
                     0);
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--epochs", "5", "--resume", w,
                            "--json", NULL),
                     0);
    char want[1024];
    snprintf(want, sizeof want,
             "t: %s is at step 10 already; the run is 5 steps: nothing to train\n", w);
    assert_string_equal(td_err, want);
    assert_int_equal((long)td_json("steps"), 10);
}

/* ------------------------------------------------------------------ */
/* Hostile command lines                                                */
/* ------------------------------------------------------------------ */

/* --label-col: a value that does not fit an int was cast to one
 * (4294967298 became column 2, exit 0), and one near INT_MAX overflowed
 * the CSV loader's range check (a heap write past the feature array). */
static void test_label_col_range(void **state)
{
    (void)state;
    char want[1024];
    const char *tr = td_path("blob.csv");
    const char *vals[] = {"4294967298", "6442450943", "2147483647", "16777216"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--label-col", vals[i],
                                "--epochs", "1", "--quiet", NULL),
                         2);
        snprintf(want, sizeof want, "t: --label-col: '%s' is out of range (at most 16777215)\n",
                 vals[i]);
        assert_string_equal(td_err, want);
    }
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--label-col", "16777215", NULL), 1);
    snprintf(want, sizeof want, "t: %s: label column 16777215 is out of range (the file has 3 "
                                "columns, counted from 0)\n", tr);
    assert_string_equal(td_err, want);
}

static void td_copy(const char *from, const char *to)
{
    static char buf[1 << 16];
    td_slurp(td_path(from), buf, sizeof buf);
    td_write(to, buf);
}

/* An output that is an input (the same file, by device and inode) is
 * refused before anything runs; the input stays as it was. */
static void test_output_is_input(void **state)
{
    (void)state;
    static char before[1 << 16], after[1 << 16];
    char want[1024];
    const char *in = td_path("in.csv"), *w = td_path("in.w"), *hard = td_path("hard.csv");
    td_copy("blob.csv", "in.csv");
    td_slurp(in, before, sizeof before);
    unlink(hard);
    assert_int_equal(link(in, hard), 0);
    assert_int_equal(td_run(&tm_blob, "t", "--train", in, "--epochs", "2", "--quiet", "--save",
                            w, NULL),
                     0);
    struct {
        const char *args[8], *out_flag, *out, *in_flag, *in;
    } cases[] = {
        {{"--train", in, "--log", in, NULL}, "--log", in, "--train", in},
        {{"--train", in, "--save", hard, NULL}, "--save", hard, "--train", in},
        {{"--train", w, "--test", in, "--log", hard, NULL}, "--log", hard, "--test", in},
        {{"--load", w, "--predict", in, "--out", hard, NULL}, "--out", hard, "--predict", in},
        {{"--load", w, "--predict", in, "--out", w, NULL}, "--out", w, "--load", w},
        {{"--train", in, "--save", w, "--log", w, NULL}, "--log", w, "--save", w},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char **a = cases[i].args;
        assert_int_equal(td_run(&tm_blob, "t", a[0], a[1], a[2], a[3], a[4], a[5], NULL), 2);
        snprintf(want, sizeof want, "t: %s %s: is the same file as %s %s: it would be "
                                    "overwritten\n", cases[i].out_flag, cases[i].out,
                 cases[i].in_flag, cases[i].in);
        assert_string_equal(td_err, want);
        assert_string_equal(td_out, "");
        td_slurp(in, after, sizeof after);
        assert_string_equal(after, before);
    }
    /* --save may replace the file it resumes from */
    assert_int_equal(td_run(&tm_blob, "t", "--train", in, "--epochs", "3", "--quiet", "--resume",
                            w, "--save", w, NULL),
                     0);
}

/* An output that is no regular file is written in place: a device stays a
 * device (here reached through links, so that nothing of the machine's is
 * at stake if it were replaced), and /dev/full's error is reported.  A
 * link to a regular file stays a link; the file it leads to is replaced. */
static void test_outputs_in_place(void **state)
{
    (void)state;
    char want[1024];
    struct stat st;
    const char *tr = td_path("blob.csv"), *w = td_path("place.w");
    const char *null = td_path("null"), *full = td_path("full");
    const char *real = td_path("real.csv"), *ln = td_path("link.csv");
    unlink(null);
    unlink(full);
    unlink(ln);
    assert_int_equal(symlink("/dev/null", null), 0);
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--epochs", "2", "--quiet", "--save",
                            null, "--log", null, NULL),
                     0);
    assert_int_equal(lstat(null, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--epochs", "2", "--quiet", "--save",
                            w, NULL),
                     0);
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(symlink("/dev/full", full), 0);
        assert_int_equal(td_run(&tm_blob, "t", "--load", w, "--predict", td_path("blob_x.csv"),
                                "--out", full, NULL),
                         1);
        snprintf(want, sizeof want, "t: %s: write failed: No space left on device\n", full);
        assert_string_equal(td_err, want);
        assert_int_equal(lstat(full, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
    }
    td_write("real.csv", "old\n");
    assert_int_equal(symlink("real.csv", ln), 0);
    assert_int_equal(td_run(&tm_blob, "t", "--load", w, "--predict", td_path("blob_x.csv"),
                            "--out", ln, NULL),
                     0);
    assert_int_equal(lstat(ln, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    static char got[4096];
    td_slurp(real, got, sizeof got);
    assert_int_equal(strlen(got) > 0 && strchr(got, ',') != NULL, 1); /* the predictions */
}

/* ------------------------------------------------------------------ */
/* Threads                                                              */
/* ------------------------------------------------------------------ */

/* td_wide: tm_poison's network (tm_blob, with the poison of its update),
 * under a descriptor that claims `flops_train` FLOPs per sample (a third
 * of it forward).  At 3e6 the trainer treats it as a model worth
 * splitting: a step of n >= 2 rows runs as min(16, n rounded down to a
 * power of two) chunks on the threads, an evaluation of 1024 rows or more
 * runs its blocks of 512 on the threads.  Its functions note the threads
 * that call them.
 *
 * So that "two threads took part" does not hang on how the threads were
 * scheduled, td_two makes the first call of a job that runs on the threads
 * (every loss_grad, a forward over a full block of 512 rows) wait until a
 * second thread has made one: a worker claims the job's next task.  The
 * wait gives up after a minute (then the count stays 1 and the test fails). */
static nnrt_model td_wide;
static pthread_mutex_t td_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t td_cv = PTHREAD_COND_INITIALIZER;
static pthread_t td_callers[2][8]; /* [0] loss_grad, [1] forward */
static int td_ncallers[2];
static int td_two;

static void td_note(int which, int wait)
{
    pthread_t me = pthread_self();
    pthread_mutex_lock(&td_mu);
    int k = 0;
    while (k < td_ncallers[which] && !pthread_equal(td_callers[which][k], me))
        k++;
    if (k == td_ncallers[which] && k < 8)
        td_callers[which][td_ncallers[which]++] = me;
    pthread_cond_broadcast(&td_cv);
    if (wait && td_two) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        while (td_ncallers[which] < 2 && pthread_cond_timedwait(&td_cv, &td_mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&td_mu);
}

static void td_wide_fwd(const float *p, const float *x, long m, float *out, void *ws)
{
    (void)ws;
    td_note(1, m == 512);
    tm_forward(&tm_poison_def, p, x, m, out);
}

static double td_wide_lg(const float *p, const float *x, const float *y, long m, float *g,
                         void *ws)
{
    (void)ws;
    td_note(0, 1);
    return tm_loss_grad(&tm_poison_def, td_wide.n_params, p, x, y, m, g);
}

static void td_wide_upd(float *p, const float *g, float *st, const nnrt_optim *o, long t)
{
    tm_update(&tm_poison_def, td_wide.n_params, p, g, st, o, t);
}

static void td_wide_setup(double flops_train)
{
    td_wide = tm_poison;
    td_wide.forward = td_wide_fwd;
    td_wide.loss_grad = td_wide_lg;
    td_wide.update = td_wide_upd;
    td_wide.flops_train = flops_train;
    td_wide.flops_fwd = flops_train / 3.0;
    td_ncallers[0] = td_ncallers[1] = 0;
    td_two = 0;
}

/* What a run's --json line says of the trained weights: from "train_loss"
 * on (the time, the speed and the threads come before it). */
static void td_metrics(char *buf, size_t cap)
{
    const char *p = strstr(td_out, "\"train_loss\"");
    assert_non_null(p);
    snprintf(buf, cap, "%s", p);
}

static void test_threads_flag(void **state)
{
    (void)state;
    const char *tr = td_path("blob.csv");
    static const struct {
        const char *value, *err;
    } bad[] = {
        {"0", "t: --threads: '0' must be in [1, 256]\n"},
        {"-2", "t: --threads: '-2' must be in [1, 256]\n"},
        {"257", "t: --threads: '257' must be in [1, 256]\n"},
        {"99999999999999999999", "t: --threads: '99999999999999999999' must be in [1, 256]\n"},
        {"two", "t: --threads: 'two' is not a number\n"},
        {"1.5", "t: --threads: '1.5' is not a whole number\n"},
        {"", "t: --threads: '' is not a number\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(td_run(&tm_blob, "t", "--train", tr, "--threads", bad[i].value, NULL),
                         2);
        assert_string_equal(td_err, bad[i].err);
        assert_string_equal(td_out, "");
    }
    assert_int_equal(td_run(&tm_blob, "t", "--threads", NULL), 2);
    assert_string_equal(td_err, "t: --threads needs a value (N)\n");
    assert_int_equal(td_run(&tm_blob, "t", "--help", NULL), 0);
    assert_non_null(strstr(td_out, "  --threads N            threads for training and evaluation"));
    assert_int_equal(td_run(&tm_blob, "t", "--info", NULL), 0);
    assert_non_null(strstr(td_out, "\nthreads "));
    assert_non_null(strstr(td_out, "\nchunks: a step of "));
    /* a tiny model's steps stay whole, on the caller alone, whatever --threads says */
    td_wide_setup(3.0);
    assert_int_equal(td_run(&td_wide, "t", "--train", td_path("many.csv"), "--iterations", "5",
                            "--threads=3", "--json", NULL),
                     0);
    assert_non_null(strstr(td_out, "), 1 thread\n")); /* after the path and why */
    assert_non_null(strstr(td_out, "\"threads\":1,"));
    assert_int_equal(td_ncallers[0], 1);
    assert_int_equal(td_ncallers[1], 1);
}

/* The same weights, and the same losses and accuracies, on 1, 2 and 3
 * threads: full batch (3000 rows in 16 chunks), mini-batches of 30 (16
 * chunks) and of 7 (4 chunks, the last of each epoch 2 rows in 2), with
 * sgd, momentum and adam.  Two threads or more run loss_grad and forward
 * on more than one thread, and the chunks change the weights (against
 * the same run as one loss_grad per step). */
static void test_threads_same_weights(void **state)
{
    (void)state;
    const char *many = td_path("many.csv"), *blob = td_path("blob.csv");
    const struct {
        const char *train, *batch, *opt, *iters;
    } cases[] = {
        {many, "full", "sgd", "12"},
        {many, "30", "adam", "150"},
        {blob, "7", "momentum", "45"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char first[512] = "", metrics[512];
        for (int t = 0; t <= 3; t++) {
            /* t = 0: the same network without chunks (a tiny model's FLOPs) */
            char threads[8], want[32];
            snprintf(threads, sizeof threads, "%d", t ? t : 2);
            td_wide_setup(t ? 3e6 : 3.0);
            td_two = t > 1;
            const char *w = td_path(t == 0 ? "whole.w" : t == 1 ? "t1.w" : "tn.w");
            assert_int_equal(td_run(&td_wide, "t", "--train", cases[c].train, "--test", many,
                                    "--batch", cases[c].batch, "--optimizer", cases[c].opt,
                                    "--iterations", cases[c].iters, "--threads", threads,
                                    "--quiet", "--json", "--save", w, NULL),
                             0);
            assert_string_equal(td_err, "");
            snprintf(want, sizeof want, "), %d thread%s\n", t ? t : 1,
                     t > 1 ? "s" : "");
            assert_non_null(strstr(td_out, want));
            td_metrics(metrics, sizeof metrics);
            if (t == 1)
                snprintf(first, sizeof first, "%s", metrics);
            if (t > 1) {
                td_files_equal(td_path("t1.w"), w, 1);
                assert_string_equal(metrics, first);
                assert_true(td_ncallers[0] >= 2);
                assert_true(td_ncallers[1] >= 2);
            }
        }
        td_files_equal(td_path("t1.w"), td_path("whole.w"), 0);
    }
}

/* Divergence in chunks on threads: found at the step that made it, the
 * weights of the step before saved, as on one thread. */
/* Weights written in the spec (nnrt_model.literal): a model whose every
 * layer has them predicts with no --load, from those weights; a partial
 * set is refused for --predict alone, in one line; nnrt_init_params puts
 * them over the init rule's values (the others as without them), and
 * --init given replaces them. */
static void test_literal_weights(void **state)
{
    (void)state;
    nnrt_model m = tm_blob;
    nnrt_layer_info info[2];
    memcpy(info, tm_blob.layers, sizeof info);
    m.layers = info;
    float *lit = nnrt_alloc(m.n_params * sizeof(float));
    float *ref = nnrt_alloc(m.n_params * sizeof(float));
    float *p = nnrt_alloc(m.n_params * sizeof(float));
    assert_true(lit && ref && p);
    for (int l = 0; l < 2; l++) {
        const nnrt_layer_info *L = &info[l];
        for (long i = 0; i < (long)L->units * L->fan_in; i++)
            lit[L->w_offset + (size_t)i] = 0.25f * (float)(i + 1) * (l ? -1.0f : 1.0f);
        for (long j = 0; j < L->units; j++)
            lit[L->b_offset + (size_t)j] = 0.125f * (float)(j + 1);
    }
    m.literal = lit;
    const char *x = td_path("blob_x.csv");

    /* the second layer only: --predict alone has no weights for the first */
    info[1].literal = 1;
    assert_int_equal(td_run(&m, "t", "--predict", x, NULL), 2);
    assert_string_equal(td_err, "t: --predict needs weights: give --load FILE (or --train FILE to "
                                "train first); the spec writes the weights of only some layers\n");
    nnrt_init_params(&tm_blob, ref, NNRT_INIT_XAVIER, 3);
    nnrt_init_params(&m, p, NNRT_INIT_XAVIER, 3);
    for (size_t i = 0; i < m.n_params; i++) {
        int in2 = i >= info[1].w_offset; /* layer 2's W and b come after layer 1's */
        assert_true(p[i] == (in2 ? lit[i] : ref[i]));
    }

    /* every layer: --predict prints the outputs of the literal weights */
    info[0].literal = 1;
    assert_int_equal(td_run(&m, "t", "--predict", x, NULL), 0);
    float xs[8] = {0, 0, 0.9f, 0.9f, -0.1f, 0.2f, -0.95f, 0.8f}, out[4];
    char ws[64];
    m.forward(lit, xs, 4, out, ws);
    const char *q = td_out;
    for (int i = 0; i < 4; i++) {
        char *end;
        assert_true(strtof(q, &end) == out[i]);
        q = strchr(end, '\n') + 1;
    }
    /* training starts from them; --init replaces them */
    assert_int_equal(td_run(&m, "t", "--train", td_path("blob.csv"), "--epochs", "1", "--lr",
                            "1e-30", "--log", td_path("lit.csv"), "--quiet", NULL),
                     0);
    char a[2048], b[2048];
    td_slurp(td_path("lit.csv"), a, sizeof a);
    assert_int_equal(td_run(&m, "t", "--train", td_path("blob.csv"), "--epochs", "1", "--lr",
                            "1e-30", "--log", td_path("lit.csv"), "--quiet", "--init", "xavier",
                            NULL),
                     0);
    td_slurp(td_path("lit.csv"), b, sizeof b);
    char *la = strchr(a, '\n'), *lb = strchr(b, '\n'); /* the step-0 rows: their losses differ */
    assert_true(la && lb && strncmp(la, lb, (size_t)(strchr(la + 1, '\n') - la)) != 0);
    nnrt_free(lit), nnrt_free(ref), nnrt_free(p);
}

static void test_threads_divergence(void **state)
{
    (void)state;
    td_wide_setup(3e6);
    size_t pad = td_wide.n_params - 1;
    size_t b2 = td_wide.layers[1].b_offset; /* NaN: the next loss is NaN */
    td_poisoned_on(&td_wide, "2", 7, pad, NAN, "full", "momentum", "50");
    td_poisoned_on(&td_wide, "3", 301, b2, NAN, "7", "adam", "1000");
    td_poisoned_on(&td_wide, "1", 301, b2, NAN, "7", "adam", "1000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_hparam_bounds),
        cmocka_unit_test(test_output_paths),
        cmocka_unit_test(test_data_errors),
        cmocka_unit_test(test_train_blob),
        cmocka_unit_test(test_train_tri_and_lin),
        cmocka_unit_test(test_progress_and_log),
        cmocka_unit_test(test_plot_and_version),
        cmocka_unit_test(test_stdin_and_format),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_resume_equals_uninterrupted),
        cmocka_unit_test(test_predict),
        cmocka_unit_test(test_predict_features_only),
        cmocka_unit_test(test_divergence),
        cmocka_unit_test(test_divergence_hidden),
        cmocka_unit_test(test_load_nonfinite),
        cmocka_unit_test(test_quiet_evaluates_once),
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_nothing_to_train),
        cmocka_unit_test(test_label_col_range),
        cmocka_unit_test(test_output_is_input),
        cmocka_unit_test(test_outputs_in_place),
        cmocka_unit_test(test_threads_flag),
        cmocka_unit_test(test_threads_same_weights),
        cmocka_unit_test(test_threads_divergence),
        cmocka_unit_test(test_literal_weights),
    };
    return cmocka_run_group_tests(tests, td_setup, td_teardown);
}
