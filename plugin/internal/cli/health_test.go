package cli

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	answers := map[string]func(w http.ResponseWriter){
		"/refused": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"status":"failure","error_code":202}`))
		},
		"/broken": func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
		"/other":  func(w http.ResponseWriter) { w.Write([]byte("<html>hello</html>")) },
		"/slow":   func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) },
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := answers[r.URL.Path]; ok {
			h(w)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "root.crt")
	_ = os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	caDir := filepath.Join(dir, "caddy", "pki", "authorities", "local")
	_ = os.MkdirAll(caDir, 0o700)
	_ = os.WriteFile(filepath.Join(caDir, "root.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	withDataDir := Env(func(k string) string { return map[string]string{EnvDataDir: dir}[k] })
	noEnv := Env(func(string) string { return "" })

	tests := []struct {
		name    string
		o       HealthOptions
		env     Env
		wantErr string
	}{
		{"facegate's refusal is healthy", HealthOptions{URL: srv.URL + "/refused", CACert: ca}, noEnv, ""},
		{"data dir CA by default", HealthOptions{URL: srv.URL + "/refused"}, withDataDir, ""},
		{"insecure", HealthOptions{URL: srv.URL + "/refused", Insecure: true}, noEnv, ""},
		{"untrusted certificate", HealthOptions{URL: srv.URL + "/refused"}, noEnv, "certificate"},
		{"server error", HealthOptions{URL: srv.URL + "/broken", CACert: ca}, noEnv, "HTTP 503"},
		{"not facegate", HealthOptions{URL: srv.URL + "/other", CACert: ca}, noEnv, "not facegate's"},
		{"timeout", HealthOptions{URL: srv.URL + "/slow", CACert: ca, Timeout: 50 * time.Millisecond}, noEnv, "deadline"},
		{"nothing listening", HealthOptions{URL: "https://127.0.0.1:1" + healthPath}, noEnv, "refused"},
		{"bad port variable", HealthOptions{}, Env(func(k string) string { return map[string]string{EnvHTTPSPort: "x"}[k] }), "not a port number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Health(context.Background(), tt.o, tt.env)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Health = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
