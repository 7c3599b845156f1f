# dropwatch: a Go drop-in replacement for the Linux dropwatch tool.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
# -buildid= and -trimpath (below) make two builds of one tree the same bytes.
LDFLAGS   := -s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN       := bin
CMDS      := dropwatch dwdump
FUZZTIME  ?= 20s

.PHONY: all build test unit vmtest bench bench-vm fuzz lint cross clean help

all: build

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build static binaries into bin/
	@mkdir -p $(BIN)
	@for c in $(CMDS); do \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/$$c ./cmd/$$c || exit 1; \
	done
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/dropgen ./test/vm/dropgen/cmd/dropgen

test: unit vmtest ## everything CI runs: unit tests, then the real-kernel VM tests

unit: ## unit tests, vet and formatting on this machine
	@test -z "$$(gofmt -l . | grep -v '^testdata/')" || { gofmt -l .; echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

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
