package cli

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestEnv(t *testing.T) {
	withCA := t.TempDir()
	caDir := filepath.Join(withCA, "caddy", "pki", "authorities", "local")
	if err := os.MkdirAll(caDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(caDir, "root.crt"), []byte("pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		vars       map[string]string
		wantServer string
		wantErr    string
		wantCreds  string
		wantCA     string
	}{
		{name: "defaults", vars: nil, wantServer: "https://localhost:8443",
			wantCreds: filepath.Join("data", "initial-credentials.json")},
		{name: "port and data dir", vars: map[string]string{EnvHTTPSPort: "18443", EnvDataDir: withCA},
			wantServer: "https://localhost:18443", wantCreds: filepath.Join(withCA, "initial-credentials.json"),
			wantCA: filepath.Join(caDir, "root.crt")},
		{name: "port not a number", vars: map[string]string{EnvHTTPSPort: "https"}, wantErr: `FACEGATE_HTTPS_PORT="https" is not a port number`},
		{name: "port out of range", vars: map[string]string{EnvHTTPSPort: "70000"}, wantErr: "not a port number"},
		{name: "port zero", vars: map[string]string{EnvHTTPSPort: "0"}, wantErr: "not a port number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env(func(k string) string { return tt.vars[k] })
			server, err := env.Server()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Server() = %q, %v; want error %q", server, err, tt.wantErr)
				}
				return
			}
			if err != nil || server != tt.wantServer {
				t.Fatalf("Server() = %q, %v; want %q", server, err, tt.wantServer)
			}
			if got := filepath.Clean(env.Credentials()); got != tt.wantCreds {
				t.Errorf("Credentials() = %q, want %q", got, tt.wantCreds)
			}
			if got := env.RootCA(); got != tt.wantCA {
				t.Errorf("RootCA() = %q, want %q", got, tt.wantCA)
			}
		})
	}
}

// caddyLikeRoot builds a root command the way Caddy does: its own
// commands first, then facegate's through the same callback as Register.
func caddyLikeRoot() (root, run, version, serve *cobra.Command) {
	root = &cobra.Command{Use: BinaryName, Long: "Caddy is an extensible server platform written in Go."}
	run = &cobra.Command{Use: "run", Short: "Starts the Caddy process", RunE: func(*cobra.Command, []string) error { return nil }}
	version = &cobra.Command{Use: "version", Short: "Prints the version", Run: func(*cobra.Command, []string) {}}
	root.AddCommand(run, version)
	key := &cobra.Command{Use: "key", Short: "Manages keys", RunE: func(*cobra.Command, []string) error { return nil }}
	serve = &cobra.Command{Use: "serve", Short: "Runs facegate", RunE: func(*cobra.Command, []string) error { return nil }}
	for _, c := range []*cobra.Command{key, serve} {
		c.Annotations = map[string]string{annotation: "true"}
		root.AddCommand(c)
	}
	return root, run, version, serve
}

func help(t *testing.T, root *cobra.Command, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out.String()
}

func TestBrand(t *testing.T) {
	root, run, version, serve := caddyLikeRoot()
	brand(root)
	root.Long = rootLong // what caddy.CustomLongDescription gives Caddy's constructor
	if run.GroupID != groupCaddy || version.GroupID != groupFacegate || serve.GroupID != groupFacegate {
		t.Fatalf("groups: run %q version %q serve %q", run.GroupID, version.GroupID, serve.GroupID)
	}
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{name: "root help", args: []string{"help"},
			want:    []string{"facegate commands:", "Caddy's own commands", "facegate serve", "  serve "},
			notWant: []string{"Caddy is an extensible", "caddy run", "This is Caddy's own command"}},
		{name: "facegate command help", args: []string{"serve", "--help"},
			want: []string{"facegate serve"}, notWant: []string{"caddyserver.com"}},
		{name: "Caddy's command says so", args: []string{"run", "--help"},
			want: []string{"facegate run", "This is Caddy's own command", "https://caddyserver.com/docs/command-line"}},
		{name: "version", args: []string{"version"},
			want: []string{"facegate ", "\nCaddy ", "\nOPA ", "\nGo ", "face-api", FaceAPIVersion, "pigo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := help(t, root, tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("%v: output has %q:\n%s", tt.args, w, out)
				}
			}
		})
	}
}

func TestVersionsDigests(t *testing.T) {
	v := Versions()
	hex := regexp.MustCompile(`^[0-9a-f]{12}$`)
	if len(v.Models) != 2 {
		t.Fatalf("models %+v", v.Models)
	}
	for _, m := range v.Models {
		if !hex.MatchString(m.Digest) {
			t.Errorf("%s: digest %q", m.Name, m.Digest)
		}
	}
	if v.Models[0].Digest == v.Models[1].Digest {
		t.Error("both model sets have the same digest")
	}
	if !strings.HasPrefix(ShortVersion(), "facegate ") {
		t.Errorf("ShortVersion() = %q", ShortVersion())
	}
}

// FaceAPIVersion must name the release the embedded files come from.
func TestFaceAPIVersionMatchesNotice(t *testing.T) {
	notice, err := os.ReadFile(filepath.Join("..", "..", "..", "engine", "models", "faceapi", "NOTICE"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(notice), "@vladmandic/face-api, version "+FaceAPIVersion) {
		t.Fatalf("NOTICE does not name @vladmandic/face-api version %s", FaceAPIVersion)
	}
}

// TestRootCAs: a --cacert file adds its certificate to the roots; a missing
// file or one without a PEM certificate is an error naming the option.
func TestRootCAs(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "root.crt"), filepath.Join(dir, "not.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(good, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := RootCAs(good)
	if err != nil {
		t.Fatalf("RootCAs(good) = %v", err)
	}
	if _, err := srv.Certificate().Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Errorf("the --cacert certificate is not trusted: %v", err)
	}
	if _, err := RootCAs(""); err != nil {
		t.Errorf(`RootCAs("") = %v`, err)
	}
	for path, want := range map[string]string{filepath.Join(dir, "missing"): "reading --cacert", bad: "holds no PEM certificate"} {
		if _, err := RootCAs(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("RootCAs(%s) = %v, want an error with %q", filepath.Base(path), err, want)
		}
	}
}
