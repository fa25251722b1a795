package plugin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPSOnly(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		header     string
		port       int
		wantStatus int
		wantLoc    string
	}{
		{"redirect keeps the port, drops the query", "GET", "http://localhost:8080/console/?x=1", "", "", 8443, 308, "https://localhost:8443/console/"},
		{"default port left out", "GET", "http://api.example.com/fc/faces/detect.json", "", "", 443, 308, "https://api.example.com/fc/faces/detect.json"},
		{"no port configured", "HEAD", "http://api.example.com/", "", "", 0, 308, "https://api.example.com/"},
		{"IPv6 host", "GET", "http://[::1]:8080/a%2Fb", "", "", 8443, 308, "https://[::1]:8443/a%2Fb"},
		{"secret in the query refused", "GET", "http://localhost:8080/fc/account/authenticate.json?api_key=k&api_secret=s3cr3t", "", "", 8443, 403, ""},
		{"key in the query refused", "GET", "http://localhost:8080/fc/account/authenticate.json?api_key=k", "", "", 8443, 403, ""},
		{"POST body refused", "POST", "http://localhost:8080/fc/faces/detect.json", "api_key=k&api_secret=s3cr3t", "", 8443, 403, ""},
		{"signature header refused", "GET", "http://localhost:8080/fc/account/limits.json", "", "Signature", 8443, 403, ""},
		{"authorization header refused", "GET", "http://localhost:8080/admin/keys", "", "Authorization", 8443, 403, ""},
		{"DELETE refused", "DELETE", "http://localhost:8080/admin/keys/x", "", "", 8443, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var r *http.Request
			if body != nil {
				r = httptest.NewRequest(tt.method, tt.target, body)
			} else {
				r = httptest.NewRequest(tt.method, tt.target, nil)
			}
			if tt.header != "" {
				r.Header.Set(tt.header, "s3cr3t")
			}
			w := httptest.NewRecorder()
			h := &HTTPSOnly{HTTPSPort: tt.port}
			if err := h.ServeHTTP(w, r, nil); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.wantStatus || w.Header().Get("Location") != tt.wantLoc {
				t.Fatalf("HTTP %d Location %q, want %d %q", w.Code, w.Header().Get("Location"), tt.wantStatus, tt.wantLoc)
			}
			all := w.Body.String() + strings.Join(w.Header().Values("Location"), "")
			if strings.Contains(all, "s3cr3t") || strings.Contains(all, "api_key=") || strings.Contains(all, "x=1") {
				t.Fatalf("answer echoes the request: %s", all)
			}
			if tt.wantStatus == 403 && !strings.Contains(w.Body.String(), "plain HTTP is refused") {
				t.Fatalf("refusal without a clear error: %s", w.Body.String())
			}
		})
	}
}
