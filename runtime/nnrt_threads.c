/*
 * nnrt_threads.c -- the trainer's threads: how a step's rows are cut into
 * chunks, loss_grad over the chunks with a fixed reduction, jobs of tasks
 * for the evaluation, and the small pool of POSIX threads that runs them.
 * The user's guide is docs/trainer.md, Threads.
 *
 * The same bits with any number of threads:
 *  - a step of n rows runs as K chunks, K from the model and n alone
 *    (nnrt_threads_chunks), never from the threads; K == 1 is the plain
 *    m->loss_grad over the n rows, as without threads;
 *  - chunk k's gradient goes into buffer k (chunk 0 into the trainer's),
 *    whichever thread computes it; its loss into slot k;
 *  - the buffers are summed per parameter in one fixed pairwise order
 *    (tp_reduce), the losses in chunk order;
 *  - with one thread the same chunks run one after the other.
 *
 * Why POSIX threads and not OpenMP: the pool is a hundred lines; a user's
 * `cc net.c $(pkg-config --cflags --libs nnrt)` needs no -fopenmp, and
 * clang no libomp-dev; ThreadSanitizer understands pthreads and C11
 * atomics (libgomp is not instrumented and draws false reports); the
 * workers block the signals the trainer handles, so SIGINT always reaches
 * the thread that stops the loop.
 *
 * The pool (started on the first job that is worth it, never for the
 * tiny models): a job is a function and a number of tasks.  The caller
 * publishes it (a generation counter), every thread -- the caller too --
 * claims tasks from an atomic counter until none is left, and the caller
 * waits until every worker has reported.  Waiting spins for TP_PAUSE_SECS,
 * then yields the CPU in a loop up to TP_SPIN_SECS (longer than the serial
 * part of a step -- the update, the loss check -- on the models that
 * split; a worker asleep costs tens of microseconds to wake), then sleeps
 * on a condition variable.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nnrt_train_internal.h"

/* The partition (nnrt_threads_chunks).  A step of W FLOPs (rows times
 * flops_train) in K chunks takes, on K threads, W/K of work plus what every
 * chunk costs beyond its share of W: its own pass over the parameters (the
 * gradient loss_grad clears and fills, the weights read again, its part
 * of the reduction), about C = TR_PAR_PARAM_FLOPS FLOPs' worth per
 * parameter P (measured on cat: each chunk past the first costs ~0.6 ns
 * per parameter at ~100 GFLOP/s).  W/K + K C P is least at
 * K = sqrt(W / (C P)); K is the largest power of two not above that (more
 * chunks than threads cost every run, fewer cost only machines with more
 * CPUs than chunks), at most TR_PAR_MAX_CHUNKS and n, with at least
 * TR_PAR_CHUNK_FLOPS per chunk (2 MFLOP: about 20 us of one core, some
 * twenty times what handing it to a waiting worker costs). */
#define TR_PAR_CHUNK_FLOPS 2e6
#define TR_PAR_PARAM_FLOPS 64.0
#define TR_PAR_MAX_CHUNKS 16 /* a power of two: 1, 2, 4, ... chunks */

#define TP_RED_RANGE 16384L /* floats per task of the reduction */
#define TP_RED_BLOCK 1024L  /* floats summed through the whole tree at a time */
#define TP_UPD_RANGE TP_RED_RANGE /* parameters per task of the update (a multiple of
                                     16): the reduction's, which its tasks run first */
#define TP_PAUSE_SECS 2e-5  /* wait this long spinning, */
#define TP_SPIN_SECS 2e-4   /* this long yielding the CPU, then sleep */

typedef struct tp_worker {
    struct tr_par *p;
    int index; /* 1 .. threads-1; the caller is 0 */
} tp_worker;

struct tr_par {
    const nnrt_model *m;
    int threads; /* wanted, the caller included */
    int started; /* running, the caller included; 0 = not started yet */
    void **ws;   /* threads workspaces; ws[0] is the trainer's */

    /* the pool */
    pthread_t *tid;
    tp_worker *wk;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    atomic_ulong gen; /* job number */
    atomic_long next; /* the next task to claim */
    atomic_int busy;  /* workers not done with the current job */
    atomic_int quit;
    tr_task_fn fn;
    void *arg;
    long ntasks;

