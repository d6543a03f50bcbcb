#!/usr/bin/env bash
# Times maskrt (JMH) and its anchors (torchvision / detectron2 written in torch) on the same inputs, in one run,
# and prints the ratio table that goes into RESULTS.md.
#
#   benchmarks/run.sh [JMH_REGEX] [-- extra JMH args]
#
# Needs Debian's /usr/bin/python3 with python3-torch, python3-torchvision and libopenblas0-pthread
# (apt-get install python3-torch python3-torchvision libopenblas0-pthread). Each anchor script writes its inputs
# to target/inputs/*.npz; the JMH benchmarks read exactly those files.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
REGEX="${1:-.}"
shift || true
[ "${1:-}" = "--" ] && shift
JMH_ARGS=("$@")
[ ${#JMH_ARGS[@]} -eq 0 ] && JMH_ARGS=(-f 1 -wi 3 -i 5 -w 2 -r 2)

"$PY" -c 'import torch' 2>/dev/null || { echo "run.sh: $PY cannot import torch; apt-get install python3-torch python3-torchvision libopenblas0-pthread" >&2; exit 2; }
# the library and the benchmarks, from the root reactor (nothing installed)
mvn -q -B -ntp -f ../pom.xml package -DskipTests -pl benchmarks -am
mkdir -p target/results
: > target/results/anchors.jsonl
for script in anchors/[!_]*.py; do
  echo "== anchor: $script" >&2
  "$PY" "$script" | tee -a target/results/anchors.jsonl
done
java -jar target/benchmarks.jar "$REGEX" "${JMH_ARGS[@]}" -rf json -rff target/results/jmh.json
# the end-to-end pipeline takes seconds per run: a timed main, not JMH (same workloads as its anchor)
java -Xmx6g -cp target/benchmarks.jar dev.maskrt.bench.PipelineBenchmark | tee target/results/timed.jsonl
"$PY" compare.py target/results/anchors.jsonl target/results/jmh.json target/results/timed.jsonl \
  | tee target/results/table.md
