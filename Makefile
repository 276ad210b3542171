# Two commands matter: `make demo` and `make test`. Both bootstrap .venv on first use and
# reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest fuzz bench screenshots docs man oldest mutants clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "expereo-tui needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'  # --group (PEP 735) needs 25.1
	$(BIN)/python -m pip install --quiet -e '.[web,keyring,team]' --group dev
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/expereo-tui demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy expereo_tui/api expereo_tui/store expereo_tui/sync \
		expereo_tui/cli expereo_tui/team expereo_tui/config.py expereo_tui/locations.py expereo_tui/heap.py \
		expereo_tui/keymap.py expereo_tui/logs.py

pytest: $(STAMP)  # one worker per core: the suite fits its 5-minute budget on 2 cores
	$(BIN)/python -m pytest -n auto

# Schemathesis against the simulator, longer than in `make test` (figures in docs/development.md)
FUZZ_V2_EXAMPLES ?= 1000
FUZZ_V1_EXAMPLES ?= 1000
fuzz: $(STAMP)
	EXPEREO_FUZZ_EXAMPLES=$(FUZZ_V2_EXAMPLES) $(BIN)/python -m pytest -p no:xdist --timeout=0 \
		tests/sim/test_fuzz.py -k v2 --durations=5 -s
	EXPEREO_FUZZ_EXAMPLES=$(FUZZ_V1_EXAMPLES) $(BIN)/python -m pytest -p no:xdist --timeout=0 \
		tests/sim/test_fuzz.py -k v1 --durations=5 -s

bench: $(STAMP)
	$(BIN)/python -m benchmarks

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

docs: $(STAMP)  # docs/reliability.md from the fault tests' reliability markers
	$(BIN)/python scripts/reliability_doc.py

man: $(STAMP)  # docs/expereo-tui.1 from the argparse parsers (a test fails when it is stale)
	$(BIN)/python scripts/manpage.py

# A separate venv with every dependency at its pyproject lower bound, and a smoke test in it
# (--version, demo in a pty, cases list against the simulator). Not part of `make test`.
oldest:
	$(PYTHON) scripts/oldest.py


# Mutation testing of the modules that hold rules ([tool.mutmut] in pyproject.toml lists them
# and the tests run against them). Slow, so not part of `make test`: run it before closing an
# issue that touches one of them (docs/development.md, "Mutation testing"). One worker: the
# machine is shared. MUTANTS narrows the run to some modules, e.g.
#   make mutants MUTANTS='expereo_tui.triage.*'
# (the other modules then show as not run). Each run starts from a fresh mutants/ copy, so
# that no verdict is kept from older tests.
MUTANTS ?=
mutants: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 1 $(MUTANTS) > mutants.log 2>&1 || (tail -40 mutants.log; exit 1)
	$(BIN)/python scripts/mutants_report.py

clean:
	rm -rf $(VENV) .venv-oldest .mypy_cache .ruff_cache mutants mutants.log
