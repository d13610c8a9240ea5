# ccsec — two set-up commands work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: demo test lint golden bench fuzz system-deps fresh-check clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

## demo: install into ./.venv and render the bundled example deployment into ./ccsec-demo/
##       (again: replaces the earlier demo output, never anything else)
demo: $(VENV)/.installed
	$(VENV)/bin/ccsec demo --force

## test: lint, type check, the whole test suite (lab tests included: needs root, installs
##       Debian packages)
test: $(VENV)/.installed system-deps
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest

## system-deps: Debian packages the tests need (strongSwan, nftables, chromium, …), then checked
system-deps:
	@VENV=$(VENV) ./scripts/system-deps.sh

## fresh-check: `make demo` + `make test` on a fresh minimal Debian 12 root, from a clean clone
##              of HEAD (as root; the bare root is cached in /var/cache/ccsec-fresh-root)
fresh-check:
	@./scripts/fresh-root-check.sh

## golden: regenerate golden files after an intended renderer change (review with git diff)
golden: $(VENV)/.installed
	CCSEC_UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/test_golden.py

## bench: benchmarks (never part of make test); results appended to bench/RESULTS.md
bench: $(VENV)/.installed system-deps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run_all.py

## fuzz: every reader under atheris, 100,000 inputs each (never part of make test, which runs a
##       short mutation budget); crashes are kept in tests/fuzz/crashes/, the table goes to
##       bench/RESULTS.md.  RUNS=… and TARGETS=a,b narrow it.
RUNS ?= 100000
fuzz: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[fuzz]'
	$(PY) tests/fuzz/run.py --runs $(RUNS) $(if $(TARGETS),--targets $(TARGETS)) --record

clean:
	rm -rf $(VENV) ccsec-demo .pytest_cache .ruff_cache .fresh-check
