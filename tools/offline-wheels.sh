#!/usr/bin/env bash
# Prepare, on a connected machine, the Python 3.12 wheels an offline CUDA node needs to run the tests (pytest
# with nbval, the Dask sweep test, the h5py converter test), the notebooks (papermill, ipykernel, ipywidgets)
# and `python -m benchmarks` (the comparator torchattacks), with torchjd and the solvers its aggregators need
# (notebook 06 trains PCGrad, CAGrad, Nash-MTL, IMTL-G, Aligned-MTL and UPGrad through it).
#
# The node (the workplace's `nvidia-h200` image: Python 3.12, torch 2.11, torchvision 0.26) already has numpy,
# pandas, scipy, matplotlib, seaborn, scikit-learn, pillow, pytest, requests, tqdm, tabulate and h5py, and the
# rest of NODE_HAS below (from its package list as recorded on 2026-11-17). It lacks papermill, nbval, ipykernel,
# ipywidgets, nbformat, dask/distributed, torchattacks and torchjd. Wheels of NODE_HAS packages are dropped, so
# torch, pandas and pytest keep the node's own versions; tqdm, tabulate and h5py (imported by paper_mtl and its
# tests) are shipped anyway, so they are there even if the image changes.
# jupyterlab (notebooks extra) is left out: a headless node runs notebooks through papermill/nbval.
# torchattacks, torchjd and h5py are fetched without their dependencies (torch, torchvision, numpy, scipy, tqdm,
# requests: all on the node). torchjd's optional solvers (its quadprog-projector, cagrad and nash-mtl extras) are
# quadprog, qpsolvers, ecos, clarabel and cvxpy; cvxpy comes without its declared solvers scs, osqp, highspy and
# sparsediffpy (62 MiB, more than a carry holds), which it imports only when asked to use them: Nash-MTL solves
# with ECOS and CAGrad with Clarabel, and cvxpy imports qdldl itself.
#
# Usage, on a connected machine, from the project root (writes .whl/, which .gitignore lists):
#   bash tools/offline-wheels.sh [extra packages...]      # PYTHON=/path/to/python3.12 to choose the interpreter
# On the offline node, from a copy of the repository that includes .whl/:
#   bash .whl/install.sh && export PYTHONPATH=/tmp/site:$PWD
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
rm -rf .whl && mkdir -p .whl

# pip evaluates environment markers (e.g. `python_version < "3.12"`) with the interpreter it runs under, so a
# Python 3.12 resolves the node's needs exactly; another version still works (the difference is harmless here).
py=${PYTHON:-}
if [ -z "$py" ]; then
  py=python3
  for candidate in python3.12 python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then
      py=$candidate; break
    fi
  done
fi
echo "resolving with $("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])')"

fetch() {  # pip download for CPython 3.12 on x86-64 Linux, binary wheels only; fails when pip fails
  local log status=0
  log=$(mktemp)
  "$py" -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "$@" >"$log" 2>&1 || status=$?
  grep -v "is ignored" "$log" || true
  rm -f "$log"
  return "$status"
}
# The test and notebooks extras of pyproject.toml (less jupyterlab), with their dependencies resolved.
fetch 'papermill>=2.5' 'nbval>=0.11' 'ipykernel>=6.29' 'nbformat>=5.9' 'ipywidgets>=8.1' 'distributed>=2024.1' \
  'tabulate>=0.9' 'tqdm>=4.66' "$@"
# torchjd's solvers, with their dependencies (numpy and scipy, on the node).
fetch 'quadprog!=0.1.10,>=0.1.9' 'qpsolvers>=1.0.1' 'ecos>=2.0.14' 'clarabel' 'qdldl'
# Without dependencies: the bench-only comparator (as in `make bench`), torchjd (it needs only torch), cvxpy (see
# above) and h5py (it needs only numpy).
fetch --no-deps 'torchattacks>=3.5' 'torchjd>=0.18,<0.19' 'cvxpy>=1.3.0' 'h5py>=3.8'

# The node's own versions of these are kept (its pip list), so torch, pandas, pytest, ... keep working.
NODE_HAS="aiohappyeyeballs aiohttp aiosignal attrs certifi charset_normalizer click cloudpickle colorama contourpy
  coverage cycler filelock fonttools frozenlist fsspec idna iniconfig jinja2 joblib kiwisolver markupsafe msgpack
  multidict networkx numpy packaging pandas pillow pluggy propcache psutil pygments pyparsing pytest python_dateutil
  pyyaml requests scikit_learn scipy seaborn setuptools six sortedcontainers sympy threadpoolctl toolz
  typing_extensions urllib3 wheel yarl zipp"
node_has=" $(echo $NODE_HAS) "
for f in .whl/*.whl; do
  name=$(basename "$f"); name=${name%%-*}; name=${name,,}; name=${name//./_}
  case "$node_has" in *" $name "*) rm -f "$f" ;; esac
done
# Never ship the node's CUDA stack: it is far too big to carry and the node's own build must win.
if ls .whl | grep -iE '^((torch|torchvision|torchaudio|triton)-|nvidia_)' >&2; then
  echo "error: a torch/triton/nvidia wheel was pulled in; fetch that package with --no-deps" >&2; exit 1
fi
# Two versions of one package would stop the --no-deps install on the node.
dups=$(ls .whl | sed 's/-.*//' | tr 'A-Z.' 'a-z_' | sort | uniq -d)
[ -z "$dups" ] || { echo "error: several versions of: $dups" >&2; exit 1; }

cat > .whl/install.sh <<'EOS'
#!/usr/bin/env bash
# Installs the wheels beside this script into /tmp/site (add it to PYTHONPATH).
set -e
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$(dirname "$0")"/*.whl
EOS
chmod +x .whl/install.sh
ls .whl | sed 's/-py[23].*\|-cp3.*//' | tr '\n' ' '; echo
du -sh .whl
echo "then copy the project with .whl/ to the node and run: bash .whl/install.sh && export PYTHONPATH=/tmp/site:\$PWD"
