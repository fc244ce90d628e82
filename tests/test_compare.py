#!/usr/bin/python3
"""test_compare.py -- nngen-compare (compare/nngen-compare.in), run as a user
runs it, a few steps at a time.  Checked: the table's shape (a row for the
loop, the auto-vectorized loops and each intrinsic path this CPU has, in
that order, with every column filled), the loss check (ok, and the numbers
behind it in --json; the check itself on made-up numbers that must fail),
the --dot result check, the SVG, and the usage errors.  Never a timing.

    test_compare.py CASE      CASE: xor_synthetic, xor_csv, cat, dot, usage, check

Environment (tests/compare.cmake sets it): NNGEN_COMPARE (the build tree's
nngen-compare), NNGEN_SOURCE_DIR, NNGEN_DATA_DIR (cat/train_catvnoncat.h5;
missing: the cat case is skipped, exit 77, or fails with CI=true).
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.dom.minidom

TOOL = os.environ.get("NNGEN_COMPARE", "")
SRC = os.environ.get("NNGEN_SOURCE_DIR", "")
DATA = os.environ.get("NNGEN_DATA_DIR", "")
SKIP = 77

# The CPU feature (/proc/cpuinfo flags) each x86 path needs: a check of the
# table's rows that does not ask the compiler, as nngen-compare does.  A path
# not named here (neon, a new one) is expected when nngen-compare's own
# test, the compiler's, says so.
CPU_FLAGS = {"avx2": ["avx2", "fma"], "avx512": ["avx512f"]}


class Failed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Failed(msg)


def tool(*args, status=0):
    """Runs nngen-compare ARGS in the source directory; its output goes to the
    test's log."""
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, cwd=SRC)
    print("$ nngen-compare %s\n%s%s" % (" ".join(args), r.stderr, r.stdout))
    if r.returncode != status:
        raise Failed("nngen-compare %s: exit status %d, expected %d"
                     % (" ".join(args), r.returncode, status))
    return r


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def intrinsic_paths():
    """The rows of nngen --list-isas with more than one float a vector."""
    nngen = os.path.join(os.path.dirname(os.path.dirname(TOOL)), "compiler", "nngen")
    out = subprocess.run([nngen, "--list-isas"], capture_output=True, text=True,
                         check=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line and not line.startswith("#")]
    return [r[0] for r in rows if int(r[1]) > 1]


def table_rows(text):
    """The rows of the table: [variant, path, time, spread, samples/s, GFLOP/s,
    of peak, speed-up] after the header line."""
    lines = text.splitlines()
    head = [i for i, line in enumerate(lines) if line.startswith("variant ")]
    expect(len(head) == 1, "no table header in:\n" + text)
    rows = []
    for line in lines[head[0] + 1:]:
        if not line.strip():
            break
        rows.append(line.split())
    return rows


def check_table(text, is_dot=False):
    rows = table_rows(text)
    names = [r[0] for r in rows]
    expect(names[:2] == ["loop", "auto-vectorized"],
           "the first rows are not loop, auto-vectorized: %s" % names)
    flags = cpu_flags()
    for path in intrinsic_paths():
        need = CPU_FLAGS.get(path)
        if need is not None and flags:
            has = all(f in flags for f in need)
            expect((path in names) == has, "path %s: row %s, but the CPU %s %s"
                   % (path, "present" if path in names else "missing",
                      "has" if has else "lacks", "+".join(need)))
        elif path not in names:
            expect(re.search(r"^not compared: %s " % re.escape(path), text, re.M),
                   "path %s: neither a row nor 'not compared'" % path)
    for r in rows:
        # variant path time unit spread samples/s GFLOP/s of-peak speed-up
        expect(len(r) == 9, "row of %d fields: %s" % (len(r), r))
        expect(r[1] == ("scalar" if r[0] in ("loop", "auto-vectorized") else r[0]),
               "row %s built for path %s" % (r[0], r[1]))
        expect(re.fullmatch(r"[0-9.]+", r[2]) and r[3] in ("ns", "us", "ms", "s"),
               "time %s %s" % (r[2], r[3]))
        expect(re.fullmatch(r"±[0-9.]+%", r[4]), "spread %s" % r[4])
        expect(re.fullmatch(r"[0-9.,]+", r[5]), "samples/s %s" % r[5])
        expect(re.fullmatch(r"[0-9.e+-]+", r[6]), "GFLOP/s %s" % r[6])
        expect(re.fullmatch(r"[0-9.]+%|-", r[7]), "of peak %s" % r[7])
        expect(re.fullmatch(r"[0-9.]+x", r[8]), "speed-up %s" % r[8])
    expect(rows[0][8] == "1.00x", "the loop's speed-up over itself is %s" % rows[0][8])
    if is_dot:
        expect(re.search(r"^result: every variant computed \d+, the exact value .*: ok$",
                         text, re.M), "no result check in:\n" + text)
    else:
        expect(re.search(r"^loss check: after 1 step every variant is within 1e-05 of the "
                         r"loop's .*: ok$", text, re.M), "no loss check ok in:\n" + text)
    return names


