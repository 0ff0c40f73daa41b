package x12

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// dec parses a decimal literal for test expectations.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// decp returns a pointer to a decimal literal.
func decp(s string) *decimal.Decimal {
	v := dec(s)
	return &v
}

// readTestdata reads a file under testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// testdataFiles lists the files of a testdata folder, sorted.
func testdataFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	require.NotEmpty(t, out, "no files in testdata/%s", dir)
	return out
}

// requireSameJSON compares two values through their JSON form, which treats
// equal decimals with different scales ("43" and "43.00") as equal.
func requireSameJSON(t testing.TB, want, got any) {
	t.Helper()
	w, err := json.MarshalIndent(want, "", "  ")
	require.NoError(t, err)
	g, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	require.Equal(t, string(w), string(g))
}
