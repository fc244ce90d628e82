// bench_micro.cc -- Google Benchmark harness over nngen's generated C and
// libnnrt (docs/bench.md).
//
//   layer_<n_in>x<units>/<variant>/{fwd,train}/<batch>
//       one dense layer (identity, mse): model->forward, and model->loss_grad
//       (forward + backward) on a batch of 1, 64 or 209 samples;
//   math/<fn>/<impl>/<n>
//       nnrt_scalar_* vs nnrt_avx2_* vs a plain libm loop, in place over n
//       floats (the input is copied back before each call, in all three);
//   step/<model>/<variant>
//       one whole training step, loss_grad + update, of models/{cat,xor,sex,
//       fashion}.spec as the whole-program comparison trains them (cat: 209,
//       full batch, SGD; xor and sex: 1, per-sample SGD; fashion: 64, Adam);
//   fused/<model>/<variant>
//       xor's and sex's per-sample SGD through the fused step, the model's
//       train_samples over 1024 samples a call (the trainer's run), 4 rows
//       in turn: items are updates, to compare with step/<model>/<variant>.
//
// variant: avx512 (nngen --isa avx512, -mavx512f -mavx2 -mfma; registered
// only on a CPU with AVX-512F), avx2 (--isa avx2, -mavx2 -mfma; only with
// AVX2+FMA), scalar (plain loops, the C compiler may vectorise them with
// SSE2), novec (plain loops built with -fno-tree-vectorize).
//
// Counters: items_per_second = samples (or floats) per second; GFLOPs = the
// model's flop count (model->flops_fwd / flops_train per sample) per second,
// in 1e9/s; peak_frac = that over this machine's one-core FMA peak of the
// row's vectors -- AVX-512 for avx512 rows (NNGEN_PEAK_AVX512_GFLOPS), AVX2
// for the others (NNGEN_PEAK_GFLOPS) -- when given (bench/run.sh passes
// peak's figures).  layer_12288x20/avx512/train/209 is layer 1 of cat
// (12288 x 20, 209 rows): forward + dW.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nnrt.h"

struct bench_model_row {
    const char *base;    // layer_784x128, cat, xor, sex, fashion
    const char *variant; // avx512, avx2, scalar, novec
    const nnrt_model *m;
};

// The generated models' descriptors (extern "C") and the table of them.
#include "bench_models.inc"

namespace {

double peak_gflops = 0.0;        // AVX2, from NNGEN_PEAK_GFLOPS; 0 = unknown
double peak_avx512_gflops = 0.0; // from NNGEN_PEAK_AVX512_GFLOPS

// The peak a row is measured against: its own vectors'.
double peak_of(const nnrt_model *m)
{
    return std::strcmp(m->isa, "avx512") == 0 ? peak_avx512_gflops : peak_gflops;
}

// 64-byte aligned floats from nnrt_alloc, freed on scope exit.
struct buf {
    float *p;
    explicit buf(size_t n) : p(static_cast<float *>(nnrt_alloc((n ? n : 1) * sizeof(float))))
    {
        if (!p) {
            std::fprintf(stderr, "bench_micro: out of memory (%zu floats)\n", n);
            std::exit(1);
        }
    }
    ~buf() { nnrt_free(p); }
    buf(const buf &) = delete;
    buf &operator=(const buf &) = delete;
};

// Inputs in [0, 1); targets that fit the loss (0/1, one-hot, or values).
void fill_batch(const nnrt_model *m, long batch, float *x, float *y)
{
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (long i = 0; i < batch * m->n_in; i++)
        x[i] = u(rng);
    for (long i = 0; i < batch; i++) {
        for (int j = 0; j < m->n_out; j++) {
            float *t = &y[i * m->n_out + j];
            if (m->loss == NNRT_LOSS_CCE)
                *t = j == static_cast<int>(i % m->n_out) ? 1.0f : 0.0f;
            else if (m->loss == NNRT_LOSS_BCE)
                *t = (i + j) % 2 ? 1.0f : 0.0f;
            else
                *t = u(rng);
        }
    }
}

void set_flop_counters(benchmark::State &st, const nnrt_model *m, double flops_per_iter,
                       long items_per_iter)
{
    st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * items_per_iter);
    st.counters["GFLOPs"] =
        benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    double peak = peak_of(m);
    if (peak > 0.0)
        st.counters["peak_frac"] = benchmark::Counter(
            flops_per_iter * 1e-9 / peak, benchmark::Counter::kIsIterationInvariantRate);
}

