package plugin

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/facegate/facegate/plugin/internal/cli"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
)

func init() {
	cli.Register(caddycmd.Command{
		Name:  "migrate",
		Usage: "--from <data dir | postgres dsn> --to <data dir | postgres dsn> [--key-file <path>]",
		Short: "Moves the store from a data dir's Badger to PostgreSQL, or back, with a count and checksum report",
		Long: `
Copies every entry of a store (keys, administrators, namespaces, the audit
log, photos, tags and templates, with their expiries) into another: from a
data dir's Badger store (<dir>/db) to a PostgreSQL database, or back. Stop
the nodes that use the source first (a data dir's store is locked while
facegate runs).

The target must be empty: a target that already holds exactly the source's
entries (migrate was run before) is left as it is, and one that holds
anything else is refused untouched. Both stores use the same encryption key:
--key-file, else FACEGATE_ENCRYPTION_KEY, else the encryption.key of the
--from data dir, else that of the --to data dir; a --to data dir without a
key file gets a copy (0600). Copy keyring.key along yourself.

Prints, per key family, the entries and an order-independent SHA-256
checksum of the source and of the target, and exits 0 only when they match.
A PostgreSQL DSN (postgres://... or key=value) may hold a password: it is
never printed.
`,
		CobraFunc: func(cmd *cobra.Command) {
			f := cmd.Flags()
			from := f.String("from", "", "source: a data dir, or a PostgreSQL DSN")
			to := f.String("to", "", "target: a data dir, or a PostgreSQL DSN")
			keyFile := f.String("key-file", "", "the store encryption key (default: see above)")
			cmd.Args = cobra.NoArgs
			cmd.RunE = func(cmd *cobra.Command, _ []string) error {
				return Migrate(cmd.OutOrStdout(), cmd.ErrOrStderr(), *from, *to, *keyFile, migrateProgressEvery)
			}
		},
	})
}

// isDSN tells a PostgreSQL DSN from a data dir path.
func isDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") || strings.Contains(s, "=")
}

// migrateProgressEvery is how often facegate migrate reports its progress.
const migrateProgressEvery = 5 * time.Second

// Migrate copies the store at from into the one at to (each a data dir or
// a PostgreSQL DSN) and writes the count and checksum report to w, and a
// progress line (entries copied, of about how many, rate, ETA) to log about
// every interval while it copies; a nil log or a non-positive interval
// writes none.
func Migrate(w, log io.Writer, from, to, keyFile string, every time.Duration) error {
	if from == "" || to == "" {
		return errors.New("migrate: --from and --to are required")
	}
	if isDSN(from) == isDSN(to) {
		return errors.New("migrate: one side must be a data dir and the other a PostgreSQL DSN")
	}
	key, err := migrateKey(from, to, keyFile)
	if err != nil {
		return err
	}
	open := func(side, where string) (*store.Store, error) {
		o := store.Options{EncryptionKey: key, SyncWrites: true, PlainPrefixes: keyring.PlainKeyPrefixes}
		if isDSN(where) {
			o.Postgres = where
		} else {
			o.Dir = filepath.Join(where, storeDirName)
			if side == "source" && !hasData(o.Dir) {
				return nil, fmt.Errorf("migrate: %s holds no store", o.Dir)
			}
		}
		st, err := store.Open(o)
		if err != nil {
			return nil, fmt.Errorf("migrate: opening the %s: %w", side, err)
		}
		return st, nil
	}
	src, err := open("source", from)
	if err != nil {
		return err
	}
	defer src.Close()
	if !isDSN(to) {
		if err := os.MkdirAll(to, 0o700); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	dst, err := open("target", to)
	if err != nil {
		return err
	}
	defer dst.Close()
	var progress func(store.Progress)
	if log != nil {
		progress = func(p store.Progress) {
			fmt.Fprintf(log, "migrate: %d of about %d entries copied in %s, %.0f/s, ETA %s\n",
				p.Done, p.Estimate, p.Elapsed.Round(time.Second), p.Rate(), p.ETA().Round(time.Second))
		}
	}
	sd, dd, err := store.CopyWithProgress(src, dst, every, progress)
	if sd != nil {
		if rerr := store.Report(w, sd, dd); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !sd.Equal(dd) {
		return errors.New("migrate: the target does not match the source (see the report)")
	}
	if !isDSN(to) {
		if err := writeKeyIfMissing(to, key); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "%d entries: source and target match\n", sd.Total())
	return nil
}

// migrateKey finds the store key (see the command's help).
func migrateKey(from, to, keyFile string) ([]byte, error) {
	if keyFile != "" {
		raw, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("migrate: reading the key file: %w", err)
		}
		return parseKey(raw, keyFile)
	}
	if env := strings.TrimSpace(os.Getenv(storeKeySpec.envVar)); env != "" {
		return parseKey([]byte(env), storeKeySpec.envVar)
	}
	for _, side := range []string{from, to} {
		if isDSN(side) {
			continue
		}
		path := filepath.Join(side, keyFileName)
		if raw, err := os.ReadFile(path); err == nil {
			return parseKey(raw, path)
		}
	}
	return nil, errors.New("migrate: no store key: give --key-file, FACEGATE_ENCRYPTION_KEY, or a data dir holding encryption.key")
}

// writeKeyIfMissing gives a target data dir the key its store was written with.
func writeKeyIfMissing(dir string, key []byte) error {
	path := filepath.Join(dir, keyFileName)
	if err := writeNewFile(path, []byte(hex.EncodeToString(key)+"\n")); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("migrate: writing %s: %w", path, err)
	}
	return nil
}
