package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestServeReloadTraps: a reload of Caddyfile.default from a shell without
// the server's FACEGATE_* variables keeps its ports, and an operator's edit
// of Caddyfile.default survives a restart of serve.
func TestServeReloadTraps(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	path := filepath.Join(dataDir, "Caddyfile.default")

	httpsPort := func() int {
		resp, err := http.Get("http://" + s.adminAddr + "/config/apps/http/https_port")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p int
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatalf("reading https_port from the admin API: %v", err)
		}
		return p
	}

	t.Run("reload from another shell keeps the settings", func(t *testing.T) {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "FACEGATE_") {
				env = append(env, kv)
			}
		}
		env = append(env, "XDG_CONFIG_HOME="+filepath.Join(dataDir, "xdg-config"), "XDG_DATA_HOME="+filepath.Join(dataDir, "xdg-data"))
		// As documented: no --address, the admin endpoint comes from the file.
		cmd := exec.Command(binPath, "reload", "--config", path, "--adapter", "caddyfile", "--force")
		cmd.Env = env
		cmd.Dir = t.TempDir() // and not from the server's working directory
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("reload: %v\n%s", err, out)
		}
		if p := httpsPort(); p != s.httpsPort {
			t.Fatalf("after the reload the server's https_port is %d, want %d", p, s.httpsPort)
		}
		if r := s.call("account/authenticate", s.keyParams()); r.Status != "success" {
			t.Fatalf("after the reload: %+v", r.Raw)
		}
	})

	t.Run("an edited Caddyfile.default survives a restart", func(t *testing.T) {
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(orig), "\thandle /healthz {", "\thandle /operator-edit {\n\t\trespond \"edited by the operator\" 200\n\t}\n\n\thandle /healthz {", 1)
		if edited == string(orig) {
			t.Fatal("no /healthz route to edit next to")
		}
		if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
			t.Fatal(err)
		}
		s.stop()
		s.start()
		if got, _ := os.ReadFile(path); string(got) != edited {
			t.Fatal("serve overwrote the edited Caddyfile.default")
		}
		resp, err := s.client.Get(s.url("/operator-edit"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "edited by the operator" {
			t.Errorf("edited route: HTTP %d %q", resp.StatusCode, body)
		}
		fresh, err := os.ReadFile(path + ".new")
		if err != nil || !strings.Contains(string(fresh), "https_port "+strconv.Itoa(s.httpsPort)) {
			t.Errorf("current default not written beside the edit: %v", err)
		}
		if !strings.Contains(s.logs.String(), "Caddyfile.default was edited") {
			t.Error("no warning that the edited file was kept")
		}
	})
}