nnrt_init init_of(const nnrt_model *m)
{
    // zeros would make every relu unit dead; timing wants ordinary values
    return m->defaults.init == NNRT_INIT_ZEROS ? NNRT_INIT_XAVIER : m->defaults.init;
}

void bm_forward(benchmark::State &st, const nnrt_model *m, long batch)
{
    buf params(m->n_params), x(static_cast<size_t>(batch * m->n_in)),
        y(static_cast<size_t>(batch * m->n_out)), out(static_cast<size_t>(batch * m->n_out));
    void *ws = nnrt_alloc(m->ws_bytes ? m->ws_bytes : 64);
    nnrt_init_params(m, params.p, init_of(m), 1);
    fill_batch(m, batch, x.p, y.p);
    for (auto _ : st) {
        m->forward(params.p, x.p, batch, out.p, ws);
        benchmark::DoNotOptimize(out.p);
        benchmark::ClobberMemory();
    }
    set_flop_counters(st, m, m->flops_fwd * static_cast<double>(batch), batch);
    nnrt_free(ws);
}

void bm_loss_grad(benchmark::State &st, const nnrt_model *m, long batch)
{
    buf params(m->n_params), grad(m->n_params), x(static_cast<size_t>(batch * m->n_in)),
        y(static_cast<size_t>(batch * m->n_out));
    void *ws = nnrt_alloc(m->ws_bytes ? m->ws_bytes : 64);
    nnrt_init_params(m, params.p, init_of(m), 1);
    fill_batch(m, batch, x.p, y.p);
    for (auto _ : st) {
        double loss = m->loss_grad(params.p, x.p, y.p, batch, grad.p, ws);
        benchmark::DoNotOptimize(loss);
        benchmark::ClobberMemory();
    }
    set_flop_counters(st, m, m->flops_train * static_cast<double>(batch), batch);
    nnrt_free(ws);
}

// The step benchmarks' settings: the batch and optimizer the whole-program
// comparison uses (whole.py): cat full batch (209 images) with the spec's SGD;
// xor per-sample SGD (lr 0.1; its spec trains full batch with Adam, the
// benchmark compares per-sample training); sex per-sample SGD lr 0.1 (as its
// spec); fashion batch 64 with its Adam.
struct step_setting {
    const char *base;
    long batch;
    int per_sample_sgd;
};
const step_setting step_settings[] = {
    {"cat", 209, 0}, {"xor", 1, 1}, {"sex", 1, 1}, {"fashion", 64, 0}};

// One training step as the driver does it: loss_grad, then update.
void bm_step(benchmark::State &st, const nnrt_model *m, const step_setting *s)
{
    long batch = s->batch;
    nnrt_opt_kind kind = s->per_sample_sgd ? NNRT_OPT_SGD : m->defaults.optimizer;
    size_t sf = nnrt_state_floats(m, kind);
    buf params(m->n_params), grad(m->n_params), state(sf), x(static_cast<size_t>(batch * m->n_in)),
        y(static_cast<size_t>(batch * m->n_out));
    void *ws = nnrt_alloc(m->ws_bytes ? m->ws_bytes : 64);
    nnrt_init_params(m, params.p, init_of(m), 1);
    fill_batch(m, batch, x.p, y.p);
    nnrt_optim opt;
    opt.kind = kind;
    opt.lr = s->per_sample_sgd ? 0.1f : m->defaults.lr;
    opt.beta1 = m->defaults.beta1;
    opt.beta2 = m->defaults.beta2;
    opt.eps = m->defaults.eps;
    long t = 0;
    for (auto _ : st) {
        double loss = m->loss_grad(params.p, x.p, y.p, batch, grad.p, ws);
        m->update(params.p, grad.p, state.p, &opt, ++t);
        benchmark::DoNotOptimize(loss);
        benchmark::ClobberMemory();
    }
    set_flop_counters(st, m, m->flops_train * static_cast<double>(batch), batch);
    st.counters["batch"] = static_cast<double>(batch);
    nnrt_free(ws);
}

