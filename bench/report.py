#!/usr/bin/python3
"""Writes bench/results/results.md and the plots from the raw results of
bench/run.sh: peak.json (peak), micro.json (bench_micro, Google Benchmark
JSON), whole.json (whole.py), machine.json (run.sh).

  report.py [--out DIR]

Plots (matplotlib, PNG): loop_vs_vector.png (GFLOP/s of the generated
scalar loops with and without auto-vectorisation against the AVX2 path),
nngen_vs_peers.png (wall time of each whole-program comparison).
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt_s(v):
    if v is None:
        return "-"
    if v < 0.01:
        return "%.2f ms" % (v * 1e3)
    return "%.3f s" % v if v < 10 else "%.1f s" % v


def fmt_ns(v):
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e3:
        return "%.1f us" % (v / 1e3)
    return "%.0f ns" % v


def fmt_acc(v):
    return "-" if v is None or v != v else "%.3f" % v


# ---- micro ----------------------------------------------------------------

def micro_index(micro):
    """name -> benchmark row (cpu time in ns)."""
    idx = {}
    for b in (micro or {}).get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        b["cpu_ns"] = b["cpu_time"] * unit
        b["real_ns"] = b["real_time"] * unit
        idx[b["name"]] = b
    return idx


def micro_tables(idx, peak):
    """peak: the AVX2 one; an avx512 row's fraction is of the AVX-512 peak
    (bench_micro's peak_frac counter, computed against the row's own)."""
    def frac(b):
        if "peak_frac" in b:
            return 100 * b["peak_frac"]
        return 100 * b.get("GFLOPs", 0.0) / peak if peak else 0

    out = []
    out.append("### Training steps (loss_grad + update), one call\n")
    out.append("| model | batch | path | time/step | samples/s | GFLOP/s | of its peak | "
               "vs novec |")
    out.append("|---|---|---|---|---|---|---|---|")
    for model in ("cat", "xor", "sex", "fashion"):
        novec = idx.get("step/%s/novec" % model)
        for v in ("avx512", "avx2", "scalar", "novec"):
            b = idx.get("step/%s/%s" % (model, v))
            if not b:
                continue
            g = b.get("GFLOPs", 0.0)
            out.append("| %s | %d | %s | %s | %.3g | %.2f | %.1f%% | %s |" % (
                model, int(b.get("batch", 0)), v, fmt_ns(b["cpu_ns"]), b.get("items_per_second", 0),
                g, frac(b), "%.1fx" % (novec["cpu_ns"] / b["cpu_ns"]) if novec else "-"))
    out.append("")
    out.append("### Single dense layers (identity, mse): GFLOP/s (fraction of the path's FMA "
               "peak: AVX-512 for avx512, AVX2 for the others)\n")
    out.append("| layer n_in x units | batch | pass | avx512 | avx2 | scalar | novec | avx2/novec |")
    out.append("|---|---|---|---|---|---|---|---|")
    for shape in ("2x4", "64x64", "784x128", "12288x20"):
        for batch in (1, 64, 209):
            for pas in ("fwd", "train"):
                cells, t = [], {}
                for v in ("avx512", "avx2", "scalar", "novec"):
                    b = idx.get("layer_%s/%s/%s/%d" % (shape, v, pas, batch))
                    if b:
                        g = b.get("GFLOPs", 0.0)
                        t[v] = b["cpu_ns"]
                        cells.append("%.2f (%.0f%%)" % (g, frac(b)))
                    else:
                        cells.append("-")
                sp = "%.1fx" % (t["novec"] / t["avx2"]) if "avx2" in t and "novec" in t else "-"
                out.append("| %s | %d | %s | %s | %s |" % (shape, batch, pas, " | ".join(cells), sp))
    out.append("")
    # The floor of a per-sample update: its dependency chain, link by link
    # (bench_micro's latency/ rows; docs/trainer.md, "The fused step").
    lat = {k: idx.get("latency/" + k) for k in ("sigmoid+sub/scalar", "sigmoid+sub/inline",
                                                 "add", "mul")}
    fused = idx.get("fused/sex/avx512") or idx.get("fused/sex/avx2")
    if all(lat.values()):
        ns = {k: 1e9 * b.get("s_per_link", 0.0) for k, b in lat.items()}
        ops = 8 * ns["mul"] + 10 * ns["add"]
        call = 2 * (ns["sigmoid+sub/scalar"] - ns["add"]) + ops
        inl = 2 * (ns["sigmoid+sub/inline"] - ns["add"]) + ops
        out.append("### The chain of a per-sample update: one link's latency\n")
        out.append("| link | ns |")
        out.append("|---|---|")
        for k in ("sigmoid+sub/scalar", "sigmoid+sub/inline", "add", "mul"):
            out.append("| %s | %.2f |" % (k, ns[k]))
        out.append("")
        out.append("sex (2-2-1, sigmoid, mse): each update waits for the one before through "
                   "two sigmoids, 8 multiplies and 10 adds (docs/trainer.md). Floor with the "
                   "sigmoid routine the fused step calls: %.1f ns; with the sigmoid written in "
                   "line: %.1f ns.%s\n" % (call, inl, " The fused step: %.1f ns per update "
                                             "(fused/sex/%s)." % (fused["cpu_ns"] / 1024,
                                                                   fused["name"].split("/")[-1])
                                             if fused else ""))
    out.append("### Vector math, in place over 4096 floats: ns per element\n")
    out.append("| function | libm loop | nnrt_scalar | nnrt_avx2 | nnrt_avx512 | avx2 vs libm |")
    out.append("|---|---|---|---|---|---|")
    for fn in ("sigmoid", "tanh", "exp", "log"):
        t = {}
        for impl in ("libm", "scalar", "avx2", "avx512"):
            b = idx.get("math/%s/%s/4096" % (fn, impl))
            if b:
                t[impl] = b["cpu_ns"] / 4096
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            fn, *("%.2f" % t[i] if i in t else "-" for i in ("libm", "scalar", "avx2", "avx512")),
            "%.1fx" % (t["libm"] / t["avx2"]) if "libm" in t and "avx2" in t else "-"))
    out.append("")
    return out


# ---- whole programs -------------------------------------------------------

GROUP_TITLES = {
    "cat4": "cat 4-layer 12288-20-7-5-1, full batch",
    "cat2": "cat 2-layer 12288-7-1, full batch",
    "logreg": "cat logistic regression 12288-1, full batch",
    "xor": "XOR, per-sample SGD",
    "xor-x100": "XOR, per-sample SGD, 100x the epochs",
    "sex": "2-2-1 sex example, per-sample SGD",
    "sex-x100": "2-2-1 sex example, per-sample SGD, 100x the epochs",
    "fashion": "Fashion-MNIST 784-256-128-10, Adam, batch 64, one epoch",
}


def whole_table(whole):
    entries = whole["entries"]
    out = ["| model | implementation | setting | wall time (mean ± sd, runs) | nngen/peer | "
           "CPU time | train acc | test acc | train time inside | us/sample | peak RSS MB |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for g in dict.fromkeys(e["group"] for e in entries):
        rows = [e for e in entries if e["group"] == g]
        ref = next((e for e in rows if e["impl"] == "nngen" and e["setting"] == "avx2"
                    and e.get("mean_s")), None)
        for e in rows:
            m = e.get("metrics", {})
            if e.get("mean_s") is None:
                out.append("| %s | %s | %s | failed: %s | | | | | | | |" % (
                    g, e["impl"], e["setting"], e.get("error", "?").replace("|", "/")))
                continue
            ratio = "%.3g" % (ref["mean_s"] / e["mean_s"]) if ref else "-"
            ups = m.get("us_per_sample")
            acc = fmt_acc(m.get("train_acc"))
            if acc == "-" and m.get("train_rmse") is not None:
                acc = "rmse %.3f" % m["train_rmse"]
            out.append("| %s | %s | %s | %s ± %s (%d) | %s | %s | %s | %s | %s | %s | %s |" % (
                g, e["impl"], e["setting"], fmt_s(e["mean_s"]),
                fmt_s(e["stddev_s"]) if len(e["times"]) > 1 else "-",
                len(e["times"]), ratio, fmt_s(e.get("mean_cpu_s")), acc,
                fmt_acc(m.get("test_acc")),
                fmt_s(m.get("train_seconds")), "%.3g" % ups if ups else "-",
                "%.0f" % e["peak_rss_mb"] if e.get("peak_rss_mb") else "-"))
    return out


def find(entries, group, impl, setting=None):
    for e in entries:
        if e["group"] == group and e["impl"] == impl and (setting is None or
                                                          e["setting"] == setting):
            if e.get("mean_s") is not None:
                return e
    return None


def goals(idx, whole):
    out = []
    a, n = idx.get("step/cat/avx2"), idx.get("step/cat/novec")
    if a and n:
        r = n["cpu_ns"] / a["cpu_ns"]
        out.append("- AVX2 cat training step >= 8x the scalar loops built with -fno-tree-vectorize: "
                   "**%s** (%.1fx: %s vs %s per step)" % ("holds" if r >= 8 else "does not hold",
                                                          r, fmt_ns(a["cpu_ns"]),
                                                          fmt_ns(n["cpu_ns"])))
    if whole:
        es = whole["entries"]
        ng = find(es, "cat4", "nngen", "avx2")
        peers = [e for e in es if e["group"] == "cat4" and e["impl"] == "numpy" and e.get("mean_s")
                 and "2 threads" not in e["setting"]]
        if ng and peers:
            best = min(peers, key=lambda e: e["mean_s"])
            best_cpu = min(peers, key=lambda e: e.get("mean_cpu_s") or 1e9)
            ok = ng["mean_s"] < best["mean_s"]
            ok_cpu = ng.get("mean_cpu_s") and ng["mean_cpu_s"] < best_cpu["mean_cpu_s"]
            out.append("- cat 4-layer, %d iterations, whole program, faster than numpy float32 "
                       "one thread: wall time **%s** (nngen %s vs numpy [%s] %s, %.2fx); CPU time "
                       "**%s** (nngen %s vs numpy [%s] %s, %.2fx)" % (
                           ng.get("samples", 0) // 209,
                           "holds" if ok else "does not hold", fmt_s(ng["mean_s"]),
                           best["setting"], fmt_s(best["mean_s"]), best["mean_s"] / ng["mean_s"],
                           "holds" if ok_cpu else "does not hold", fmt_s(ng.get("mean_cpu_s")),
                           best_cpu["setting"], fmt_s(best_cpu.get("mean_cpu_s")),
                           (best_cpu.get("mean_cpu_s") or 0) / (ng.get("mean_cpu_s") or 1)))
        out += whole_machine_goals(es)
        for g in ("xor", "sex"):
            # per update at 100x the epochs: the fastest nngen row (the fused
            # step on the best path) against fann_train, wall time and the
            # programs' own clocks around their loops
            rows = [e for e in es if e["group"] == g + "-x100" and e["impl"] == "nngen"
                    and e.get("mean_s") and "ordinary" not in e["setting"]]
            fal = find(es, g + "-x100", "fann")
            if rows and fal:
                ngf = min(rows, key=lambda e: e["mean_s"])
                n = ngf["samples"]
                w_ng, w_fa = 1e9 * ngf["mean_s"] / n, 1e9 * fal["mean_s"] / n
                i_ng = 1e3 * (ngf["metrics"].get("us_per_sample") or 0)
                i_fa = 1e3 * (fal["metrics"].get("us_per_sample") or 0)
                c_ng = 1e9 * (ngf.get("mean_cpu_s") or 0) / n
                c_fa = 1e9 * (fal.get("mean_cpu_s") or 0) / n
                ordi = next((e for e in es if e["group"] == g + "-x100" and e.get("mean_s")
                             and "ordinary" in e["setting"]), None)
                out.append("- %s: >= 3x faster per update than FANN's fann_train (%d updates): "
                           "**%s** (nngen [%s] %.1f ns vs FANN %.1f ns per update of wall time, "
                           "%.2fx; of CPU time %.1f ns vs %.1f ns, %.2fx; inside the training "
                           "loops %.1f ns vs %.1f ns, %.2fx%s)" % (
                               g, n, "holds" if w_fa >= 3 * w_ng else "does not hold",
                               ngf["setting"], w_ng, w_fa, w_fa / w_ng, c_ng, c_fa,
                               c_fa / c_ng if c_ng else 0, i_ng, i_fa,
                               i_fa / i_ng if i_ng else 0,
                               "; nngen [%s] %.1f ns of wall time" % (
                                   ordi["setting"], 1e9 * ordi["mean_s"] / n) if ordi else ""))
            ng = find(es, g, "nngen", "avx2")
            th = find(es, g, "torch")
            fa = find(es, g, "fann")
            ngl, fal = find(es, g + "-x100", "nngen", "avx2"), find(es, g + "-x100", "fann")
            if not (ng and th):
                continue
            u_ng = ng["metrics"].get("us_per_sample")
            if ngl and ngl["metrics"].get("us_per_sample"):
                u_ng = ngl["metrics"]["us_per_sample"]
            u_th = th["metrics"].get("us_per_sample")
            u_fa = (fal or fa or {}).get("metrics", {}).get("us_per_sample") if (fal or fa) else None
            if u_ng and u_th:
                r = u_th / u_ng
                out.append("- %s: >= 20x faster per sample than PyTorch: **%s** (%.3g us vs %.3g us "
                           "per sample, %.0fx)" % (g, "holds" if r >= 20 else "does not hold",
                                                   u_ng, u_th, r))
            if u_ng and u_fa:
                out.append("- %s: faster per sample than FANN: **%s** (%.3g us vs %.3g us per "
                           "sample%s)" % (g, "holds" if u_ng < u_fa else "does not hold", u_ng,
                                          u_fa, "; wall time at 100x epochs %s vs %s" % (
                                              fmt_s(ngl["mean_s"]), fmt_s(fal["mean_s"]))
                                          if ngl and fal else ""))
    return out


def whole_machine_goals(es):
    """Issue 11's targets: nngen's best one-thread path and its two-thread
    row against numpy's best one-thread time (and numpy's best on two), and
    two threads against one."""
    out = []

    def rows(g, impl, two):
        return [e for e in es if e["group"] == g and e["impl"] == impl and e.get("mean_s")
                and ("2 threads" in e["setting"]) == two and "scalar" not in e["setting"]]

    for g, r1, r2 in (("cat4", 0.6, 0.35), ("cat2", None, None), ("fashion", 0.5, None)):
        n1, n2, p1, p2 = rows(g, "nngen", False), rows(g, "nngen", True), \
            rows(g, "numpy", False), rows(g, "numpy", True)
        if not (n1 and p1):
            continue
        b1, bp = min(n1, key=lambda e: e["mean_s"]), min(p1, key=lambda e: e["mean_s"])
        if r1:
            q = b1["mean_s"] / bp["mean_s"]
            out.append("- %s, one thread: nngen [%s] %s vs numpy's best [%s] %s: **%.2fx** "
                       "(target <= %.2fx: %s)" % (g, b1["setting"], fmt_s(b1["mean_s"]),
                                                   bp["setting"], fmt_s(bp["mean_s"]), q, r1,
                                                   "holds" if q <= r1 else "does not hold"))
        if n2:
            t2 = n2[0]
            one = next((e for e in n1 if t2["setting"].startswith(e["setting"] + ",")), b1)
            sp = one["mean_s"] / t2["mean_s"]
            out.append("- %s, two threads against one: nngen [%s] %s vs [%s] %s: **%.2fx** "
                       "(target >= 1.7x: %s)" % (g, t2["setting"], fmt_s(t2["mean_s"]),
                                                 one["setting"], fmt_s(one["mean_s"]), sp,
                                                 "holds" if sp >= 1.7 else "does not hold"))
            if r2:
                q = t2["mean_s"] / bp["mean_s"]
                out.append("- %s, both cores: nngen [%s] %s vs numpy's best one-thread time "
                           "%s: **%.2fx** (target <= %.2fx: %s)%s" % (
                               g, t2["setting"], fmt_s(t2["mean_s"]), fmt_s(bp["mean_s"]), q, r2,
                               "holds" if q <= r2 else "does not hold",
                               "; numpy's best on two threads [%s] %s (%.2fx)" % (
                                   min(p2, key=lambda e: e["mean_s"])["setting"],
                                   fmt_s(min(p2, key=lambda e: e["mean_s"])["mean_s"]),
                                   t2["mean_s"] / min(p2, key=lambda e: e["mean_s"])["mean_s"])
                               if p2 else ""))
    return out


# ---- plots ----------------------------------------------------------------

# AMD generations by family and model range (the ones this project has
# been measured on, and their neighbours).
AMD_GENERATIONS = [(0x1A, 0x00, 0xFF, "Zen 5"),
                   (0x19, 0x10, 0x1F, "Zen 4"), (0x19, 0x60, 0x7F, "Zen 4"),
                   (0x19, 0xA0, 0xAF, "Zen 4"), (0x19, 0x00, 0x5F, "Zen 3"),
                   (0x17, 0x30, 0xFF, "Zen 2"), (0x17, 0x00, 0x2F, "Zen 1")]


def cpu_detail(machine):
    """', family 25 model 1 (Zen 3), no AVX-512, L1d 32K, ...' from machine.json."""
    fam, mod = machine.get("cpu_family"), machine.get("cpu_model")
    if not fam or not mod:
        return ""
    out = ", family %s model %s" % (fam, mod)
    if "AMD" in machine.get("cpu", ""):
        for f, m0, m1, name in AMD_GENERATIONS:
            if int(fam) == f and m0 <= int(mod) <= m1:
                out += " (%s)" % name
                break
    if machine.get("avx512"):
        out += ", AVX-512 %s" % ("yes" if machine["avx512"] == "yes" else "no")
    if machine.get("caches"):
        out += ", " + machine["caches"]
    return out


def plots(out_dir, idx, whole, machine, peak):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    foot = "%s, %s; one core; AVX2 FMA peak %.0f GFLOP/s" % (
        machine.get("cpu", "?"), machine.get("date", "?"), peak or 0)
    names, vals = [], {v: [] for v in ("novec", "scalar", "avx2")}
    for shape in ("2x4", "64x64", "784x128", "12288x20"):
        for pas in ("fwd", "train"):
            key = "layer_%s/%%s/%s/64" % (shape, pas)
            if all(key % v in idx for v in vals):
                names.append("%s %s\nbatch 64" % (shape, pas))
                for v in vals:
                    vals[v].append(idx[key % v].get("GFLOPs", 0))
    for model in ("cat", "xor", "sex", "fashion"):
        key = "step/%s/%%s" % model
        if all(key % v in idx for v in vals):
            names.append("%s step" % model)
            for v in vals:
                vals[v].append(idx[key % v].get("GFLOPs", 0))
    if names:
        fig, ax = plt.subplots(figsize=(max(8, len(names) * 0.9), 5))
        w = 0.27
        labels = {"novec": "scalar loops, -fno-tree-vectorize", "scalar": "scalar loops (gcc -O2)",
                  "avx2": "AVX2+FMA intrinsics"}
        for i, v in enumerate(("novec", "scalar", "avx2")):
            ax.bar([k + (i - 1) * w for k in range(len(names))], vals[v], w, label=labels[v])
        if peak:
            ax.axhline(peak, color="k", ls="--", lw=0.8, label="one-core AVX2 FMA peak")
        ax.set_yscale("log")
        ax.set_ylabel("GFLOP/s (CPU time)")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, fontsize=7)
        ax.set_title("nngen generated code: loops vs vectorized")
        ax.legend(fontsize=8, loc="upper right")
        fig.text(0.01, 0.01, foot, fontsize=7)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(os.path.join(out_dir, "loop_vs_vector.png"), dpi=110)
        plt.close(fig)
        made.append("loop_vs_vector.png")
    if whole:
        es = [e for e in whole["entries"] if e.get("mean_s")]
        gs = list(dict.fromkeys(e["group"] for e in es))
        if gs:
            fig, axes = plt.subplots(len(gs), 1, figsize=(9, 1.1 + 0.42 * len(es)),
                                     squeeze=False)
            for ax, g in zip(axes[:, 0], gs):
                rows = [e for e in es if e["group"] == g]
                y = range(len(rows))
                colors = ["tab:green" if e["impl"] == "nngen" else "tab:gray" for e in rows]
                vals = [e["mean_s"] for e in rows]
                ax.set_xscale("log")
                ax.barh(list(y), vals, color=colors)
                # log scale: start well left of the shortest bar, print every value
                ax.set_xlim(min(vals) / 4, max(vals) * 4)
                for k, v in enumerate(vals):
                    ax.text(v * 1.05, k, fmt_s(v), va="center", fontsize=7)
                ax.set_yticks(list(y))
                ax.set_yticklabels(["%s [%s]" % (e["impl"], e["setting"]) for e in rows],
                                   fontsize=7)
                ax.invert_yaxis()
                ax.set_title(GROUP_TITLES.get(g, g), fontsize=9)
                ax.tick_params(axis="x", labelsize=7)
            axes[-1, 0].set_xlabel("wall time, s (log scale; whole program incl. start-up and "
                                   "data loading)")
            fig.text(0.01, 0.003, foot, fontsize=7)
            fig.tight_layout(rect=(0, 0.015, 1, 1))
            fig.savefig(os.path.join(out_dir, "nngen_vs_peers.png"), dpi=100)
            plt.close(fig)
            made.append("nngen_vs_peers.png")
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    d = args.out
    peak_j = load(os.path.join(d, "peak.json")) or {}
    micro = load(os.path.join(d, "micro.json"))
    whole = load(os.path.join(d, "whole.json"))
    machine = load(os.path.join(d, "machine.json")) or {}
    peak = peak_j.get("avx2_fma_gflops")
    idx = micro_index(micro)
    md = ["# nngen benchmarks", ""]
    md.append("Machine: **%s** (%s%s), %s; measured %s%s. One thread everywhere, but for the rows marked \"2 threads\" (nngen --threads 2; OpenBLAS with 2 threads)." % (
        machine.get("cpu", "?"), machine.get("cores", "?"), cpu_detail(machine),
        machine.get("kernel", "?"),
        machine.get("date", "?"), " (**--quick**: shortened runs, not for judging)"
        if (whole or {}).get("meta", {}).get("quick") else ""))
    md.append("Compilers: %s. numpy %s, torch %s, OpenBLAS %s. nngen %s." % (
        machine.get("cc", "?"), machine.get("numpy", "?"), machine.get("torch", "?"),
        machine.get("openblas", "?"), machine.get("nngen_commit", "?")))
    md.append("")
    if peak_j:
        g5 = peak_j.get("avx512_fma_gflops", 0)
        md.append("Peak (bench/peak, best of %s): AVX2 FMA **%.1f GFLOP/s**, AVX-512 FMA %s, "
                  "triad bandwidth %.1f GB/s." % (
                      peak_j.get("repetitions"), peak_j.get("avx2_fma_gflops", 0),
                      "%.1f GFLOP/s" % g5 if g5 else "not available on this CPU",
                      peak_j.get("triad_gbs", 0)))
        md.append("")
    g = goals(idx, whole)
    if g:
        md += ["## Goals", ""] + g + [""]
    if whole:
        md += ["## Whole programs", "",
               "Wall time of the whole program (start-up, data loading, training, final "
               "evaluation) by hyperfine; nngen/peer is nngen AVX2's wall time over the row's "
               "(below 1: nngen is faster); CPU time is user + system (the machine is shared: when "
               "it is busy, CPU time is the steadier figure). \"train time inside\" and us/sample are each "
               "program's own timer around its training loop. Accuracy and peak RSS from one "
               "extra run under /usr/bin/time -v.", ""]
        md += whole_table(whole) + [""]
        stamps = {}
        for e in whole["entries"]:
            stamps.setdefault((e.get("measured", "?"), e.get("nngen_built", "?")), []).append(e["group"])
        if len(stamps) > 1:
            md.append("Measured: " + "; ".join(
                "%s at %s (nngen built %s)" % (", ".join(dict.fromkeys(gs)), when, built)
                for (when, built), gs in sorted(stamps.items())) + ".")
            md.append("")
    if idx:
        md += ["## Micro-benchmarks (bench_micro, CPU time)", ""] + micro_tables(idx, peak)
    made = plots(d, idx, whole, machine, peak)
    if made:
        md += ["## Plots", ""] + ["![%s](%s)" % (p, p) for p in made] + [""]
    if os.path.exists(os.path.join(d, "analysis.md")):
        md += ["Where the time goes (profiles, by hand): [analysis.md](analysis.md).", ""]
    md += ["Raw: peak.json, micro.json, whole.json, whole.csv, hyperfine/*.json. "
           "Produced by `bench/run.sh%s`." % (" --quick" if (whole or {}).get("meta", {}).get(
               "quick") else ""), ""]
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(md))
    print("wrote %s" % os.path.join(d, "results.md"))


if __name__ == "__main__":
    main()
