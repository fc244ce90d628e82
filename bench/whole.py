#!/usr/bin/python3
"""Whole-program comparisons: nngen's trainers against the references
(numpy, PyTorch, FANN) on the same models, data and hyper-parameters.

For each group (a model), every command is run
  1. once under /usr/bin/time -v: its output gives the accuracy and loss
     (nngen's --json line, the references' RESULT line) and time -v the
     peak resident set size;
  2. then timed with hyperfine (--export-json): R rounds, each round one run
     of every command of the group in turn (A B C A B C ...), so slow drift
     of a shared machine's load hits every command alike.  Tiny-net groups
     (milliseconds per run) use one hyperfine call with warm-up and many runs.

  whole.py --build DIR --out DIR [--quick] [--runs R] [--groups g1,g2]

Writes OUT/whole.json (every run, every metric), OUT/whole.csv and
OUT/hyperfine/<group>-round<k>.json.  Numbers are judged in results.md
(report.py), never in a test.
"""
import argparse
import csv
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REF = os.path.join(HERE, "reference")
sys.path.insert(0, REF)
import refdata  # noqa: E402

PY = "/usr/bin/python3"
ONE_THREAD = ["OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1"]
# The two OpenBLAS settings: AVX2 kernels forced, or the library's own choice
# (on an AVX-512 CPU, its AVX-512 kernels).
BLAS_SETTINGS = [("openblas-haswell", ["env"] + ONE_THREAD + ["OPENBLAS_CORETYPE=Haswell"]),
                 ("openblas-auto", ["env", "-u", "OPENBLAS_CORETYPE"] + ONE_THREAD)]
# The big models also with every core for the peers (nngen's rows: the best
# path with --threads 2), so "both cores" compares like with like.
TWO_THREADS = ["OPENBLAS_NUM_THREADS=2", "OMP_NUM_THREADS=2", "MKL_NUM_THREADS=2"]
BLAS_SETTINGS_2T = [("openblas-haswell, 2 threads",
                     ["env"] + TWO_THREADS + ["OPENBLAS_CORETYPE=Haswell"]),
                    ("openblas-auto, 2 threads", ["env", "-u", "OPENBLAS_CORETYPE"] + TWO_THREADS)]


def cmd_str(argv):
    return " ".join(shlex.quote(a) for a in argv)


