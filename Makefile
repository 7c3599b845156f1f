# dropwatch: a Go drop-in replacement for the Linux dropwatch tool.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
# -buildid= and -trimpath (below) make two builds of one tree the same bytes.
LDFLAGS   := -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN       := bin
# Every command of cmd/ (dropwatch_exporter too, once it is there).
CMDS      := $(patsubst cmd/%/,%,$(sort $(dir $(wildcard cmd/*/main.go))))
FUZZTIME  ?= 20s

# make install: PREFIX and DESTDIR as usual; each directory can be set.
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's zsh loads packages' completions from vendor-completions, and
# /usr/local's from site-functions.
ZSHCOMPDIR  ?= $(if $(filter /usr,$(PREFIX)),/usr/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSCONFDIR  ?= /etc
# Installed when they exist: man pages man/NAME.SECTION, systemd units
# deploy/systemd/NAME.service (their /usr/bin/CMD become BINDIR/CMD) and
# defaults files deploy/systemd/NAME.default (as SYSCONFDIR/default/NAME).
MANPAGES    := $(wildcard man/*.[1-8])
UNITS       := $(wildcard deploy/systemd/*.service)
DEFAULTS    := $(wildcard deploy/systemd/*.default)
COMPLETIONS := $(BIN)/completion/dropwatch.bash $(BIN)/completion/_dropwatch $(BIN)/completion/dropwatch.fish

.PHONY: all build test testdeps unit exportertest vmtest bench bench-vm fuzz lint cross clean help
.PHONY: completions install uninstall deb pkgtest

all: build

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build static binaries into bin/
	@mkdir -p $(BIN)
	@for c in $(CMDS); do \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/$$c ./cmd/$$c || exit 1; \
	done
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/dropgen ./test/vm/dropgen/cmd/dropgen

test: testdeps unit exportertest pkgtest vmtest ## everything CI runs: unit tests, the exporter with a real Prometheus, packaging, then the real-kernel VM tests

testdeps: ## install what the unit tests use beyond Go (tcpdump, ethtool; as root)
	bash test/flows/install.sh

unit: ## unit tests, vet and formatting on this machine
	@test -z "$$(gofmt -l . | grep -v '^testdata/')" || { gofmt -l .; echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

exportertest: ## the exporter on this machine's tracepoint, scraped by a real Prometheus (as root)
	bash test/exporter/run.sh

vmtest: ## boot Debian's 6.1 and 6.12 kernels in qemu and run the NET_DM tests there
	bash test/vm/run.sh

bench: ## Go benchmarks of the hot paths
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-vm: ## in-VM burst comparison with the C dropwatch and dwdump
	bash test/vm/run.sh --bench

fuzz: ## run every fuzz target for FUZZTIME each
	@for p in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

lint: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

cross: ## prove non-Linux stubs compile
	GOOS=darwin $(GO) build ./...

clean: ## remove build output
	rm -rf $(BIN)

# --- installing ---------------------------------------------------------
# "make && sudo make install": install builds only what is missing, so that
# root needs no Go.

$(addprefix $(BIN)/,$(CMDS)):
	$(MAKE) build

completions: $(COMPLETIONS) ## shell completion scripts into bin/completion/

$(BIN)/completion/dropwatch.bash: $(BIN)/dropwatch
	@mkdir -p $(@D)
	$(BIN)/dropwatch --completion bash > $@
$(BIN)/completion/_dropwatch: $(BIN)/dropwatch
	@mkdir -p $(@D)
	$(BIN)/dropwatch --completion zsh > $@
$(BIN)/completion/dropwatch.fish: $(BIN)/dropwatch
	@mkdir -p $(@D)
	$(BIN)/dropwatch --completion fish > $@

install: $(addprefix $(BIN)/,$(CMDS)) $(COMPLETIONS) ## install into DESTDIR/PREFIX (default /usr/local): binaries, man pages, completions, units
	install -d $(DESTDIR)$(BINDIR)
	@set -e; for c in $(CMDS); do install -m 0755 $(BIN)/$$c $(DESTDIR)$(BINDIR)/$$c; echo "  $(DESTDIR)$(BINDIR)/$$c"; done
	@set -e; for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; echo "  $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}"; \
	done
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(BIN)/completion/dropwatch.bash $(DESTDIR)$(BASHCOMPDIR)/dropwatch
	install -m 0644 $(BIN)/completion/_dropwatch $(DESTDIR)$(ZSHCOMPDIR)/_dropwatch
	install -m 0644 $(BIN)/completion/dropwatch.fish $(DESTDIR)$(FISHCOMPDIR)/dropwatch.fish
	@set -e; for u in $(UNITS); do \
		install -d $(DESTDIR)$(UNITDIR); \
		sed $(foreach c,$(CMDS),-e 's|/usr/bin/$(c)\b|$(BINDIR)/$(c)|g') $$u > $(DESTDIR)$(UNITDIR)/$${u##*/}; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}; echo "  $(DESTDIR)$(UNITDIR)/$${u##*/} (not enabled)"; \
	done
	@set -e; for d in $(DEFAULTS); do \
		f=$(DESTDIR)$(SYSCONFDIR)/default/$$(basename $$d .default); install -d $${f%/*}; \
		if [ -e $$f ]; then echo "  $$f exists: kept"; else install -m 0644 $$d $$f; echo "  $$f"; fi; \
	done

uninstall: ## remove what install put in DESTDIR/PREFIX (a defaults file only if unchanged)
	rm -f $(foreach c,$(CMDS),$(DESTDIR)$(BINDIR)/$(c))
	rm -f $(foreach m,$(MANPAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/dropwatch $(DESTDIR)$(ZSHCOMPDIR)/_dropwatch $(DESTDIR)$(FISHCOMPDIR)/dropwatch.fish
	rm -f $(foreach u,$(UNITS),$(DESTDIR)$(UNITDIR)/$(notdir $(u)))
	@set -e; for d in $(DEFAULTS); do \
		f=$(DESTDIR)$(SYSCONFDIR)/default/$$(basename $$d .default); \
		if cmp -s $$d $$f; then rm -f $$f; elif [ -e $$f ]; then echo "  $$f was edited: kept"; fi; \
	done

deb: ## a Debian package in bin/ that replaces Debian's dropwatch (packaging/deb.sh)
	bash packaging/deb.sh

pkgtest: ## man pages, completion, make install/uninstall, reproducible builds, make deb, lintian, dpkg -i over Debian's dropwatch
	bash test/pkg/run.sh
