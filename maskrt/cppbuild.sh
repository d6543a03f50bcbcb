#!/usr/bin/env bash
# Builds maskrt's CUDA kernels (src/main/native) into target/native/<platform>/libmaskrt_cuda.a with nvcc.
# One arm per platform; unsupported platforms and every compiler error exit non-zero.
#   NVCC=/path/to/nvcc  (default: $CUDA_HOME/bin/nvcc, /usr/local/cuda/bin/nvcc)
#   MASKRT_CUDA_ARCHS="75 80"  (default: 75 80 86 89 90, plus PTX for compute_90)
#   MASKRT_NVCC_THREADS=2      (parallel nvcc jobs per file, default 2)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$ROOT/src/main/native"
PLATFORM="${MASKRT_PLATFORM:-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)}"
PLATFORM="${PLATFORM/linux-amd64/linux-x86_64}"

case "$PLATFORM" in
  linux-x86_64)
    NVCC="${NVCC:-${CUDA_HOME:-/usr/local/cuda}/bin/nvcc}"
    if [[ ! -x "$NVCC" ]]; then
      echo "cppbuild.sh: nvcc not found at $NVCC (set NVCC or CUDA_HOME)" >&2
      exit 1
    fi
    OUT="$ROOT/target/native/$PLATFORM"
    OBJ="$OUT/obj"
    mkdir -p "$OBJ"
    ARCHS="${MASKRT_CUDA_ARCHS:-75 80 86 89 90}"
    GENCODE=()
    for a in $ARCHS; do GENCODE+=("-gencode=arch=compute_$a,code=sm_$a"); done
    LAST="${ARCHS##* }"
    GENCODE+=("-gencode=arch=compute_$LAST,code=compute_$LAST")  # PTX for newer GPUs
    # -fmad=false: no contraction, so float results follow the references step by step (fma only where written)
    FLAGS=(-std=c++17 -O3 -fmad=false -cudart shared -Xcompiler -fPIC,-fvisibility=hidden
           --threads "${MASKRT_NVCC_THREADS:-2}" -I"$SRC" "${GENCODE[@]}")
    START=$(date +%s)
    OBJECTS=()
    for cu in "$SRC"/*.cu; do
      o="$OBJ/$(basename "${cu%.cu}").o"
      # incremental: rebuild when the source, a shared header, this script or the flags changed
      STAMP="$OBJ/$(basename "${cu%.cu}").flags"
      if [[ -f "$o" && -f "$STAMP" && "$(cat "$STAMP")" == "${FLAGS[*]}" ]] \
         && [[ -z "$(find "$cu" "$SRC"/*.cuh "$SRC"/*.h "$0" -newer "$o" 2>/dev/null)" ]]; then
        echo "cppbuild.sh: $(basename "$cu") is up to date"
      else
        echo "cppbuild.sh: nvcc $(basename "$cu")"
        "$NVCC" "${FLAGS[@]}" -c "$cu" -o "$o"
        echo "${FLAGS[*]}" > "$STAMP"
      fi
      OBJECTS+=("$o")
    done
    rm -f "$OUT/libmaskrt_cuda.a"
    ar rcs "$OUT/libmaskrt_cuda.a" "${OBJECTS[@]}"
    cp "$SRC/maskrt_cuda.h" "$OUT/"
    echo "cppbuild.sh: built $OUT/libmaskrt_cuda.a for sm_${ARCHS// /, sm_} + compute_$LAST PTX in $(( $(date +%s) - START )) s"
    ;;
  *)
    echo "cppbuild.sh: platform $PLATFORM is not supported (only linux-x86_64)" >&2
    exit 1
    ;;
esac
