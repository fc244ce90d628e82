#!/usr/bin/python3
"""Reference: the course's cat models trained with PyTorch (autograd,
torch.optim.SGD), float32, full batch, one thread; same initial weights as
cat_numpy.py.

  cat_torch.py --model cat4 [--iterations N]
"""
import argparse

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
        layers.append(torch.nn.ReLU() if act == "relu" else torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(refdata.CAT_MODELS), default="cat4")
    ap.add_argument("--iterations", type=int, default=0, help="0 = the model's own")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = refdata.CAT_MODELS[args.model]
    iters = args.iterations or cfg["iterations"]
    x, y = (torch.from_numpy(a) for a in refdata.load_cat("train"))
    xt, yt = (torch.from_numpy(a) for a in refdata.load_cat("test"))
    net = build(cfg, args.seed)
    opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"])
    lossf = torch.nn.BCELoss()
    with refdata.Timer() as t:
        for _ in range(iters):
            opt.zero_grad()
            loss = lossf(net(x), y)
            loss.backward()
            opt.step()
    with torch.no_grad():
        p, pt = net(x), net(xt)
        loss = float(lossf(p, y))
        acc = float(((p > 0.5) == (y > 0.5)).float().mean())
        acc_t = float(((pt > 0.5) == (yt > 0.5)).float().mean())
    refdata.report(args.model, "torch", acc, acc_t, loss, t.seconds, iterations=iters)


if __name__ == "__main__":
    main()