def check_json(j, names):
    expect([v["name"] for v in j["variants"]] == names, "JSON variants %s, table %s"
           % ([v["name"] for v in j["variants"]], names))
    expect(j["check"]["ok"] is True, "check not ok: %s" % j["check"])
    for v in j["variants"]:
        t = v["time_per_step"]
        expect(len(t["runs"]) == j["runs"], "%s: %d runs" % (v["name"], len(t["runs"])))
        expect(0 < t["min"] <= t["median"] <= t["max"], "%s: times %s" % (v["name"], t))
        expect(v["samples_per_s"] > 0 and v["gflops"]["median"] > 0, v["name"])
        expect(len(set(v["losses"])) == 1, "%s: runs differ: %s" % (v["name"], v["losses"]))
    expect(j["variants"][0]["speedup"] == 1.0, "loop speed-up")


# --------------------------------------------------------------------------

def case_xor_synthetic():
    """Synthetic data, the peak measured, the table and the SVG."""
    with tempfile.TemporaryDirectory() as d:
        svg = os.path.join(d, "xor.svg")
        r = tool("models/xor.spec", "--steps", "200", "--runs", "2", "--plot", svg)
        check_table(r.stdout)
        expect("synthetic, 256 samples" in r.stdout, "no synthetic data line:\n" + r.stdout)
        doc = xml.dom.minidom.parse(svg)
        expect(doc.documentElement.tagName == "svg", "not an SVG")
        expect(len(doc.getElementsByTagName("rect")) >= 4, "no bars in the SVG")


def case_xor_csv():
    """The given data, --json; the same runs give the same loss bit for bit."""
    r = tool("models/xor.spec", "--train", "data/xor.csv", "--steps", "50", "--runs", "2",
             "--peak", "100")
    names = check_table(r.stdout)
    j = json.loads(tool("models/xor.spec", "--train", "data/xor.csv", "--steps", "50",
                        "--runs", "2", "--peak", "100", "--json").stdout)
    check_json(j, names)
    expect(j["data"] == "data/xor.csv" and j["steps"] == 50, "data %s steps %s"
           % (j["data"], j["steps"]))
    expect(j["flops_per_step_sample"] == 56, "xor's FLOPs a sample: %s"
           % j["flops_per_step_sample"])
    expect(j["peak"]["gflops"] == 100, "--peak 100 not used")
    # batch 1 from the command line, and trainer flags after --
    r = tool("models/xor.spec", "--train", "data/xor.csv", "--steps", "20", "--runs", "1",
             "--peak", "100", "--batch", "1", "--", "--optimizer", "sgd")
    check_table(r.stdout)
    expect("batch 1;" in r.stdout or "batch 1\n" in r.stdout, "batch 1 not shown")


def case_cat():
    """The course's cat classifier on its data: the wide layers, where the
    paths differ in rounding and the loss check has something to check."""
    path = os.path.join(DATA, "cat", "train_catvnoncat.h5")
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            raise Failed("CI=true but the data file %s is missing" % path)
        print("%s is missing: case skipped" % path)
        sys.exit(SKIP)
    r = tool("models/cat.spec", "--train", path, "--steps", "3", "--runs", "1")
    names = check_table(r.stdout)
    expect(len(names) >= 3 or not intrinsic_paths(), "no intrinsic row: %s" % names)


def case_dot():
    r = tool("--dot", "10000", "--steps", "100", "--runs", "2", "--peak", "100")
    names = check_table(r.stdout, is_dot=True)
    j = json.loads(tool("--dot", "1000", "--steps", "10", "--runs", "1", "--peak", "100",
                        "--json").stdout)
    expect([v["name"] for v in j["variants"]] == names, "dot JSON variants")
    expect(j["check"]["ok"] and all(v["loss"] == j["check"]["exact"] for v in j["variants"]),
           "dot results %s" % [v["loss"] for v in j["variants"]])
    expect(j["flops_per_step_sample"] == 2000, "dot FLOPs")


