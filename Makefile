# leadsync — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# prometheus brings promtool (the /metrics check); systemd brings systemd-analyze (the unit checks);
# postgresql the server the PostgreSQL store's tests run against (Tests/postgres/server.sh).
APT_PACKAGES := libphonenumber-dev libpsl-dev publicsuffix libsqlite3-dev sqlite3 pkg-config libcurl4-openssl-dev libxml2-dev libxml2-utils openssl python3 prometheus systemd chromium postgresql
BENCH_LEADS ?= 1000000
BENCH_REPORT_LEADS ?= 1000000
BENCH_POSTGRES_LEADS ?= 1000000
FUZZ_SECONDS ?= 60

.PHONY: deps build demo test bench bench-matching install clean fuzz check-sanitizers

# `make install`: where packagers expect things. PREFIX=/usr for a package, DESTDIR for staging.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# A leadsync binary already built; empty = build a release.
LEADSYNC_BIN ?=

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
	@$$($(SWIFT) build --show-bin-path)/leadsync report handoff --config leadsync.yaml --format html --out var/handoff-report.html

# The PostgreSQL store's tests need a server: LEADSYNC_TEST_POSTGRES_URL if set (.ci/run sets it), else a
# throwaway one started here and stopped after.
test: deps
	$(SWIFT) build --build-tests
	@if [ -n "$$LEADSYNC_TEST_POSTGRES_URL" ]; then $(SWIFT) test --skip-build; else \
	  eval "$$(Tests/postgres/server.sh start)" && trap 'Tests/postgres/server.sh stop "$$LEADSYNC_TEST_POSTGRES_DIR"' EXIT && \
	  $(SWIFT) test --skip-build; fi

# Each parser of outside input under libFuzzer + the address sanitizer for FUZZ_SECONDS (default 60) per target.
fuzz: deps
	$(SWIFT) build --product leadsync-fuzz --build-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
	FUZZ_SECONDS=$(FUZZ_SECONDS) Tests/Fuzz/run.sh

# The whole test suite under the address sanitizer, then under the thread sanitizer, each in its own build
# directory (the tests start the sanitized `leadsync` binary built next to them). Too long for CI: run by hand.
# The PostgreSQL tests need a server, as in `make test`. Tests with time limits (a file in the store within
# 2 s…) may miss them under instrumentation: read the sanitizers' reports, not only the pass count. ASan's leak
# detection is off: libdispatch's worker threads leave a few hundred bytes behind at exit.
check-sanitizers: deps
	$(SWIFT) build --build-tests --build-path .build-asan -Xswiftc -sanitize=address
	$(SWIFT) build --build-tests --build-path .build-tsan -Xswiftc -sanitize=thread
	@if [ -z "$$LEADSYNC_TEST_POSTGRES_URL" ]; then \
	  eval "$$(Tests/postgres/server.sh start)" && trap 'Tests/postgres/server.sh stop "$$LEADSYNC_TEST_POSTGRES_DIR"' EXIT; fi; \
	  status=0; \
	  ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --build-path .build-asan || status=1; \
	  $(SWIFT) test --skip-build --build-path .build-tsan || status=1; \
	  exit $$status

# Throughput and memory against the `sqlite3 .import` floor; BENCH_LEADS=100000 for a quick run.
bench: deps
	$(SWIFT) build -c release
	$$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --leads $(BENCH_LEADS) --work bench-out
	$$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --reports $(BENCH_REPORT_LEADS) --work bench-out
	@if [ -n "$$LEADSYNC_TEST_POSTGRES_URL" ]; then \
	  $$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --postgres $(BENCH_POSTGRES_LEADS) --work bench-out; else \
	  eval "$$(Tests/postgres/server.sh start)" && trap 'Tests/postgres/server.sh stop "$$LEADSYNC_TEST_POSTGRES_DIR"' EXIT && \
	  $$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --postgres $(BENCH_POSTGRES_LEADS) --work bench-out; fi

