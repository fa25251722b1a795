package urlfetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

var png = []byte("\x89PNG\r\n\x1a\nfake image bytes")

// server serves a small test site: /img.png, /page.html, /big.png, /chunked-big.png,
// /slow.png, /missing, /redirect?to=, /loop.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/img.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>"))
	})
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", "5000")
		w.Write(make([]byte, 5000))
	})
	mux.HandleFunc("/chunked-big.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		for range 5 {
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func newFetcher(t *testing.T, allow ...string) *Fetcher {
	t.Helper()
	f, err := New(Options{AllowHosts: allow, MaxBytes: 4096, Timeout: 500 * time.Millisecond, MaxRedirects: 2})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func code(err error) int {
	var e *skyerr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

func TestFetch(t *testing.T) {
	s := server(t)
	other := server(t)
	host := strings.TrimPrefix(s.URL, "http://")
	_, port, _ := net.SplitHostPort(host)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name  string
		allow []string
		url   string
		code  int // 0 = success
	}{
		{"allowlisted ip", []string{"127.0.0.1"}, s.URL + "/img.png", 0},
		{"allowlisted cidr", []string{"127.0.0.0/8"}, s.URL + "/img.png", 0},
		{"allowlisted host:port", []string{host}, s.URL + "/img.png", 0},
		{"allowlisted name", []string{"localhost"}, "http://localhost:" + port + "/img.png", 0},
		{"loopback blocked", nil, s.URL + "/img.png", 36},
		{"localhost name blocked", nil, "http://localhost:" + port + "/img.png", 36},
		{"ipv6 loopback blocked", nil, "http://[::1]:" + port + "/img.png", 36},
		{"mapped loopback blocked", nil, "http://[::ffff:127.0.0.1]:" + port + "/img.png", 36},
		{"metadata blocked", nil, "http://169.254.169.254/latest/meta-data/", 36},
		{"private blocked", nil, "http://10.0.0.1/a.png", 36},
		{"unspecified blocked", nil, "http://0.0.0.0:" + port + "/img.png", 36},
		{"other port not allowlisted", []string{host}, other.URL + "/img.png", 36},
		{"redirect re-checked", []string{host}, s.URL + "/redirect?to=" + url.QueryEscape(other.URL+"/img.png"), 36},
		{"redirect to metadata", []string{host}, s.URL + "/redirect?to=" + url.QueryEscape("http://169.254.169.254/"), 36},
		{"redirect allowed", []string{"127.0.0.1"}, s.URL + "/redirect?to=" + url.QueryEscape(other.URL+"/img.png"), 0},
		{"redirect loop", []string{"127.0.0.1"}, s.URL + "/loop", 30},
		{"redirect to file", []string{"127.0.0.1"}, s.URL + "/redirect?to=" + url.QueryEscape("file:///etc/passwd"), 30},
		{"not found", []string{"127.0.0.1"}, s.URL + "/missing", 31},
		{"not an image", []string{"127.0.0.1"}, s.URL + "/page.html", 30},
		{"too large by length", []string{"127.0.0.1"}, s.URL + "/big.png", 33},
		{"too large chunked", []string{"127.0.0.1"}, s.URL + "/chunked-big.png", 33},
		{"timeout", []string{"127.0.0.1"}, s.URL + "/slow.png", 32},
		{"connection refused", []string{"127.0.0.1"}, closedURL + "/img.png", 36},
		{"ftp scheme", nil, "ftp://example.com/a.png", 34},
		{"file scheme", nil, "file:///etc/passwd", 34},
		{"no host", nil, "http:///a.png", 34},
		{"relative", nil, "/a.png", 34},
		{"garbage", nil, "http://[::1", 34},
		{"credentials", []string{"127.0.0.1"}, "http://user:pw@" + host + "/img.png", 34},
		{"unknown host", nil, "http://no-such-host.invalid/a.png", 35},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := newFetcher(t, tt.allow...).Fetch(context.Background(), tt.url)
			if tt.code == 0 {
				if err != nil || string(data) != string(png) {
					t.Fatalf("Fetch = %q, %v; want the image", data, err)
				}
				return
			}
			if got := code(err); got != tt.code {
				t.Fatalf("Fetch error %v (code %d), want code %d", err, got, tt.code)
			}
			if data != nil {
				t.Fatal("data returned with an error")
			}
			if strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "169.254") {
				t.Fatalf("error reveals an address: %v", err)
			}
		})
	}
}

func TestNewRejectsBadAllowlist(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "nonsense/8"} {
		if _, err := New(Options{AllowHosts: []string{bad}}); err == nil {
			t.Errorf("allow_hosts %q accepted", bad)
		}
	}
}

func TestFetchCancelled(t *testing.T) {
	s := server(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newFetcher(t, "127.0.0.1").Fetch(ctx, s.URL+"/img.png")
	if c := code(err); c < 30 || c > 36 {
		t.Fatalf("cancelled fetch: %v (code %d), want a download error", err, c)
	}
}

// The engine's service downloads urls through a Fetcher.
var _ service.Fetcher = (*Fetcher)(nil)
