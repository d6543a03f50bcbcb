"""Shared by the anchor scripts: torch on 2 threads, a warm-up, the median of repeated runs, one JSON line out."""
import json
import os
import statistics
import subprocess
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


def run_maskrt(java_cp, name, package, images, runs, warmup, precision="fp32"):
    """maskrt's PipelineBenchmark (2 threads, decode -> instances) on `images`: one dict per image (its JSON line).
    `precision`: fp32 or int8, optionally with suffixes: -direct (never a graph's Winograd form, `--no-winograd`),
    -noarena (without ONNX Runtime's memory arena, `--no-memory-arena`), e.g. fp32-direct-noarena."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    base, *flags = precision.split("-")
    unknown = [f for f in flags if f not in ("direct", "noarena")]
    if unknown:
        raise SystemExit(f"run_maskrt: unknown variant suffix {unknown} in {precision!r}")
    cmd = ["java", "-Xmx6g", "-cp", java_cp, "dev.maskrt.bench.PipelineBenchmark", "--model", package, "--name",
           name, "--runs", str(runs), "--warmup", str(warmup), "--precision", base] + \
        (["--no-winograd"] if "direct" in flags else []) + (["--no-memory-arena"] if "noarena" in flags else []) + images
    proc = subprocess.run(cmd, cwd=os.path.join(root, "benchmarks"), check=True, stdout=subprocess.PIPE, text=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
