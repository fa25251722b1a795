// Package e2e drives the real facegate binary over real TLS: no component is
// replaced by a fake. The binary is built once per test run (by `make test`,
// which passes FACEGATE_BIN, or by TestMain when it is not set).
package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the facegate binary under test.
var binPath string

// repoRoot is the repository root (the folder with go.mod).
var repoRoot string

func TestMain(m *testing.M) {
	wd, _ := os.Getwd()
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	binPath = os.Getenv("FACEGATE_BIN")
	if binPath == "" {
		dir, err := os.MkdirTemp("", "facegate-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binPath = filepath.Join(dir, "facegate")
		build := exec.Command("go", "build", "-o", binPath, "./xcaddy")
		build.Dir = repoRoot
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building facegate:", err)
			os.Exit(1)
		}
		code := m.Run()
		_ = os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// facesDir is ../shared/data/faces seen from the repository root.
func facesDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(repoRoot, "..", "shared", "data", "faces")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared face data not found at %s", dir)
	}
	return dir
}

// creds is initial-credentials.json.
type creds struct {
	APIKey       string `json:"api_key"`
	APISecret    string `json:"api_secret"`
	AdminToken   string `json:"admin_token"`
	AdminTOTPURI string `json:"admin_totp_uri"`
}

// server is one running facegate process.
type server struct {
	t         testing.TB
	dataDir   string
	httpsPort int
	httpPort  int
	adminAddr string
	cmd       *exec.Cmd
	args      []string // command line after the binary; default: serve
	logs      *logBuffer
	client    *http.Client
	creds     creds
	extraEnv  []string
	// key, when set, replaces the initial credentials' API key after every start.
	key *[2]string
}

// freePort asks the kernel for an unused loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs `facegate serve` (the embedded default Caddyfile) on free
// ports with dataDir, waits until it answers over HTTPS and reads the
// credentials file.
func startServer(t testing.TB, dataDir string, env ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, httpsPort: freePort(t), httpPort: freePort(t),
		adminAddr: fmt.Sprintf("localhost:%d", freePort(t)), extraEnv: env}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) env() []string {
	return append(append(os.Environ(),
		"FACEGATE_DATA_DIR="+s.dataDir,
		fmt.Sprintf("FACEGATE_HTTPS_PORT=%d", s.httpsPort),
		fmt.Sprintf("FACEGATE_HTTP_PORT=%d", s.httpPort),
		"FACEGATE_CADDY_ADMIN="+s.adminAddr,
		// Caddy autosaves its config under XDG_CONFIG_HOME: keep it in the temp dir.
		"XDG_CONFIG_HOME="+filepath.Join(s.dataDir, "xdg-config"),
		"XDG_DATA_HOME="+filepath.Join(s.dataDir, "xdg-data"),
	), s.extraEnv...)
}

// startServerArgs is startServer with another command line, e.g.
// run --config <file> --adapter caddyfile.
func startServerArgs(t testing.TB, dataDir string, args []string, env ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, httpsPort: freePort(t), httpPort: freePort(t),
		adminAddr: fmt.Sprintf("localhost:%d", freePort(t)), extraEnv: env, args: args}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	t := s.t
	t.Helper()
	s.logs = new(logBuffer)
	args := s.args
	if len(args) == 0 {
		args = []string{"serve"}
	}
	s.cmd = exec.Command(binPath, args...)
	s.cmd.Env = s.env()
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting facegate: %v", err)
	}
	root := filepath.Join(s.dataDir, "caddy", "pki", "authorities", "local", "root.crt")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if processExited(s.cmd.Process.Pid) {
			_ = s.cmd.Wait()
			t.Fatalf("facegate exited early:\n%s", s.logs)
		}
		if pem, err := os.ReadFile(root); err == nil {
			pool := x509.NewCertPool()
			if pool.AppendCertsFromPEM(pem) {
				s.client = &http.Client{
					Timeout:       60 * time.Second,
					Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
				}
				resp, err := s.client.Get(s.url("/fc/account/authenticate"))
				if err == nil {
					resp.Body.Close()
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("facegate did not come up over HTTPS within 90s:\n%s", s.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	raw, err := os.ReadFile(filepath.Join(s.dataDir, "initial-credentials.json"))
	if err != nil {
		t.Fatalf("reading credentials: %v", err)
	}
	if err := json.Unmarshal(raw, &s.creds); err != nil {
		t.Fatalf("decoding credentials: %v", err)
	}
	if s.key != nil {
		s.creds.APIKey, s.creds.APISecret = s.key[0], s.key[1]
	}
}

// stop ends the process gracefully (SIGINT), or kills it after 20 s.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// processExited reports whether process pid has ended (is a zombie or
// gone): cmd.ProcessState is only set by Wait.
func processExited(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	i := bytes.LastIndexByte(raw, ')')
	return i < 0 || i+2 >= len(raw) || raw[i+2] == 'Z'
}

// logBuffer collects a process's output; safe to read while it writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// kill ends the process with SIGKILL, as a crash would.
func (s *server) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func (s *server) url(path string) string {
	return fmt.Sprintf("https://localhost:%d%s", s.httpsPort, path)
}

func (s *server) rootCA() string {
	return filepath.Join(s.dataDir, "caddy", "pki", "authorities", "local", "root.crt")
}

// fcResponse is the part of SkyBiometry's envelope the tests read.
type fcResponse struct {
	Status       string          `json:"status"`
	ErrorCode    int             `json:"error_code"`
	ErrorMessage string          `json:"error_message"`
	OperationID  string          `json:"operation_id"`
	Usage        json.RawMessage `json:"usage"`
	Photos       []fcPhoto       `json:"photos"`
	Raw          map[string]any  `json:"-"`
	HTTPStatus   int             `json:"-"`
	Header       http.Header     `json:"-"`
}

type fcPhoto struct {
	PID    string  `json:"pid"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	Tags   []fcTag `json:"tags"`
}

type fcPoint struct {
	X, Y       float64
	Confidence int
	ID         int
}

type fcTag struct {
	TID          string  `json:"tid"`
	Recognizable bool    `json:"recognizable"`
	Width        float64 `json:"width"`
	Height       float64 `json:"height"`
	Center       fcPoint `json:"center"`
	EyeLeft      fcPoint `json:"eye_left"`
	EyeRight     fcPoint `json:"eye_right"`
	UIDs         []struct {
		UID        string `json:"uid"`
		Confidence int    `json:"confidence"`
	} `json:"uids"`
}

// call POSTs a multipart SkyBiometry call with params and image files.
func (s *server) call(route string, params map[string]string, files ...string) *fcResponse {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range params {
		_ = mw.WriteField(k, v)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			s.t.Fatal(err)
		}
		part, _ := mw.CreateFormFile("files", filepath.Base(f))
		_, _ = part.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url("/fc/"+route), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return s.do(req)
}

// form POSTs params urlencoded (with no Content-Type when ctype is "").
func (s *server) form(route string, params url.Values, ctype string) *fcResponse {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url("/fc/"+route), strings.NewReader(params.Encode()))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return s.do(req)
}

func (s *server) do(req *http.Request) *fcResponse {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	resp, err := s.client.Do(req.WithContext(ctx))
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &fcResponse{HTTPStatus: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("%s %s: HTTP %d, body is not JSON: %.300s", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	_ = json.Unmarshal(raw, &out.Raw)
	return out
}

// keyParams are the initial key's credentials as SkyBiometry parameters.
func (s *server) keyParams() map[string]string {
	return map[string]string{"api_key": s.creds.APIKey, "api_secret": s.creds.APISecret}
}
