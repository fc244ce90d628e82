"""Shared helpers of the reference trainers: data loading, initialisation and
the one-line result every reference prints, so bench/run.sh can read them all
the same way.

Everything is float32; samples are rows (x is m x n_in), as in nngen.
"""
import gzip
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CAT_DIR = os.environ.get("NNGEN_CAT_DIR", os.path.join(ROOT, "..", "shared", "data", "cat"))
FASHION_DIR = os.environ.get("NNGEN_FASHION_DIR", "/usr/share/datasets/fashion-mnist")

# The cat models of the course (deeplearning.ai course 1): layer sizes,
# activations, learning rate, iterations, init rule (models/*.spec).
CAT_MODELS = {
    "logreg": dict(sizes=[12288, 1], acts=["sigmoid"], lr=0.005, iterations=2000, init="zeros"),
    "cat2": dict(sizes=[12288, 7, 1], acts=["relu", "sigmoid"], lr=0.0075, iterations=2500,
                 init="course"),
    "cat4": dict(sizes=[12288, 20, 7, 5, 1], acts=["relu", "relu", "relu", "sigmoid"],
                 lr=0.0075, iterations=2500, init="course"),
}


def load_cat(split):
    """split 'train' or 'test' -> (x m x 12288 float32 in [0,1], y m x 1 float32)."""
    import h5py
    path = os.path.join(CAT_DIR, "%s_catvnoncat.h5" % split)
    with h5py.File(path, "r") as f:
        x = np.asarray(f["%s_set_x" % split], dtype=np.float32)
        y = np.asarray(f["%s_set_y" % split], dtype=np.float32)
    return x.reshape(x.shape[0], -1) / np.float32(255.0), y.reshape(-1, 1)


