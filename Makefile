# The two commands a newcomer needs: `make run` and `make test`.
# The project builds with Go 1.27.3: a machine whose go command is older fetches
# that toolchain from the Go module proxy once (about 76 MB).
export GOTOOLCHAIN := go1.27.3
SHELL := /bin/bash

GO            ?= go
BIN           := bin/rcm
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

.PHONY: run build test lint check-size conformance fmt bench bench-scale bench-scale-reports bench-scale-tasks bench-lifecycle fuzz record-histories clean

## run: build and start everything in one process (embedded Temporal, worker, API on :8080)
run: build
	./$(BIN) dev

## demo: `make run` with the demo clinic: seeded (idempotently) into its own database
## and data folder, then a simulated clinic day keeps every queue filling (README: Demo clinic)
DEMO_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/rcm_demo?sslmode=disable
DEMO_DATA_DIR     ?= .data/demo
.PHONY: demo
demo: build
	DATABASE_URL='$(DEMO_DATABASE_URL)' DATA_DIR='$(DEMO_DATA_DIR)' ./$(BIN) dev --demo

## build: compile the rcm binary into bin/ (the first build takes long: see README)
build:
	@$(GO) version >/dev/null || { echo "make: cannot run '$(GO)' with GOTOOLCHAIN=$(GOTOOLCHAIN)"; exit 1; }
	@echo "make: building $(BIN) with $$($(GO) env GOVERSION); fetching modules if needed..."
	@$(GO) mod download
	@total=$$($(GO) list -deps . | wc -l); \
	echo "make: compiling (up to $$total packages; a first build takes about 15 minutes on 2 idle cores, longer on a busy machine; later ones seconds)"; \
	$(GO) build -v -o $(BIN) . 2>&1 | awk -v total=$$total ' \
		/^(#|[^ ]+\.go:|go: )/ { print; next } \
		{ n++; if (n % 50 == 0) { printf "make: compiled %d packages (latest: %s)\n", n, $$0; fflush() } } \
		END { if (n) printf "make: compiled %d packages\n", n }'; \
	test $${PIPESTATUS[0]} -eq 0

## test: lint, then every test (unit, workflow, database and end-to-end)
test: lint
	$(GO) test -count=1 -timeout 25m ./...

## check-size: no tracked file over 2 MB (a 233 MB binary slipped in once)
MAX_FILE_BYTES := 2097152
# Real fixtures allowed to exceed MAX_FILE_BYTES, space-separated (none today).
LARGE_FILE_ALLOW :=
check-size:
	@big=$$(git ls-files -z | xargs -0 -r stat -c '%s %n' 2>/dev/null | \
		awk -v max=$(MAX_FILE_BYTES) -v allow="$(LARGE_FILE_ALLOW)" \
		'BEGIN { n = split(allow, a, " "); for (i = 1; i <= n; i++) ok[a[i]] = 1 } $$1 > max && !($$2 in ok) { print "  " $$2 " (" $$1 " bytes)" }'); \
		if [ -n "$$big" ]; then echo "tracked files over 2 MB (build outputs? remove them, or allow a real fixture in LARGE_FILE_ALLOW):"; echo "$$big"; exit 1; fi

## lint: no large tracked files, gofmt, go vet, staticcheck and Temporal's workflowcheck
lint: check-size
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: benchmarks (database postings, X12 parsing)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/billing/ ./internal/x12/

## bench-scale: load a million claims (5M charges, their events, remittances and journals) into a
## fresh database and report p50/p99 of the manager views (RCM_SCALE_CLAIMS=N for another size),
## then 200,000 open tasks and report claim-next, a queue page and my-work counts
bench-scale: bench-scale-reports bench-scale-tasks

bench-scale-reports:
	RCM_BENCH_SCALE=1 $(GO) test -count=1 -run '^$$' -bench '^BenchmarkScale$$' -benchtime 200x -timeout 90m ./internal/reports/scale/

## bench-scale-tasks: load 200,000 open tasks (and 65,000 claimed, snoozed and
## done ones, their history, 1,000 billers in 100 teams) into a fresh database and
## report p50/p99 of claim-next, a queue page and my-work counts (RCM_BENCH_TASKS
## changes the size; RCM_BENCH_EXPLAIN=1 prints the query plans). Needs PostgreSQL.
bench-scale-tasks:
	RCM_BENCH_SCALE=1 $(GO) test -count=1 -run '^$$' -bench 'BenchmarkScaleTasks' -benchtime 1000x -timeout 30m ./internal/tasks/

## bench-lifecycle: insurance visits through the API of `rcm dev` (fresh data folder,
## database and ports; simulator delays zero) and the engine baseline, in one run:
## claims paid per second, visit -> paid p50/p95, CPU (BENCH_VISITS, BENCH_FLAGS)
BENCH_VISITS ?= 200
bench-lifecycle: build
	$(GO) run ./internal/benchlife -bin $(BIN) -n $(BENCH_VISITS) $(BENCH_FLAGS)

## conformance: every kind of EDI file we write, checked by the independent
## validator pyx12 (needs PYX12_VALIDATE=path/to/x12valid; see README)
conformance:
	@[ -n "$$PYX12_VALIDATE" ] || { echo "make conformance: set PYX12_VALIDATE to pyx12's x12valid (python3 -m venv v && v/bin/pip install pyx12)"; exit 1; }
	$(GO) test -count=1 -tags conformance -run 'TestEDIConformance|TestEDIStructure' ./internal/clearinghouse/

## fuzz: a short run of every X12 fuzzer (set FUZZTIME for longer)
FUZZTIME ?= 200000x
fuzz:
	@for f in $$($(GO) test -list 'Fuzz.*' ./internal/x12/ | grep ^Fuzz); do \
		echo "== $$f"; $(GO) test ./internal/x12/ -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; done

## record-histories: re-record the workflow histories replayed by the workflows tests
record-histories:
	RCM_RECORD_HISTORIES=1 $(GO) test -count=1 ./internal/e2e/

clean:
	rm -rf bin

## chaos: crash safety (not part of make test): 200 insurance lifecycles of mixed
## outcomes through the API of `rcm dev` while it is killed with SIGKILL every few
## seconds, plus one restart of a PRIVATE PostgreSQL cluster the run creates and
## removes (never the shared server); reports losses, doubles and settle time
## (CHAOS_LIFECYCLES, CHAOS_FLAGS: see go run ./internal/chaos -h)
.PHONY: chaos
CHAOS_LIFECYCLES ?= 200
chaos: build
	$(GO) run ./internal/chaos -bin $(BIN) -n $(CHAOS_LIFECYCLES) $(CHAOS_FLAGS)
