#!/usr/bin/env bash
# Soak run of `maskrt predict` (issue 14): N images (copies of the committed DSB2018 held-out images under unique
# names) with 1 % bad files (truncated PNGs, text named .png, empty files), the bundled model, DSB + COCO outputs.
# Samples the JVM's RSS every second and checks that every good image is in the submission and every bad file is
# named exactly once on stderr. Usage: benchmarks/soak/soak.sh [N] [WORKDIR]   (default 2000, target/soak)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n="${1:-2000}"
work="${2:-$root/target/soak}"
rm -rf "$work"; mkdir -p "$work/images"
src=("$root"/samples/dsb2018-val/images/*.png)
bad=0
for ((i = 0; i < n; i++)); do
  name=$(printf "img-%05d.png" "$i")
  if ((i % 100 == 37)); then
    case $((bad % 3)) in
      0) head -c 2000 "${src[$((i % ${#src[@]}))]}" > "$work/images/$name" ;;   # truncated PNG
      1) echo "not an image" > "$work/images/$name" ;;
      2) : > "$work/images/$name" ;;                                               # empty file
    esac
    bad=$((bad + 1)); echo "$name" >> "$work/bad.txt"
  else
    cp "${src[$((i % ${#src[@]}))]}" "$work/images/$name"
  fi
done
"$root/bin/maskrt" --version > /dev/null 2>&1 || true   # builds the jar if needed
start=$(date +%s)
"$root/bin/maskrt" predict --model "$root/models/dsb2018-cascade-r18" --images "$work/images" --out "$work/out" \
  --format dsb,coco --threads 2 > "$work/stdout.txt" 2> "$work/stderr.txt" &
launcher=$!
: > "$work/rss.txt"
while kill -0 "$launcher" 2> /dev/null; do
  pid=$launcher  # bin/maskrt execs java
  [ -n "$pid" ] && awk -v t=$(($(date +%s) - start)) '/VmRSS/ {print t, $2}' "/proc/$pid/status" >> "$work/rss.txt" 2> /dev/null || true
  sleep 1
done
wait "$launcher" && status=0 || status=$?
secs=$(($(date +%s) - start))
good=$((n - bad))
present=$(tail -n +2 "$work/out/submission_dsb.csv" | cut -d, -f1 | sort -u | wc -l)
named=0
while read -r b; do c=$(grep -c -- "${b%.png}\|$b" "$work/stderr.txt" || true); [ "$c" -ge 1 ] && named=$((named + 1)); done < "$work/bad.txt"
echo "images $n (bad $bad), exit status $status, ${secs} s, $(awk "BEGIN {printf \"%.2f\", $n / $secs}") images/s"
echo "good images in submission_dsb.csv: $present / $good; bad files named on stderr: $named / $bad"
awk 'NR == 1 {min = $2; max = $2} {if ($2 < min) min = $2; if ($2 > max) max = $2; v[NR] = $2; t[NR] = $1}
     END {q = int(NR / 4); printf "RSS MB: first %.0f, after 25%% %.0f, 50%% %.0f, 75%% %.0f, last %.0f, max %.0f (%d samples)\n",
          v[1] / 1024, v[q] / 1024, v[2 * q] / 1024, v[3 * q] / 1024, v[NR] / 1024, max / 1024, NR}' "$work/rss.txt"
