#!/usr/bin/python3
"""Reference: the Fashion-MNIST MLP (784-256-128-10 relu, relu, softmax,
categorical cross-entropy, Adam, mini-batches of 64; models/fashion.spec)
trained with numpy, float32, for one epoch (samples shuffled once, the last
batch smaller).

  fashion_numpy.py [--epochs N] [--limit M]
"""
import argparse

import numpy as np

import refdata


def forward(params, acts, x):
    a = [x]
    for (w, b), act in zip(params, acts):
        z = a[-1] @ w.T + b
        if act == "relu":
            z = np.maximum(z, np.float32(0))
        else:  # softmax
            z = np.exp(z - z.max(axis=1, keepdims=True))
            z /= z.sum(axis=1, keepdims=True)
        a.append(z)
    return a


def grads(params, acts, x, y1h):
    a = forward(params, acts, x)
    m = np.float32(x.shape[0])
    loss = float(-np.mean(np.sum(y1h * np.log(np.maximum(a[-1], np.float32(1e-7))), axis=1)))
    dz = (a[-1] - y1h) / m
    g = [None] * len(params)
    for l in range(len(params) - 1, -1, -1):
        w, _ = params[l]
        g[l] = (dz.T @ a[l], dz.sum(axis=0))
        if l > 0:
            dz = (dz @ w) * (a[l] > 0)
    return loss, g


class Adam:
    def __init__(self, params, lr, b1, b2, eps):
        self.lr, self.b1, self.b2, self.eps = (np.float32(v) for v in (lr, b1, b2, eps))
        self.m = [[np.zeros_like(p) for p in wb] for wb in params]
        self.v = [[np.zeros_like(p) for p in wb] for wb in params]
        self.t = 0

    def step(self, params, g):
        self.t += 1
        c1 = np.float32(1 - self.b1 ** self.t)
        c2 = np.float32(1 - self.b2 ** self.t)
        for l, wb in enumerate(params):
            for k, p in enumerate(wb):
                m, v, gk = self.m[l][k], self.v[l][k], g[l][k]
                m *= self.b1
                m += (1 - self.b1) * gk
                v *= self.b2
                v += (1 - self.b2) * gk * gk
                p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def accuracy(params, acts, x, labels):
    return float(np.mean(forward(params, acts, x)[-1].argmax(axis=1) == labels))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="train on the first M samples only")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cfg = refdata.fashion_cfg()
    x, lab = refdata.load_fashion("train")
    xt, labt = refdata.load_fashion("t10k")
    if args.limit:
        x, lab = x[:args.limit], lab[:args.limit]
    y1h = np.eye(cfg["sizes"][-1], dtype=np.float32)[lab]
    params = refdata.init_params(cfg["sizes"], cfg["init"], args.seed)
    opt = Adam(params, cfg["lr"], cfg["beta1"], cfg["beta2"], cfg["eps"])
    rs = np.random.RandomState(args.seed)
    bs = cfg["batch"]
    with refdata.Timer() as t:
        for _ in range(args.epochs):
            order = rs.permutation(x.shape[0])
            for s in range(0, x.shape[0], bs):
                idx = order[s:s + bs]
                _, g = grads(params, cfg["acts"], x[idx], y1h[idx])
                opt.step(params, g)
    loss, _ = grads(params, cfg["acts"], x, y1h)
    refdata.report("fashion", "numpy", accuracy(params, cfg["acts"], x, lab),
                   accuracy(params, cfg["acts"], xt, labt), loss, t.seconds, epochs=args.epochs)


if __name__ == "__main__":
    main()
