#!/usr/bin/python3
"""Reference: the tiny networks (XOR, the 2-2-1 sex example) trained with
PyTorch, float32, one thread, per-sample SGD (torch.optim.SGD, one update
per sample, samples in order); same initial weights as tiny_numpy.py.

  tiny_torch.py --model xor|sex [--epochs N]
"""
import argparse

import torch

import refdata

ACT = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
       "identity": torch.nn.Identity}


def build(cfg, seed):
    layers = []
    for (w, b), act in zip(refdata.init_params(cfg["sizes"], cfg["init"], seed), cfg["acts"]):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, ACT[act]()]
    return torch.nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(refdata.TINY), default="xor")
    ap.add_argument("--epochs", type=int, default=0, help="0 = the spec's")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    xn, yn, cfg = refdata.tiny(args.model)
    x, y = torch.from_numpy(xn), torch.from_numpy(yn)
    if cfg["batch"] != 1 or cfg["optimizer"] != "sgd":
        raise SystemExit("%s: expected per-sample SGD, the spec says batch=%s optimizer=%s"
                         % (args.model, cfg["batch"], cfg["optimizer"]))
    epochs = args.epochs or cfg["epochs"]
    net = build(cfg, args.seed)
    opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"])
    lossf = torch.nn.MSELoss() if cfg["loss"] == "mse" else torch.nn.BCELoss()
    rows = [(x[i:i + 1], y[i:i + 1]) for i in range(x.shape[0])]
    with refdata.Timer() as t:
        for _ in range(epochs):
            for xi, yi in rows:
                opt.zero_grad()
                lossf(net(xi), yi).backward()
                opt.step()
    with torch.no_grad():
        p = net(x)
        loss = float(lossf(p, y))
        acc = float(((p > 0.5) == (y > 0.5)).float().mean())
    samples = epochs * x.shape[0]
    refdata.report(args.model, "torch", acc, None, loss, t.seconds, epochs=epochs,
                   us_per_sample="%.3f" % (1e6 * t.seconds / samples))


if __name__ == "__main__":
    main()
