package signcmd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/plugin/internal/cli"
)

// maxResponseBytes bounds the response body read.
const maxResponseBytes = 256 << 20

// Exit codes of `facegate sign`.
const (
	exitOK          = 0
	exitFailed      = 1 // bad options or transport error
	exitBadResponse = 2 // the response signature did not verify
	exitHTTPFailure = 3 // the server answered with a failure status (4xx, 5xx)
)

// run sends the signed request described by o, writes the response body to
// stdout and diagnostics to stderr.
func run(ctx context.Context, o Options, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.KeyID == "" {
		return exitFailed, errors.New("--key is required")
	}
	if o.CACert == "" && !o.Insecure {
		// The data dir's internal CA, as for the admin commands.
		o.CACert = cli.Env(getenv).RootCA()
	}
	secret, err := loadSecret(o, getenv, stderr)
	if err != nil {
		return exitFailed, err
	}
	req, _, err := BuildRequest(o)
	if err != nil {
		return exitFailed, err
	}
	if req.URL.Scheme == "http" {
		fmt.Fprintln(stderr, "warning: plain http: the request is signed but neither private nor protected from a man in the middle")
	}
	base, err := transport(o, stderr)
	if err != nil {
		return exitFailed, err
	}
	client := &http.Client{
		Transport: &httpsig.Transport{Base: base, KeyID: o.KeyID, Secret: secret},
		Timeout:   5 * time.Minute,
		// Redirects would be re-signed for another target; do not follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return exitFailed, fmt.Errorf("sending request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return exitFailed, fmt.Errorf("reading response: %w", err)
	}
	if _, err := stdout.Write(body); err != nil {
		return exitFailed, fmt.Errorf("writing response: %w", err)
	}
	verr := httpsig.VerifyResponse(resp, body, secret, time.Now())
	if verr != nil {
		fmt.Fprintf(stderr, "warning: response signature did not verify (HTTP %d): %v\n", resp.StatusCode, verr)
	}
	switch {
	case resp.StatusCode >= 400:
		fmt.Fprintf(stderr, "error: the server answered HTTP %d %s\n", resp.StatusCode, http.StatusText(resp.StatusCode))
		return exitHTTPFailure, nil
	case verr != nil:
		return exitBadResponse, nil
	}
	return exitOK, nil
}

// transport builds the TLS client transport from --cacert / --insecure.
func transport(o Options, stderr io.Writer) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case o.Insecure && o.CACert != "":
		return nil, errors.New("give either --cacert or --insecure, not both")
	case o.Insecure:
		fmt.Fprintln(stderr, "warning: --insecure: the server certificate is not checked")
		t.TLSClientConfig.InsecureSkipVerify = true
	case o.CACert != "":
		pool, err := cli.RootCAs(o.CACert)
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig.RootCAs = pool
	}
	return t, nil
}