    /* the step being run (nnrt_threads_loss_grad) */
    nnrt_real *g[TR_PAR_MAX_CHUNKS]; /* chunk gradients; g[0] is the caller's grad */
    long kcap;                   /* buffers g[1..kcap) allocated */
    double loss[TR_PAR_MAX_CHUNKS];
    nnrt_real w[TR_PAR_MAX_CHUNKS];  /* rows of chunk k / n */
    const nnrt_real *params, *x, *y;
    const long *ix;
    nnrt_real *xb, *yb;
    long n, K;

    /* the update being run (nnrt_threads_update) */
    nnrt_real *up_params, *up_state;
    const nnrt_real *up_grad;
    const nnrt_optim *up_opt;
    long up_t;
    int up_reduce; /* each task sums its range of the chunks' gradients first */
};

/* ------------------------------------------------------------------ */
/* How many threads, how many chunks                                    */
/* ------------------------------------------------------------------ */

int nnrt_threads_available(void)
{
    long n = 0;
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
#endif
    if (n < 1)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > TR_MAX_THREADS ? TR_MAX_THREADS : (int)n;
}

long nnrt_threads_chunks(const nnrt_model *m, long n)
{
    double work = (double)n * m->flops_train;
    double cp = TR_PAR_PARAM_FLOPS * (double)m->n_params;
    long k = 1;
    while (2 * k <= TR_PAR_MAX_CHUNKS && 2 * k <= n &&
           work >= (double)(2 * k) * TR_PAR_CHUNK_FLOPS && work >= (double)(4 * k * k) * cp)
        k *= 2;
    return k;
}

long nnrt_threads_split_rows(const nnrt_model *m)
{
    double need = 4.0 * TR_PAR_PARAM_FLOPS * (double)m->n_params; /* two chunks */
    if (need < 2.0 * TR_PAR_CHUNK_FLOPS)
        need = 2.0 * TR_PAR_CHUNK_FLOPS;
    if (!(m->flops_train > 0.0) || need / m->flops_train >= (double)LONG_MAX / 2)
        return LONG_MAX;
    long n = (long)ceil(need / m->flops_train);
    while (n > 2 && nnrt_threads_chunks(m, n - 1) > 1) /* rounding */
        n--;
    while (nnrt_threads_chunks(m, n) < 2)
        n++;
    return n;
}

int nnrt_threads_for(const tr_par *p, long n)
{
    long k = nnrt_threads_chunks(p->m, n);
    int t = p->started > 0 ? p->started : p->threads;
    return k < t ? (int)k : t;
}

/* ------------------------------------------------------------------ */
/* The pool                                                             */
/* ------------------------------------------------------------------ */

static double tp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void tp_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Wait until done(p, v), spinning: TP_PAUSE_SECS with the CPU's pause,
 * then up to TP_SPIN_SECS yielding the CPU to whatever else wants it;
 * 1 if done, 0 if the caller should sleep instead. */
static int tp_spin(struct tr_par *p, int (*done)(struct tr_par *, unsigned long), unsigned long v)
{
    double t0 = 0.0, now = 0.0;
    for (unsigned i = 1;; i++) {
        if (done(p, v))
            return 1;
        if ((i & 63u) == 0) {
            now = tp_now();
            if (t0 == 0.0)
                t0 = now;
            else if (now - t0 > TP_SPIN_SECS)
                return 0;
        }
        if (t0 != 0.0 && now - t0 > TP_PAUSE_SECS)
            sched_yield();
        else
            tp_relax();
    }
}

static int tp_new_job(struct tr_par *p, unsigned long seen)
{
    return atomic_load_explicit(&p->gen, memory_order_acquire) != seen;
}

static int tp_all_done(struct tr_par *p, unsigned long unused)
{
    (void)unused;
    return atomic_load_explicit(&p->busy, memory_order_acquire) == 0;
}

/* Claim and run tasks of the current job until none is left. */
static void tp_tasks(struct tr_par *p, int me)
{
    for (;;) {
        long t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->ntasks)
            return;
        p->fn(p->arg, t, me);
    }
}

