#!/usr/bin/env bash
# Prepare the notebook-execution packages (papermill, nbval, ipykernel and their needs) as wheels for an
# offline CUDA node whose Python 3.12 already has torch, torchvision, numpy, pandas, scipy, matplotlib,
# seaborn and scikit-learn. Wheels land in .whl/ at the repository root (git-ignored via .git/info/exclude).
# Usage, from the project root:   bash ../shared/tools/offline-wheels.sh [extra packages...]
# On the offline node, from a copy of the repository that includes .whl/:
#   bash .whl/install.sh && export PYTHONPATH=/tmp/site:$PWD
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl && mkdir -p .whl
python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl papermill nbval ipykernel tabulate "$@" 2>&1 \
  | grep -v "is ignored" || true
# The node's own versions of these are kept, so torch and pandas keep working.
for p in attrs certifi charset_normalizer click coverage idna iniconfig packaging pluggy psutil pygments \
         pytest python_dateutil pyyaml requests tqdm typing_extensions urllib3 tzdata; do
  rm -f .whl/${p}-[0-9]*.whl
done
cat > .whl/install.sh <<'EOS'
#!/usr/bin/env bash
# Installs the wheels beside this script into /tmp/site (add it to PYTHONPATH).
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$(dirname "$0")"/*.whl
EOS
chmod +x .whl/install.sh
du -sh .whl
echo "then: bash .whl/install.sh && export PYTHONPATH=/tmp/site:\$PWD"
