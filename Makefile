# tinygrad_cnn: developer commands. Everything runs in a virtual environment ($(VENV)),
# created and (re)installed on demand, so `make demo` and `make test` work on a fresh clone.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Written after a successful install; older than pyproject.toml means "install again".
STAMP := $(VENV)/.installed
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k conv -x"
PYTEST_ARGS ?=
BENCHMARKS := $(wildcard $(addprefix benchmarks/,bench_overhead.py bench_conv.py bench_train.py))

.PHONY: help venv install test demo docs bench clean distclean

help:
	@echo "make demo     train a small CNN on Fashion-MNIST (EPOCHS=n to choose)"
	@echo "make test     run the test suite (2 workers)"
	@echo "make docs     build the documentation into site/"
	@echo "make bench    run the benchmarks in benchmarks/"
	@echo "make install  create $(VENV) and install the package with its dev extras"
	@echo "make clean    remove build outputs and caches (distclean: also $(VENV))"

venv: $(BIN)/python

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Order-only on the interpreter: its timestamp must not trigger a reinstall. The package's
# __init__.py is listed so that an install made before the package existed is redone.
$(STAMP): pyproject.toml $(wildcard tinygrad_cnn/__init__.py) | $(BIN)/python
	bash scripts/ensure_system_deps.sh graphviz
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

test: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS) tests

demo: install
	bash scripts/ensure_system_deps.sh dataset-fashion-mnist
	$(BIN)/python examples/demo.py $(if $(EPOCHS),--epochs $(EPOCHS))

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

bench: install
	@test -n "$(BENCHMARKS)" || echo "no benchmarks found in benchmarks/"
	@for script in $(BENCHMARKS); do \
		echo "== $$script"; \
		$(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf site build dist *.egg-info .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
