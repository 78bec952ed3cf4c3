# The two set-up commands: `make demo` and `make test`. Everything else they need, they install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# setup.py compiles these with mypyc: an edited source rebuilds them (dnmobs.extract._native also
# refuses a stale build at import time)
COMPILED_SRC := $(wildcard src/dnmobs/extract/*.py)

.PHONY: venv demo test lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile setup.py $(COMPILED_SRC)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,telegram]'
	touch $(STAMP)

demo: venv
	$(BIN)/dnmobs demo --out demo-output

# pytest exits non-zero when it collects no tests, so an empty run fails here.
test: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: venv
	$(BIN)/ruff check src tests bench

bench: venv
	$(BIN)/python bench/ingest_agora.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache
