// Package datadir keeps DATA_DIR (the embedded server's files, keys and the admin
// token) reachable by its owner only. It stays apart from internal/devserver so
// its tests do not link the embedded Temporal server.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecureDir makes dir (DATA_DIR: temporal.db and its -wal/-shm, the
// encryption, PHI and lookup keys, the admin token) reachable by its owner
// only: it creates dir 0700 when absent and takes the group and other bits off
// dir and everything under it, so files an older version or a loose umask left
// readable are fixed at the next start. Symbolic links are not followed.
func SecureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed while walking (a SQLite -shm, say)
				return nil
			}
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(path, perm&^0o077); err != nil {
				return fmt.Errorf("data dir: restrict %s to its owner: %w", path, err)
			}
		}
		return nil
	})
}
