# paper_mtl — see README.md. Every target creates .venv/ on first use.
PROFILE ?= quick
DEVICE ?= auto
JOBS ?= 1
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: reproduce test unit lab golden bench clean-cache report browser

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and f"paper_mtl needs Python >= 3.11, $(PYTHON) is {sys.version.split()[0]}: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

reproduce: $(STAMP)  ## regenerate every table and figure at PROFILE (smoke | quick | paper)
	$(PY) -m paper_mtl reproduce --profile $(PROFILE) --device $(DEVICE) --jobs $(JOBS)

test: $(STAMP) browser  ## unit tests, the browser tests and the nbval regression suite (notebooks re-executed at smoke)
	$(PY) -m pytest tests --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly

unit: $(STAMP) browser  ## unit tests only
	$(PY) -m pytest tests

golden: $(STAMP)  ## re-store the smoke executions nbval compares against (after an intended change)
	$(PY) -m paper_mtl golden

report: $(STAMP)  ## the executed notebooks and the ledger as a static site in site/ (open site/index.html)
	$(PY) -m paper_mtl report --into site

browser:  ## Debian's chromium + chromium-driver for the browser tests, where apt-get is allowed (else it stops, saying why)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  { echo "[make browser] chromium and chromium-driver are not on PATH and could not be installed (needs root and" \
	         "apt-get): install them, or run the other tests with .venv/bin/python -m pytest tests -m 'not browser'"; exit 1; }

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)  ## benchmarks as ratios (installs the bench-only comparator torchattacks)
	$(PY) -m pip install --quiet --no-deps 'torchattacks>=3.5'
	$(PY) -m benchmarks

clean-cache:
	rm -rf .cache/sweeps
