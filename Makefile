# The two commands a newcomer needs: `make run` and `make test`.
export GOTOOLCHAIN := local

GO            ?= go
BIN           := bin/rcm
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

.PHONY: run build test lint fmt bench fuzz record-histories clean

## run: build and start everything in one process (embedded Temporal, worker, API on :8080)
run: build
	./$(BIN) dev

## build: compile the rcm binary into bin/
build:
	$(GO) build -o $(BIN) .

## test: lint, then every test (unit, workflow, database and end-to-end)
test: lint
	$(GO) test -count=1 -timeout 15m ./...

## lint: gofmt, go vet, staticcheck and Temporal's workflowcheck
lint:
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
