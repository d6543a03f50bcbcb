"""Writes the held-out val split (images, COCO GT json, train.csv-style GT) to target/synthcells-val/.

  /usr/bin/python3 -m tools.synthcells.make_val [--out target/synthcells-val] [--count 24] [--seed 0]

Deterministic: the same images as `generate --val 24` (same seeds), so figures computed on either match.
"""
import argparse
import sys

from .generate import write_split


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.synthcells.make_val")
    p.add_argument("--out", default="target/synthcells-val")
    p.add_argument("--count", type=int, default=24)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    write_split(args.out, "val", args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
