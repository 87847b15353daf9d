# storybeam: two commands do everything on a fresh machine with Python 3.10+.
#   make demo   installs (into .venv) and runs the job on the bundled sample, printing the events found
#   make test   installs (into .venv) and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= out/demo

.PHONY: install browser demo stream-demo stream-publish stream-benchmark test evaluate benchmark scale-benchmark embedding-variants report clean

$(BIN)/storybeam: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned to the CPU build, so nothing later can pull a CUDA torch
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e ".[test,eval]"
	touch $@

install: $(BIN)/storybeam browser

# The report's browser tests drive Debian's Chromium and chromedriver (never a browser a tool downloads).
# As root (CI, a fresh machine) they are installed with apt-get; elsewhere a line says how, and the
# browser tests skip (on CI, CI=true, they fail instead).
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and chromium-driver with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "make: chromium and chromium-driver are missing: run 'apt-get install chromium chromium-driver' as root" \
	  "(the report's browser tests are skipped without them)"; fi

demo: install
	HF_HUB_OFFLINE=1 $(BIN)/storybeam run --input sample/articles.jsonl --output $(OUT)

# The streaming job against the Pub/Sub emulator (needs gcloud and Java): run stream-demo in one terminal,
# stream-publish in another; tables appear under out/stream/<table>/dt=D/hour=H/ as windows close.
stream-demo: install
	HF_HUB_OFFLINE=1 $(BIN)/python deploy/local_pubsub.py serve --output out/stream

stream-publish:
	$(BIN)/python deploy/local_pubsub.py publish sample/articles.jsonl

stream-benchmark: install
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/stream_benchmark.py

test: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

report: install
	$(BIN)/storybeam report $(OUT)

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
