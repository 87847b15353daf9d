# storybeam: two commands do everything on a fresh machine with Python 3.10+.
#   make demo   installs (into .venv) and runs the job on the bundled sample, printing the events found
#   make test   installs (into .venv) and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= out/demo

.PHONY: install demo test evaluate benchmark scale-benchmark embedding-variants clean

$(BIN)/storybeam: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned to the CPU build, so nothing later can pull a CUDA torch
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e ".[test,eval]"
	touch $@

install: $(BIN)/storybeam

demo: install
	HF_HUB_OFFLINE=1 $(BIN)/storybeam run --input sample/articles.jsonl --output $(OUT)

test: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

evaluate: install
	HF_HUB_OFFLINE=1 $(BIN)/storybeam evaluate --out out/eval

benchmark: install
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/pipeline_benchmark.py

# stage rates, end to end against the naive job, near-dup peers, 10k/100k scaling (hours on 2 cores)
scale-benchmark: install
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/scale_benchmark.py

# speed, cosine and event B3 F1 of each embedding backend / token budget on ECB+, UCI, GVA dev
embedding-variants: install
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/embedding_variants.py

clean:
	rm -rf out build *.egg-info .pytest_cache
