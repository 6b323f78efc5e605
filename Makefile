# Two entry points for people: `make run` (index the sample corpus, serve the UI) and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1

.PHONY: install run test browser eval ocr-libs

install: ocr-libs $(VENV)/.installed

# OpenCV, which RapidOCR installs, loads libGL and glib even without a screen.
ocr-libs:
	ldconfig -p | grep -q libGL.so.1 && ldconfig -p | grep -q libgthread-2.0.so.0 || \
	  { apt-get update && apt-get install -y libgl1 libglib2.0-0; }

# torch first and pinned: an unpinned torch pulls gigabytes of CUDA wheels.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	# Earlier versions installed opencc-python-reimplemented, whose module opencc clashes with the opencc wheel's.
	$(BIN)/pip uninstall --quiet --yes opencc-python-reimplemented
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m models.e5_convert
	$(BIN)/python -m models.onnx_export
	$(BIN)/python -m models.static_distill
	touch $@

run: install
	$(BIN)/policyqa ingest data/articles --if-empty
	$(BIN)/policyqa serve

test: install browser
	$(BIN)/python -m pytest -q

# The browser tests drive Debian's chromium (Playwright's own browser download cannot be fetched
# here); a CJK font makes the Chinese in their screenshots readable.
browser:
	test -x /usr/bin/chromium && fc-list :lang=zh | grep -q . || \
	  { apt-get update && apt-get install -y chromium chromium-driver fonts-wqy-microhei; }

# The quality gate CI runs after the tests: every set with every retriever, one table, thresholds.
# Built benchmark indexes are kept outside the checkout, named by the hash of their documents and
# of the ingest code, so a fresh clone embeds only what changed.
eval: export POLICYQA_EVAL_CACHE_DIR ?= $(HOME)/.cache/policyqa/eval
eval: install
	$(BIN)/policyqa eval-bench --out eval/runs/ci
	$(BIN)/policyqa eval-gate eval/runs/ci/report.json --thresholds eval/thresholds.toml
