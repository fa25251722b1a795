package plugin

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/facegate/facegate/caddyfiles"
)

// AdminSocketName is the file name of Caddy's admin socket in the data dir.
const AdminSocketName = "caddy-admin.sock"

// ServeArgs turns `facegate serve [flags]` into `facegate run --config
// <data dir>/Caddyfile.default --adapter caddyfile [flags]`: it writes the
// embedded default Caddyfile (caddyfiles/Caddyfile) into the data dir
// (FACEGATE_DATA_DIR, default ./data) and runs it. Operators who want their
// own config use `facegate run --config <file>` as with any Caddy.
func ServeArgs(args []string) ([]string, error) {
	dataDir := os.Getenv("FACEGATE_DATA_DIR")
	if dataDir == "" {
		dataDir = "./data"
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	// Caddy's admin endpoint listens on a 0600 unix socket in the data dir
	// (not on a TCP port anyone on the host can reach), unless
	// FACEGATE_CADDY_ADMIN says otherwise.
	if os.Getenv("FACEGATE_CADDY_ADMIN") == "" {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return nil, fmt.Errorf("resolving data dir: %w", err)
		}
		if err := os.Setenv("FACEGATE_CADDY_ADMIN", "unix/"+filepath.Join(abs, AdminSocketName)+"|0600"); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dataDir, "Caddyfile.default")
	if err := os.WriteFile(path, caddyfiles.Default, 0o600); err != nil {
		return nil, fmt.Errorf("writing the default Caddyfile: %w", err)
	}
	out := []string{args[0], "run", "--config", path, "--adapter", "caddyfile"}
	return append(out, args[2:]...), nil
}
