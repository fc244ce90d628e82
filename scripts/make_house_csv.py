#!/usr/bin/python3
"""make_house_csv.py -- the synthetic house-price data of models/house.spec.

Writes data/house_train.csv (400 houses) and data/house_test.csv (100).
Each house, drawn with a splitmix64 generator seeded by SEED (below):
    area      ~ U(50, 250)             living area, m^2
    bedrooms  = clamp(round(area / 50 + N(0, 0.7)), 1, 6)
    age       ~ U(0, 60)               years
    price     = 40 + 2.5 area + 15 bedrooms - 1.2 age
                + 0.004 (area - 150)^2 + N(0, 20)      (thousands)
Features and price are then standardized with the TRAINING set's mean and
standard deviation (the same shift and scale applied to the test set), so
predicting the mean gives an MSE of about 1.  Columns: area, bedrooms, age,
price (the target, last).  Four decimals.  The noise alone (sd 20) is about
0.12 of the price's standard deviation, the floor of the test RMSE.

Usage: /usr/bin/python3 scripts/make_house_csv.py [OUTDIR]   (default: data)
The output is committed; re-running reproduces it byte for byte.
"""
import math
import os
import sys

SEED = 20241122
N_TRAIN, N_TEST = 400, 100


class Rng:
    """splitmix64: integer-only, so the stream is the same everywhere."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def uniform(self, a, b):
        return a + (b - a) * (self.next() >> 11) / 9007199254740992.0

    def normal(self):  # Box-Muller
        u1 = 1.0 - (self.next() >> 11) / 9007199254740992.0
        u2 = (self.next() >> 11) / 9007199254740992.0
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def house(r):
    area = r.uniform(50.0, 250.0)
    bedrooms = min(6, max(1, round(area / 50.0 + 0.7 * r.normal())))
    age = r.uniform(0.0, 60.0)
    price = (40.0 + 2.5 * area + 15.0 * bedrooms - 1.2 * age
             + 0.004 * (area - 150.0) ** 2 + 20.0 * r.normal())
    return [area, float(bedrooms), age, price]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "data"
    r = Rng(SEED)
    rows = [house(r) for _ in range(N_TRAIN + N_TEST)]
    train, test = rows[:N_TRAIN], rows[N_TRAIN:]
    cols = len(train[0])
    mean = [sum(t[j] for t in train) / len(train) for j in range(cols)]
    sd = [math.sqrt(sum((t[j] - mean[j]) ** 2 for t in train) / len(train)) for j in range(cols)]
    for name, part in (("house_train.csv", train), ("house_test.csv", test)):
        with open(os.path.join(out, name), "w") as f:
            f.write("area,bedrooms,age,price\n")
            for t in part:
                f.write(",".join("%.4f" % ((t[j] - mean[j]) / sd[j]) for j in range(cols)) + "\n")


if __name__ == "__main__":
    main()
