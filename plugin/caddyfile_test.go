package plugin_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/facegate/facegate"
	"github.com/facegate/facegate/caddyfiles"
)

// adapt turns a Caddyfile into Caddy's JSON, as `caddy adapt` does.
func adapt(t *testing.T, src []byte) map[string]any {
	t.Helper()
	out, warnings, err := caddyfile.Adapter{ServerType: httpcaddyfileServerType()}.Adapt(src, nil)
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	for _, w := range warnings {
		t.Logf("warning: %s:%d %s", w.File, w.Line, w.Message)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestExampleCaddyfilesAdapt adapts every Caddyfile in caddyfiles/: they
// must work as written.
func TestExampleCaddyfilesAdapt(t *testing.T) {
	t.Setenv("FACEGATE_DATA_DIR", "/var/lib/fg")
	files, _ := filepath.Glob("../caddyfiles/*Caddyfile")
	if len(files) < 4 {
		t.Fatalf("expected the dev, proxy, production and mTLS Caddyfiles, found %v", files)
	}
	sources := map[string][]byte{"embedded Default": caddyfiles.Default, "embedded Proxy": caddyfiles.Proxy}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[filepath.Base(f)] = b
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			cfg := adapt(t, src)
			apps := cfg["apps"].(map[string]any)
			fg, ok := apps["facegate"].(map[string]any)
			if !ok {
				t.Fatalf("no facegate app in %v", apps)
			}
			if fg["data_dir"] != "/var/lib/fg" {
				t.Errorf("data_dir = %v", fg["data_dir"])
			}
			raw, _ := json.Marshal(apps["http"])
			// HSTS comes from the site's header directive, not from the guard.
			if !strings.Contains(string(raw), `"Strict-Transport-Security":["max-age=63072000"]`) {
				t.Errorf("no Strict-Transport-Security header handler")
			}
			for _, handler := range []string{`"handler":"facegate_guard"`, `"handler":"facegate_admin"`} {
				if !strings.Contains(string(raw), handler) {
					t.Errorf("%s missing from the http app", handler)
				}
			}
		})
	}
}

func TestGlobalOption(t *testing.T) {
	cfg := adapt(t, []byte(`{
	facegate {
		data_dir /srv/fg
		key_file /etc/fg.key
		keyring_key_file /etc/fg-keyring.key
		policies_dir /etc/fg/policies
		policy_poll 5s
		url_allow_hosts 127.0.0.1 images.lan
		legacy_status_codes
		jsonp
		limits {
			max_body 5MiB
			max_images 3
			max_image_bytes 2MiB
			max_pixels 1000000
			max_parts 8
		}
	}
}
:8443 {
	facegate_guard proxy {
		denials errors
	}
	respond ok
}`))
	fg := cfg["apps"].(map[string]any)["facegate"].(map[string]any)
	want := map[string]any{"data_dir": "/srv/fg", "key_file": "/etc/fg.key", "keyring_key_file": "/etc/fg-keyring.key", "policies_dir": "/etc/fg/policies",
		"legacy_status_codes": true, "jsonp": true, "policy_poll": float64(5e9)}
	for k, v := range want {
		if fg[k] != v {
			t.Errorf("%s = %v, want %v", k, fg[k], v)
		}
	}
	lim := fg["limits"].(map[string]any)
	if lim["max_body"] != float64(5<<20) || lim["max_images"] != float64(3) || lim["max_parts"] != float64(8) {
		t.Errorf("limits = %v", lim)
	}
	raw, _ := json.Marshal(cfg["apps"].(map[string]any)["http"])
	if !strings.Contains(string(raw), `"mode":"proxy"`) || !strings.Contains(string(raw), `"denials":"errors"`) {
		t.Errorf("guard options not adapted: %s", raw)
	}
}

func TestGlobalOptionErrors(t *testing.T) {
	for name, src := range map[string]string{
		"unknown option":       "{\n facegate {\n  nonsense 1\n }\n}\n:80 {\n respond ok\n}",
		"bad size":             "{\n facegate {\n  limits {\n   max_body lots\n  }\n }\n}\n:80 {\n respond ok\n}",
		"path without a value": "{\n facegate {\n  data_dir\n }\n}\n:80 {\n respond ok\n}",
		"two paths":            "{\n facegate {\n  key_file /a /b\n }\n}\n:80 {\n respond ok\n}",
		"bad guard mode":       ":80 {\n facegate_guard {\n  colour blue\n }\n}",
		"hsts_max_age":         ":80 {\n facegate_guard {\n  hsts_max_age 600\n }\n}",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := caddyfile.Adapter{ServerType: httpcaddyfileServerType()}.Adapt([]byte(src), nil)
			if err == nil {
				t.Error("adapt accepted an invalid Caddyfile")
			}
		})
	}
}
