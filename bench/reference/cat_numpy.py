#!/usr/bin/python3
"""Reference: the course's cat models trained with plain numpy, float32,
full-batch gradient descent (what nngen's models/{logreg_cat,cat2,cat}.spec
describe).  One thread when run with OPENBLAS_NUM_THREADS=1 (bench/run.sh
sets it).

  cat_numpy.py --model cat4 [--iterations N]
"""
import argparse

import numpy as np

import refdata

ACT = {
    "relu": (lambda z: np.maximum(z, np.float32(0)), lambda a: (a > 0).astype(np.float32)),
    "sigmoid": (lambda z: np.float32(1) / (np.float32(1) + np.exp(-z)), lambda a: a * (1 - a)),
}


def forward(params, acts, x):
    """-> list of activations, a[0] = x."""
    a = [x]
    for (w, b), act in zip(params, acts):
        a.append(ACT[act][0](a[-1] @ w.T + b))
    return a


def bce(p, y):
    p = np.clip(p, np.float32(1e-7), np.float32(1 - 1e-7))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def train_step(params, acts, x, y, lr):
    m = np.float32(x.shape[0])
    a = forward(params, acts, x)
    loss = bce(a[-1], y)
    dz = (a[-1] - y) / m  # sigmoid + binary cross-entropy
    for l in range(len(params) - 1, -1, -1):
        w, b = params[l]
        dw = dz.T @ a[l]
        db = dz.sum(axis=0)
        if l > 0:
            dz = (dz @ w) * ACT[acts[l - 1]][1](a[l])
        w -= lr * dw
        b -= lr * db
    return loss


def accuracy(params, acts, x, y):
    return float(np.mean((forward(params, acts, x)[-1] > 0.5) == (y > 0.5)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(refdata.CAT_MODELS), default="cat4")
    ap.add_argument("--iterations", type=int, default=0, help="0 = the model's own")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cfg = refdata.CAT_MODELS[args.model]
    iters = args.iterations or cfg["iterations"]
    x, y = refdata.load_cat("train")
    xt, yt = refdata.load_cat("test")
    params = refdata.init_params(cfg["sizes"], cfg["init"], args.seed)
    lr = np.float32(cfg["lr"])
    with refdata.Timer() as t:
        for _ in range(iters):
            loss = train_step(params, cfg["acts"], x, y, lr)
    loss = bce(forward(params, cfg["acts"], x)[-1], y)
    refdata.report(args.model, "numpy", accuracy(params, cfg["acts"], x, y),
                   accuracy(params, cfg["acts"], xt, yt), loss, t.seconds, iterations=iters)


if __name__ == "__main__":
    main()
