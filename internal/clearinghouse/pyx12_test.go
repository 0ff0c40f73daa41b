//go:build conformance

package clearinghouse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEDIConformance runs the independent X12 5010 validator pyx12 over every
// file conformanceFiles writes. It is built only with `-tags conformance`
// (`make conformance`): pyx12 comes from the Python package index, which the
// project's build and CI machines do not reach, so `make test` cannot install
// it. Where pyx12 is installed (`pip install pyx12`), point PYX12_VALIDATE at
// its x12valid command (x12_validate in pyx12 4); the test fails, never skips,
// when it is not set.

// pyx12Exceptions are pyx12 messages that are pyx12's mistakes, not ours:
// file kind (a prefix of the file name) -> the exact message ignored.
var pyx12Exceptions = map[string][]string{
	// X221A1 marks ST03 "not used" (and pyx12 reports an 835 that sends it),
	// but pyx12's own 999 generator, which x12valid always runs, takes the
	// implementation of the AK2 it writes from ST03 and fails without it
	// ("pyx12.errors.EngineError: Cannot create AK2: err_st.vriic was not
	// set"). The validation itself finishes and says OK; only the 999 pyx12
	// would have sent back is missing.
	"835-": {"ERROR Failed to create 999 response"},
}

// pyx12NoMap are the implementation guides that pyx12 3.1.0 has no map for
// (its maps of 270/271/276/277 are the 4010 ones, and the 5010 X212 map is
// not in its index): pyx12 cannot check these files, so checkStructure below
// checks the rules that a validator found broken in them before.
var pyx12NoMap = map[string]string{
	"270": "005010X279A1", "271": "005010X279A1", "276": "005010X212", "277-": "005010X212",
}

// pyx12Validator is the x12valid command, or the test fails saying how to
// install it.
func pyx12Validator(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PYX12_VALIDATE")
	if path == "" {
		t.Fatal("PYX12_VALIDATE is not set: install pyx12 (`python3 -m venv v && v/bin/pip install pyx12`) and set PYX12_VALIDATE=v/bin/x12valid (see README, EDI conformance)")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("PYX12_VALIDATE=%s: %v", path, err)
	}
	return path
}

// pyx12Line matches the error lines of x12valid's log: "... ERROR ... message".
var pyx12Line = regexp.MustCompile(`(?m)^.*\b(ERROR|CRITICAL)\b.*$`)

// validate runs pyx12 on one file and returns its error lines, less the
// documented exceptions.
func validate(t *testing.T, validator, file string) []string {
	t.Helper()
	cmd := exec.Command(validator, "--quiet", file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", validator, err)
	}
	var errs []string
	name := filepath.Base(file)
lines:
	for _, l := range pyx12Line.FindAllString(out.String(), -1) {
		for kind, ignored := range pyx12Exceptions {
			if !strings.HasPrefix(name, kind) {
				continue
			}
			for _, msg := range ignored {
				if strings.Contains(l, msg) {
					continue lines
				}
			}
		}
		errs = append(errs, strings.TrimSpace(l))
	}
	if len(errs) == 0 && (err != nil || !strings.Contains(out.String(), file+": OK")) {
		errs = append(errs, fmt.Sprintf("x12valid did not say OK (%v):\n%s", err, out.String()))
	}
	return errs
}

func TestEDIConformance(t *testing.T) {
	validator := pyx12Validator(t)
	files := conformanceFiles(t)
	dir := os.Getenv("EDI_CONFORMANCE_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, files[name], 0o644))
		t.Run(strings.TrimSuffix(name, ".x12"), func(t *testing.T) {
			noMap := false
			for kind := range pyx12NoMap {
				if strings.HasPrefix(name, kind) {
					noMap = true
				}
			}
			errs := checkStructure(name, files[name])
			if !noMap {
				errs = append(errs, validate(t, validator, path)...)
			}
			if known, ok := knownFailures[name]; ok {
				if len(errs) == 0 {
					t.Errorf("%s passes now: remove it from knownFailures", name)
				}
				t.Logf("known failure of %s: %s", name, known)
				return
			}
			if len(errs) > 0 {
				t.Errorf("%s (%s) is not valid 5010:\n  %s\n%s", name, path, strings.Join(errs, "\n  "), files[name])
			}
		})
	}
}

// knownFailures are files that still fail validation, by file name, with
// pyx12's message: the test reports them without failing until they are
// fixed (and fails once one passes, so that it leaves this table).
var knownFailures = map[string]string{}
