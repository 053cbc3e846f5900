# Two commands on a fresh machine: `make run` and `make test`. Both create .venv as needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BUILD_STAMP := $(VENV)/.installed-build
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DIST_STAMP := $(VENV)/.installed-dist
BENCH_STAMP := $(VENV)/.installed-bench
UV_STAMP := $(VENV)/.installed-uv

.PHONY: run test lint typecheck imports pytest x11 system-packages screenshots schema dist dist-test bench pythons lock clean

# Every install takes the exact versions in the lock files in requirements/ (`make lock` writes
# them from pyproject.toml), and pip refuses any file whose hash differs from the lock's. Wheels
# only: nothing is compiled, so no build tool outside the locks is ever fetched.
PIP_LOCKED := -m pip install --quiet --require-hashes --only-binary :all: -r
# The kiosk itself goes in last, editable: --no-deps because the lock already has everything
# it needs (pip resolves nothing outside it), --no-build-isolation so that it is built with the
# locked setuptools from requirements/build.txt rather than whatever release is newest.
PIP_PROJECT := -m pip install --quiet --no-deps --no-build-isolation -e .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# pip and setuptools at their locked versions, before anything else is installed.
$(BUILD_STAMP): requirements/build.txt | $(BIN)/python
	$(BIN)/python $(PIP_LOCKED) requirements/build.txt
	touch $@

$(RUN_STAMP): pyproject.toml requirements/run.txt $(BUILD_STAMP)
	$(BIN)/python $(PIP_LOCKED) requirements/run.txt
	$(BIN)/python $(PIP_PROJECT)
	touch $@

$(TEST_STAMP): pyproject.toml requirements/test.txt $(BUILD_STAMP)
	$(BIN)/python $(PIP_LOCKED) requirements/test.txt
	$(BIN)/python $(PIP_PROJECT)
	touch $@ $(RUN_STAMP)

## Start the kiosk in a window on the bundled content and a database in the platform data dir.
# The first run creates a development key pair with the published development passcode
# 2468013579 (kiosk.passcodes; README) so requests can be saved, encrypted, and read on the
# staff screen; later runs keep it. The key file is marked: `kiosk doctor` fails on it.
run: $(RUN_STAMP)
	$(BIN)/kiosk keys init --if-missing --development >/dev/null
	$(BIN)/kiosk run --windowed

## Lint, type-check, check the import contracts, run every test headless, then the
# real-display suite on Xvfb. With KIOSK_TEST_DIST=1 (CI sets it) the bundle is built and
# tested too.
test: $(TEST_STAMP) lint typecheck imports pytest x11 $(if $(filter 1,$(KIOSK_TEST_DIST)),dist-test)

# Qt's libraries, Xvfb and a window manager (installed through apt as root when missing).
system-packages:
	@tests/system-packages.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check kiosk tests bench tools
	$(BIN)/ruff format --check kiosk tests bench tools

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

imports: $(TEST_STAMP)
	$(BIN)/lint-imports

# tests/test_bundle.py needs a built bundle: dist-test runs it after `make dist`.
pytest: $(TEST_STAMP) system-packages
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -p no:xvfb --ignore=tests/test_bundle.py --ignore=tests/x11

