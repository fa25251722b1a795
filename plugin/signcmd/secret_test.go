package signcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		o       Options
		env     string
		want    string
		wantErr string
		warn    bool
	}{
		{name: "file with newline", o: Options{SecretFile: write("a", "s3cret\r\n")}, want: "s3cret"},
		{name: "file wins over env", o: Options{SecretFile: write("b", "fromfile")}, env: "fromenv", want: "fromfile"},
		{name: "env", env: "fromenv", want: "fromenv"},
		{name: "argv warns", o: Options{Secret: "argv"}, want: "argv", warn: true},
		{name: "empty file", o: Options{SecretFile: write("c", "\n")}, wantErr: "empty"},
		{name: "two lines", o: Options{SecretFile: write("d", "a\nb\n")}, wantErr: "one line"},
		{name: "missing file", o: Options{SecretFile: filepath.Join(dir, "none")}, wantErr: "reading secret file"},
		{name: "nothing", wantErr: "no API secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := loadSecret(tt.o, func(k string) string {
				if k == EnvSecret {
					return tt.env
				}
				return ""
			}, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want || (stderr.Len() > 0) != tt.warn {
				t.Fatalf("got %q, %v, stderr %q", got, err, stderr.String())
			}
		})
	}
}

// TestCobraFlags runs the registered command's flag wiring end to end.
func TestCobraFlags(t *testing.T) {
	srv, ca := verifyingServer(t, true)
	t.Setenv(EnvSecret, testSecret)
	c := &cobra.Command{Use: "sign"}
	caddycmd.Commands()["sign"].CobraFunc(c)
	var out, errOut bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SetArgs([]string{"--key", testKey, "--cacert", ca, "-X", "post", "-d", "a=b", "-d", "c=d", "-H", "X-Test: 1", srv.URL + "/fc/tags/save.json"})
	if err := c.Execute(); err != nil {
		t.Fatalf("execute: %v (%s)", err, errOut.String())
	}
	if got := out.String(); got != "verified POST /fc/tags/save.json application/x-www-form-urlencoded a=b&c=d" {
		t.Fatalf("stdout %q", got)
	}
	if errOut.Len() > 0 {
		t.Fatalf("stderr %q", errOut.String())
	}
}
