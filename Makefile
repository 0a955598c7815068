# Hall — two commands do all the set-up: `make run` and `make test`.
PY       ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
HOST     ?= 127.0.0.1
PORT     ?= 5000
# pytest-xdist workers: 3 on 2 cores, as browser and process tests wait on I/O (measured: 8:05
# against 9:02 with 2); the slow layers (processes, browsers) are safe to run in parallel
WORKERS  ?= 3

PYTEST   := $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

.PHONY: run test test-unit test-integration test-e2e install install-dev translations \
	translations-update fonts pdf lint bench fuzz clean

# the demo plays a live day (`hall simulate` beside the server) unless SIMULATE=0, so the
# screens, the LED emulator, the board and the reports show a hall with people in it
SIMULATE ?= 1
SPEED    ?= 1

run: install translations fonts  ## demo hall on SQLite with emulated devices and a live simulated day; prints the URLs
	$(BIN)/hall demo --host $(HOST) --port $(PORT) $(if $(filter 1,$(SIMULATE)),--simulate --speed $(SPEED))

# The suite in three layers (README, "Tests"); `make test` is ruff and then all three in one
# pytest run, the slowest layer first, so both workers stay busy to the end. PYTEST_ARGS
# passes options through (e.g. PYTEST_ARGS="-k live --durations=20").
test: install-dev translations fonts  ## ruff, then every layer (SQLite, PostgreSQL, Redis, processes, Chromium)
	$(BIN)/ruff check .
	$(PYTEST) tests/e2e tests/integration tests/unit --durations=30 $(PYTEST_ARGS)

test-unit: install-dev translations fonts  ## domain, protocols, pure functions: no database, no network
	$(PYTEST) tests/unit $(PYTEST_ARGS)

test-integration: install-dev translations fonts  ## services on SQLite and PostgreSQL, migrations, drivers over emulators
	$(PYTEST) tests/integration $(PYTEST_ARGS)

test-e2e: install-dev translations fonts  ## HTTP, Socket.IO, real server processes, Redis, headless Chromium
	$(PYTEST) tests/e2e $(PYTEST_ARGS)

bench: install-dev translations  ## printed figures, never part of CI
	$(BIN)/python bench/issue.py
	$(BIN)/python bench/issue.py --database-url postgresql://postgres@127.0.0.1:5432/test
	$(BIN)/python bench/call_next.py
	$(BIN)/python bench/call_next.py --database-url postgresql://postgres@127.0.0.1:5432/test
	$(BIN)/python bench/screens.py --clients 100,1000
	$(BIN)/python bench/kiosk.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/report.py --database-url postgresql://postgres@127.0.0.1:5432/test

# The API fuzz (tests/e2e/test_api_fuzz.py) at length: EXAMPLES random cases per operation
# and caller instead of the suite's 6 (500: about an hour on 2 cores). Never part of CI.
EXAMPLES ?= 500
fuzz: install-dev translations  ## schemathesis over every operation, EXAMPLES=N cases each
	HALL_FUZZ_EXAMPLES=$(EXAMPLES) $(PYTEST) tests/e2e/test_api_fuzz.py $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

NPMSTAMP := node_modules/.installed

install: $(STAMP) $(NPMSTAMP)
install-dev: $(DEVSTAMP) $(NPMSTAMP)

# Front-end packages (Socket.IO client, Noto Sans SC), pinned by package-lock.json and
# served locally from node_modules by display/vendor.py: no CDN at run time.
$(NPMSTAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3

$(STAMP): $(VENV)/bin/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Compiled catalogs are build output (not committed); pybabel comes with Babel.
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d hall/translations -f --statistics 2>/dev/null || \
	  $(BIN)/pybabel compile -d hall/translations -f

# A CJK font for raster-mode tickets and previews (Debian's WenQuanYi Micro Hei, 1.6 MB).
# Not fatal: without it native (GB18030) printing still works and raster printing says why.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# Rare characters (生僻字: CJK Extension A and B, e.g. 䶮 𠮷) that font lacks: Debian's
# fonts-hanazono (HanaMinA, HanaMinB; 52 MB). Not fatal: without it they print as boxes.
RARE_FONT := /usr/share/fonts/truetype/hanazono/HanaMinB.ttf
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
fonts: $(CJK_FONT) $(RARE_FONT) pdf
$(CJK_FONT):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-wqy-microhei || \
	  ($(SUDO) apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-wqy-microhei) || \
	  echo "warning: no CJK font installed; raster-mode printing is disabled"
$(RARE_FONT):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-hanazono || \
	  ($(SUDO) apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-hanazono) || \
	  echo "warning: fonts-hanazono not installed; rare characters print as empty boxes"

# WeasyPrint's system libraries (月通报 as PDF): Pango and HarfBuzz from Debian. Not fatal:
# without them the bulletin page still works and its PDF link says why it cannot.
PANGO := /usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0
pdf: $(PANGO)
$(PANGO):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 || \
	  ($(SUDO) apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0) || \
	  echo "warning: Pango not installed; the bulletin's PDF export is disabled"

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .hypothesis

translations-update: $(STAMP)  ## after adding or changing user-facing strings
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_gettext --project Hall \
	  -o hall/translations/messages.pot .
	$(BIN)/pybabel update -i hall/translations/messages.pot -d hall/translations -D messages -w 100 --no-fuzzy-matching
	$(BIN)/python tools/po_fill.py