## The real-display suite (tests/x11): the kiosk on a real X server (Xvfb, no window manager
# and matchbox), landscape and portrait, driven by real presses through the X server.
X11_RUNS ?= 1920x1080:none 1080x1920:none 1920x1080:matchbox 1080x1920:matchbox
x11: $(TEST_STAMP) system-packages
	@set -e; for run in $(X11_RUNS); do \
	  size=$${run%%:*}; wm=$${run##*:}; \
	  echo "== real display $$size, window manager: $$wm"; \
	  env -u QT_QPA_PLATFORM KIOSK_X11_WM=$$wm $(BIN)/pytest -p no:cacheprovider \
	    --xvfb-backend xvfb -o xvfb_width=$${size%x*} -o xvfb_height=$${size#*x} \
	    -o xvfb_colordepth=24 tests/x11; \
	done

$(DIST_STAMP): pyproject.toml requirements/dist.txt $(BUILD_STAMP)
	$(BIN)/python $(PIP_LOCKED) requirements/dist.txt
	$(BIN)/python $(PIP_PROJECT)
	touch $@ $(TEST_STAMP) $(RUN_STAMP)

## Build the one-folder bundle for clinic IT into dist/kiosk/ (PyInstaller, kiosk.spec).
dist: $(DIST_STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN kiosk.spec

## Build the bundle, then check it: contents, size, and the frozen self-test offscreen.
dist-test: dist
	QT_QPA_PLATFORM=offscreen KIOSK_TEST_DIST=1 $(BIN)/pytest -p no:cacheprovider tests/test_bundle.py

$(BENCH_STAMP): pyproject.toml requirements/bench.txt $(BUILD_STAMP)
	$(BIN)/python $(PIP_LOCKED) requirements/bench.txt
	$(BIN)/python $(PIP_PROJECT)
	touch $@ $(RUN_STAMP)

## Measure start-up, screen switches, memory, idle CPU, saving, export, content and the
# bundle against the performance budgets; print a table and write bench/results.json
# (docs/performance.md). Separate from `make test`: nothing here asserts a time. The
# frozen figures need a bundle from `make dist`; BENCH_ARGS="--quick" for a rough look.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Render every screen in every language and size to /tmp/kiosk-screenshots.
screenshots: $(RUN_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/kiosk screenshots --out /tmp/kiosk-screenshots

## Regenerate the JSON Schemas in data/schema after changing kiosk/content.py.
schema: $(RUN_STAMP)
	$(BIN)/kiosk content schema

## The headless suite on the other Python versions requires-python names, each in its own
# virtual environment (.venv-3.12, ...). Name the interpreters: make pythons PYTHONS="python3.12 python3.13"
PYTHONS ?= python3.12 python3.13
pythons:
	@set -e; for py in $(PYTHONS); do \
	  v=.venv-$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "== $$py ($$v)"; \
	  [ -x $$v/bin/python ] || $$py -m venv $$v; \
	  $$v/bin/python $(PIP_LOCKED) requirements/build.txt; \
	  $$v/bin/python $(PIP_LOCKED) requirements/test.txt; \
	  $$v/bin/python $(PIP_PROJECT); \
	  QT_QPA_PLATFORM=offscreen $$v/bin/pytest -p no:xvfb -p no:cacheprovider -q \
	    --ignore=tests/test_bundle.py --ignore=tests/x11; \
	done

$(UV_STAMP): requirements/uv.txt $(BUILD_STAMP)
	$(BIN)/python $(PIP_LOCKED) requirements/uv.txt
	touch $@

## After changing dependencies in pyproject.toml: update uv.lock and write the lock files in
# requirements/ from it. uv keeps every locked version that still fits and takes the newest
# release only where something changed; LOCK_ARGS=--upgrade moves everything to the newest
# release pyproject.toml allows, LOCK_ARGS="--upgrade-package ruff" only ruff. One resolution
# for every file, for Linux, Windows and macOS on each Python requires-python names, so a
# package has the same version in all of them. tests/test_packaging.py fails until this is run.
UV_EXPORT := $(BIN)/uv export --frozen --quiet --no-emit-project --no-default-groups
lock: $(UV_STAMP)
	$(BIN)/uv lock $(LOCK_ARGS)
	$(UV_EXPORT) --only-group build -o requirements/build.txt
	$(UV_EXPORT) --only-group lock -o requirements/uv.txt
	$(UV_EXPORT) -o requirements/run.txt
	$(UV_EXPORT) --extra test -o requirements/test.txt
	$(UV_EXPORT) --extra test --extra dist -o requirements/dist.txt
	$(UV_EXPORT) --extra bench -o requirements/bench.txt

clean:
	rm -rf $(VENV) .venv-3.* build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
