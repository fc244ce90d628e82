#!/usr/bin/python3
"""Reference: the tiny networks (XOR, the 2-2-1 sex example) trained with
numpy, float32, per-sample SGD (one update per sample, samples in order),
as models/{xor,sex}.spec describe.

  tiny_numpy.py --model xor|sex [--epochs N]
"""
import argparse

import numpy as np

import refdata

F = {
    "sigmoid": lambda z: np.float32(1) / (np.float32(1) + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, np.float32(0)),
    "identity": lambda z: z,
}
DF = {  # derivative from the activation's output
    "sigmoid": lambda a: a * (np.float32(1) - a),
    "tanh": lambda a: np.float32(1) - a * a,
    "relu": lambda a: (a > 0).astype(np.float32),
    "identity": lambda a: np.ones_like(a),
}


def forward(params, acts, x):
    a = [x]
    for (w, b), act in zip(params, acts):
        a.append(F[act](a[-1] @ w.T + b))
    return a


def loss_of(p, y, loss):
    if loss == "mse":
        return float(np.mean((p - y) ** 2))
    p = np.clip(p, np.float32(1e-7), np.float32(1 - 1e-7))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def step(params, acts, loss, x, y, lr):
    a = forward(params, acts, x)
    m, n_out = y.shape
    if loss == "mse":
        dz = np.float32(2.0 / (m * n_out)) * (a[-1] - y) * DF[acts[-1]](a[-1])
    else:  # bce on a sigmoid output
        dz = (a[-1] - y) / np.float32(m)
    for l in range(len(params) - 1, -1, -1):
        w, b = params[l]
        dw = dz.T @ a[l]
        db = dz.sum(axis=0)
        if l > 0:
            dz = (dz @ w) * DF[acts[l - 1]](a[l])
        w -= lr * dw
        b -= lr * db


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(refdata.TINY), default="xor")
    ap.add_argument("--epochs", type=int, default=0, help="0 = the spec's")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    x, y, cfg = refdata.tiny(args.model)
    if cfg["batch"] != 1 or cfg["optimizer"] != "sgd":
        raise SystemExit("%s: expected per-sample SGD, the spec says batch=%s optimizer=%s"
                         % (args.model, cfg["batch"], cfg["optimizer"]))
    epochs = args.epochs or cfg["epochs"]
    params = refdata.init_params(cfg["sizes"], cfg["init"], args.seed)
    lr = np.float32(cfg["lr"])
    with refdata.Timer() as t:
        for _ in range(epochs):
            for i in range(x.shape[0]):
                step(params, cfg["acts"], cfg["loss"], x[i:i + 1], y[i:i + 1], lr)
    p = forward(params, cfg["acts"], x)[-1]
    acc = float(np.mean((p > 0.5) == (y > 0.5)))
    samples = epochs * x.shape[0]
    refdata.report(args.model, "numpy", acc, None, loss_of(p, y, cfg["loss"]), t.seconds,
                   epochs=epochs, us_per_sample="%.3f" % (1e6 * t.seconds / samples))


if __name__ == "__main__":
    main()
