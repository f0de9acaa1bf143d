# The two commands that matter: `make run` and `make test`. Everything installs itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps nginx-dep axe screenshots kafka-libs bench docs migrate quizday audit clean lint

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the suite drives for real: Chromium (browser journeys), Prometheus (metrics
# checks), nginx (the single origin), DejaVu fonts (Vietnamese certificates), poppler (PDF → PNG
# for the certificate checks), Java and Maven (Apache Kafka, tools/kafka.py). Installed only when
# missing and when we may (root).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	test -e /usr/lib/chromium/locales/vi.pak || missing="$$missing chromium-l10n"; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf || missing="$$missing fonts-dejavu-core"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (tests that need them are skipped)"; fi; \
	fi

# `make run` puts everything behind one origin: nginx, installed here when missing and when we may
# (root); otherwise tools/gateway.py serves the same routing table (ORIGIN_PROXY=gateway forces it).
nginx-dep:
	@if ! command -v nginx >/dev/null && ! test -x /usr/sbin/nginx && [ "$${ORIGIN_PROXY:-auto}" != gateway ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: nginx"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null \
	      || echo "nginx not installed: the dev gateway serves the single origin"; \
	  else echo "nginx not installed: the dev gateway serves the single origin"; fi; \
	fi

# axe-core (the accessibility checker the browser tests run in every page), pinned, from npm into
# .run/npm: nothing of it is committed, no lock file. Skipped when it is there already.
AXE_VERSION := 4.10.2
AXE_JS := .run/npm/node_modules/axe-core/axe.min.js
axe:
	@grep -qs '"version": "$(AXE_VERSION)"' .run/npm/node_modules/axe-core/package.json || \
	  { command -v npm >/dev/null || { echo "npm is missing: apt-get install npm (the accessibility tests need it)"; exit 1; }; \
	    mkdir -p .run/npm && npm install --silent --no-save --no-package-lock --no-audit --no-fund \
	      --prefix .run/npm axe-core@$(AXE_VERSION); }

# PNGs of every page (phone 390×844; big screen and dashboard 1920×1080) under docs/screenshots/.
screenshots: install
	$(PY) -m tools.screenshots

# Apache Kafka's jars (tools/kafka/pom.xml), fetched once with Maven into .run/kafka-libs-<version>.
kafka-libs: install
	$(PY) -m tools.kafka libs

# BROKER=tansu (default: embedded, memory-only, no Java) or BROKER=kafka (Apache Kafka, data kept
# in .run/kafka); KAFKA_BOOTSTRAP_SERVERS=host:port uses a broker you run yourself.
BROKER ?= tansu
run: install nginx-dep
	BROKER=$(BROKER) $(PY) -m tools.run

test: install system-deps kafka-libs axe lint
	$(PY) -m pytest -q -p no:cacheprovider

bench: install
	$(PY) -m bench

docs: install
	$(PY) -m tools.asyncapi docs/asyncapi.json
	@echo "wrote docs/asyncapi.json"

migrate: install
	$(PY) -m tools.migrate

quizday: install
	$(PY) -m bench.quizday

audit: install
	$(PY) -m tests.audit

lint: install
	$(PY) -m ruff check shared services tools bench tests

clean:
	rm -rf .run test-artifacts bench/results
