# The two commands a newcomer runs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev browser postgres tesseract model ingest serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files make re-runs instant while pyproject.toml is unchanged.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

model: install
	$(BIN)/kb prepare-model

ingest: model tesseract
	$(BIN)/kb ingest corpora

serve: install
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

## Set up, prepare the embedding model, ingest corpora/ and serve on http://127.0.0.1:8000
run: ingest serve

# Browser tests drive Debian's Chromium; install it where it is missing and we may.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	    || echo "WARNING: could not install chromium with apt: browser tests will be skipped"; \
	  else echo "WARNING: chromium missing and not root: browser tests will be skipped"; fi; }

# The store tests also run against a throwaway PostgreSQL server (Debian's postgresql).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
	    || echo "WARNING: could not install postgresql with apt: PostgreSQL store tests will be skipped"; \
	  else echo "WARNING: postgresql missing and not root: PostgreSQL store tests will be skipped"; fi; }

# Scanned PDFs are read by Debian's Tesseract with its Kazakh and Russian language data.
tesseract:
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx kaz \
	   && tesseract --list-langs 2>/dev/null | grep -qx rus; } || { \
	  if [ "$$(id -u)" = 0 ]; then { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-kaz tesseract-ocr-rus >/dev/null; } \
	    || echo "WARNING: could not install tesseract-ocr with apt: scanned PDFs will be refused, OCR tests skipped"; \
	  else echo "WARNING: tesseract-ocr (kaz, rus) missing and not root: scanned PDFs will be refused, OCR tests skipped"; fi; }

## Set up and run the tests
test: install-dev browser postgres tesseract
	$(BIN)/pytest -q

bench: install-dev
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) data .cache .pytest_cache
