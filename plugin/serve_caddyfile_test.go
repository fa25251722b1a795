package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/facegate/facegate/caddyfiles"
)

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// adaptedSettings adapts a Caddyfile in a process environment without any
// FACEGATE_* variable (as a reload from another shell would) and returns
// the ports, data dir and admin address the config says.
func adaptedSettings(t *testing.T, src []byte) (httpPort, httpsPort float64, dataDir, admin string) {
	t.Helper()
	for _, name := range serveSettings {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	out, _, err := caddyfile.Adapter{ServerType: httpcaddyfile.ServerType{}}.Adapt(src, nil)
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	var cfg struct {
		Admin struct {
			Listen string `json:"listen"`
		} `json:"admin"`
		Apps struct {
			HTTP struct {
				HTTPPort  float64 `json:"http_port"`
				HTTPSPort float64 `json:"https_port"`
			} `json:"http"`
			Facegate struct {
				DataDir string `json:"data_dir"`
			} `json:"facegate"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Apps.HTTP.HTTPPort, cfg.Apps.HTTP.HTTPSPort, cfg.Apps.Facegate.DataDir, cfg.Admin.Listen
}

func TestResolveDefaultKeepsSettingsForReload(t *testing.T) {
	env := map[string]string{
		"FACEGATE_HTTP_PORT": "18080", "FACEGATE_HTTPS_PORT": "18443",
		"FACEGATE_DATA_DIR": "/srv/facegate/data", "FACEGATE_CADDY_ADMIN": "unix//srv/facegate/data/caddy-admin.sock|0600",
		"FACEGATE_REDIS_URL": "redis://secret@host:6379",
	}
	body, err := resolveDefault(caddyfiles.Default, mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "{$") {
		t.Errorf("unresolved placeholder left:\n%s", body)
	}
	if !strings.Contains(string(body), "{env.FACEGATE_REDIS_URL}") || strings.Contains(string(body), "secret@") {
		t.Error("run-time placeholders must stay placeholders (and their values out of the file)")
	}
	hp, hsp, dir, admin := adaptedSettings(t, body)
	if hp != 18080 || hsp != 18443 || dir != "/srv/facegate/data" || admin != "unix//srv/facegate/data/caddy-admin.sock|0600" {
		t.Errorf("adapted without the variables: http %v https %v data %q admin %q", hp, hsp, dir, admin)
	}
	// Unset or empty variables take the Caddyfile's defaults.
	body, err = resolveDefault(caddyfiles.Default, mapEnv(map[string]string{"FACEGATE_HTTPS_PORT": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if hp, hsp, dir, _ := adaptedSettings(t, body); hp != 8080 || hsp != 8443 || dir != "./data" {
		t.Errorf("defaults: http %v https %v data %q", hp, hsp, dir)
	}
}

func TestResolveDefaultRefusesUnsafeValues(t *testing.T) {
	for name, v := range map[string]string{
		"FACEGATE_HTTPS_PORT":  "84 43",
		"FACEGATE_HTTP_PORT":   "70000",
		"FACEGATE_DATA_DIR":    "/x\n}\nlocalhost {\n respond hi\n}\n{",
		"FACEGATE_CADDY_ADMIN": "localhost:2019 # x",
	} {
		if _, err := resolveDefault(caddyfiles.Default, mapEnv(map[string]string{name: v})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming the variable", name, v, err)
		}
	}
	for _, dir := range []string{"/data dir", `/data"`, "/data{x}", `/data\`} {
		if _, err := resolveDefault(caddyfiles.Default, mapEnv(map[string]string{"FACEGATE_DATA_DIR": dir})); err == nil {
			t.Errorf("data dir %q accepted", dir)
		}
	}
	if _, err := resolveDefault(caddyfiles.Default, mapEnv(map[string]string{"FACEGATE_DATA_DIR": `C:\facegate\data`})); err != nil {
		t.Errorf("a backslash inside a path: %v", err)
	}
}

// TestPrepareServeKeepsEdits: serve rewrites its unchanged default on each
// start (new settings included), but keeps an operator's edit.
func TestPrepareServeKeepsEdits(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FACEGATE_DATA_DIR": dir, "FACEGATE_HTTPS_PORT": "18443"}
	set := map[string]string{}
	setenv := func(k, v string) error { set[k] = v; return nil }
	path, err := PrepareServe(mapEnv(env), setenv)
	if err != nil {
		t.Fatal(err)
	}
	wantAdmin := "unix/" + filepath.Join(dir, AdminSocketName) + "|0600"
	if set["FACEGATE_CADDY_ADMIN"] != wantAdmin {
		t.Errorf("admin = %q, want %q", set["FACEGATE_CADDY_ADMIN"], wantAdmin)
	}
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first := read()
	if !strings.HasPrefix(first, defaultMarker) || !strings.Contains(first, "https_port 18443") || !strings.Contains(first, "admin "+wantAdmin) {
		t.Fatalf("first start wrote:\n%.600s", first)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}

	// Unchanged: a start with other settings rewrites it.
	env["FACEGATE_HTTPS_PORT"] = "19443"
	if _, err := PrepareServe(mapEnv(env), setenv); err != nil {
		t.Fatal(err)
	}
	if got := read(); !strings.Contains(got, "https_port 19443") {
		t.Fatalf("unchanged default not rewritten:\n%.600s", got)
	}

	// Edited: kept as it is, the current default beside it.
	edited := strings.Replace(read(), "https_port 19443", "https_port 19443\n\tdebug", 1)
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	env["FACEGATE_HTTPS_PORT"] = "20443"
	if _, err := PrepareServe(mapEnv(env), setenv); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != edited {
		t.Fatalf("edited Caddyfile.default was overwritten:\n%.600s", got)
	}
	fresh, err := os.ReadFile(path + ".new")
	if err != nil || !strings.Contains(string(fresh), "https_port 20443") || !unchangedDefault(fresh, caddyfiles.Default) {
		t.Fatalf("current default not written beside the edited file: %v\n%.300s", err, fresh)
	}

	// Deleting the edited file brings the default back (and the .new goes).
	os.Remove(path)
	if _, err := PrepareServe(mapEnv(env), setenv); err != nil {
		t.Fatal(err)
	}
	if got := read(); !strings.Contains(got, "https_port 20443") {
		t.Fatalf("default not restored:\n%.300s", got)
	}
	if _, err := os.Stat(path + ".new"); !os.IsNotExist(err) {
		t.Errorf("stale %s.new left: %v", DefaultCaddyfileName, err)
	}

	// What earlier versions wrote (the raw embedded file) counts as unchanged.
	if err := os.WriteFile(path, caddyfiles.Default, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareServe(mapEnv(env), setenv); err != nil {
		t.Fatal(err)
	}
	if got := read(); !strings.HasPrefix(got, defaultMarker) {
		t.Fatalf("raw default of an earlier version not replaced:\n%.300s", got)
	}

	// A setting the Caddyfile cannot carry fails the start and writes nothing.
	before := read()
	env["FACEGATE_HTTPS_PORT"] = "not-a-port"
	if _, err := PrepareServe(mapEnv(env), setenv); err == nil {
		t.Fatal("a bad port was accepted")
	}
	if read() != before {
		t.Error("a refused start changed Caddyfile.default")
	}
}

func TestPreloadServeEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "facegate.env")
	src := "# settings\nFACEGATE_HTTPS_PORT=9443 # the port\nexport FACEGATE_DATA_DIR=\"/var/lib/fg\"\nFACEGATE_HTTP_PORT='9080'\nOTHER=1\nFACEGATE_CADDY_ADMIN=localhost:2999\n\n"
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FACEGATE_CADDY_ADMIN": "localhost:2019"} // set: not overridden
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	setenv := func(k, v string) error { env[k] = v; return nil }
	if err := preloadServeEnv([]string{filepath.Join(dir, "missing.env"), file}, lookup, setenv); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"FACEGATE_HTTPS_PORT": "9443", "FACEGATE_DATA_DIR": "/var/lib/fg", "FACEGATE_HTTP_PORT": "9080", "FACEGATE_CADDY_ADMIN": "localhost:2019"}
	if len(env) != len(want) {
		t.Errorf("env %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}
