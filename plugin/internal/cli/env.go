package cli

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Environment variables shared by the server (the default Caddyfile reads
// them as {$FACEGATE_*} placeholders) and the client commands.
const (
	EnvDataDir   = "FACEGATE_DATA_DIR"
	EnvHTTPSPort = "FACEGATE_HTTPS_PORT"
)

// Defaults of the shipped Caddyfile when the variables are not set.
const (
	DefaultDataDir   = "./data"
	DefaultHTTPSPort = 8443
)

// Env resolves the client defaults from an environment lookup (os.Getenv
// in the binary, a map in tests).
type Env func(string) string

// DataDir is FACEGATE_DATA_DIR, or ./data as for the server.
func (e Env) DataDir() string {
	if d := e(EnvDataDir); d != "" {
		return d
	}
	return DefaultDataDir
}

// HTTPSPort is FACEGATE_HTTPS_PORT, or 8443 when it is not set. A value
// that is not a port number is an error (the server would not start on it
// either).
func (e Env) HTTPSPort() (int, error) {
	v := e(EnvHTTPSPort)
	if v == "" {
		return DefaultHTTPSPort, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p >= 65536 {
		return 0, fmt.Errorf("%s=%q is not a port number", EnvHTTPSPort, v)
	}
	return p, nil
}

// Server is the base URL of the local server, https://localhost:<port>
// with the port of HTTPSPort.
func (e Env) Server() (string, error) {
	p, err := e.HTTPSPort()
	if err != nil {
		return "", err
	}
	return "https://localhost:" + strconv.Itoa(p), nil
}

// Credentials is the credentials file the first start writes.
func (e Env) Credentials() string {
	return filepath.Join(e.DataDir(), "initial-credentials.json")
}

// RootCA is the root certificate of Caddy's internal CA in the data dir,
// or "" when there is none (clients then use the system roots).
func (e Env) RootCA() string {
	p := filepath.Join(e.DataDir(), "caddy", "pki", "authorities", "local", "root.crt")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// RootCAs is the system roots plus the PEM certificates in caCert (a
// --cacert file; none when "").
func RootCAs(caCert string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caCert == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caCert)
	if err != nil {
		return nil, fmt.Errorf("reading --cacert: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--cacert %s holds no PEM certificate", caCert)
	}
	return pool, nil
}

// WriteFileAtomic writes data to path (0600) through a temporary file in
// the same directory, so that a crash leaves the old file or the new one.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o600)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// OSEnv is the process environment.
var OSEnv Env = os.Getenv
