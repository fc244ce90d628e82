#!/usr/bin/python3
"""Live checks against numpy itself (ctest numpy_interop, tests/numpy.cmake).

    numpy_check.py SOURCE_DIR BINARY_DIR [DATA_DIR]

1. init=numpy*: nngen's initial weights of the course's models equal
   numpy's (np.random.seed, then np.random.randn for W1, W2, ...) bit for
   bit after rounding to float32, and randn's doubles are numpy's exactly.
2. A weights file nngen saves as .npz loads with np.load alone and a numpy
   forward pass gives nngen's --predict outputs (xor: tanh/sigmoid; house:
   relu/identity).
3. Data and weights numpy writes (np.savez, np.savez_compressed, np.save;
   float64, uint8 images in the course's layout, labels of shape (1, m))
   train and predict in nngen.
4. With the cat data: the --log step-0 cost of the course's models with
   init=numpy / numpy_small and seed 1 is the notebooks' first cost.

Without numpy it exits 77 (ctest: skipped), or 1 when CI=true.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("numpy_check: numpy is not installed (scripts/install-deps.sh installs python3-numpy)")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

SRC, BIN = sys.argv[1], sys.argv[2]
DATA = sys.argv[3] if len(sys.argv) > 3 else ""
MODELS = os.path.join(BIN, "models")
TOOL = os.path.join(BIN, "tests", "np_tool")
TMP = tempfile.mkdtemp(prefix="nngen_numpy_")
failures = 0


def check(ok, what):
    global failures
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures += 1


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("numpy_check: %s failed (%d): %s" % (" ".join(map(str, args)),
                                                             r.returncode, r.stderr.strip()))
    return r.stdout


def tmp(name):
    return os.path.join(TMP, name)


RULES = {
    "numpy": lambda n, p: np.random.randn(n, p) / np.sqrt(p),
    "numpy_small": lambda n, p: np.random.randn(n, p) * 0.01,
    "numpy_xavier": lambda n, p: np.random.randn(n, p) * np.sqrt(2. / (p + n)),
    "numpy_he": lambda n, p: np.random.randn(n, p) * np.sqrt(2. / p),
}


def check_init():
    got = [float.fromhex(v) for v in run(TOOL, "randn", 1, 5001).split()]
    np.random.seed(1)
    want = np.random.randn(5001)
    check(np.array_equal(np.array(got), want), "randn(5001) with seed 1: numpy's doubles, bit for bit")
    for rule, seed, dims in (("numpy", 1, [12288, 20, 7, 5, 1]),   # course 1, L-layer notebook
                             ("numpy_small", 1, [12288, 7, 1]),     # course 1, 2-layer notebook
                             ("numpy_he", 3, [2, 10, 5, 1]),        # course 2, initialization
                             ("numpy_xavier", 7, [5, 3, 3, 2])):
        out = tmp("init_%s.npz" % rule)
        run(TOOL, "init", rule, seed, "-".join(map(str, dims)), out)
        p = np.load(out)
        np.random.seed(seed)
        same = True
        for l in range(1, len(dims)):
            w = RULES[rule](dims[l], dims[l - 1])
            same &= p["W%d" % l].dtype == np.float32 and np.array_equal(p["W%d" % l], w.astype(np.float32))
            same &= np.array_equal(p["b%d" % l], np.zeros((dims[l], 1), np.float32))
        check(same, "init=%s seed %d of %s: numpy's weights (float32), biases zero"
              % (rule, seed, "-".join(map(str, dims))))


def forward(p, x, acts):
    a = x.T.astype(np.float64)
    for l, act in enumerate(acts, 1):
        z = p["W%d" % l].astype(np.float64) @ a + p["b%d" % l].astype(np.float64).reshape(-1, 1)
        a = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "identity": lambda v: v,
             "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[act](z)
    return a.T


def predictions(text, n_out):
    rows = [list(map(float, line.split(","))) for line in text.strip().split("\n")]
    return np.array([r[:n_out] for r in rows])


def check_export():
    xor, house = os.path.join(MODELS, "xor"), os.path.join(MODELS, "house")
    xcsv = os.path.join(SRC, "data", "xor.csv")
    w = tmp("xor.npz")
    run(xor, "--train", xcsv, "--save", w, "--quiet")
    p = np.load(w)
    check(sorted(p.files) == sorted(["W1", "b1", "W2", "b2", "vW1", "vb1", "vW2", "vb2", "sW1",
                                     "sb1", "sW2", "sb2", "step", "epoch", "optimizer",
                                     "signature", "model"]),
          "xor.npz: the arrays numpy users expect (%s)" % ", ".join(p.files))
    check(p["W1"].shape == (4, 2) and p["b1"].shape == (4, 1) and p["W2"].shape == (1, 4),
          "W1 (4, 2), b1 (4, 1), W2 (1, 4): the course's shapes")
    check(int(p["step"]) == 2000 and str(p["optimizer"]) == "adam", "step 2000, optimizer adam")
    info = run(xor, "--info")
    check("signature %016x" % int(p["signature"]) in info, "signature = --info's")
    x = np.loadtxt(xcsv, delimiter=",", skiprows=1)[:, :2]
    got = predictions(run(xor, "--load", w, "--predict", xcsv), 1)
    want = forward(p, x, ["tanh", "sigmoid"])
    check(np.allclose(got, want, rtol=1e-5, atol=1e-6),
          "xor: numpy's forward pass of xor.npz = --predict (largest difference %.2g)"
          % np.max(np.abs(got - want)))
    hw = tmp("house.npz")
    run(house, "--train", os.path.join(SRC, "data", "house_train.csv"), "--save", hw, "--quiet")
    ph = np.load(hw)
    htest = os.path.join(SRC, "data", "house_test.csv")
    hx = np.loadtxt(htest, delimiter=",", skiprows=1)[:, :3]
    got = predictions(run(house, "--load", hw, "--predict", htest), 1)
    want = forward(ph, hx, ["relu", "identity"])
    check(np.allclose(got, want, rtol=1e-4, atol=1e-5),
          "house: numpy's forward pass of house.npz = --predict on %d samples (largest "
          "difference %.2g)" % (len(hx), np.max(np.abs(got - want))))
    # resume from the .npz equals the uninterrupted run
    half, whole = tmp("half.npz"), tmp("whole.npz")
    run(xor, "--train", xcsv, "--epochs", "1000", "--save", half, "--quiet")
    run(xor, "--train", xcsv, "--resume", half, "--save", tmp("resumed.npz"), "--quiet")
    run(xor, "--train", xcsv, "--save", whole, "--quiet")
    a, b = np.load(tmp("resumed.npz")), np.load(whole)
    check(all(np.array_equal(a[k], b[k]) for k in a.files),
          "xor: 1000 epochs saved as .npz and resumed = 2000 epochs, every array equal")


def check_import():
    xor = os.path.join(MODELS, "xor")
    rng = np.random.RandomState(0)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    params = {"W1": rng.randn(4, 2), "b1": rng.randn(4, 1) * 0.1, "W2": rng.randn(1, 4),
              "b2": np.zeros((1, 1))}                   # float64, as a notebook has them
    w = tmp("notebook.npz")
    np.savez(w, **params)
    for name, save in (("data.npz", np.savez), ("data_z.npz", np.savez_compressed)):
        d = tmp(name)
        save(d, x=x, y=y)
        got = predictions(run(xor, "--load", w, "--predict", d), 1)
        want = forward(params, x, ["tanh", "sigmoid"])
        check(np.allclose(got, want, rtol=1e-5, atol=1e-6),
              "np.savez'd float64 weights predict %s (%s) as numpy does" % (name, save.__name__))
        out = tmp("trained_" + name)
        run(xor, "--load", w, "--train", d, "--save", out, "--quiet")
        check(np.load(out)["W1"].shape == (4, 2), "--train %s from np.savez'd weights" % name)
    # the course's layout: uint8 "images", labels (1, m)
    imgs = np.array([[0, 0], [0, 255], [255, 0], [255, 255]], dtype=np.uint8)
    c = tmp("course.npz")
    np.savez(c, train_set_x=imgs, train_set_y=y.reshape(1, 4), list_classes=np.array([b"a"]))
    got = predictions(run(xor, "--load", w, "--predict", c), 1)
    want = forward(params, imgs / 255, ["tanh", "sigmoid"])
    check(np.allclose(got, want, rtol=1e-5, atol=1e-6), "course layout: uint8 train_set_x / 255")
    run(xor, "--train", c, "--save", tmp("c.npz"), "--quiet")
    check(True, "course layout: train_set_x with train_set_y of shape (1, m) trains")
    # .npy pairs: train_x.npy finds train_y.npy
    np.save(tmp("train_x.npy"), x.astype(np.float32))
    np.save(tmp("train_y.npy"), y.astype(np.uint8))
    out = run(xor, "--train", tmp("train_x.npy"), "--quiet", "--json")
    check('"train_acc":1' in out, ".npy pair train_x.npy + train_y.npy trains xor to 4/4")


def check_course_start():
    if not DATA:
        return
    tr = os.path.join(DATA, "cat", "train_catvnoncat.h5")
    if not os.path.exists(tr):
        if os.environ.get("CI") == "true":
            check(False, "cat data in %s" % DATA)
        return
    for model, init, want in (("cat", "numpy", 0.7717493284237686),
                              ("cat2", "numpy_small", 0.6930497356599888)):
        prog = os.path.join(MODELS, model)
        if not os.path.exists(prog):
            continue
        log = tmp(model + ".csv")
        run(prog, "--train", tr, "--init", init, "--seed", 1, "--iterations", 1, "--log", log,
            "--quiet")
        rows = open(log).read().strip().split("\n")
        step, _, loss = rows[1].split(",")[:3]
        check(step == "0" and abs(float(loss) - want) < 2e-6,
              "%s --init %s --seed 1: step-0 cost %s, the notebook's %.6f" % (model, init, loss, want))


check_init()
check_export()
check_import()
check_course_start()
print("numpy_check: %d failure(s)" % failures)
sys.exit(1 if failures else 0)
