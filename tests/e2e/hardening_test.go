package e2e

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHardenedDefaults checks the defaults of `facegate serve` that the
// assessment asked for: plain HTTP refuses calls with credentials or a body
// and redirects the rest to the right HTTPS port without the query; Caddy's
// admin endpoint is a 0600 unix socket in the data dir, not a TCP port;
// non-canonical admin paths get a 404 problem; the store's files are 0600.
func TestHardenedDefaults(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "FACEGATE_CADDY_ADMIN=") // the default: no admin address given
	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	httpURL := fmt.Sprintf("http://localhost:%d", s.httpPort)

	t.Run("plain HTTP", func(t *testing.T) {
		secret := s.creds.APISecret
		cases := []struct {
			name     string
			req      func() *http.Request
			status   int
			location string
		}{
			{"secret in the query", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, httpURL+"/fc/account/authenticate.json?api_key="+s.creds.APIKey+"&api_secret="+url.QueryEscape(secret), nil)
				return r
			}, http.StatusForbidden, ""},
			{"secret in a form body", func() *http.Request {
				r, _ := http.NewRequest(http.MethodPost, httpURL+"/fc/faces/detect.json", strings.NewReader("api_key=k&api_secret="+url.QueryEscape(secret)))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}, http.StatusForbidden, ""},
			{"admin token header", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, httpURL+"/admin/keys", nil)
				r.Header.Set("Authorization", "Bearer "+s.creds.AdminToken)
				return r
			}, http.StatusForbidden, ""},
			{"no credentials", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, httpURL+"/fc/account/authenticate.json?detail=1", nil)
				return r
			}, http.StatusPermanentRedirect, fmt.Sprintf("https://localhost:%d/fc/account/authenticate.json", s.httpsPort)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := plain.Do(tc.req())
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
					t.Fatalf("HTTP %d Location %q, want %d %q: %s", resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location, body)
				}
				all := string(body) + resp.Header.Get("Location")
				for _, leak := range []string{secret, url.QueryEscape(secret), s.creds.AdminToken, "detail=1"} {
					if strings.Contains(all, leak) {
						t.Fatalf("the answer echoes the request: %s", all)
					}
				}
			})
		}
	})

	t.Run("caddy admin endpoint is a private unix socket", func(t *testing.T) {
		sock := filepath.Join(dataDir, "caddy-admin.sock")
		info, err := os.Stat(sock)
		if err != nil {
			t.Fatalf("no admin socket: %v", err)
		}
		if info.Mode()&fs.ModeSocket == 0 || info.Mode().Perm() != 0o600 {
			t.Fatalf("admin socket mode %v, want a 0600 socket", info.Mode())
		}
		if c, err := net.DialTimeout("tcp", s.adminAddr, time.Second); err == nil {
			c.Close()
			t.Fatalf("something listens on the TCP admin address %s", s.adminAddr)
		}
		c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
		resp, err := c.Get("http://localhost/config/apps/http/servers")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("admin socket answers HTTP %d", resp.StatusCode)
		}
	})

	t.Run("non-canonical admin paths", func(t *testing.T) {
		for _, p := range []string{"/ADMIN/keys", "/Admin/keys", "/fc/../admin/keys", "/fc/%2e%2e/admin/keys"} {
			req, _ := http.NewRequest(http.MethodGet, s.url("/"), nil)
			req.URL.Opaque = p // sent as written
			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || len(body) == 0 {
				t.Errorf("%s: HTTP %d %q, want a 404 with a body", p, resp.StatusCode, body)
			}
		}
	})

	t.Run("store files are private", func(t *testing.T) {
		if r := s.call("account/authenticate", s.keyParams()); r.Status != "success" {
			t.Fatalf("authenticate: %+v", r)
		}
		n := 0
		err := filepath.WalkDir(filepath.Join(dataDir, "db"), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			n++
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", filepath.Base(path), info.Mode().Perm())
			}
			return nil
		})
		if err != nil || n == 0 {
			t.Fatalf("walking the store: %v (%d files)", err, n)
		}
	})
}
