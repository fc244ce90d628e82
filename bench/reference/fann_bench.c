/*
 * fann_bench.c -- the FANN peer (libfann 2.2, float build): the tiny
 * networks trained per sample, and one epoch of the Fashion-MNIST MLP.
 *
 *   fann_bench xor|sex [--epochs N] [--lr R]
 *   fann_bench fashion [--epochs N] [--lr R] [--limit M] [--dir DIR]
 *
 * Prints the same RESULT line as the Python references (bench/run.sh reads
 * it).  FANN has its own data structure (struct fann_train_data); this
 * program fills it from built-in arrays (tiny nets) or from the IDX .gz
 * files (Fashion-MNIST), so no FANN-format data file is needed.
 *
 * What FANN can and cannot match (docs/bench.md):
 *   - tiny nets: the same layers and activations (FANN_SIGMOID with
 *     steepness 0.5 is the logistic sigmoid; FANN_SIGMOID_SYMMETRIC with
 *     steepness 1 is tanh), per-sample SGD via fann_train (incremental
 *     training), MSE error (FANN has no cross-entropy);
 *   - Fashion-MNIST: FANN 2.2 has neither ReLU, softmax, cross-entropy nor
 *     Adam nor mini-batches, so its closest honest setting is used: tanh
 *     hidden layers, sigmoid outputs, MSE, incremental (per-sample) SGD --
 *     one pass over the 60000 images, as many multiply-adds per sample as
 *     nngen's forward+backward.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <floatfann.h>
#include <zlib.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Tiny nets                                                            */
/* ------------------------------------------------------------------ */

typedef struct tiny_net {
    const char *name;
    unsigned layers[3];
    enum fann_activationfunc_enum hidden;
    fann_type hidden_steepness;
    float lr;
    long epochs;
    float x[4][2], y[4];
} tiny_net;

/* Layer sizes, activations, learning rate and epochs of models/xor.spec and
 * models/sex.spec as the tiny-net benchmark trains them (per-sample SGD;
 * refdata.TINY_OVERRIDES); the data as in bench/reference/refdata.py. */
static const tiny_net tiny_nets[] = {
    {"xor", {2, 4, 1}, FANN_SIGMOID_SYMMETRIC, 1.0f, 0.1f, 2000,
     {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, {0, 1, 1, 0}},
    {"sex", {2, 2, 1}, FANN_SIGMOID, 0.5f, 0.1f, 1000,
     {{-2, -1}, {25, 6}, {17, 4}, {-15, -6}}, {1, 0, 0, 1}},
};

static int run_tiny(const tiny_net *t, long epochs, float lr)
{
    struct fann *ann = fann_create_standard_array(3, t->layers);
    if (!ann) {
        fprintf(stderr, "fann_bench: fann_create_standard failed\n");
        return 1;
    }
    fann_set_activation_function_hidden(ann, t->hidden);
    fann_set_activation_steepness_hidden(ann, t->hidden_steepness);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_output(ann, 0.5f);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, lr);
    fann_set_learning_momentum(ann, 0.0f);
    fann_randomize_weights(ann, -0.5f, 0.5f);

    double t0 = now();
    for (long e = 0; e < epochs; e++) {
        for (int i = 0; i < 4; i++) {
            fann_type x[2] = {t->x[i][0], t->x[i][1]};
            fann_type y[1] = {t->y[i]};
            fann_train(ann, x, y);
        }
    }
    double secs = now() - t0;

    int right = 0;
    double se = 0.0;
    for (int i = 0; i < 4; i++) {
        fann_type x[2] = {t->x[i][0], t->x[i][1]};
        fann_type *out = fann_run(ann, x);
        right += (out[0] > 0.5f) == (t->y[i] > 0.5f);
        se += (double)((out[0] - t->y[i]) * (out[0] - t->y[i]));
    }
    printf("RESULT model=%s impl=fann train_acc=%.4f test_acc=nan loss=%.6f train_seconds=%.6f "
           "epochs=%ld us_per_sample=%.3f\n",
           t->name, right / 4.0, se / 4.0, secs, epochs, 1e6 * secs / (double)(epochs * 4));
    fann_destroy(ann);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Fashion-MNIST                                                        */
/* ------------------------------------------------------------------ */

/* Reads a gzip'd unsigned-byte IDX file; returns the bytes after the header
 * (caller frees) and the item count, or NULL with a message. */
static unsigned char *read_idx(const char *path, int want_dims, long *count, long *item)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fann_bench: %s: cannot open\n", path);
        return NULL;
    }
    unsigned char hdr[16];
    int hb = 4 + 4 * want_dims;
    if (gzread(f, hdr, (unsigned)hb) != hb || hdr[0] || hdr[1] || hdr[2] != 8 ||
        hdr[3] != want_dims) {
        fprintf(stderr, "fann_bench: %s: not a %d-d unsigned-byte IDX file\n", path, want_dims);
        gzclose(f);
        return NULL;
    }
    long dims[3] = {1, 1, 1};
    for (int d = 0; d < want_dims; d++)
        dims[d] = (long)hdr[4 + 4 * d] << 24 | (long)hdr[5 + 4 * d] << 16 |
                  (long)hdr[6 + 4 * d] << 8 | (long)hdr[7 + 4 * d];
    *count = dims[0];
    *item = dims[1] * dims[2];
    size_t bytes = (size_t)(*count * *item);
    unsigned char *buf = malloc(bytes);
    if (!buf || gzread(f, buf, (unsigned)bytes) != (int)bytes) {
        fprintf(stderr, "fann_bench: %s: short file\n", path);
        free(buf);
        gzclose(f);
        return NULL;
    }
    gzclose(f);
    return buf;
}

