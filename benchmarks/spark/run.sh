#!/usr/bin/env bash
# maskrt predict (2 and 1 threads) vs maskrt-spark in local mode (local[2] with its default of 1 thread per task,
# local[2] with --threads 2, local[1]) on the same images, ROUNDS interleaved rounds; prints each command's wall time
# (JVM start to exit) and CPU time (user + sys of the JVM), the tools' own summary lines, and whether the Spark
# outputs equal maskrt predict's byte for byte. The numbers in RESULTS.md ("maskrt on Spark") come from this script.
#
#   benchmarks/spark/run.sh [IMAGES_DIR] [ROUNDS]
#
# Default images: the first 200 (by name) DSB2018 stage-1 training images of ../shared/data, linked into
# benchmarks/target/spark/images. Builds bin/maskrt and bin/maskrt-spark first if their jars are missing.
set -u
cd "$(dirname "$0")/../.."
work=benchmarks/target/spark
mkdir -p "$work"
imgs="${1:-}"
rounds="${2:-2}"
if [ -z "$imgs" ]; then
  imgs="$work/images"
  src="$(cd .. && pwd)/shared/data/dsb2018-stage1-train/images"
  mkdir -p "$imgs"
  ls "$src" | sort | head -200 | while read -r f; do ln -sf "$src/$f" "$imgs/$f"; done
fi
n=$(ls "$imgs" | wc -l)
log="$work/results.txt"
: > "$log"
(lscpu; uptime; date -u) > "$work/machine.txt"
run() { # name command...
  local name=$1; shift
  rm -rf "$work/out-$name"
  local l0 t0 rc t1 l1
  l0=$(cut -d' ' -f1 /proc/loadavg); t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/$name.cpu" "$@" > "$work/$name.log" 2>&1
  rc=$?
  t1=$(date +%s.%N); l1=$(cut -d' ' -f1 /proc/loadavg)
  echo "$name rc=$rc wall=$(echo "$t1 - $t0" | bc) cpu=$(awk '{print $1 + $2}' "$work/$name.cpu") load_before=$l0 load_after=$l1" | tee -a "$log"
  grep -h "images done" "$work/$name.log" | tee -a "$log"
  tr '\r' '\n' < "$work/$name.log" | grep -h "predict: $n/$n" | tail -1 | tee -a "$log"
}
model=models/dsb2018-cascade-r18
for r in $(seq 1 "$rounds"); do
  run cli-t2-r$r bin/maskrt predict --model $model --images "$imgs" --out "$work/out-cli-t2-r$r" --format coco,dsb --threads 2
  run spark-l2-r$r bin/maskrt-spark predict --model $model --images "$imgs" --out "$work/out-spark-l2-r$r" --format coco,dsb --master 'local[2]'
  run spark-l2t2-r$r bin/maskrt-spark predict --model $model --images "$imgs" --out "$work/out-spark-l2t2-r$r" --format coco,dsb --master 'local[2]' --threads 2
  run spark-l1-r$r bin/maskrt-spark predict --model $model --images "$imgs" --out "$work/out-spark-l1-r$r" --format coco,dsb --master 'local[1]'
  run cli-t1-r$r bin/maskrt predict --model $model --images "$imgs" --out "$work/out-cli-t1-r$r" --format coco,dsb --threads 1
done
for x in spark-l2-r1 spark-l2t2-r1 spark-l1-r1 cli-t1-r1; do
  for f in coco_results.json coco_image_ids.json submission_dsb.csv; do
    cmp -s "$work/out-cli-t2-r1/$f" "$work/out-$x/$f" || { echo "$x: $f differs from cli-t2-r1's" | tee -a "$log"; continue 2; }
  done
  echo "$x: files identical to cli-t2-r1's" | tee -a "$log"
done
