package datadir_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/datadir"
)

// TestSecureDirLeavesOnlyTheOwner: DATA_DIR is created 0700, and keys,
// temporal.db and its -wal/-shm left readable by an older version or a loose
// umask lose their group and other bits at the next start.
func TestSecureDirLeavesOnlyTheOwner(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	require.NoError(t, datadir.SecureDir(dir))
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "created owner-only")

	require.NoError(t, os.Chmod(dir, 0o755))
	tdir := filepath.Join(dir, "temporal")
	require.NoError(t, os.Mkdir(tdir, 0o755))
	loose := map[string]os.FileMode{
		filepath.Join(dir, "encryption.key"):       0o644,
		filepath.Join(dir, "phi.key"):              0o640,
		filepath.Join(dir, "phi-lookup.key"):       0o604,
		filepath.Join(dir, "admin-token"):          0o666,
		filepath.Join(tdir, "temporal.db"):         0o644,
		filepath.Join(tdir, "temporal.db-wal"):     0o644,
		filepath.Join(tdir, "temporal.db-shm"):     0o664,
		filepath.Join(dir, "owner-only-unchanged"): 0o400,
	}
	for p, mode := range loose {
		require.NoError(t, os.WriteFile(p, []byte("x"), mode))
		require.NoError(t, os.Chmod(p, mode)) // past the umask
	}
	require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(dir, "link")))

	require.NoError(t, datadir.SecureDir(dir))
	for _, d := range []string{dir, tdir} {
		st, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), d)
	}
	for p, mode := range loose {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, mode&0o700, st.Mode().Perm(), p)
	}
	st, err = os.Stat("/etc/hostname")
	if err == nil {
		assert.NotZero(t, st.Mode().Perm()&0o004, "a symbolic link's target is left alone")
	}
}