/* The images and labels as FANN training data (inputs / 255, one-hot
 * targets); limit > 0 keeps the first `limit` samples. */
static struct fann_train_data *load_fashion(const char *dir, const char *split, long limit)
{
    char ipath[1024], lpath[1024];
    snprintf(ipath, sizeof ipath, "%s/%s-images-idx3-ubyte.gz", dir, split);
    snprintf(lpath, sizeof lpath, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    long n, item, nl, one;
    unsigned char *img = read_idx(ipath, 3, &n, &item);
    unsigned char *lab = img ? read_idx(lpath, 1, &nl, &one) : NULL;
    if (!lab || nl != n) {
        if (lab)
            fprintf(stderr, "fann_bench: %s: %ld labels for %ld images\n", lpath, nl, n);
        free(img);
        free(lab);
        return NULL;
    }
    if (limit > 0 && limit < n)
        n = limit;
    struct fann_train_data *d = fann_create_train((unsigned)n, (unsigned)item, 10);
    if (d) {
        for (long i = 0; i < n; i++) {
            for (long j = 0; j < item; j++)
                d->input[i][j] = (fann_type)img[i * item + j] / 255.0f;
            for (int k = 0; k < 10; k++)
                d->output[i][k] = k == lab[i] ? 1.0f : 0.0f;
        }
    }
    free(img);
    free(lab);
    return d;
}

static double fashion_accuracy(struct fann *ann, struct fann_train_data *d)
{
    long right = 0;
    for (unsigned i = 0; i < d->num_data; i++) {
        fann_type *out = fann_run(ann, d->input[i]);
        int best = 0;
        for (int k = 1; k < 10; k++)
            if (out[k] > out[best])
                best = k;
        right += d->output[i][best] > 0.5f;
    }
    return (double)right / d->num_data;
}

static int run_fashion(const char *dir, long epochs, float lr, long limit)
{
    struct fann_train_data *train = load_fashion(dir, "train", limit);
    struct fann_train_data *test = train ? load_fashion(dir, "t10k", 0) : NULL;
    if (!test) {
        if (train)
            fann_destroy_train(train);
        return 1;
    }
    struct fann *ann = fann_create_standard(4, 784, 256, 128, 10);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID_SYMMETRIC);
    fann_set_activation_steepness_hidden(ann, 1.0f); /* tanh */
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_output(ann, 0.5f); /* logistic */
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, lr);
    fann_set_learning_momentum(ann, 0.0f);
    fann_randomize_weights(ann, -0.05f, 0.05f);

    double t0 = now();
    float mse = 0.0f;
    for (long e = 0; e < epochs; e++) {
        fann_shuffle_train_data(train);
        mse = fann_train_epoch(ann, train); /* one fann_train per sample */
    }
    double secs = now() - t0;
    printf("RESULT model=fashion impl=fann train_acc=%.4f test_acc=%.4f loss=%.6f "
           "train_seconds=%.6f epochs=%ld loss_kind=mse\n",
           fashion_accuracy(ann, train), fashion_accuracy(ann, test), (double)mse, secs, epochs);
    fann_destroy(ann);
    fann_destroy_train(train);
    fann_destroy_train(test);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: fann_bench xor|sex|fashion [--epochs N] [--lr R] [--limit M] "
                    "[--dir FASHION_DIR]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *which = argv[1];
    long epochs = 0, limit = 0;
    float lr = 0.0f;
    const char *dir = "/usr/share/datasets/fashion-mnist";
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--epochs") == 0)
            epochs = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--lr") == 0)
            lr = strtof(argv[++i], NULL);
        else if (strcmp(argv[i], "--limit") == 0)
            limit = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[++i];
        else
            return usage();
    }
    srand(1); /* FANN draws its initial weights from rand() */
    if (strcmp(which, "fashion") == 0)
        return run_fashion(dir, epochs > 0 ? epochs : 1, lr > 0.0f ? lr : 0.01f, limit);
    for (size_t k = 0; k < sizeof tiny_nets / sizeof tiny_nets[0]; k++)
        if (strcmp(which, tiny_nets[k].name) == 0)
            return run_tiny(&tiny_nets[k], epochs > 0 ? epochs : tiny_nets[k].epochs,
                            lr > 0.0f ? lr : tiny_nets[k].lr);
    return usage();
}
