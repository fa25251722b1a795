package plugin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestOpenAPIHandler(t *testing.T) {
	h := new(OpenAPI)
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	serve := func(method string, hdr map[string]string) (*httptest.ResponseRecorder, error) {
		r := httptest.NewRequest(method, "/openapi.json", nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		return w, h.ServeHTTP(w, r, nil)
	}
	t.Run("GET answers the OpenAPI 3.1 document", func(t *testing.T) {
		w, err := serve(http.MethodGet, nil)
		if err != nil || w.Code != http.StatusOK {
			t.Fatalf("status %d, err %v", w.Code, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if doc["openapi"] != "3.1.0" || len(doc["paths"].(map[string]any)) < 10 {
			t.Fatalf("openapi %v with %d paths", doc["openapi"], len(doc["paths"].(map[string]any)))
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("ETag") == "" {
			t.Errorf("headers %v", w.Header())
		}
		w2, _ := serve(http.MethodGet, map[string]string{"If-None-Match": w.Header().Get("ETag")})
		if w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
			t.Errorf("If-None-Match: status %d, %d bytes", w2.Code, w2.Body.Len())
		}
	})
	t.Run("HEAD has no body", func(t *testing.T) {
		w, err := serve(http.MethodHead, nil)
		if err != nil || w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Fatalf("status %d, %d bytes, err %v", w.Code, w.Body.Len(), err)
		}
	})
	t.Run("other methods get 405", func(t *testing.T) {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			w, err := serve(m, nil)
			var he caddyhttp.HandlerError
			if !errors.As(err, &he) || he.StatusCode != http.StatusMethodNotAllowed || w.Body.Len() != 0 {
				t.Errorf("%s: err %v, %d bytes", m, err, w.Body.Len())
			}
			if w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s: Allow %q", m, w.Header().Get("Allow"))
			}
		}
	})
}

func TestOpenAPICaddyfile(t *testing.T) {
	for _, tc := range []struct {
		src string
		ok  bool
	}{
		{"facegate_openapi", true},
		{"facegate_openapi extra", false},
		{"facegate_openapi {\n\tprefix /x\n}", false},
	} {
		err := new(OpenAPI).UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.src))
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.src, err, tc.ok)
		}
	}
}