// Per-sample SGD through the fused step: 1024 updates a call, over 4 rows.
void bm_fused(benchmark::State &st, const nnrt_model *m)
{
    const long rows = 4, run = 1024;
    buf params(m->n_params), x(static_cast<size_t>(rows * m->n_in)),
        y(static_cast<size_t>(rows * m->n_out));
    nnrt_init_params(m, params.p, init_of(m), 1);
    fill_batch(m, rows, x.p, y.p);
    std::vector<long> idx(static_cast<size_t>(run));
    for (long i = 0; i < run; i++)
        idx[static_cast<size_t>(i)] = i % rows;
    double loss = 0.0;
    for (auto _ : st) {
        long done = m->train_samples(params.p, x.p, y.p, idx.data(), run, 0.1f, &loss);
        benchmark::DoNotOptimize(done);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(loss);
    set_flop_counters(st, m, m->flops_train * static_cast<double>(run), run);
}

// ---- latency: the floor of a per-sample update ------------------------------
// Per-sample SGD is one dependency chain: the next sample's hidden units
// wait for this update of W1, which waits for dZ1, dZ2 and so for both
// layers' activations.  These time one link of such a chain, each link's
// input the previous one's output, 1000 links an iteration (s_per_link):
//   sigmoid+sub/scalar   nnrt_scalar_sigmoid(&v, 1), then v - 0.5 to stay in
//                        range: the routine the fused step calls, with its
//                        call and its trip through memory;
//   sigmoid+sub/inline   the same arithmetic written in line (libm's expf,
//                        the clamp, an add, a divide, the select);
//   add, mul             one float add, one multiply.
// A tiny net's update cannot take less than the sum of its chain's links
// (docs/trainer.md, "The fused step").
const long latency_links = 1000;

void set_link_counter(benchmark::State &st)
{
    st.counters["s_per_link"] = benchmark::Counter(
        static_cast<double>(latency_links),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The chain: v = link(v), latency_links times an iteration (the template
// is instantiated per link, so each link is compiled in line).
template <typename Link>
void bm_latency(benchmark::State &st, Link link)
{
    float v = 0.3f;
    for (auto _ : st) {
        for (long i = 0; i < latency_links; i++)
            v = link(v);
        benchmark::DoNotOptimize(v);
    }
    set_link_counter(st);
}

void register_latency()
{
    benchmark::RegisterBenchmark("latency/sigmoid+sub/scalar", [](benchmark::State &st) {
        bm_latency(st, [](float v) {
            nnrt_scalar_sigmoid(&v, 1);
            return v - 0.5f;
        });
    });
    benchmark::RegisterBenchmark("latency/sigmoid+sub/inline", [](benchmark::State &st) {
        bm_latency(st, [](float v) {
            float m = -std::fabs(v);
            float e = std::exp(-104.0f > m ? -104.0f : m);
            return (v >= 0.0f ? 1.0f : e) / (1.0f + e) - 0.5f;
        });
    });
    benchmark::RegisterBenchmark("latency/add", [](benchmark::State &st) {
        bm_latency(st, [](float v) { return v + 1e-7f; });
    });
    benchmark::RegisterBenchmark("latency/mul", [](benchmark::State &st) {
        bm_latency(st, [](float v) { return v * 1.0000001f; });
    });
}

// ---- vector math ----------------------------------------------------------

typedef void (*math_fn)(float *, long);

void libm_sigmoid(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
void libm_tanh(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = std::tanh(x[i]);
}
void libm_exp(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = std::exp(x[i]);
}
void libm_log(float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = std::log(x[i]);
}

struct math_row {
    const char *fn, *impl;
    math_fn f;
};

const math_row math_rows[] = {
    {"sigmoid", "libm", libm_sigmoid},
    {"sigmoid", "scalar", nnrt_scalar_sigmoid},
    {"tanh", "libm", libm_tanh},
    {"tanh", "scalar", nnrt_scalar_tanh},
    {"exp", "libm", libm_exp},
    {"exp", "scalar", nnrt_scalar_exp},
    {"log", "libm", libm_log},
    {"log", "scalar", nnrt_scalar_log},
#if defined(__x86_64__)
    {"sigmoid", "avx2", nnrt_avx2_sigmoid},
    {"tanh", "avx2", nnrt_avx2_tanh},
    {"exp", "avx2", nnrt_avx2_exp},
    {"log", "avx2", nnrt_avx2_log},
    {"sigmoid", "avx512", nnrt_avx512_sigmoid},
    {"tanh", "avx512", nnrt_avx512_tanh},
    {"exp", "avx512", nnrt_avx512_exp},
    {"log", "avx512", nnrt_avx512_log},
#endif
};

// Rows of a path this CPU lacks are not registered (they would fault).
bool runs_here(const char *variant)
{
    bool vec = std::strcmp(variant, "avx2") == 0 || std::strcmp(variant, "avx512") == 0;
    return !vec || nnrt_cpu_has(variant);
}

void bm_math(benchmark::State &st, const math_row *r, long n)
{
    buf src(static_cast<size_t>(n)), x(static_cast<size_t>(n));
    std::mt19937 rng(7);
    bool is_log = std::strcmp(r->fn, "log") == 0;
    std::uniform_real_distribution<float> u(is_log ? 0.01f : -8.0f, is_log ? 100.0f : 8.0f);
    for (long i = 0; i < n; i++)
        src.p[i] = u(rng);
    for (auto _ : st) {
        std::memcpy(x.p, src.p, static_cast<size_t>(n) * sizeof(float));
        r->f(x.p, n);
        benchmark::DoNotOptimize(x.p);
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * n);
}

void register_all()
{
    const long batches[] = {1, 64, 209};
    for (const bench_model_row &r : bench_models) {
        if (!runs_here(r.variant))
            continue;
        std::string base = r.base;
        if (base.rfind("layer_", 0) == 0) {
            for (long b : batches) {
                std::string stem = base + "/" + r.variant;
                benchmark::RegisterBenchmark((stem + "/fwd/" + std::to_string(b)).c_str(),
                                             bm_forward, r.m, b);
                benchmark::RegisterBenchmark((stem + "/train/" + std::to_string(b)).c_str(),
                                             bm_loss_grad, r.m, b);
            }
        } else {
            for (const step_setting &ss : step_settings) {
                if (base != ss.base)
                    continue;
                benchmark::RegisterBenchmark(("step/" + base + "/" + r.variant).c_str(),
                                             bm_step, r.m, &ss);
                if (ss.per_sample_sgd && r.m->train_samples)
                    benchmark::RegisterBenchmark(("fused/" + base + "/" + r.variant).c_str(),
                                                 bm_fused, r.m);
            }
        }
    }
    register_latency();
    for (const math_row &r : math_rows)
        if (runs_here(r.impl))
            for (long n : {64L, 4096L})
            benchmark::RegisterBenchmark(
                (std::string("math/") + r.fn + "/" + r.impl + "/" + std::to_string(n)).c_str(),
                bm_math, &r, n);
}

} // namespace

int main(int argc, char **argv)
{
    if (const char *p = std::getenv("NNGEN_PEAK_GFLOPS"))
        peak_gflops = std::atof(p);
    if (const char *p = std::getenv("NNGEN_PEAK_AVX512_GFLOPS"))
        peak_avx512_gflops = std::atof(p);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    for (const char *isa : {"avx512", "avx2"})
        if (const char *lacks = nnrt_cpu_lacks(isa))
            std::fprintf(stderr, "bench_micro: %s: skipped, CPU lacks %s\n", isa, lacks);
    benchmark::AddCustomContext("nngen_peak_gflops", std::to_string(peak_gflops));
    benchmark::AddCustomContext("nngen_peak_avx512_gflops", std::to_string(peak_avx512_gflops));
    register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