# Binary, systemd units (paths rewritten to BINDIR/SYSCONFDIR), sysusers.d and tmpfiles.d snippets,
# mappings, docs and example connectors. An existing leadsync.yaml or rules file is never overwritten.
install:
	@bin="$(LEADSYNC_BIN)"; \
	if [ -z "$$bin" ]; then $(MAKE) deps && $(SWIFT) build -c release --product leadsync && bin=$$($(SWIFT) build -c release --show-bin-path)/leadsync; fi; \
	install -Dm755 "$$bin" "$(DESTDIR)$(BINDIR)/leadsync"
	@for unit in leadsync.service leadsync-sync.service leadsync-sync.timer; do \
	  install -d "$(DESTDIR)$(UNITDIR)"; \
	  sed -e 's|/usr/bin/leadsync|$(BINDIR)/leadsync|g' -e 's|/etc/leadsync|$(SYSCONFDIR)/leadsync|g' \
	      -e 's|/usr/share/doc/leadsync|$(DATADIR)/doc/leadsync|g' systemd/$$unit > "$(DESTDIR)$(UNITDIR)/$$unit"; \
	done
	install -Dm644 systemd/leadsync.sysusers.conf "$(DESTDIR)$(SYSUSERSDIR)/leadsync.conf"
	install -d "$(DESTDIR)$(TMPFILESDIR)"
	sed -e 's|/etc/leadsync|$(SYSCONFDIR)/leadsync|g' systemd/leadsync.tmpfiles.conf > "$(DESTDIR)$(TMPFILESDIR)/leadsync.conf"
	install -d "$(DESTDIR)$(DATADIR)/leadsync/mappings" "$(DESTDIR)$(DATADIR)/doc/leadsync/examples/connectors" \
	  "$(DESTDIR)$(SYSCONFDIR)/leadsync/connectors" "$(DESTDIR)$(SYSCONFDIR)/leadsync/rules"
	install -m644 mappings/*.yaml "$(DESTDIR)$(DATADIR)/leadsync/mappings/"
	install -m644 connectors/* "$(DESTDIR)$(DATADIR)/doc/leadsync/examples/connectors/"
	install -m644 README.md docs/*.md "$(DESTDIR)$(DATADIR)/doc/leadsync/"
	@[ -e "$(DESTDIR)$(SYSCONFDIR)/leadsync/leadsync.yaml" ] || \
	  sed -e 's|/usr/share/leadsync|$(DATADIR)/leadsync|g' -e 's|/usr/share/doc/leadsync|$(DATADIR)/doc/leadsync|g' \
	      -e 's|/etc/leadsync|$(SYSCONFDIR)/leadsync|g' packaging/leadsync.yaml > "$(DESTDIR)$(SYSCONFDIR)/leadsync/leadsync.yaml"
	@[ -e "$(DESTDIR)$(SYSCONFDIR)/leadsync/rules/qualification.yaml" ] || \
	  install -m644 rules/qualification.yaml "$(DESTDIR)$(SYSCONFDIR)/leadsync/rules/qualification.yaml"
	@echo "installed under $(DESTDIR)$(PREFIX); next: systemd-sysusers, systemd-tmpfiles --create, systemctl enable --now leadsync"

# Matching accuracy on planted duplicates (docs/matching.md); BENCH_MATCHING=1000000 for the scaling figure.
# COMPANY_NAMES=FILE (name<TAB>firm per line) also measures account matching on real company-name variants.
BENCH_MATCHING ?= 100000
bench-matching: deps
	$(SWIFT) build -c release
	$$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --matching $(BENCH_MATCHING) --work bench-out
	@if [ -n "$(COMPANY_NAMES)" ]; then \
	  $$($(SWIFT) build -c release --show-bin-path)/leadsync-bench --company-names "$(COMPANY_NAMES)" --work bench-out; fi

clean:
	rm -rf .build var bench-out
