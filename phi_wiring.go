package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/clinicflow/rcm/internal/config"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/phirotate"
	"github.com/clinicflow/rcm/migrations"
)

// Files in DATA_DIR holding the dev keys (README, PHI at rest).
const (
	phiKeyFile       = "phi.key"
	phiLookupKeyFile = "phi-lookup.key"
)

// dataKey reads a base64 key kept in DATA_DIR; when absent and create is set
// it generates one and writes it there, readable by the owner only. It returns
// nil when the file is absent and create is not set.
func dataKey(dir, name, variable string, create bool) ([]byte, error) {
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s: not a base64 32-byte key (it stands in for %s)", path, variable)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if !create {
		return nil, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}

// installPHI builds the PHI keyring (PHI_KEY, PHI_KEY_ID, PHI_OLD_KEYS,
// PHI_LOOKUP_KEY) and installs it for the process. fromDataDir fills keys that
// are not configured from DATA_DIR (`rcm dev` and `rcm phi`); create also
// generates them there once (`rcm dev`). Outside dev a missing key refuses to
// start, as does a PHI key equal to the Temporal payload key (codecKey).
func installPHI(cfg *config.Config, codecKey []byte, fromDataDir, create bool) (*phicrypt.Keyring, error) {
	if fromDataDir {
		var err error
		if cfg.PHIKey == nil {
			if cfg.PHIKey, err = dataKey(cfg.DataDir, phiKeyFile, "PHI_KEY", create); err != nil {
				return nil, err
			}
		}
		if cfg.PHILookupKey == nil {
			if cfg.PHILookupKey, err = dataKey(cfg.DataDir, phiLookupKeyFile, "PHI_LOOKUP_KEY", create); err != nil {
				return nil, err
			}
		}
	}
	if err := cfg.CheckPHIKeys(codecKey); err != nil {
		return nil, err
	}
	k, err := cfg.PHIKeyring()
	if err != nil {
		return nil, err
	}
	phicrypt.Install(k)
	return k, nil
}

// rotatePHI seals what is not yet sealed under the current key (rows from
// before encryption, or under an old key), connected as the owner as
// migrations are; `rcm dev` runs it at start so a dev database never keeps
// plain member IDs.
func rotatePHI(ctx context.Context, cfg config.Config, opt phirotate.Options) (phirotate.Result, error) {
	owner, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.SQL(owner).Close() }()
	return phirotate.Rotate(ctx, owner, opt)
}

// runPHI administers the PHI keys: rotate (also encrypt-existing) and status.
func runPHI(ctx context.Context, args []string) error {
	const use = "usage: rcm phi rotate [--batch N] [--rehash] | rcm phi encrypt-existing | rcm phi status"
	if len(args) < 1 {
		return errors.New(use)
	}
	fs := flag.NewFlagSet("phi "+args[0], flag.ContinueOnError)
	batch := fs.Int("batch", phirotate.DefaultBatch, "rows per transaction")
	rehash := fs.Bool("rehash", false, "recompute every member ID lookup hash (after changing PHI_LOOKUP_KEY)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	// The codec key only takes part in the "keys differ" check here.
	codecKey := cfg.EncryptionKey
	if codecKey == nil {
		if codecKey, err = dataKey(cfg.DataDir, "encryption.key", "ENCRYPTION_KEY", false); err != nil {
			return err
		}
	}
	k, err := installPHI(&cfg, codecKey, true, false)
	if err != nil {
		return err
	}
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	owner, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.SQL(owner).Close() }()
	if err := migrations.Up(ctx, db.SQL(owner)); err != nil {
		return err
	}
	switch args[0] {
	case "rotate", "encrypt-existing":
		fmt.Printf("sealing under key %q (keys held: %s)\n", k.CurrentID(), strings.Join(k.KeyIDs(), ", "))
		res, err := phirotate.Rotate(ctx, owner, phirotate.Options{Batch: *batch, Rehash: *rehash,
			Progress: func(table string, n int) { fmt.Printf("  %s: %d rows rewritten\n", table, n) }})
		for _, t := range phirotate.Tables() {
			fmt.Printf("%-22s %d rewritten\n", t, res[t])
		}
		if err != nil {
			return fmt.Errorf("%w (run it again: finished batches are kept)", err)
		}
		fmt.Println("every sealed column is under the current key; old keys may now be removed from PHI_OLD_KEYS")
		return nil
	case "status":
		res, err := phirotate.Pending(ctx, owner)
		if err != nil {
			return err
		}
		total := 0
		fmt.Printf("current key %q (keys held: %s)\n", k.CurrentID(), strings.Join(k.KeyIDs(), ", "))
		for _, t := range phirotate.Tables() {
			fmt.Printf("%-22s %d rows not under the current key\n", t, res[t])
			total += res[t]
		}
		if total > 0 {
			return fmt.Errorf("%d rows to rotate: run `rcm phi rotate`", total)
		}
		return nil
	}
	return fmt.Errorf("unknown phi command %q\n%s", args[0], use)
}

// logRotation reports what the start-up rotation of `rcm dev` rewrote.
func logRotation(logger *slog.Logger, res phirotate.Result) {
	for _, t := range phirotate.Tables() {
		if res[t] > 0 {
			logger.Info("PHI sealed under the current key", "table", t, "rows", res[t])
		}
	}
}
