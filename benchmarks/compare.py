#!/usr/bin/python3
"""Joins anchor timings (JSON lines: workload, anchor, ms) with JMH results (-rf json, @Param "workload",
AverageTime in ms) and, optionally, timed-main results (JSON lines: workload, ms) and prints a Markdown table
with ratio = anchor time / maskrt time.

    compare.py ANCHORS.jsonl JMH.json [TIMED.jsonl]
"""
import json
import sys

anchors = {}
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if line.startswith("{"):
            a = json.loads(line)
            anchors[a["workload"]] = a

with open(sys.argv[2]) as f:
    jmh = json.load(f)

print("| workload | anchor | anchor ms | maskrt ms (±99.9% CI) | ratio | JMH benchmark |")
print("|---|---|---:|---:|---:|---|")
for r in jmh:
    params = r.get("params") or {}
    wl = params.get("workload", "")
    pm = r["primaryMetric"]
    unit = pm["scoreUnit"]
    scale = {"ms/op": 1.0, "us/op": 1e-3, "s/op": 1e3, "ns/op": 1e-6}.get(unit)
    if scale is None:
        continue
    ms, err = pm["score"] * scale, pm["scoreError"] * scale
    a = anchors.get(wl)
    bench = r["benchmark"].split(".")[-1]
    others = ",".join(f"{k}={v}" for k, v in params.items() if k != "workload")
    if others:
        bench += f" ({others})"
    if a:
        print(f"| {wl} | {a['anchor']} | {a['ms']:.2f} | {ms:.2f} ± {err:.2f} | {a['ms'] / ms:.1f}× | {bench} |")
    else:
        print(f"| {wl} | — | — | {ms:.2f} ± {err:.2f} | — | {bench} |")

if len(sys.argv) > 3:
    with open(sys.argv[3]) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            t = json.loads(line)
            wl, ms = t["workload"], t["ms"]
            a = anchors.get(wl)
            if a:
                print(f"| {wl} | {a['anchor']} | {a['ms']:.2f} | {ms:.2f} (median) | {a['ms'] / ms:.1f}× | timed main |")
            else:
                print(f"| {wl} | — | — | {ms:.2f} (median) | — | timed main |")
