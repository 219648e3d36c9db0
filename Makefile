# The two commands a new user needs: `make run` and `make test`. Both set everything up.
# `make run` installs only what the app needs at run time (a lean server); `make test`,
# `make bench` and the other developer targets add the `dev` dependency group on top.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8501
# Our own modules get their .pyc too, even where the environment turns bytecode off (this
# machine sets PYTHONDONTWRITEBYTECODE=1): otherwise every test worker and app server compiled
# lib/ and re-ran pytest's assertion rewrite of every test module (collection 13 s -> 7 s per
# worker). An empty value counts as unset for Python; __pycache__/ is git-ignored.
export PYTHONDONTWRITEBYTECODE :=
N ?= 2

.PHONY: run try-auth serve-team test lint format snapshot refresh bench screenshots clean e2e fuzz

# Installs go through uv (a pip-compatible installer from PyPI, bootstrapped with pip): on a
# fresh 2-core machine it set up the dev environment in ~24 s, against ~41 s with pip.
# --compile-bytecode: installed packages ship their .pyc, as pip's do; without them every new
# process (each app server, test worker and CLI run) compiled Streamlit, pandas… from source.
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode
UV_STAMP := $(VENV)/.installed-uv

$(UV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv>=0.7"
	touch $@

# Runtime dependencies only ([project] dependencies in pyproject.toml).
$(RUN_STAMP): pyproject.toml $(UV_STAMP)
	$(UV) .
	touch $@

# Test, lint, browser and bench tools ([dependency-groups] dev), on top of the runtime.
$(DEV_STAMP): $(RUN_STAMP)
	$(UV) --group dev
	touch $@

run: $(RUN_STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# Try sign-in without any account: a local OpenID Connect provider (oidc-provider-mock, the
# `try-auth` dependency group) on 127.0.0.1:9400 and the app wired to it; see docs/auth.md
TRY_AUTH_STAMP := $(VENV)/.installed-try-auth
$(TRY_AUTH_STAMP): $(RUN_STAMP)
	$(UV) --group try-auth
	touch $@

try-auth: $(TRY_AUTH_STAMP)
	$(BIN)/python scripts/try_auth.py --port $(PORT)

# N Streamlit processes behind nginx on one port (Debian package `nginx`); see docs/deploy-team.md
serve-team: $(RUN_STAMP)
	$(BIN)/python scripts/serve_team.py --servers $(N) --port $(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite runs on 3 pytest-xdist workers; TEST_WORKERS=0 runs it in this one process.
# Three on a 2-core machine because the browser tests mostly wait (page loads, sign-in
# redirects): with 2 workers the cores were 59 % busy (17 min 49 s), with 3 workers 61 % busy
# at 13 min 0 s. loadfile: each test file runs whole on one worker, in its own order, with its
# module fixtures (a browser module's app server, a module's database).
TEST_WORKERS ?= 3
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Skip the browser suite locally: make test PYTEST_ARGS="-m 'not e2e'"
# A quick loop without the browser suite and the long sweeps: PYTEST_ARGS="-m 'not slow and not e2e'"

# Long property-based run (Hypothesis "fuzz" profile: many random examples, with shrinking).
# `make test` runs the same properties with the bounded, derandomized "ci" profile.
fuzz: $(DEV_STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -p no:cacheprovider --timeout=0 \
		-n $(TEST_WORKERS) --dist loadfile tests/test_properties_lib.py tests/test_properties_pages.py $(PYTEST_ARGS)

snapshot: $(RUN_STAMP)
	$(BIN)/python scripts/build_snapshot.py

# Prices first, then alerts on the fresh closes (one cron line does both; see the README).
refresh: $(RUN_STAMP)
	$(BIN)/python scripts/refresh.py; status=$$?; \
	$(BIN)/python scripts/alerts.py run && exit $$status

# make bench BENCH_ARGS=--scaling adds the load test through nginx with N=1 and N=2
bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

screenshots: $(DEV_STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
