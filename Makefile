# facegate — build, run and test. `make run` and `make test` are the two
# commands in the README.
GO        ?= go
BIN       := bin/facegate
DATA_DIR  ?= ./data

.PHONY: build run test test-unit test-e2e fuzz bench assess clean

build:
	$(GO) build -o $(BIN) ./xcaddy

# Runs facegate on the embedded default Caddyfile: HTTPS on https://localhost:8443
# with Caddy's internal CA; first start writes $(DATA_DIR)/initial-credentials.json (0600).
run: build
	FACEGATE_DATA_DIR=$(DATA_DIR) $(BIN) serve

# Unit tests, policy tests, a short fuzz pass and the end-to-end tests
# against the real binary (built once).
test:
	bash tests/run.sh

test-unit:
	$(GO) test ./engine/... ./policies/... ./plugin/...

test-e2e: build
	FACEGATE_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 20m ./tests/e2e/...

bench:
	$(GO) run ./tests/bench

# Attacks a running instance (by default the one of `make run`) from outside
# and writes docs/assessment/; ASSESS_FLAGS passes options (--url, --quick, ...).
assess:
	FACEGATE_DATA_DIR=$(DATA_DIR) $(GO) run ./tests/assess $(if $(wildcard $(BIN)),--bin $(BIN)) $(ASSESS_FLAGS)

clean:
	rm -rf bin
