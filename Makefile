# The two set-up commands are `make up` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: up down test unit cluster-up cluster-down binaries venv status

BACKEND ?= simulated

## Bring the whole system up locally: cluster, simulator, the chart (operator + API).
up: venv binaries
	$(PY) -m mywhatsapp.localcluster.cli system-up --backend $(BACKEND)

## Stop everything `make up` started.
down: cluster-down

## Every test: unit tests, then the cluster tests on a throw-away local cluster.
test: venv binaries
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Unit tests only (no cluster).
unit: venv
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

cluster-up: venv binaries
	$(PY) -m mywhatsapp.localcluster.cli up

cluster-down:
	@if [ -x $(PY) ]; then $(PY) -m mywhatsapp.localcluster.cli down; fi

status: venv
	$(PY) -m mywhatsapp.localcluster.cli status

## etcd, kube-apiserver, kube-controller-manager, kubectl and helm, built once per user.
binaries:
	@localcluster/build-binaries.sh >/dev/null

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@
