package admin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/facegate/facegate/plugin/internal/cli"
)

func init() {
	deps := cliDeps{now: time.Now, sleep: time.Sleep, sessionDir: DefaultSessionDir(cli.OSEnv)}
	for _, c := range []struct {
		name, usage, short string
		build              func(*cobra.Command, cliDeps)
	}{
		{"key", "create|list|show|rotate|suspend|resume|revoke|delete ...", "Manages facegate API keys on the running server", buildKeyCommand},
		{"namespace", "create|list|delete ...", "Manages facegate namespaces on the running server", buildNamespaceCommand},
		{"admin", "totp|create|list|delete|audit|sessions|logout|reload-policies ...", "Manages facegate administrators, the audit log and policies", buildAdminCommand},
	} {
		cli.Register(caddycmd.Command{Name: c.name, Usage: c.usage, Short: c.short, Long: cliLong,
			CobraFunc: func(cmd *cobra.Command) { c.build(cmd, deps) }})
	}
}

const cliLong = `
Talks to the admin API (facegate_admin) of the RUNNING facegate server over
HTTPS: the store is locked by the server process. The first command opens
an admin session with the admin token and one TOTP code (generated from the
credentials file, or --totp); the following commands reuse it until it
expires (10 minutes by default), so a sequence of commands needs one code.
The session is cached in a 0600 file in $XDG_RUNTIME_DIR/facegate, or in the
data dir when XDG_RUNTIME_DIR is not set; 'facegate admin logout' closes
it. With --no-session every command sends its own TOTP code (a code is
single use, so a second command within the same 30 s waits for the next
one). Answers are printed as JSON on stdout.

Defaults come from the same environment as the server:
  --server       https://localhost:$FACEGATE_HTTPS_PORT (default 8443)
  --prefix       /admin
  --credentials  $FACEGATE_DATA_DIR/initial-credentials.json
  --cacert       $FACEGATE_DATA_DIR/caddy/pki/authorities/local/root.crt
                 (if it exists; FACEGATE_DATA_DIR defaults to ./data)
`

// cliDeps are the clock of the CLI and where it caches admin sessions
// (injected by tests).
type cliDeps struct {
	now        func() time.Time
	sleep      func(time.Duration)
	sessionDir string
}

// addClientFlags adds the connection flags to a parent command.
func addClientFlags(cmd *cobra.Command) {
	d := DefaultClientConfig(cli.OSEnv)
	f := cmd.PersistentFlags()
	f.String("server", d.Server, "base URL of the running facegate server")
	f.String("prefix", d.Prefix, "path where facegate_admin is mounted")
	f.String("credentials", d.Credentials, "credentials JSON with admin_token and admin_totp_uri")
	f.String("cacert", d.CACert, "PEM root certificate to trust (Caddy's internal CA)")
	f.String("token-file", "", "file holding the admin token (overrides --credentials)")
	f.String("totp", "", "TOTP code to use instead of generating one")
	f.Bool("no-session", false, "send a TOTP code with the call instead of opening or reusing an admin session")
}

// clientFrom builds a client from the flags of cmd.
func clientFrom(cmd *cobra.Command, deps cliDeps) (*Client, error) {
	f := cmd.Flags()
	get := func(name string) string { v, _ := f.GetString(name); return v }
	cfg := ClientConfig{
		Server: get("server"), Prefix: get("prefix"), Credentials: get("credentials"),
		CACert: get("cacert"), TokenFile: get("token-file"), TOTP: get("totp"),
		SessionDir: deps.sessionDir,
	}
	if noSession, _ := f.GetBool("no-session"); noSession {
		cfg.SessionDir = ""
	}
	return NewClient(cfg, deps.now, deps.sleep, cmd.ErrOrStderr())
}

// request runs one API call and prints the answer: JSON on stdout for a
// success, the problem document on stderr (and an error) for a failure.
func request(cmd *cobra.Command, deps cliDeps, method, path string, query url.Values, body any) error {
	c, err := clientFrom(cmd, deps)
	if err != nil {
		return err
	}
	ans, err := c.Do(method, path, query, body)
	if err != nil {
		return err
	}
	return printAnswer(cmd.OutOrStdout(), cmd.ErrOrStderr(), ans)
}

func printAnswer(stdout, stderr io.Writer, ans Answer) error {
	if ans.Status >= 400 {
		_, _ = stderr.Write(ans.Body)
		return fmt.Errorf("server answered %d %s", ans.Status, http.StatusText(ans.Status))
	}
	_, err := stdout.Write(ans.Body)
	return err
}

// saveQR fetches the enrollment QR code of admin name into path (0600).
func saveQR(cmd *cobra.Command, deps cliDeps, name, path string) error {
	c, err := clientFrom(cmd, deps)
	if err != nil {
		return err
	}
	ans, err := c.Do(http.MethodGet, "/admins/"+url.PathEscape(name)+"/totp.png", nil, nil)
	if err != nil {
		return err
	}
	if ans.Status != http.StatusOK {
		return printAnswer(io.Discard, cmd.ErrOrStderr(), ans)
	}
	if err := os.WriteFile(path, ans.Body, 0o600); err != nil {
		return fmt.Errorf("writing QR code: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "QR code written to %s\n", path)
	return nil
}

// oneArg requires exactly one positional argument named what.
func oneArg(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return errors.New("expected one argument: " + what)
		}
		return nil
	}
}

// parseExpiry accepts "", "0", unix seconds, RFC 3339, or a duration from
// now ("720h").
func parseExpiry(s string, now time.Time) (int64, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d).Unix(), nil
	}
	if t, err := parseTime(s); err == nil {
		return t.Unix(), nil
	}
	return 0, fmt.Errorf("--expires %q: want unix seconds, RFC 3339 or a duration like 720h", s)
}
