# The two commands of the README:  make train  (the main job)  and  make test  (the test suite).
# Both create .venv and install the pinned stack on first use (constraints.txt pins torch/torchvision).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPUS ?= data/jddc21-synth
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install train test clean

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade -c constraints.txt pip
	$(BIN)/pip install -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

train: install
	$(BIN)/accelerate launch --config_file recipes/accelerate/cpu.yaml -m mtdialog.train --config recipes/tiny.yaml

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) data/ .pytest_cache
