#!/usr/bin/python3
"""Reference: the Fashion-MNIST MLP (784-256-128-10 relu, relu, softmax,
categorical cross-entropy, torch.optim.Adam, mini-batches of 64;
models/fashion.spec) trained with PyTorch, float32, one thread, for one
epoch; same initial weights and sample order as fashion_numpy.py.

  fashion_torch.py [--epochs N] [--limit M]
"""
import argparse

import numpy as np
import torch

import refdata


def build(cfg, seed):
    layers = []
    for (w, b), act in zip(refdata.init_params(cfg["sizes"], cfg["init"], seed), cfg["acts"]):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if act == "relu":
            layers.append(torch.nn.ReLU())
    # softmax + cross-entropy: CrossEntropyLoss on the logits (the fused,
    # stable form a PyTorch user writes)
    return torch.nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="train on the first M samples only")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = refdata.fashion_cfg()
    xn, labn = refdata.load_fashion("train")
    xtn, labtn = refdata.load_fashion("t10k")
    if args.limit:
        xn, labn = xn[:args.limit], labn[:args.limit]
    x, lab = torch.from_numpy(xn), torch.from_numpy(labn)
    xt, labt = torch.from_numpy(xtn), torch.from_numpy(labtn)
    net = build(cfg, args.seed)
    opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                           eps=cfg["eps"])
    lossf = torch.nn.CrossEntropyLoss()
    rs = np.random.RandomState(args.seed)
    bs = cfg["batch"]
    with refdata.Timer() as t:
        for _ in range(args.epochs):
            order = torch.from_numpy(rs.permutation(x.shape[0]))
            for s in range(0, x.shape[0], bs):
                idx = order[s:s + bs]
                opt.zero_grad()
                lossf(net(x[idx]), lab[idx]).backward()
                opt.step()
    with torch.no_grad():
        out = net(x)
        loss = float(lossf(out, lab))
        acc = float((out.argmax(1) == lab).float().mean())
        acc_t = float((net(xt).argmax(1) == labt).float().mean())
    refdata.report("fashion", "torch", acc, acc_t, loss, t.seconds, epochs=args.epochs)


if __name__ == "__main__":
    main()
