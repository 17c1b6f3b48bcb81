# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# A working Python >= 3.12: PATH first, then pyenv's installed versions.
define find_python
for c in python3.13 python3.12 python3 python; do \
  p=$$(command -v $$c 2>/dev/null) || continue; \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
done; \
root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
for p in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
done; exit 1
endef

.PHONY: run test bench lint format clean

$(PY):
	@PYBIN=$$($(find_python)) || { echo "error: no Python >= 3.12 found on PATH or in pyenv (install one, e.g. 'pyenv install 3.12')" >&2; exit 1; }; \
	echo "using $$PYBIN ($$($$PYBIN --version))"; \
	$$PYBIN -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -qq -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -qq -e '.[test,bench]'
	@touch $@ $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cxsim run scenarios/baseline.yaml --out results/baseline/latest
	@echo "baseline results and figures: results/baseline/latest/"

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks
	$(PY) -m pytest -q

bench: $(TEST_STAMP)
	$(PY) -m benchmarks.run

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks

format: $(TEST_STAMP)
	$(VENV)/bin/ruff format sim tests benchmarks
	$(VENV)/bin/ruff check --fix sim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
