package admin

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/plugin/internal/cli"
)

// maxAnswerBytes caps what the CLI reads from the server.
const maxAnswerBytes = 8 << 20

// ClientConfig is how the CLI reaches the running server's admin API.
type ClientConfig struct {
	Server      string // https://host:port
	Prefix      string // where facegate_admin is mounted
	Credentials string // initial-credentials.json (admin_token, admin_totp_uri)
	CACert      string // PEM root to trust (Caddy's internal CA)
	TokenFile   string // file holding the admin token (overrides Credentials)
	TOTP        string // a TOTP code to use instead of generating one
	// SessionDir holds the cached admin session (0600 files); "" sends a
	// TOTP code with every call instead of opening a session.
	SessionDir string
}

// DefaultClientConfig returns the defaults of the CLI flags, from the
// same environment as the server: https://localhost:$FACEGATE_HTTPS_PORT
// (default 8443), and the credentials file and internal CA root of
// $FACEGATE_DATA_DIR (default ./data). Server is "" when
// FACEGATE_HTTPS_PORT is not a port number (NewClient then says why).
func DefaultClientConfig(env cli.Env) ClientConfig {
	server, _ := env.Server()
	return ClientConfig{
		Server:      server,
		Prefix:      DefaultPrefix,
		Credentials: env.Credentials(),
		CACert:      env.RootCA(),
		SessionDir:  DefaultSessionDir(env),
	}
}

// Client calls the admin API with the admin token and a TOTP code.
type Client struct {
	base    string
	hc      *http.Client
	token   string
	totpURI string
	code    string
	now     func() time.Time
	sleep   func(time.Duration)
	notify  io.Writer // progress messages (stderr)
	// cache is the admin session cache; nil: a TOTP code per call.
	cache *sessionCache
}

// NewClient builds a client from cfg. now and sleep are the clock (for
// generating codes and waiting for the next one); notify gets progress
// messages.
func NewClient(cfg ClientConfig, now func() time.Time, sleep func(time.Duration), notify io.Writer) (*Client, error) {
	if cfg.Server == "" {
		if _, err := cli.OSEnv.Server(); err != nil {
			return nil, fmt.Errorf("no --server given: %w", err)
		}
		return nil, errors.New("no --server given")
	}
	u, err := url.Parse(cfg.Server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid --server %q", cfg.Server)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("--server must be https:// (the admin token is a secret), got %q", u.Scheme)
	}
	c := &Client{
		base:  strings.TrimRight(u.String(), "/") + "/" + strings.Trim(cfg.Prefix, "/"),
		now:   now,
		sleep: sleep, notify: notify, code: strings.TrimSpace(cfg.TOTP),
	}
	c.base = strings.TrimRight(c.base, "/")
	if err := c.loadCredentials(cfg); err != nil {
		return nil, err
	}
	if cfg.SessionDir != "" {
		c.cache = newSessionCache(cfg.SessionDir, c.base, c.token)
	}
	pool, err := cli.RootCAs(cfg.CACert)
	if err != nil {
		return nil, err
	}
	c.hc = &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// loadCredentials reads the token and the TOTP URI.
func (c *Client) loadCredentials(cfg ClientConfig) error {
	var creds struct {
		AdminToken   string `json:"admin_token"`
		AdminTOTPURI string `json:"admin_totp_uri"`
	}
	raw, err := os.ReadFile(cfg.Credentials)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &creds); err != nil {
			return fmt.Errorf("reading --credentials %s: not a credentials JSON file", cfg.Credentials)
		}
	case cfg.TokenFile == "" || c.code == "":
		return fmt.Errorf("reading --credentials: %w (or give --token-file and --totp)", err)
	}
	c.token, c.totpURI = creds.AdminToken, creds.AdminTOTPURI
	if cfg.TokenFile != "" {
		tok, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return fmt.Errorf("reading --token-file: %w", err)
		}
		c.token = strings.TrimSpace(string(tok))
	}
	if c.token == "" {
		return errors.New("no admin token: give --credentials or --token-file")
	}
	if c.code == "" && c.totpURI == "" {
		return errors.New("no TOTP: give --totp or a --credentials file with admin_totp_uri")
	}
	return nil
}

// CurrentCode returns the TOTP code for the client's clock.
func (c *Client) CurrentCode() (string, error) {
	if c.totpURI == "" {
		return "", errors.New("no admin_totp_uri in the credentials")
	}
	return codeFromURI(c.totpURI, c.now())
}

func codeFromURI(uri string, at time.Time) (string, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("parsing admin_totp_uri: %w", err)
	}
	code, err := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{
		Period: uint(key.Period()), Digits: key.Digits(), Algorithm: key.Algorithm(),
	})
	if err != nil {
		return "", fmt.Errorf("generating TOTP code: %w", err)
	}
	return code, nil
}

// Answer is a response of the admin API.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// problemCode returns the `error` member of a problem answer.
func (a Answer) problemCode() string {
	var p Problem
	if strings.HasPrefix(a.ContentType, "application/problem+json") && json.Unmarshal(a.Body, &p) == nil {
		return p.Error
	}
	return ""
}

// Do calls method on path (below the prefix) with an optional JSON body.
// With a session cache it uses the cached admin session, or opens one with
// a TOTP code first (see session.go); otherwise it sends a TOTP code. When
// the server says the generated code was already used, it waits for the
// next 30 s step and retries once.
func (c *Client) Do(method, path string, query url.Values, body any) (Answer, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return Answer{}, fmt.Errorf("encoding request: %w", err)
		}
	}
	if c.cache != nil {
		ans, ok, err := c.doWithSession(method, path, query, payload)
		if ok || err != nil {
			return ans, err
		}
		c.cache = nil // the server has no sessions: a code per call
	}
	return c.doWithCode(method, path, query, payload)
}

// doWithCode makes the call with a TOTP code, waiting once for the next
// step when the code was already used.
func (c *Client) doWithCode(method, path string, query url.Values, payload []byte) (Answer, error) {
	ans, err := c.once(method, path, query, payload)
	if err == nil && ans.Status == http.StatusUnauthorized && ans.problemCode() == errCodeReused && c.code == "" {
		wait := time.Duration(30-c.now().Unix()%30)*time.Second + 500*time.Millisecond
		fmt.Fprintf(c.notify, "TOTP code already used; waiting %s for the next one\n", wait.Round(time.Second))
		c.sleep(wait)
		ans, err = c.once(method, path, query, payload)
	}
	return ans, err
}

// once makes the call with the admin token and a TOTP code.
func (c *Client) once(method, path string, query url.Values, payload []byte) (Answer, error) {
	code := c.code
	if code == "" {
		var err error
		if code, err = c.CurrentCode(); err != nil {
			return Answer{}, err
		}
	}
	return c.send(method, path, query, payload, c.token, code)
}

// send makes one call with the given bearer credential and, unless "", a
// TOTP code.
func (c *Client) send(method, path string, query url.Values, payload []byte, bearer, code string) (Answer, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return Answer{}, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if code != "" {
		req.Header.Set("X-TOTP-Code", code)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("calling %s %s: %w", method, c.base+path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return Answer{}, fmt.Errorf("reading answer: %w", err)
	}
	return Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: data}, nil
}
