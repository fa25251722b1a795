package signcmd

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/facegate/facegate/plugin/httpsig"
)

const (
	testKey    = "fg_live_signcmdtest"
	testSecret = "fg_secret_signcmd_0123456789abcdefghijklmnopqrstuv"
)

// verifyingServer verifies every request with httpsig.Verify and answers
// with what it saw; signResponses controls whether answers are signed.
func verifyingServer(t *testing.T, signResponses bool) (*httptest.Server, string) {
	t.Helper()
	nonces := httpsig.NewNonceCache(1000, 0)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := httpsig.ParseRequest(r.Header)
		if err != nil {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		if p.KeyID != testKey {
			http.Error(w, "unknown key", http.StatusUnauthorized)
			return
		}
		res, err := httpsig.VerifyFresh(r, body, p, []byte(testSecret), time.Now(), nonces)
		if err != nil {
			http.Error(w, "rejected: "+res.Reason, http.StatusUnauthorized)
			return
		}
		out := []byte("verified " + r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + string(body))
		if signResponses {
			if err := httpsig.SignResponse(w.Header(), 200, out, p, []byte(testSecret), time.Now()); err != nil {
				t.Errorf("SignResponse: %v", err)
			}
		}
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "root.crt")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func TestRunAgainstVerifyingServer(t *testing.T) {
	srv, ca := verifyingServer(t, true)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(photo, []byte("\xff\xd8\xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	// A data dir holding the server's CA where the internal CA's root lives.
	dataDir := filepath.Join(dir, "data")
	rootDir := filepath.Join(dataDir, "caddy", "pki", "authorities", "local")
	pemBytes, _ := os.ReadFile(ca)
	if err := os.MkdirAll(rootDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootDir, "root.crt"), pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		o          Options
		getenv     func(string) string
		wantOut    string
		wantStderr string // "" means stderr must be empty
		wantCode   int
	}{
		{name: "default CA from the data dir", o: Options{URL: srv.URL + "/x", SecretFile: secretFile},
			getenv: func(k string) string { return map[string]string{"FACEGATE_DATA_DIR": dataDir}[k] }, wantOut: "verified GET /x"},
		{name: "get with secret file", o: Options{URL: srv.URL + "/fc/account/users.json?namespaces=a", SecretFile: secretFile, CACert: ca},
			getenv: noEnv, wantOut: "verified GET /fc/account/users.json application/x-www-form-urlencoded "},
		{name: "multipart with env secret", o: Options{URL: srv.URL + "/fc/faces/detect.json", Form: []string{"files=@" + photo}, CACert: ca},
			getenv: func(k string) string { return map[string]string{EnvSecret: testSecret}[k] }, wantOut: "verified POST /fc/faces/detect.json multipart/form-data"},
		{name: "urlencoded with --secret warns", o: Options{URL: srv.URL + "/fc/faces/recognize.json", Data: []string{"uids=all@ns"}, Secret: testSecret, CACert: ca},
			getenv: noEnv, wantOut: "verified POST /fc/faces/recognize.json application/x-www-form-urlencoded uids=all@ns", wantStderr: "process list"},
		{name: "insecure warns", o: Options{URL: srv.URL + "/x", SecretFile: secretFile, Insecure: true},
			getenv: noEnv, wantOut: "verified GET /x", wantStderr: "--insecure"},
		{name: "wrong secret is rejected by the server", o: Options{URL: srv.URL + "/x", Secret: "wrong", CACert: ca},
			getenv: noEnv, wantOut: "rejected: signature", wantStderr: "HTTP 401", wantCode: exitHTTPFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.KeyID = testKey
			var stdout, stderr bytes.Buffer
			code, err := run(context.Background(), tt.o, tt.getenv, &stdout, &stderr)
			if err != nil || code != tt.wantCode {
				t.Fatalf("run = %d, %v (stderr %s); want exit %d", code, err, stderr.String(), tt.wantCode)
			}
			if !strings.HasPrefix(stdout.String(), tt.wantOut) {
				t.Fatalf("stdout %q, want prefix %q", stdout.String(), tt.wantOut)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestRunUnsignedResponse(t *testing.T) {
	srv, ca := verifyingServer(t, false)
	o := Options{URL: srv.URL + "/x", KeyID: testKey, CACert: ca}
	env := func(string) string { return testSecret }
	var stdout, stderr bytes.Buffer
	code, err := run(context.Background(), o, env, &stdout, &stderr)
	if err != nil || code != exitBadResponse {
		t.Fatalf("run = %d, %v; want exit %d for an unsigned answer", code, err, exitBadResponse)
	}
	if !strings.Contains(stderr.String(), "did not verify") || !strings.HasPrefix(stdout.String(), "verified GET /x") {
		t.Fatalf("stdout %q stderr %q: want the body and a warning", stdout.String(), stderr.String())
	}
}

func TestRunErrors(t *testing.T) {
	srv, ca := verifyingServer(t, true)
	tests := []struct {
		name string
		o    Options
		env  string
		want string
	}{
		{name: "no key", o: Options{URL: srv.URL, CACert: ca}, env: testSecret, want: "--key"},
		{name: "no secret", o: Options{URL: srv.URL, KeyID: testKey, CACert: ca}, want: "no API secret"},
		{name: "two secret sources", o: Options{URL: srv.URL, KeyID: testKey, Secret: "a", SecretFile: "b"}, want: "not both"},
		{name: "untrusted certificate", o: Options{URL: srv.URL, KeyID: testKey}, env: testSecret, want: "certificate"},
		{name: "cacert and insecure", o: Options{URL: srv.URL, KeyID: testKey, CACert: ca, Insecure: true}, env: testSecret, want: "not both"},
		{name: "cacert not pem", o: Options{URL: srv.URL, KeyID: testKey, CACert: os.Args[0]}, env: testSecret, want: "no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code, err := run(context.Background(), tt.o, func(string) string { return tt.env }, &stdout, &stderr)
			if err == nil || code != exitFailed || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %d, %v; want error containing %q", code, err, tt.want)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(stderr.String(), testSecret) {
				t.Fatal("the secret leaked into an error")
			}
		})
	}
}

func TestCommandRegistered(t *testing.T) {
	cmd, ok := caddycmd.Commands()["sign"]
	if !ok || cmd.CobraFunc == nil || cmd.Short == "" {
		t.Fatalf("sign command not registered: %+v", cmd)
	}
}