def groups(build, quick):
    """-> list of (group, fast, [entry]) with entry = dict(impl, setting, argv)."""
    cat_dir = refdata.CAT_DIR
    fm = refdata.FASHION_DIR
    cat_data = ["--train", os.path.join(cat_dir, "train_catvnoncat.h5"),
                "--test", os.path.join(cat_dir, "test_catvnoncat.h5")]
    fashion_data = ["--train", os.path.join(fm, "train-images-idx3-ubyte.gz"),
                    "--train-labels", os.path.join(fm, "train-labels-idx1-ubyte.gz"),
                    "--test", os.path.join(fm, "t10k-images-idx3-ubyte.gz"),
                    "--test-labels", os.path.join(fm, "t10k-labels-idx1-ubyte.gz")]
    models = os.path.join(build, "models")
    bench = os.path.join(build, "bench")
    out = []

    def vector_paths(exe):
        """The vector paths of trainer exe this CPU runs, best first (--info's
        `paths` line, e.g. "paths avx512 (not on this CPU) avx2 scalar")."""
        if not os.path.exists(exe):
            print("whole.py: no %s (not built): no nngen vector rows" % exe, file=sys.stderr)
            return []
        info = subprocess.run([exe, "--info"], capture_output=True, text=True).stdout
        m = re.search(r"^paths (.*)$", info, re.M)
        if not m:  # a file of one path
            m = re.search(r"^isa (\S+)", info, re.M)
            return [m.group(1)] if m and m.group(1) != "scalar" else []
        words = re.findall(r"(\S+)( \(not on this CPU\))?", m.group(1))
        return [w for w, lacks in words if not lacks and w != "scalar"]

    def nngen_rows(exe, args, slow_scalar=False, two_threads=False):
        # each vector path the CPU runs, forced by NNGEN_ISA (the same
        # binary; its summary names the path it ran), on one thread as every
        # peer (the trainer's default is every CPU); with two_threads, the
        # best path on two threads too
        trainer = os.path.join(models, exe)
        paths = vector_paths(trainer)
        rows = [dict(impl="nngen", setting=isa,
                     argv=["env", "NNGEN_ISA=" + isa, trainer] + args + ["--threads", "1"])
                for isa in paths]
        if two_threads and paths:
            rows.append(dict(impl="nngen", setting=paths[0] + ", 2 threads",
                             argv=["env", "NNGEN_ISA=" + paths[0], trainer] + args
                             + ["--threads", "2"]))
        args = args + ["--threads", "1"]
        for suffix, setting in (("_scalar", "scalar"), ("_scalar_novec", "scalar -fno-tree-vectorize")):
            path = os.path.join(bench, exe + suffix)
            if os.path.exists(path):
                # the scalar trainers of the big models take minutes: one timed
                # round (plus the probe run) is enough to show a 10x gap
                rows.append(dict(impl="nngen", setting=setting, argv=[path] + args,
                                 max_rounds=1 if slow_scalar else 0))
        return rows

    # The cat models: full batch, the spec's iterations (quick: 100).
    for exe, ref in (("cat", "cat4"), ("cat2", "cat2"), ("logreg_cat", "logreg")):
        iters = 100 if quick else refdata.CAT_MODELS[ref]["iterations"]
        args = cat_data + ["--iterations", str(iters), "--eval-every", str(iters),
                           "--quiet", "--json"]
        rows = nngen_rows(exe, args, slow_scalar=exe != "logreg_cat", two_threads=exe != "logreg_cat")
        for lib in ("numpy", "torch"):
            for setting, env in BLAS_SETTINGS + (BLAS_SETTINGS_2T if exe != "logreg_cat" else []):
                rows.append(dict(impl=lib, setting=setting,
                                 argv=env + [PY, os.path.join(REF, "cat_%s.py" % lib), "--model",
                                             ref, "--iterations", str(iters)]))
        for r in rows:
            r["samples"] = iters * 209
        out.append((ref, False, rows))

    # The tiny nets: per-sample SGD, the spec's epochs (quick: 100).
    data_dir = os.path.join(build, "bench", "data")
    os.makedirs(data_dir, exist_ok=True)
    for name in ("xor", "sex"):
        x, y, cfg = refdata.tiny(name)
        csv_path = os.path.join(data_dir, name + ".csv")
        refdata.write_csv(csv_path, x, y)
        epochs = 100 if quick else cfg["epochs"]
        same = ["--batch", "1", "--optimizer", cfg["optimizer"], "--lr", repr(cfg["lr"])]
        args = ["--train", csv_path, "--epochs", str(epochs), "--eval-every", str(epochs),
                "--quiet", "--json"] + same
        rows = nngen_rows(name, args)
        for lib in ("numpy", "torch"):
            rows.append(dict(impl=lib, setting="1 thread",
                             argv=["env"] + ONE_THREAD + [PY, os.path.join(REF, "tiny_%s.py" % lib),
                                                          "--model", name, "--epochs", str(epochs)]))
        rows.append(dict(impl="fann", setting="fann_train", argv=[
            os.path.join(bench, "fann_bench"), name, "--epochs", str(epochs)]))
        for r in rows:
            r["samples"] = epochs * 4
        out.append((name, True, rows))
        # The same at 100x the epochs: per-sample cost without process start-up.
        if not quick:
            long_e = 100 * epochs
            args = ["--train", csv_path, "--epochs", str(long_e), "--eval-every", str(long_e),
                    "--quiet", "--json"] + same
            rows = nngen_rows(name, args)
            # the best vector path again with the ordinary step (NNGEN_FUSED=0):
            # what the fused step buys (docs/trainer.md, "The fused step")
            for r in rows[:1]:
                if r["argv"][0] == "env":
                    rows.append(dict(impl="nngen", setting=r["setting"] + ", ordinary step",
                                     argv=["env", "NNGEN_FUSED=0"] + r["argv"][1:]))
            rows.append(dict(impl="fann", setting="fann_train", argv=[
                os.path.join(bench, "fann_bench"), name, "--epochs", str(long_e)]))
            for r in rows:
                r["samples"] = long_e * 4
            out.append((name + "-x100", True, rows))

    # Fashion-MNIST: one epoch (quick: 100 batches of 64, the first 6400 images).
    limit = ["--limit", "6400"] if quick else []
    steps = ["--iterations", "100", "--eval-every", "100"] if quick else ["--epochs", "1"]
    rows = nngen_rows("fashion", fashion_data + steps + ["--quiet", "--json"], slow_scalar=True,
                      two_threads=True)
    for lib in ("numpy", "torch"):
        for setting, env in BLAS_SETTINGS + BLAS_SETTINGS_2T:
            rows.append(dict(impl=lib, setting=setting,
                             argv=env + [PY, os.path.join(REF, "fashion_%s.py" % lib)] + limit))
    rows.append(dict(impl="fann", setting="incremental, tanh/sigmoid, mse", argv=[
        os.path.join(bench, "fann_bench"), "fashion", "--dir", fm] + limit))
    for r in rows:
        r["samples"] = 6400 if quick else 60000
    out.append(("fashion", False, rows))
    return out


