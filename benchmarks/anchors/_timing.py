"""Shared by the anchor scripts: torch on 2 threads, a warm-up, the median of repeated runs, one JSON line out."""
import json
import statistics
import time

import torch


def use_two_threads():
    """The benchmark machine has 2 cores; maskrt's side runs with 2 threads too."""
    torch.set_num_threads(2)


def median_ms(fn, warmup=3, runs=15):
    """Calls fn() `warmup` times, then `runs` times, and returns the median wall time of the latter in ms."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def emit(workload, anchor, ms, **extra):
    """Prints the line benchmarks/compare.py reads: {"workload", "anchor", "ms", ...extra}."""
    print(json.dumps({"workload": workload, "anchor": anchor, "ms": round(ms, 3), **extra}), flush=True)
