# numopt developer commands. `make demo` and `make test` do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# scikit-sparse (CHOLMOD) compiles against the SuiteSparse headers (Debian: libsuitesparse-dev).
CHOLMOD_H := /usr/include/suitesparse/cholmod.h
# torch first, pinned: the local CPU build; a looser pin would pull the CUDA wheels.
TORCH_PIN ?= torch==2.13.0

.PHONY: help deps install demo test test-all docs bench clean

help:
	@echo "make demo | test | test-all | docs | bench | deps | clean"

deps:
	@if [ ! -f $(CHOLMOD_H) ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && apt-get install -y -qq libsuitesparse-dev; \
	fi

$(VENV)/.installed: setup.cfg pyproject.toml
	$(MAKE) deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q "$(TORCH_PIN)"
	@if [ -f $(CHOLMOD_H) ]; then extras="all,test"; else extras="jit,deep,test"; \
	  echo "note: no SuiteSparse headers: installing without scikit-sparse (preconditioner='cholmod' unavailable)"; fi; \
	  $(PY) -m pip install -q -e ".[$$extras]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m numopt demo --quick --out demo_out

test: install
	NUMBA_CACHE_DIR=$${NUMBA_CACHE_DIR:-$(CURDIR)/.numba_cache} $(PY) -m pytest

test-all: install
	$(PY) -m pytest -m "slow or not slow"

docs: install
	$(PY) -m pip install -q -e ".[docs]"
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: install
	$(PY) -m pip install -q -e ".[bench]"
	cd asv_bench && ../$(PY) -m asv machine --yes && ../$(PY) -m asv run --python=same --quick --show-stderr

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build .numba_cache