RESULT_RE = re.compile(r"^RESULT (.*)$", re.M)
RSS_RE = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
CPU_RE = re.compile(r"(?:User|System) time \(seconds\): ([0-9.]+)")


def parse_metrics(text):
    """nngen's --json line or a reference's RESULT line -> dict."""
    m = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and '"model"' in line:
            try:
                j = json.loads(line)
            except ValueError:
                continue
            m = dict(train_acc=j.get("train_acc"), test_acc=j.get("test_acc"),
                     loss=j.get("train_loss"), run_seconds=j.get("seconds"))
            if j.get("samples_per_s"):
                m["us_per_sample"] = 1e6 / j["samples_per_s"]
            if "train_rmse" in j:
                m["train_rmse"] = j["train_rmse"]
    r = RESULT_RE.search(text)
    if r:
        for kv in r.group(1).split():
            k, v = kv.split("=", 1)
            try:
                m[k] = float(v)
            except ValueError:
                m[k] = v
    return m


def probe(entry):
    """One run under /usr/bin/time -v: metrics and peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + entry["argv"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tv = tf.read()
    entry["exit_code"] = p.returncode
    m = entry["metrics"] = parse_metrics(p.stdout + "\n" + p.stderr)
    if "train_seconds" not in m and m.get("us_per_sample"):
        # nngen's driver times loss_grad + update only and reports samples/s
        m["train_seconds"] = m["us_per_sample"] * 1e-6 * entry["samples"]
    if "us_per_sample" not in m and m.get("train_seconds"):
        m["us_per_sample"] = 1e6 * m["train_seconds"] / entry["samples"]
    rss = RSS_RE.search(tv)
    entry["peak_rss_mb"] = int(rss.group(1)) / 1024.0 if rss else None
    entry["probe_cpu_s"] = sum(float(v) for v in CPU_RE.findall(tv)) or None
    if p.returncode != 0:
        entry["error"] = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        print("  FAILED (%d): %s\n    %s" % (p.returncode, cmd_str(entry["argv"]), entry["error"]),
              file=sys.stderr)


def name_of(entry):
    return "%s [%s]" % (entry["impl"], entry["setting"])


def hyperfine(entries, path, runs, warmup):
    argv = ["hyperfine", "-N", "--style", "basic", "--runs", str(runs), "--warmup", str(warmup),
            "--export-json", path]
    for e in entries:
        argv += ["-n", name_of(e), cmd_str(e["argv"])]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    with open(path) as f:
        return json.load(f)["results"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=0, help="rounds (default 3, quick 1)")
    ap.add_argument("--groups", default="", help="comma-separated subset")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other groups of an existing OUT/whole.json (re-run a subset)")
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    hf_dir = os.path.join(args.out, "hyperfine")
    os.makedirs(hf_dir, exist_ok=True)
    want = set(filter(None, args.groups.split(",")))
    all_entries = []
    for group, fast, entries in groups(args.build, args.quick):
        if want and group not in want:
            continue
        entries = [e for e in entries if os.path.exists(e["argv"][0]) or e["argv"][0] == "env"]
        print("== %s: %d commands" % (group, len(entries)), flush=True)
        nngen_exe = os.path.join(args.build, "compiler", "nngen")
        stamp = dict(measured=time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
                     nngen_built=time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(
                         os.path.getmtime(nngen_exe))) if os.path.exists(nngen_exe) else "?")
        for e in entries:
            e["group"] = group
            e.update(stamp)
            e["cmd"] = cmd_str(e["argv"])
            probe(e)
            print("  %-40s rss %6s MB  %s" % (name_of(e), "%.0f" % e["peak_rss_mb"]
                                             if e["peak_rss_mb"] else "?", e["metrics"]), flush=True)
        good = [e for e in entries if e["exit_code"] == 0]
        for e in good:
            e["times"], e["cpu_s"] = [], []
        if fast:
            res = hyperfine(good, os.path.join(hf_dir, "%s.json" % group),
                            runs=5 if args.quick else 20, warmup=1 if args.quick else 3)
            for e, r in zip(good, res):
                e["times"] = r["times"]
                e["cpu_s"] = [r["user"] + r["system"]]
        else:
            for k in range(runs):
                now = [e for e in good if not e.get("max_rounds") or k < e["max_rounds"]]
                res = hyperfine(now, os.path.join(hf_dir, "%s-round%d.json" % (group, k + 1)),
                                runs=1, warmup=0)
                for e, r in zip(now, res):
                    e["times"] += r["times"]
                    e["cpu_s"].append(r["user"] + r["system"])
        for e in good:
            t = sorted(e["times"])
            e["mean_s"] = sum(t) / len(t)
            e["median_s"] = t[len(t) // 2]
            e["min_s"] = t[0]
            e["stddev_s"] = (sum((v - e["mean_s"]) ** 2 for v in t) / (len(t) - 1)) ** 0.5 \
                if len(t) > 1 else 0.0
            e["mean_cpu_s"] = sum(e["cpu_s"]) / len(e["cpu_s"])
            print("  %-40s %.4f s (min %.4f, %d runs), cpu %.4f s" % (
                name_of(e), e["mean_s"], e["min_s"], len(t), e["mean_cpu_s"]), flush=True)
        all_entries += entries
    meta = dict(quick=args.quick, rounds=runs)
    old_path = os.path.join(args.out, "whole.json")
    if args.merge and os.path.exists(old_path):
        with open(old_path) as f:
            old = json.load(f)
        done = {e["group"] for e in all_entries}
        kept = [e for e in old["entries"] if e["group"] not in done]
        # keep the file's group order, the re-run groups in their old place
        order = list(dict.fromkeys(e["group"] for e in old["entries"] + all_entries))
        all_entries = sorted(kept + all_entries, key=lambda e: order.index(e["group"]))
    with open(os.path.join(args.out, "whole.json"), "w") as f:
        json.dump(dict(meta=meta, entries=all_entries), f, indent=1)
    with open(os.path.join(args.out, "whole.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["group", "impl", "setting", "mean_s", "median_s", "min_s", "stddev_s",
                    "mean_cpu_s", "runs",
                    "peak_rss_mb", "train_acc", "test_acc", "loss", "train_seconds",
                    "us_per_sample", "exit_code"])
        for e in all_entries:
            m = e.get("metrics", {})
            w.writerow([e["group"], e["impl"], e["setting"], e.get("mean_s"), e.get("median_s"),
                        e.get("min_s"), e.get("stddev_s"), e.get("mean_cpu_s"),
                        len(e.get("times", [])),
                        e.get("peak_rss_mb"), m.get("train_acc"), m.get("test_acc"),
                        m.get("loss"), m.get("train_seconds"), m.get("us_per_sample"),
                        e["exit_code"]])


if __name__ == "__main__":
    main()