static void *tp_worker_main(void *arg)
{
    tp_worker *w = arg;
    struct tr_par *p = w->p;
    unsigned long seen = 0;
    for (;;) {
        if (!tp_spin(p, tp_new_job, seen)) {
            pthread_mutex_lock(&p->mu);
            while (!tp_new_job(p, seen))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        seen = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (atomic_load_explicit(&p->quit, memory_order_relaxed))
            return NULL;
        tp_tasks(p, w->index);
        if (atomic_fetch_sub_explicit(&p->busy, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->idle);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

/* Start the workers (once): the threads running afterwards, the caller
 * included; 1 if none could be started (one line says so). */
static int tp_start(struct tr_par *p)
{
    if (p->started > 0)
        return p->started;
    p->started = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->idle, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->next, 0);
    atomic_init(&p->busy, 0);
    atomic_init(&p->quit, 0);
    int want = p->threads;
    p->tid = calloc((size_t)want, sizeof *p->tid);
    p->wk = calloc((size_t)want, sizeof *p->wk);
    if (!p->tid || !p->wk) {
        nnrt_train_msg("out of memory (threads): running on one thread");
        return 1;
    }
    for (int t = 1; t < want; t++) {
        p->ws[t] = nnrt_alloc(p->m->ws_bytes);
        if (!p->ws[t]) {
            nnrt_train_msg("out of memory (workspace of thread %d): running on %d", t + 1, t);
            want = t;
            break;
        }
    }
    /* the workers block every signal: SIGINT and SIGTERM reach the caller */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int t = 1;
    for (; t < want; t++) {
        p->wk[t] = (tp_worker){p, t};
        int rc = pthread_create(&p->tid[t], NULL, tp_worker_main, &p->wk[t]);
        if (rc) {
            nnrt_train_msg("could not start thread %d of %d (%s): running on %d", t + 1, want,
                           strerror(rc), t);
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    p->started = t;
    return t;
}

/* The job (fn, arg, ntasks) on every started thread; returns when all
 * its tasks are done. */
static void tp_job(struct tr_par *p, tr_task_fn fn, void *arg, long ntasks)
{
    p->fn = fn;
    p->arg = arg;
    p->ntasks = ntasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->busy, p->started - 1, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    tp_tasks(p, 0);
    if (!tp_spin(p, tp_all_done, 0)) {
        pthread_mutex_lock(&p->mu);
        while (!tp_all_done(p, 0))
            pthread_cond_wait(&p->idle, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Tasks 0..ntasks-1 of fn: on the threads if `parallel`, else in order on
 * the caller. */
static void tp_run(struct tr_par *p, tr_task_fn fn, void *arg, long ntasks, int parallel)
{
    if (parallel && ntasks > 1 && p->threads > 1 && tp_start(p) > 1) {
        tp_job(p, fn, arg, ntasks);
        return;
    }
    for (long t = 0; t < ntasks; t++)
        fn(arg, t, 0);
}

void nnrt_threads_run(tr_par *p, tr_task_fn fn, void *arg, long ntasks, double flops)
{
    tp_run(p, fn, arg, ntasks, flops >= 2.0 * TR_PAR_CHUNK_FLOPS);
}

void *nnrt_threads_ws(const tr_par *p, int thread)
{
    return p->ws[thread];
}

/* ------------------------------------------------------------------ */
/* A task in the background (loading the test set beside the training set) */
/* ------------------------------------------------------------------ */

struct tr_bg {
    pthread_t tid;
    void (*fn)(void *);
    void *arg;
};

static void *tp_bg_main(void *arg)
{
    struct tr_bg *bg = arg;
    bg->fn(bg->arg);
    return NULL;
}

tr_bg *nnrt_threads_spawn(void (*fn)(void *), void *arg)
{
    struct tr_bg *bg = malloc(sizeof *bg);
    if (bg) {
        *bg = (struct tr_bg){.fn = fn, .arg = arg};
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        int rc = pthread_create(&bg->tid, NULL, tp_bg_main, bg);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc == 0)
            return bg;
        free(bg);
    }
    fn(arg);
    return NULL;
}

void nnrt_threads_join(tr_bg *bg)
{
    if (!bg)
        return;
    pthread_join(bg->tid, NULL);
    free(bg);
}

/* ------------------------------------------------------------------ */
/* Setting up, taking down                                              */
/* ------------------------------------------------------------------ */

tr_par *nnrt_threads_new(const nnrt_model *m, int threads, void *ws0)
{
    tr_par *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->m = m;
    p->threads = threads < 1 ? 1 : threads > TR_MAX_THREADS ? TR_MAX_THREADS : threads;
    p->ws = calloc((size_t)p->threads, sizeof *p->ws);
    if (!p->ws) {
        free(p);
        return NULL;
    }
    p->ws[0] = ws0;
    p->kcap = 1;
    return p;
}

int nnrt_threads_reserve(tr_par *p, long rows)
{
    long k = nnrt_threads_chunks(p->m, rows);
    for (; p->kcap < k; p->kcap++) {
        p->g[p->kcap] = nnrt_alloc(p->m->n_params * sizeof(nnrt_real));
        if (!p->g[p->kcap])
            return -1;
    }
    return 0;
}

void nnrt_threads_free(tr_par *p)
{
    if (!p)
        return;
    if (p->started > 1) {
        pthread_mutex_lock(&p->mu);
        atomic_store_explicit(&p->quit, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
        for (int t = 1; t < p->started; t++)
            pthread_join(p->tid[t], NULL);
    }
    if (p->started > 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->wake);
        pthread_cond_destroy(&p->idle);
    }
    for (int t = 1; t < p->threads; t++)
        nnrt_free(p->ws[t]);
    for (long k = 1; k < p->kcap; k++)
        nnrt_free(p->g[k]);
    free(p->ws);
    free(p->tid);
    free(p->wk);
    free(p);
}

/* ------------------------------------------------------------------ */
/* A step in chunks                                                     */
/* ------------------------------------------------------------------ */

/* Chunk k of K over n rows: the first n % K chunks one row longer. */
static void tp_chunk_rows(long n, long K, long k, long *r0, long *rows)
{
    long q = n / K, r = n % K;
    *r0 = k * q + (k < r ? k : r);
    *rows = q + (k < r);
}

/* Task k: loss_grad over chunk k (its rows gathered first for a shuffled
 * batch), into buffer k. */
static void tp_chunk(void *arg, long k, int thread)
{
    struct tr_par *p = arg;
    const nnrt_model *m = p->m;
    size_t ni = (size_t)m->n_in, no = (size_t)m->n_out;
    long r0, rows;
    tp_chunk_rows(p->n, p->K, k, &r0, &rows);
    const nnrt_real *x = p->x + (size_t)r0 * ni, *y = p->y + (size_t)r0 * no;
    if (p->ix) {
        nnrt_real *xb = p->xb + (size_t)r0 * ni, *yb = p->yb + (size_t)r0 * no;
        for (long i = 0; i < rows; i++) {
            size_t s = (size_t)p->ix[r0 + i];
            memcpy(xb + (size_t)i * ni, p->x + s * ni, ni * sizeof(nnrt_real));
            memcpy(yb + (size_t)i * no, p->y + s * no, no * sizeof(nnrt_real));
        }
        x = xb;
        y = yb;
    }
    p->loss[k] = m->loss_grad(p->params, x, y, rows, p->g[k], p->ws[thread]);
}

/* u = wu u + wv v, and u += v, over n floats: 16 at a time (a fixed inner
 * count, which GCC's -O2 vectorizes), then the rest.  Each element is
 * computed alike either way (contraction is off: no fused multiply-add). */
static void tp_axpby(nnrt_real *restrict u, const nnrt_real *restrict v, nnrt_real wu, nnrt_real wv, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (size_t l = 0; l < 16; l++)
            u[i + l] = wu * u[i + l] + wv * v[i + l];
    for (; i < n; i++)
        u[i] = wu * u[i] + wv * v[i];
}

static void tp_add(nnrt_real *restrict u, const nnrt_real *restrict v, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (size_t l = 0; l < 16; l++)
            u[i + l] += v[i + l];
    for (; i < n; i++)
        u[i] += v[i];
}

/* Task t: parameters [t*TP_RED_RANGE, ...) of g[0] = sum over k of
 * w[k] g[k], always in the same order whichever thread runs it: the pairs
 * (0,1), (2,3), ... weighted, then g[0] += g[2], g[4] += g[6], ..., then
 * g[0] += g[4], ... (K is a power of two). */
static void tp_reduce(void *arg, long t, int thread)
{
    (void)thread;
    struct tr_par *p = arg;
    long K = p->K;
    size_t np = p->m->n_params;
    size_t a = (size_t)t * (size_t)TP_RED_RANGE;
    size_t b = a + (size_t)TP_RED_RANGE < np ? a + (size_t)TP_RED_RANGE : np;
    for (size_t i0 = a; i0 < b; i0 += (size_t)TP_RED_BLOCK) {
        size_t i1 = i0 + (size_t)TP_RED_BLOCK < b ? i0 + (size_t)TP_RED_BLOCK : b;
        size_t len = i1 - i0;
        for (long k = 0; k < K; k += 2)
            tp_axpby(p->g[k] + i0, p->g[k + 1] + i0, p->w[k], p->w[k + 1], len);
        for (long s = 2; s < K; s *= 2)
            for (long k = 0; k < K; k += 2 * s)
                tp_add(p->g[k] + i0, p->g[k + s] + i0, len);
    }
}

double nnrt_threads_loss_grad(tr_par *p, const nnrt_real *params, const nnrt_real *x, const nnrt_real *y,
                              const long *ix, long n, nnrt_real *xb, nnrt_real *yb, nnrt_real *grad)
{
    const nnrt_model *m = p->m;
    long K = nnrt_threads_chunks(m, n);
    if (K > p->kcap)
        K = p->kcap; /* nnrt_threads_reserve was not told of rows this long */
    p->params = params;
    p->x = x;
    p->y = y;
    p->ix = ix;
    p->xb = xb;
    p->yb = yb;
    p->n = n;
    p->K = K;
    p->g[0] = grad;
    if (K == 1) {
        tp_chunk(p, 0, 0);
        return p->loss[0];
    }
    tp_run(p, tp_chunk, p, K, 1);
    double loss = 0.0;
    for (long k = 0; k < K; k++) {
        long r0, rows;
        tp_chunk_rows(n, K, k, &r0, &rows);
        p->w[k] = (nnrt_real)((double)rows / (double)n);
        loss += p->loss[k] * (double)rows;
    }
    return loss / (double)n;
}

/* ------------------------------------------------------------------ */
/* The update in ranges                                                 */
/* ------------------------------------------------------------------ */

/* Task t: the update of parameters [t*TP_UPD_RANGE, ...), their gradient
 * summed first when the step left that to the update (the same range: it
 * is still in this core's cache, and the step needs no job of its own). */
static void tp_update(void *arg, long t, int thread)
{
    struct tr_par *p = arg;
    long np = (long)p->m->n_params, a = t * TP_UPD_RANGE;
    long b = a + TP_UPD_RANGE < np ? a + TP_UPD_RANGE : np;
    if (p->up_reduce)
        tp_reduce(p, t, thread);
    p->m->update_range(p->up_params, p->up_grad, p->up_state, p->up_opt, p->up_t, a, b);
}

void nnrt_threads_update(tr_par *p, nnrt_real *params, const nnrt_real *grad, nnrt_real *state,
                         const nnrt_optim *opt, long t, int chunked)
{
    const nnrt_model *m = p->m;
    long tasks = (long)((m->n_params + (size_t)TP_UPD_RANGE - 1) / (size_t)TP_UPD_RANGE);
    int reduce = chunked && p->K > 1;
    if (tasks < 2 || p->threads < 2 || !m->update_range) {
        if (reduce)
            tp_run(p, tp_reduce, p, tasks, p->threads > 1);
        m->update(params, grad, state, opt, t);
        return;
    }
    p->up_params = params;
    p->up_grad = grad;
    p->up_state = state;
    p->up_opt = opt;
    p->up_t = t;
    p->up_reduce = reduce;
    tp_run(p, tp_update, p, tasks, 1);
}