def load_idx(path):
    """An IDX file (.gz or not) -> numpy array of its element type and shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion(split):
    """split 'train' or 't10k' -> (x m x 784 float32 in [0,1], labels m int64)."""
    x = load_idx(os.path.join(FASHION_DIR, "%s-images-idx3-ubyte.gz" % split))
    y = load_idx(os.path.join(FASHION_DIR, "%s-labels-idx1-ubyte.gz" % split))
    return x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255.0), y.astype(np.int64)


def init_params(sizes, rule, seed=1):
    """[(W units x fan_in, b units)] float32, biases zero.

    The random stream is the course's (np.random.seed, randn per layer in
    order), so numpy and torch references start from the same weights; nngen
    uses the same rule with its own generator (xoshiro256**)."""
    rs = np.random.RandomState(seed)
    params = []
    for fan_in, units in zip(sizes[:-1], sizes[1:]):
        if rule == "zeros":
            w = np.zeros((units, fan_in))
        elif rule == "course":
            w = rs.randn(units, fan_in) / np.sqrt(fan_in)
        elif rule == "small":
            w = rs.randn(units, fan_in) * 0.01
        elif rule == "xavier":
            w = rs.randn(units, fan_in) * np.sqrt(2.0 / (fan_in + units))
        elif rule == "he":
            w = rs.randn(units, fan_in) * np.sqrt(2.0 / fan_in)
        else:
            raise ValueError("unknown init rule %r" % rule)
        params.append((w.astype(np.float32), np.zeros(units, dtype=np.float32)))
    return params


def report(model, impl, train_acc, test_acc, loss, seconds, **extra):
    """The one line bench/run.sh reads (key=value, space separated)."""
    fields = dict(model=model, impl=impl, train_acc="%.4f" % train_acc,
                  test_acc="%.4f" % test_acc if test_acc is not None else "nan",
                  loss="%.6f" % loss, train_seconds="%.6f" % seconds)
    fields.update({k: str(v) for k, v in extra.items()})
    print("RESULT " + " ".join("%s=%s" % kv for kv in fields.items()))
    sys.stdout.flush()


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *a):
        self.seconds = time.perf_counter() - self.t0


# Defaults of the spec language where a spec is silent (compiler/spec.c).
SPEC_DEFAULTS = dict(lr=0.01, epochs=10, iterations=0, batch=0, optimizer="sgd", beta1=0.9,
                     beta2=0.999, eps=1e-8, init="xavier", seed=1, loss="bce")
LOSS_ALIASES = {"binary_cross_entropy": "bce", "mean_squared_error": "mse",
                "categorical_cross_entropy": "cce"}


def parse_spec(path):
    """A models/*.spec file -> dict(sizes, acts, loss, lr, epochs, ...).

    Enough of the spec language (docs/spec.md) for the references: input,
    dense, loss and train lines; the references train what the spec says."""
    cfg = dict(SPEC_DEFAULTS, sizes=[], acts=[], name=os.path.basename(path).rsplit(".", 1)[0])
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] == "model":
                cfg["name"] = words[1]
            elif words[0] == "input":
                n = 1
                for d in words[1].split("x"):
                    n *= int(d)
                cfg["sizes"].insert(0, n)
            elif words[0] == "dense":
                cfg["sizes"].append(int(words[1]))
                cfg["acts"].append(words[2])
            elif words[0] == "loss":
                cfg["loss"] = LOSS_ALIASES.get(words[1], words[1])
            elif words[0] == "train":
                for kv in words[1:]:
                    k, v = kv.split("=", 1)
                    if k in ("epochs", "iterations", "seed"):
                        cfg[k] = int(v)
                    elif k == "batch":
                        cfg[k] = 0 if v == "full" else int(v)
                    elif k in ("optimizer", "init"):
                        cfg[k] = v
                    else:
                        cfg[k] = float(v)
    return cfg


def model_cfg(name, fallback):
    """models/<name>.spec parsed if it exists, else the fallback dict."""
    path = os.path.join(ROOT, "models", name + ".spec")
    if os.path.exists(path):
        return parse_spec(path)
    return dict(SPEC_DEFAULTS, **fallback)


# The tiny data sets, four points each.
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
# Weight (lb - 135) and height (in - 66) -> 1 for female (the classic 2-2-1
# "sex from weight and height" example: Alice, Bob, Charlie, Diana).
SEX_X = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]], dtype=np.float32)
SEX_Y = np.array([[1], [0], [0], [1]], dtype=np.float32)
TINY = {
    "xor": (XOR_X, XOR_Y, dict(sizes=[2, 4, 1], acts=["tanh", "sigmoid"], loss="bce", lr=0.1,
                               epochs=1000, batch=1, init="xavier")),
    "sex": (SEX_X, SEX_Y, dict(sizes=[2, 2, 1], acts=["sigmoid", "sigmoid"], loss="mse", lr=0.1,
                               epochs=1000, batch=1, init="xavier")),
}


# What the tiny-net benchmark trains, where it differs from the spec: XOR
# per-sample SGD like the 2-2-1 net (its spec trains full batch with Adam);
# nngen gets the same as --batch/--optimizer/--lr flags (bench/whole.py).
TINY_OVERRIDES = {"xor": dict(batch=1, optimizer="sgd", lr=0.1), "sex": {}}


def tiny(name):
    """-> (x, y, cfg) for 'xor' or 'sex', with TINY_OVERRIDES applied."""
    x, y, fallback = TINY[name]
    cfg = model_cfg(name, fallback)
    cfg.update(TINY_OVERRIDES[name])
    return x, y, cfg


def write_csv(path, x, y):
    """x columns then the label, no header (what nngen's CSV loader reads)."""
    with open(path, "w") as f:
        for xi, yi in zip(x, y):
            f.write(",".join("%g" % v for v in list(xi) + list(yi)) + "\n")

FASHION_FALLBACK = dict(sizes=[784, 256, 128, 10], acts=["relu", "relu", "softmax"], loss="cce",
                        lr=0.001, epochs=1, batch=64, optimizer="adam", init="he")


def fashion_cfg():
    return model_cfg("fashion", FASHION_FALLBACK)
