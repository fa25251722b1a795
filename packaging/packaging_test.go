package packaging

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// unit is a systemd unit file: section → directive → values (a directive
// may repeat).
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: malformed line %q", path, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// TestServiceUnitHardened checks what the unit promises: an unprivileged
// user with its own state directory, a read-only system, and no privilege
// but binding low ports.
func TestServiceUnitHardened(t *testing.T) {
	svc := readUnit(t, "facegate.service")["Service"]
	if svc == nil {
		t.Fatal("no [Service] section")
	}
	one := func(k string) string {
		if v := svc[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	if one("DynamicUser") != "yes" && (one("User") == "" || one("User") == "root") {
		t.Error("the service runs as root: want DynamicUser=yes or a dedicated User=")
	}
	tests := []struct{ key, want string }{
		{"StateDirectory", "facegate"},
		{"StateDirectoryMode", "0700"},
		{"ProtectSystem", "strict"},
		{"ProtectHome", "yes"},
		{"PrivateTmp", "yes"},
		{"PrivateDevices", "yes"},
		{"NoNewPrivileges", "yes"},
		{"CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"},
		{"AmbientCapabilities", "CAP_NET_BIND_SERVICE"},
		{"RestrictSUIDSGID", "yes"},
		{"MemoryDenyWriteExecute", "yes"},
		{"UMask", "0077"},
		{"Environment", "FACEGATE_DATA_DIR=/var/lib/facegate"},
		{"Type", "notify"},
	}
	for _, tt := range tests {
		vals := svc[tt.key]
		found := false
		for _, v := range vals {
			found = found || v == tt.want
		}
		if !found {
			t.Errorf("%s = %q, want %q among them", tt.key, vals, tt.want)
		}
	}
	for _, k := range []string{"CapabilityBoundingSet", "AmbientCapabilities"} {
		if len(svc[k]) != 1 {
			t.Errorf("%s is set %d times; want CAP_NET_BIND_SERVICE only, once", k, len(svc[k]))
		}
	}
	if start := one("ExecStart"); !strings.Contains(start, "facegate run --config /etc/facegate/Caddyfile") {
		t.Errorf("ExecStart = %q", start)
	}
	if reload := one("ExecReload"); !strings.Contains(reload, "facegate reload --config /etc/facegate/Caddyfile") {
		t.Errorf("ExecReload = %q: a reload must use the service's own environment", reload)
	}
}

// TestServiceUnitVerifies runs systemd-analyze on the unit when it is
// installed: verify (syntax, directives, executables) and the offline
// security assessment (exposure at most 2.5 of 10).
func TestServiceUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd); the unit was not verified")
	}
	raw, err := os.ReadFile("facegate.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart's program exists: point it at one that
	// does (this test's binary), under the unit's own name.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "facegate.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(raw, []byte("/usr/local/bin/facegate"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("facegate.service:")) {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=25", "--no-pager", path).CombinedOutput()
	if bytes.Contains(out, []byte("Unknown option")) || bytes.Contains(out, []byte("unrecognized option")) {
		t.Skipf("this systemd-analyze has no offline security assessment:\n%s", out)
	}
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.5: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}

// TestContainerfile checks the image's promises in the Containerfile and
// the compose example: a multi-stage build of a static binary, an
// unprivileged user, the /data volume and a health check.
func TestContainerfile(t *testing.T) {
	raw, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	cf := string(raw)
	var froms int
	var lastUser string
	for _, line := range strings.Split(cf, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "FROM":
			froms++
			lastUser = "root"
		case "USER":
			lastUser = f[1]
		}
	}
	if froms < 2 {
		t.Errorf("%d FROM lines: want a multi-stage build", froms)
	}
	if u, _, _ := strings.Cut(lastUser, ":"); u == "root" || u == "0" || u == "" {
		t.Errorf("the final stage runs as %q", lastUser)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./xcaddy", `VOLUME ["/data"]`, "FACEGATE_DATA_DIR=/data",
		`CMD ["/usr/bin/facegate", "healthcheck"]`, "HEALTHCHECK", `ENTRYPOINT ["/usr/bin/facegate"]`, "static"} {
		if !strings.Contains(cf, want) {
			t.Errorf("Containerfile lacks %q", want)
		}
	}
	compose, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dockerfile: packaging/Containerfile", "facegate-data:/data", "read_only: true", "- ALL"} {
		if !strings.Contains(string(compose), want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
}

// TestContainerBuild builds the image when a container engine answers
// (not in -short mode: it compiles facegate from scratch).
func TestContainerBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the container build compiles facegate from scratch")
	}
	engine := ""
	for _, e := range []string{"podman", "docker"} {
		if p, err := exec.LookPath(e); err == nil && exec.Command(p, "info").Run() == nil {
			engine = p
			break
		}
	}
	if engine == "" {
		t.Skip("no container engine answers here (podman or docker info failed); the image was not built")
	}
	tag := "localhost/facegate-test:" + time.Now().Format("20060102150405")
	cmd := exec.Command(engine, "build", "-f", "packaging/Containerfile", "-t", tag, ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s build: %v\n%s", engine, err, out)
	}
	defer exec.Command(engine, "rmi", tag).Run()
	out, err := exec.Command(engine, "run", "--rm", tag, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "facegate ") {
		t.Fatalf("%s run %s version: %v\n%s", engine, tag, err, out)
	}
	out, _ = exec.Command(engine, "image", "inspect", "--format", "{{.Config.User}}", tag).CombinedOutput()
	if u := strings.TrimSpace(string(out)); u == "" || u == "root" || strings.HasPrefix(u, "0") {
		t.Errorf("image user %q", u)
	}
}
