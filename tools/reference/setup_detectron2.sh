#!/bin/bash
# Sets up UPSTREAM detectron2 (pure Python, no C++ `_C` extension; nothing is compiled) for
# tools/reference/detectron2_run.py, on Debian's /usr/bin/python3 (torch 1.13 / torchvision 0.14 CPU from apt).
#
# Usage: tools/reference/setup_detectron2.sh [MIRRORS_DIR [DEST]]
#   MIRRORS_DIR  where the four bare git mirrors are (default /work/.mirror): MIRRORS_DIR/<owner>+<name>/repo
#   DEST         where to put everything (default /work/d2env; keep it outside the repository)
#
# Steps:
#  0. (not done here) bring the sources with the session's `fetch` tool — it is a tool call, not a shell command:
#       fetch github:facebookresearch/detectron2   -> /work/.mirror/facebookresearch+detectron2/repo
#       fetch github:facebookresearch/fvcore       -> /work/.mirror/facebookresearch+fvcore/repo
#       fetch github:facebookresearch/iopath       -> /work/.mirror/facebookresearch+iopath/repo
#       fetch github:rbgirshick/yacs               -> /work/.mirror/rbgirshick+yacs/repo
#     Debian packages already installed: python3-torch python3-torchvision python3-onnx libopenblas0-pthread
#     (and python3-numpy, python3-pil, python3-yaml, python3-typing-extensions that come with them).
#  1. Extract the sources with `git archive` into DEST/src/{detectron2,fvcore,iopath,yacs}:
#       detectron2 HEAD, fvcore HEAD, yacs HEAD (= v0.1.8), and iopath at tag v0.1.9, because detectron2's
#       setup.py pins iopath>=0.1.7,<0.1.10 and iopath HEAD (0.1.11) also needs `aiofiles`.
#  2. pip-install the pure-Python dependencies from the local wheel directory /opt/pypi/files (no index, no deps)
#     into DEST/site: pycocotools omegaconf termcolor tabulate==0.8.10 cloudpickle portalocker tqdm packaging.
#     `packaging` is explicit because the fvcore and iopath source roots contain a `packaging/` folder (their
#     build scripts) that would otherwise shadow it on PYTHONPATH. The pycocotools wheel is cp311 and imports
#     under /usr/bin/python3 (3.11) with Debian's numpy 1.24.
#  3. omegaconf needs the ANTLR 4.9 Python runtime: `apt-get download python3-antlr4`, `dpkg-deb -x`, copy its
#     `antlr4` package into DEST/site (nothing is installed system-wide).
#  4. Write DEST/versions.json (the commits used; detectron2_run.py records detectron2's) and DEST/env.sh, which
#     exports PYTHONPATH = DEST/site, then the four source roots (detectron2, fvcore, iopath, yacs) in that order.
#  5. Smoke test: import detectron2's config, model zoo pieces and DefaultPredictor under /usr/bin/python3.
#
# Afterwards:
#   source /work/d2env/env.sh
#   /usr/bin/python3 tools/reference/detectron2_run.py --package models/synthcells-cascade-r18 \
#       --images samples/images/* --out /tmp/d2.json
set -euo pipefail

MIRRORS=${1:-/work/.mirror}
DEST=${2:-/work/d2env}
PY=/usr/bin/python3
WHEELS=/opt/pypi/files

declare -A REPO=([detectron2]=facebookresearch+detectron2 [fvcore]=facebookresearch+fvcore
                 [iopath]=facebookresearch+iopath [yacs]=rbgirshick+yacs)
declare -A REV=([detectron2]=HEAD [fvcore]=HEAD [iopath]=v0.1.9 [yacs]=HEAD)

mkdir -p "$DEST/src" "$DEST/site"

# 1. sources
versions="{"
for name in detectron2 fvcore iopath yacs; do
    git_dir="$MIRRORS/${REPO[$name]}/repo"
    [[ -d "$git_dir" ]] || { echo "missing mirror $git_dir: fetch github:${REPO[$name]/+//} first" >&2; exit 1; }
    commit=$(git --git-dir="$git_dir" rev-parse "${REV[$name]}^{commit}")
    rm -rf "$DEST/src/$name"
    mkdir -p "$DEST/src/$name"
    git --git-dir="$git_dir" archive "$commit" | tar -x -C "$DEST/src/$name"
    echo "extracted $name ${REV[$name]} = $commit"
    versions+="\"$name\": {\"rev\": \"${REV[$name]}\", \"commit\": \"$commit\"}, "
done
versions="${versions%, }}"
echo "$versions" > "$DEST/versions.json"

# 2. pure-Python wheels
"$PY" -m pip install --quiet --no-index --find-links "$WHEELS" --target "$DEST/site" --no-deps --upgrade \
    pycocotools omegaconf termcolor tabulate==0.8.10 cloudpickle portalocker tqdm packaging

# 3. ANTLR 4.9 runtime for omegaconf, from the Debian package (extracted, not installed)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download python3-antlr4 >/dev/null 2>&1)
dpkg-deb -x "$tmp"/python3-antlr4_*.deb "$tmp/x"
rm -rf "$DEST/site/antlr4"
cp -r "$tmp/x/usr/lib/python3/dist-packages/antlr4" "$DEST/site/"

# 4. environment
PYPATH="$DEST/site:$DEST/src/detectron2:$DEST/src/fvcore:$DEST/src/iopath:$DEST/src/yacs"
cat > "$DEST/env.sh" <<EOF
# source me: the PYTHONPATH for upstream detectron2 under /usr/bin/python3 (made by setup_detectron2.sh)
export PYTHONPATH="$PYPATH\${PYTHONPATH:+:\$PYTHONPATH}"
EOF

# 5. smoke test
PYTHONPATH="$PYPATH" "$PY" - <<'EOF'
import torch
torch.set_num_threads(1)
import detectron2, fvcore, iopath, yacs, omegaconf, packaging, pycocotools.mask
from detectron2.config import get_cfg
from detectron2.engine import DefaultPredictor
from detectron2.modeling import build_model
from detectron2.layers import ROIAlign, batched_nms
print("detectron2", detectron2.__version__, "from", detectron2.__file__)
print("torch", torch.__version__, "packaging from", packaging.__file__)
EOF
echo "versions: $(cat "$DEST/versions.json")"
echo "ready: source $DEST/env.sh"
