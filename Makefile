# The two commands that matter: `make run` and `make test`. Everything installs itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps kafka-libs bench docs migrate quizday audit clean lint

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the suite drives for real: Chromium (browser journeys), Prometheus (metrics
# checks), nginx (the single origin), Java and Maven (Apache Kafka, tools/kafka.py). Installed only when missing and when we may (root).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (tests that need them are skipped)"; fi; \
	fi

# Apache Kafka's jars (tools/kafka/pom.xml), fetched once with Maven into .run/kafka-libs-<version>.
kafka-libs: install
	$(PY) -m tools.kafka libs

# BROKER=tansu (default: embedded, memory-only, no Java) or BROKER=kafka (Apache Kafka, data kept
# in .run/kafka); KAFKA_BOOTSTRAP_SERVERS=host:port uses a broker you run yourself.
BROKER ?= tansu
run: install
	BROKER=$(BROKER) $(PY) -m tools.run

test: install system-deps kafka-libs lint
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
