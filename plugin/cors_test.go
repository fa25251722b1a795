package plugin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
)

func TestCORSPreflight(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kr, err := keyring.New(st, bytes.Repeat([]byte{4}, 32), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	browser, _, err := kr.Create(keyring.CreateParams{Owner: "web", Scopes: []string{"faces/detect"},
		AuthModes: []string{"domain"}, AllowedOrigins: []string{"https://app.example"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	revoked, _, err := kr.Create(keyring.CreateParams{Owner: "web", Scopes: []string{"faces/detect"},
		AuthModes: []string{"domain"}, AllowedOrigins: []string{"https://app.example"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Revoke(revoked.ID, "test"); err != nil {
		t.Fatal(err)
	}
	g := &Guard{Mode: "api"}
	s := &state{keys: kr}
	tests := []struct {
		name, key, origin string
		want              int
	}{
		{"allowed origin", browser.ID, "https://app.example", http.StatusNoContent},
		{"other origin", browser.ID, "https://evil.example", http.StatusForbidden},
		{"null origin", browser.ID, "null", http.StatusForbidden},
		{"unknown key", "fg_live_nope", "https://app.example", http.StatusForbidden},
		{"revoked key", revoked.ID, "https://app.example", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodOptions, "/fc/faces/detect?api_key="+tt.key, nil)
			r.Header.Set("Origin", tt.origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			if !isPreflight(r) {
				t.Fatal("not recognised as a preflight")
			}
			w := httptest.NewRecorder()
			g.preflight(w, r, s)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
			got := w.Header().Get("Access-Control-Allow-Origin")
			if tt.want == http.StatusNoContent && got != tt.origin {
				t.Errorf("Allow-Origin %q, want %q", got, tt.origin)
			}
			if tt.want != http.StatusNoContent && got != "" {
				t.Errorf("refused preflight carries Allow-Origin %q", got)
			}
			if w.Header().Get("Vary") != "Origin" {
				t.Error("missing Vary: Origin")
			}
		})
	}
}
