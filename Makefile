# leadsync — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libphonenumber-dev libpsl-dev publicsuffix libsqlite3-dev sqlite3 pkg-config libcurl4-openssl-dev libxml2-dev libxml2-utils openssl python3
BENCH_LEADS ?= 1000000

.PHONY: deps build demo test bench clean

# Installs the Debian packages the build needs, only when one is missing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# One-shot sync of the bundled sample drops (samples/) into a fresh SQLite store under var/.
demo: build
	@rm -rf var && mkdir -p var/drops
	@for d in samples/*/; do n=$$(basename $$d); mkdir -p var/drops/$$n; cp -p $$d* var/drops/$$n/; done
	$$($(SWIFT) build --show-bin-path)/leadsync sync --config leadsync.yaml

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Throughput and memory against the `sqlite3 .import` floor; BENCH_LEADS=100000 for a quick run.
bench: deps
	$(SWIFT) build -c release
	$$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --leads $(BENCH_LEADS) --work bench-out

clean:
	rm -rf .build var bench-out
