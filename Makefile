# alt401k — set-up and main jobs. Every target creates the virtual environment if missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all lint venv clean clean-cache scenarios validate figures

venv: $(STAMP)

# Reinstall when the pins or the project metadata change. The development environment has
# every extra (tests, numba, dashboard); `pip install .` alone stays lean for users.
$(STAMP): pyproject.toml constraints.txt
	@echo "setting up $(VENV): the pinned dependencies and the package (first time: a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,fast,dashboard]"
	touch $(STAMP)
	@echo "$(VENV) is ready"

## make run: the main job — the default scenario on a national-weighted sample of 100k savers,
## written to results/default-run (replacing the files of the previous `make run`). It says up
## front what it runs and about how long, and shows its progress month by month.
run: $(STAMP)
	$(BIN)/alt401k run --out results/default-run --force

## make test: lint, then the default test suite (slow checks excluded; `make test-all` runs them).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow" -n 2 -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

scenarios: $(STAMP)
	$(BIN)/alt401k scenarios

clean: clean-cache
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

## make clean-cache: numba's compiled passes, kept beside the sources (__pycache__/*.nbi, *.nbc).
## numba does not notice a change to a helper in another file than the pass that calls it
## (base/compiled.py's helpers are inlined into passes elsewhere): clear it after editing one.
clean-cache:
	find base agents model experiments -path '*/__pycache__/*' \( -name '*.nbi' -o -name '*.nbc' \) -delete

## make dashboard: the web dashboard on http://127.0.0.1:8765.
.PHONY: dashboard
dashboard: $(STAMP)
	$(BIN)/alt401k dashboard

## make validate / make figures: the validation experiments and the figure set, written under
## results/validate/ and results/figures-build/ (ignored by git). Publishing is explicit:
## `alt401k validate --write-docs` and `alt401k figures --publish` (from a clean tree).
validate: $(STAMP)
	$(BIN)/alt401k validate

figures: $(STAMP)
	$(BIN)/alt401k figures
