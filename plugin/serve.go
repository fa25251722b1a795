package plugin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/facegate/facegate/caddyfiles"
	"github.com/facegate/facegate/plugin/internal/cli"
)

// AdminSocketName is the file name of Caddy's admin socket in the data dir.
const AdminSocketName = "caddy-admin.sock"

// DefaultCaddyfileName is the file serve writes the embedded default
// Caddyfile to, in the data dir.
const DefaultCaddyfileName = "Caddyfile.default"

func init() {
	cli.Register(caddycmd.Command{
		Name:      "serve",
		Usage:     "[--envfile <path>] [--environ] [--resume] [--watch] [--pidfile <file>]",
		Short:     "Runs facegate with the embedded default Caddyfile",
		Long:      serveLong,
		CobraFunc: buildServeCommand,
	})
}

const serveLong = `
Runs facegate in the foreground with the embedded default Caddyfile
(caddyfiles/Caddyfile of the source): HTTPS on
https://localhost:$FACEGATE_HTTPS_PORT (default 8443) with Caddy's internal
CA, plain HTTP on $FACEGATE_HTTP_PORT (default 8080) answering with a
redirect to HTTPS, the admin API under /admin, the SkyBiometry API under
/fc. Data (encrypted store, keys, certificates) lives in
$FACEGATE_DATA_DIR (default ./data); the first start writes
initial-credentials.json (0600) there.

serve writes the Caddyfile to $FACEGATE_DATA_DIR/Caddyfile.default, with
the FACEGATE_HTTP_PORT, FACEGATE_HTTPS_PORT, FACEGATE_DATA_DIR and
FACEGATE_CADDY_ADMIN values it starts with written in (so that
'facegate reload --config <that file>' keeps them from any shell), and runs
it as 'facegate run --config <that file> --adapter caddyfile' would, with
Caddy's admin endpoint on a 0600 unix socket in the data dir
(caddy-admin.sock) unless FACEGATE_CADDY_ADMIN says otherwise. The file is
rewritten on each start while it is unchanged; once edited, serve keeps it,
runs it as it is, warns, and writes the current default beside it as
Caddyfile.default.new. The other flags are those of 'run'. For your own
config use 'facegate run --config <file>'.
`

// buildServeCommand gives serve the flags of Caddy's run command and runs
// it on the default Caddyfile.
func buildServeCommand(cmd *cobra.Command) {
	run, ok := caddycmd.Commands()["run"]
	if !ok || run.CobraFunc == nil {
		cmd.RunE = func(*cobra.Command, []string) error {
			return errors.New("serve: this build has no 'run' command")
		}
		return
	}
	run.CobraFunc(cmd)
	runE := cmd.RunE
	for _, name := range []string{"config", "adapter"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Flags().Changed("config") || cmd.Flags().Changed("adapter") {
			return errors.New("serve runs the embedded default Caddyfile; use 'facegate run --config <file>' for another config")
		}
		envfiles, _ := cmd.Flags().GetStringSlice("envfile")
		if err := preloadServeEnv(envfiles, os.LookupEnv, os.Setenv); err != nil {
			return fmt.Errorf("facegate serve: %w", err)
		}
		path, err := PrepareServe(cli.OSEnv, os.Setenv)
		if err != nil {
			return fmt.Errorf("facegate serve: %w", err)
		}
		if err := cmd.Flags().Set("config", path); err != nil {
			return err
		}
		if err := cmd.Flags().Set("adapter", "caddyfile"); err != nil {
			return err
		}
		return runE(cmd, args)
	}
}

// PrepareServe creates the data dir (FACEGATE_DATA_DIR, default ./data),
// points Caddy's admin endpoint at a 0600 unix socket in it unless
// FACEGATE_CADDY_ADMIN is set, writes the embedded default Caddyfile there
// with these settings resolved (unless an operator edited the file there:
// see serve_caddyfile.go) and returns its path.
func PrepareServe(env cli.Env, setenv func(key, value string) error) (string, error) {
	dataDir := env.DataDir()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("creating data dir: %w", err)
	}
	// Caddy's admin endpoint listens on a 0600 unix socket in the data dir
	// (not on a TCP port anyone on the host can reach).
	admin := env("FACEGATE_CADDY_ADMIN")
	if admin == "" {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return "", fmt.Errorf("resolving data dir: %w", err)
		}
		admin = "unix/" + filepath.Join(abs, AdminSocketName) + "|0600"
		if err := setenv("FACEGATE_CADDY_ADMIN", admin); err != nil {
			return "", fmt.Errorf("setting FACEGATE_CADDY_ADMIN: %w", err)
		}
	}
	settings := func(name string) string {
		if name == "FACEGATE_CADDY_ADMIN" {
			return admin
		}
		return env(name)
	}
	body, err := resolveDefault(caddyfiles.Default, settings)
	if err != nil {
		return "", fmt.Errorf("writing the default Caddyfile: %w", err)
	}
	path := filepath.Join(dataDir, DefaultCaddyfileName)
	kept, err := writeDefaultCaddyfile(path, body, caddyfiles.Default)
	if err != nil {
		return "", fmt.Errorf("writing the default Caddyfile: %w", err)
	}
	if kept {
		caddy.Log().Warn("Caddyfile.default was edited: serve runs it as it is and wrote the current default beside it; delete it to go back to the default",
			zap.String("path", path), zap.String("default", path+".new"))
	}
	return path, nil
}
