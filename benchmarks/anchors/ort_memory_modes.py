#!/usr/bin/env python3
"""One ONNX graph under ONNX Runtime's four CPU memory settings: the arena on or off, memory patterns on or off.
Prints, per setting (each in a fresh process, so that peak RSS is its own): the RSS after loading, the peak RSS
after the timed runs and every run's time. 2 intra-op threads, sequential execution, no spinning (as maskrt).
The input is float32 noise of the given shape (seed 0) for the graph's first input.

    python3 benchmarks/anchors/ort_memory_modes.py GRAPH N,C,H,W [RUNS]
    e.g. python3 benchmarks/anchors/ort_memory_modes.py benchmarks/target/models/cascade_r50/backbone.winograd.onnx 1,3,800,1344

Runs with the python3 that has onnxruntime (not Debian's /usr/bin/python3).
"""
import json
import resource
import subprocess
import sys
import time

SETTINGS = [(False, True), (True, True), (True, False), (False, False)]  # (arena, patterns); the first: ORT's
# defaults without the arena (maskrt's old default), the third: maskrt's default


def one(graph, shape, runs, arena, patterns):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.enable_cpu_mem_arena = arena
    so.enable_mem_pattern = patterns
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(graph, so, providers=["CPUExecutionProvider"])
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = session.run(None, {session.get_inputs()[0].name: x})
        times.append(round((time.perf_counter() - t) * 1000, 1))
        del out
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {"arena": arena, "patterns": patterns, "load_rss_mb": loaded, "peak_rss_mb": peak, "ms": times}


def main(argv):
    if len(argv) >= 1 and argv[0] == "--one":
        graph, shape, runs, arena, patterns = argv[1], argv[2], int(argv[3]), argv[4] == "1", argv[5] == "1"
        print(json.dumps(one(graph, [int(v) for v in shape.split(",")], runs, arena, patterns)))
        return
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    graph, shape = argv[0], argv[1]
    runs = argv[2] if len(argv) == 3 else "5"
    for arena, patterns in SETTINGS:
        out = subprocess.run([sys.executable, __file__, "--one", graph, shape, runs, "1" if arena else "0",
                              "1" if patterns else "0"], check=True, stdout=subprocess.PIPE, text=True).stdout
        print(out.strip(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
