# One entry point per job; every target builds .venv itself so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINTED := wap_notebook tests $(wildcard benchmarks)

.PHONY: venv demo test test-slow lint lab bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m wap_notebook.demo

test: $(STAMP)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) -m benchmarks.run --full

bench-quick: $(STAMP)
	$(PY) -m benchmarks.run --quick

clean:
	rm -rf build .pytest_cache
