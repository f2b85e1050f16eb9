# Two commands on a fresh machine:  make demo  (analyse the built-in example)  and  make test.
# Both create or reuse the virtual environment in .venv (any Python 3.10-3.14).
# Another interpreter or folder: make test PYTHON=python3.13 VENV=.venv313
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3.14 python3.10 python3; do \
	  if $$p -c 'import sys; assert (3,10) <= sys.version_info[:2] <= (3,14)' 2>/dev/null; then echo $$p; break; fi; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO := videos/fixtures/side_knees_past_toes.mp4
# extra pytest arguments, e.g. PYTEST_ARGS='-m "not browser"'
PYTEST_ARGS ?=

.PHONY: demo test app eval bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "formcheck needs Python 3.10-3.14 (python3.13 is fine); none was found on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[app,test]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	@mkdir -p out
	$(BIN)/formcheck analyze $(DEMO) --report out/demo_report.json --csv out/demo_reps.csv \
		--annotated out/demo_annotated.mp4 --landmarks out/demo_landmarks.npz
	@echo "Wrote out/demo_report.json, out/demo_reps.csv, out/demo_annotated.mp4"

test: $(STAMP)
	$(BIN)/python -m pytest -ra --durations=15 $(PYTEST_ARGS)

app: $(STAMP)
	$(BIN)/streamlit run streamlit_app.py

eval: $(STAMP)
	$(BIN)/formcheck eval --videos ../shared/videos --labels ../shared/videos/LABELS.tsv --cache .formcheck-cache

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_speed.py

clean:
	rm -rf $(VENV) out .pytest_cache
