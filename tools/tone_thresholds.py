#!/usr/bin/env python3
"""Prints the tone thresholds of org.minidiffusion.text.caption.Tone: per class, the tertiles of
the garment mean over the 60,000-image Fashion-MNIST training split, rounded to three decimals.

The garment mean of an image is the mean of its pixels (bytes / 255) above 0.1, as Tone.garmentMean
computes it; the tertiles are the values at ranks floor(n / 3) and floor(2 n / 3) of the class's
sorted means. Needs numpy and Debian's dataset-fashion-mnist package:

    python3 tools/tone_thresholds.py [/usr/share/datasets/fashion-mnist]
"""
import gzip
import sys

import numpy as np

GARMENT_THRESHOLD = np.float32(0.1)


def load(directory, split):
    with gzip.open(f"{directory}/{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28 * 28)
    with gzip.open(f"{directory}/{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    images, labels = load(directory, "train")
    pixels = images.astype(np.float32) / np.float32(255)  # as Java's b / 255f
    garment = pixels > GARMENT_THRESHOLD
    means = (pixels.astype(np.float64) * garment).sum(1) / garment.sum(1)
    dark, light = [], []
    for c in range(10):
        m = np.sort(means[labels == c])
        dark.append(round(float(m[len(m) // 3]), 3))
        light.append(round(float(m[2 * len(m) // 3]), 3))
        print(f"class {c}: {len(m)} images, garment mean {m[0]:.3f} .. {m[-1]:.3f}, "
              f"tertiles {m[len(m) // 3]:.5f} {m[2 * len(m) // 3]:.5f}")
    print("DARK_BELOW = {" + ", ".join(f"{v:.3f}" for v in dark) + "};")
    print("LIGHT_FROM = {" + ", ".join(f"{v:.3f}" for v in light) + "};")


if __name__ == "__main__":
    main()
