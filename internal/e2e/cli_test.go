package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEDIParseCommand runs `rcm edi parse` on a public 835 sample and reads the
// JSON a biller would see; a broken file fails with the segment and position.
func TestEDIParseCommand(t *testing.T) {
	bin := rcmBinary(t)
	file := filepath.Join("..", "x12", "testdata", "835", "stupidedi_tr3_dollars-and-data-sent-separate.835")
	out, err := exec.Command(bin, "edi", "parse", file).Output()
	require.NoError(t, err)
	var rems []struct {
		Payment struct {
			Amount string `json:"amount"`
		} `json:"payment"`
		Claims []map[string]any `json:"claims"`
	}
	require.NoError(t, json.Unmarshal(out, &rems), "%s", out)
	require.Len(t, rems, 1)
	assert.Equal(t, "945", rems[0].Payment.Amount)
	assert.NotEmpty(t, rems[0].Claims)

	bad := filepath.Join(t.TempDir(), "bad.835")
	require.NoError(t, writeFile(bad, "ISA*00*not an interchange~"))
	msg, err := exec.Command(bin, "edi", "parse", bad).CombinedOutput()
	require.Error(t, err, "a broken file exits non-zero")
	assert.Contains(t, string(msg), "segment ISA at position 1")
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
