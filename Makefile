SHELL := /bin/bash
# Two commands do everything on a fresh machine with only Python 3.11:
#   make book   build the website into _build/html
#   make test   unit tests + strict nbval over every notebook + strict book build
# Both create .venv and install the pinned requirements.txt when needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# nbval runs the notebooks in the kernel tools/blas_kernel.py writes under $(NB_KERNEL_DIR):
# this Python, under an OpenBLAS kernel other than the one their stored outputs came from.
NB_KERNEL_DIR := _build/jupyter
NBVAL  := --nbval --nbval-kernel-name lstm-ref-notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg
NB_KERNEL = $(BIN)/python tools/blas_kernel.py --kernelspec $(NB_KERNEL_DIR)
NB_ENV = JUPYTER_PATH=$(CURDIR)/$(NB_KERNEL_DIR)

.PHONY: book test lint unit notebooks build-strict site-tests execute bench bench-torch serve clean install render-check

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html
	@echo
	@echo "The site is in $(CURDIR)/_build/html (open _build/html/index.html)."
	@echo "To serve it locally:  $(BIN)/python -m http.server --directory _build/html 8000"
	@echo "                      then open http://localhost:8000"

# The whole test suite: what .ci/run calls.
test: $(STAMP)
	$(BIN)/ruff check .
	@$(NB_KERNEL)
	$(NB_ENV) $(BIN)/python -m pytest -n $(JOBS) --dist loadfile --ignore=tests/site $(NBVAL) tests $$($(BIN)/python tools/toc.py notebooks)
	$(MAKE) build-strict
	$(BIN)/python -m pytest tests/site
	$(LAYOUT_CHECK)

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --ignore=tests/site tests

notebooks: $(STAMP)
	@$(NB_KERNEL)
	$(NB_ENV) $(BIN)/python -m pytest -n $(JOBS) --dist loadfile $(NBVAL) $$($(BIN)/python tools/toc.py notebooks)

# Warnings are errors (-W), every reference must resolve (-n); --keep-going
# reports all of them at once. The log is kept for tests/site.
build-strict: $(STAMP)
	@mkdir -p _build
	set -o pipefail; $(BIN)/jupyter-book build . --builder html -W -n --keep-going 2>&1 | tee _build/build.log

site-tests: $(STAMP)
	$(BIN)/python -m pytest tests/site

# After editing a notebook: re-run it in place so its stored outputs are current.
#   make execute                      every notebook in _toc.yml
#   make execute NB=book/foo.ipynb    just one
execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NB)

# Benchmarks: run on demand, on an idle machine; never part of `make test`.
#   make bench         lstm_ref against the naive version and the GEMM floor (~4 min)
#                      -> book/data/benchmark.json
#   make bench-torch   lstm_ref against torch.nn.LSTM (~4 min; installs the optional
#                      requirements-bench.txt into .venv first) -> book/data/torch_comparison.json
# Afterwards: make execute NB=book/performance.ipynb
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_lstm.py

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	@touch $@

bench-torch: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_torch.py

# Layout in headless Chromium at 1280 px, network cut off (tools/layout_check.py): fails when a
# display equation or a table is wider than its column, or MathJax did not typeset offline;
# reports code and output blocks wider than theirs (fails at 10% of them). `make test` runs it
# when chromium is on PATH and says so when it is not.
LAYOUT_CHECK = @if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; \
	then echo "$(BIN)/python tools/layout_check.py"; $(BIN)/python tools/layout_check.py; \
	else echo "layout check: NOT RUN (no chromium on PATH; apt-get install chromium)"; fi

render-check: book
	$(LAYOUT_CHECK)

serve: book
	$(BIN)/python -m http.server --directory _build/html 8000

# Do the exercises: JupyterLab on the book's notebooks, with jupyterlab-myst rendering the
# MyST markup (exercise and solution blocks, {eq} references, equation labels).
# Jupyter refuses to run as root unless told to (containers, CI machines).
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
.PHONY: lab
lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_ARGS) book/

clean:
	rm -rf _build
