#!/usr/bin/env bash
# The paper profile on one lent GPU, as one command that ends well inside a 10-minute limit:
#   1. installs the offline wheels (.whl/, made here by `bash tools/offline-wheels.sh`) and checks torch + CUDA;
#   2. starts CUDA MPS when the machine has it and it works (the five notebooks' small kernels then run side by
#      side instead of time-sliced; without it they still run), prints the predicted GPU time
#      (figures/paper/budget.csv, from the CPU dry run) and runs all five notebooks at `paper` together
#      (`--jobs 5`), stopping whatever still runs after NOTEBOOK_LIMIT seconds (finished sweep configurations
#      stay in .cache/sweeps, so a second call resumes); the cross-paper benchmark (notebook 06) has a lease of its
#      own (paper_mtl.profiles.PAPER_LEASES): `NOTEBOOKS=06 bash tools/gpu-paper.sh`;
#   3. runs the CUDA benchmark rows (training loop vs a plain loop; MFU per model) within what time is left;
#   4. packs everything into at most 7 files under $OUT (default ./gpu-out):
#        paper-figures.tar.gz  figures/paper/, figures/claims.json, figures/CLAIMS.md, notebooks/paper/
#        sweep-cache.tar.gz    .cache/sweeps/ (to resume, or to re-run the notebooks' analysis elsewhere)
#        logs.tar.gz           .cache/logs/paper/ (one log per notebook)
#        RESULTS-cuda.md       the benchmark rows
#        gpu-paper.log         this script's own output (versions, nvidia-smi, timings)
# Usage, with the workplace's device tool (the copy it sends has no .git, so name the commit):
#   carry [".whl"], command `PAPER_MTL_COMMIT=<git rev-parse --short=12 HEAD> bash tools/gpu-paper.sh`, timeout_s 600.
# Elsewhere: bash tools/gpu-paper.sh from the project root of a copy that includes .whl/ (or has the packages).
set -uo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
TOTAL_LIMIT=${TOTAL_LIMIT:-565}        # seconds this script may take in all (the command's limit is 600)
NOTEBOOK_LIMIT=${NOTEBOOK_LIMIT:-480}  # seconds for the notebooks, counted from the script's start
OUT=${OUT:-$PWD/gpu-out}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu-paper.log") 2>&1
elapsed() { echo $(( $(date +%s) - START )); }
left() { echo $(( TOTAL_LIMIT - $(elapsed) )); }

if [ -x .whl/install.sh ] && [ -z "${NO_WHEELS:-}" ]; then  # NO_WHEELS=1: use the installed packages
  bash .whl/install.sh || { echo "wheel install failed"; exit 1; }
  export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1 TQDM_DISABLE=1
export PAPER_MTL_COMMIT=${PAPER_MTL_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
echo "[gpu-paper] commit $PAPER_MTL_COMMIT"
DEVICE=$DEVICE python3 - <<'EOF' || exit 1
import os, sys, torch, torchvision, papermill
from jupyter_client.kernelspec import KernelSpecManager
print(f"python {sys.version.split()[0]}, torch {torch.__version__} (CUDA {torch.version.cuda}), torchvision "
      f"{torchvision.__version__}, papermill {papermill.__version__}")
if "python3" not in KernelSpecManager().find_kernel_specs():
    sys.exit("papermill finds no python3 kernel (ipykernel missing?)")
if os.environ["DEVICE"] == "cuda":
    if not torch.cuda.is_available():
        sys.exit("no CUDA device visible: this script is for a GPU machine")
    print(f"GPU: {torch.cuda.get_device_name(0)}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB")
EOF
nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv || true
mps=off
if [ "$DEVICE" = cuda ] && command -v nvidia-cuda-mps-control >/dev/null 2>&1; then
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  if nvidia-cuda-mps-control -d && timeout 60 python3 -c "import torch; assert torch.ones(8, device='cuda').sum().item() == 8"; then
    mps=on
  else
    echo quit | timeout 10 nvidia-cuda-mps-control || true
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  fi
fi
echo "[gpu-paper] CUDA MPS $mps; setup done at $(elapsed) s"

# NOTEBOOKS="02 04" runs only those (e.g. after a fix; NOTEBOOKS=06 is the benchmark's own lease); BENCH=0 skips
# the benchmarks
notebooks=${NOTEBOOKS:-01 02 03 04 05}
python3 -m paper_mtl run --notebooks $notebooks --profile paper --device "$DEVICE" --jobs $(echo $notebooks | wc -w) \
  --time-limit $(( NOTEBOOK_LIMIT - $(elapsed) ))
echo "[gpu-paper] notebooks ended (exit $?) at $(elapsed) s"
nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv || true

bench_time=$(( $(left) - 40 ))
if [ "${BENCH:-1}" = 0 ]; then
  echo "[gpu-paper] benchmarks skipped (BENCH=0)"
elif [ "$bench_time" -gt 30 ]; then
  timeout --signal=INT "$bench_time" python3 -m benchmarks --devices "$DEVICE" --only bench_training_loop bench_mfu \
    --output "$OUT/RESULTS-cuda.md"
  echo "[gpu-paper] benchmarks ended (exit $?) at $(elapsed) s"
else
  echo "[gpu-paper] no time left for the benchmarks"
fi

[ "$mps" = on ] && { echo quit | timeout 10 nvidia-cuda-mps-control || true; }
tar czf "$OUT/paper-figures.tar.gz" --ignore-failed-read --exclude='.*' figures/paper figures/claims.json figures/CLAIMS.md notebooks/paper
tar czf "$OUT/sweep-cache.tar.gz" --ignore-failed-read .cache/sweeps
tar czf "$OUT/logs.tar.gz" --ignore-failed-read --exclude='.*.lock' .cache/logs/paper
echo "[gpu-paper] packed at $(elapsed) s:"
ls -la "$OUT"
