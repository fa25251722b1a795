package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// healthPath is what the health check asks for: an unauthenticated call
// that only facegate's guard and policies answer (with SkyBiometry's
// envelope), so an answer shows that the facegate app is serving.
const healthPath = "/fc/account/authenticate.json"

func init() {
	Register(caddycmd.Command{
		Name:  "healthcheck",
		Usage: "[--url <url>] [--cacert <root.crt> | --insecure] [--timeout 5s]",
		Short: "Exits 0 when the local facegate server answers (for container and service health checks)",
		Long: `
Asks the running facegate server for ` + healthPath + ` without credentials
and exits 0 when it answers with SkyBiometry's JSON envelope (any status
below 500: the refusal shows that TLS, the guard and the policies work),
1 otherwise. Nothing secret is sent.

Defaults come from the same environment as the server: the URL is
https://localhost:$FACEGATE_HTTPS_PORT` + healthPath + ` (default port 8443),
and the certificate is checked against the system roots and the internal
CA of $FACEGATE_DATA_DIR. Behind a public certificate for another name, give
--url, or --insecure (the check sends no secret).
`,
		CobraFunc: func(cmd *cobra.Command) {
			f := cmd.Flags()
			url := f.String("url", "", "URL to ask (default https://localhost:$FACEGATE_HTTPS_PORT"+healthPath+")")
			cacert := f.String("cacert", "", "PEM root to trust (default: the data dir's internal CA, if any)")
			insecure := f.BoolP("insecure", "k", false, "do not verify the server certificate")
			timeout := f.Duration("timeout", 5*time.Second, "how long to wait for the answer")
			cmd.Args = cobra.NoArgs
			cmd.RunE = func(cmd *cobra.Command, _ []string) error {
				o := HealthOptions{URL: *url, CACert: *cacert, Insecure: *insecure, Timeout: *timeout}
				if err := Health(cmd.Context(), o, OSEnv); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "ok")
				return nil
			}
		},
	})
}

// HealthOptions configures Health; zero values take the defaults.
type HealthOptions struct {
	URL      string
	CACert   string
	Insecure bool
	Timeout  time.Duration
}

// Health asks the server for the health path and returns nil when it
// answers with SkyBiometry's envelope and a status below 500.
func Health(ctx context.Context, o HealthOptions, env Env) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.URL == "" {
		server, err := env.Server()
		if err != nil {
			return err
		}
		o.URL = server + healthPath
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.Insecure}
	if !o.Insecure {
		if o.CACert == "" {
			o.CACert = env.RootCA()
		}
		if o.CACert != "" {
			pool, err := RootCAs(o.CACert)
			if err != nil {
				return err
			}
			tc.RootCAs = pool
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	var envelope struct {
		Status string `json:"status"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 500 {
		return fmt.Errorf("health check: the server answered HTTP %d", resp.StatusCode)
	}
	if json.Unmarshal(body, &envelope) != nil || envelope.Status == "" {
		return errors.New("health check: the answer is not facegate's (no SkyBiometry envelope)")
	}
	return nil
}