def case_usage():
    for args, msg in (([], "missing SPEC"),
                      (["--dot", "0"], "--dot: 0 must be in [1, 1000000]"),
                      (["--dot", "1000001"], "--dot: 1000001 must be in [1, 1000000]"),
                      (["--dot", "5", "models/xor.spec"], "give a SPEC or --dot N (not both)"),
                      (["models/xor.spec", "--bogus"], "unknown option '--bogus'"),
                      (["models/xor.spec", "--steps"], "--steps needs a value (N)"),
                      (["models/xor.spec", "--steps", "x"], "--steps: 'x' is not a whole number"),
                      (["--dot", "5", "--batch", "2"], "--batch does not go with --dot")):
        r = tool(*args, status=2)
        expect(r.stdout == "", "usage error printed on stdout")
        lines = r.stderr.splitlines()
        expect(len(lines) == 1 and lines[0].startswith("nngen-compare: " + msg),
               "%s: stderr %r, expected 'nngen-compare: %s ...'" % (args, r.stderr, msg))
    r = tool("models/none.spec", "--steps", "1", status=1)
    expect(r.stderr.strip() == "nngen-compare: models/none.spec: no such file", r.stderr)
    r = tool("--help")
    expect(r.stdout.startswith("NAME\n    nngen-compare - ") and "EXIT STATUS" in r.stdout,
           "--help is not the manual")


def case_check():
    """The loss check itself, on made-up numbers: nngen-compare's check()."""
    loader = importlib.machinery.SourceFileLoader("nngen_compare", TOOL)
    spec = importlib.util.spec_from_loader("nngen_compare", loader)
    m = importlib.util.module_from_spec(spec)
    loader.exec_module(m)

    def res(*rows):
        return dict(variants=[dict(name=n, loss1=l1, loss=ln, losses=[ln, ln], exact=None)
                              for n, l1, ln in rows])

    r = res(("loop", 0.5, 0.25), ("avx2", 0.5 * (1 + 9e-6), 0.25 * (1 + 1e-3)))
    expect(m.check(r, False, 100) is True, "9e-6 apart after 1 step: not ok")
    expect("largest difference 9e-06, avx2): ok" in r["check"]["text"], r["check"]["text"])
    expect("0.001 (avx2): over many steps" in r["check"]["text"], r["check"]["text"])
    r = res(("loop", 0.5, 0.25), ("avx2", 0.5, 0.25), ("avx512", 0.5 * (1 + 2e-5), 0.25))
    expect(m.check(r, False, 100) is False, "2e-5 apart after 1 step: ok")
    expect("DIFFERS" in r["check"]["text"] and "avx512" in r["check"]["text"],
           r["check"]["text"])
    r = res(("loop", 0.5, 0.25), ("avx2", 0.5, 0.25))
    r["variants"][1]["losses"] = [0.25, 0.2500001]
    expect(m.check(r, False, 100) is False, "a variant's runs differ: ok")
    expect("avx2's runs differ" in r["check"]["text"], r["check"]["text"])
    r = dict(variants=[dict(name="loop", loss=42.0, losses=[42.0], exact=42),
                       dict(name="avx2", loss=41.0, losses=[41.0], exact=42)])
    expect(m.check(r, True, 10) is False, "a dot product off by one: ok")
    expect(m.LOSS_RTOL == 1e-5, "the bound is test_isa_agree's 1e-5")


CASES = {"xor_synthetic": case_xor_synthetic, "xor_csv": case_xor_csv, "cat": case_cat,
         "dot": case_dot, "usage": case_usage, "check": case_check}


def main(argv):
    if len(argv) != 2 or argv[1] not in CASES:
        print("usage: test_compare.py %s" % "|".join(CASES), file=sys.stderr)
        return 2
    if not TOOL or not os.access(TOOL, os.X_OK) or not SRC:
        print("test_compare.py: NNGEN_COMPARE and NNGEN_SOURCE_DIR must be set", file=sys.stderr)
        return 2
    try:
        CASES[argv[1]]()
    except Failed as e:
        print("FAILED: %s" % e)
        return 1
    print("ok: %s" % argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
