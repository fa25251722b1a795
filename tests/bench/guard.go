package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/policies"
)

func init() { commands["guard"] = guardBench }

// guardBench measures the cost of facegate_guard: requests per second and
// server CPU per request through the guard (key lookup, secret or RFC 9421
// signature check with nonce, JSON Schema validation, OPA decision, limits)
// in front of a trivial `respond`, against the same binary serving the same
// `respond` without the guard. Both run on loopback over TLS, one after the
// other, with the same keep-alive load generator.
//
//	go run ./tests/bench guard [--bin bin/facegate] [--rounds 3] [--duration 5s] [--workers 8]
func guardBench(args []string) error {
	fs := flag.NewFlagSet("guard", flag.ContinueOnError)
	bin := fs.String("bin", "bin/facegate", "facegate binary")
	dur := fs.Duration("duration", 5*time.Second, "measured time per configuration and round")
	workers := fs.Int("workers", 8, "concurrent keep-alive connections")
	logLevel := fs.String("log-level", "INFO", "Caddy log level of both servers (INFO is the default: a decision line per denial; DEBUG adds one per allowed request)")
	profile := fs.String("cpuprofile", "", "save a CPU profile of the guarded server per mode (first round) to <prefix>-<configuration>.pprof")
	rounds := fs.Int("rounds", 3, "rounds over all configurations (the table gives medians)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bare, err := startBenchServer(*bin, benchCaddyfile(false, *logLevel))
	if err != nil {
		return fmt.Errorf("starting the bare server: %w", err)
	}
	defer bare.stop()
	guarded, err := startBenchServer(*bin, benchCaddyfile(true, *logLevel))
	if err != nil {
		return fmt.Errorf("starting the guarded server: %w", err)
	}
	defer guarded.stop()
	plain, limited, err := guarded.benchKeys()
	if err != nil {
		return err
	}
	// The same guard with the decision memo off: every request is an OPA
	// evaluation (with the rule cache), the policies' own cost.
	noMemo, err := startBenchServer(*bin, benchCaddyfile(true, *logLevel), "FACEGATE_DECISION_MEMO=off")
	if err != nil {
		return fmt.Errorf("starting the guarded server without memo: %w", err)
	}
	defer noMemo.stop()
	_, noMemoLimited, err := noMemo.benchKeys()
	if err != nil {
		return err
	}
	// The same guard with an operator's copy of the policies (policies_dir,
	// one comment added): the decision memo derived from the loaded policy
	// set serves it as it serves the embedded one.
	editedDir, err := editedPolicies()
	if err != nil {
		return err
	}
	defer os.RemoveAll(editedDir)
	edited, err := startBenchServer(*bin, strings.Replace(benchCaddyfile(true, *logLevel), "\t\tdata_dir {$BENCH_DIR}/data\n",
		"\t\tdata_dir {$BENCH_DIR}/data\n\t\tpolicies_dir "+editedDir+"\n", 1))
	if err != nil {
		return fmt.Errorf("starting the guarded server with edited policies: %w", err)
	}
	defer edited.stop()
	_, editedLimited, err := edited.benchKeys()
	if err != nil {
		return err
	}
	params := url.Values{"uids": {"someone@demo"}}
	type config struct {
		name string
		srv  *benchServer
		req  func(u string) (*http.Request, error)
	}
	// secretReq sends api_key + api_secret in the body (secret mode).
	secretReq := func(k [2]string) func(u string) (*http.Request, error) {
		body := []byte(url.Values{"api_key": {k[0]}, "api_secret": {k[1]}, "uids": params["uids"]}.Encode())
		return func(u string) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			if err == nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return r, err
		}
	}
	// signedReq signs every request afresh (new nonce, RFC 9421).
	signedReq := func(k [2]string) func(u string) (*http.Request, error) {
		body := []byte(params.Encode())
		return func(u string) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r, httpsig.SignRequest(r, body, k[0], []byte(k[1]), time.Now())
		}
	}
	// signedUniqueReq is signedReq with a different uid on every request
	// (same namespace): the decision memo, which keys on the namespaces the
	// uids name and not on the uids, still answers; with the memo off every
	// request is an OPA evaluation.
	var uidSeq atomic.Int64
	signedUniqueReq := func(k [2]string) func(u string) (*http.Request, error) {
		return func(u string) (*http.Request, error) {
			body := []byte(url.Values{"uids": {fmt.Sprintf("user%d@demo", uidSeq.Add(1))}}.Encode())
			r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r, httpsig.SignRequest(r, body, k[0], []byte(k[1]), time.Now())
		}
	}
	// secretForeignReq names a new namespace the key does not own on every
	// request (denied, 404): what a caller holding one valid key can make
	// the guard decide, with nothing the memo has seen by name.
	var nsSeq atomic.Int64
	secretForeignReq := func(k [2]string) func(u string) (*http.Request, error) {
		return func(u string) (*http.Request, error) {
			n := nsSeq.Add(1)
			body := []byte(url.Values{"api_key": {k[0]}, "api_secret": {k[1]}, "namespace": {fmt.Sprintf("ns%d", n)},
				"uids": {fmt.Sprintf("someone@ns%d", n)}}.Encode())
			r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			if err == nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return r, err
		}
	}
	configs := []config{
		{"bare respond (no guard), secret-style body", bare, secretReq(plain)},
		{"guard, secret mode, tier unlimited", guarded, secretReq(plain)},
		{"guard, secret mode, tier unlimited + 3 limit overrides", guarded, secretReq(limited)},
		{"bare respond (no guard), signed request", bare, signedReq(plain)},
		{"guard, signature mode, tier unlimited (+ response signature)", guarded, signedReq(plain)},
		{"guard, signature mode, tier unlimited + 3 limit overrides", guarded, signedReq(limited)},
		{"guard, signature mode, + 3 limit overrides, new uid every request", guarded, signedUniqueReq(limited)},
		{"guard, signature mode, + 3 limit overrides, new uid every request, decision memo off", noMemo, signedUniqueReq(noMemoLimited)},
		{"guard, edited policies, signature mode, + 3 limit overrides, new uid every request", edited, signedUniqueReq(editedLimited)},
		{"guard, secret mode, a new foreign namespace every request (all denied: non-200)", guarded, secretForeignReq(plain)},
	}
	fmt.Printf("guard overhead: %d workers (HTTP/1.1 keep-alive, TLS), %d rounds × %v per configuration, route tags/get, log level %s\n\n",
		*workers, *rounds, *dur, *logLevel)
	// Rounds run every configuration in turn, so that each guarded one is
	// measured close in time to its bare baseline; the table gives medians.
	type acc struct {
		rps, ratio []float64
		cpu        []float64 // per-second CPU/request samples of every round
		errors     int64
	}
	accs := make([]acc, len(configs))
	for round := range *rounds {
		var bareRPS float64
		for i, c := range configs {
			var prof chan error
			if *profile != "" && c.srv != bare && round == 0 {
				mode := strings.NewReplacer(" ", "", ",", "-", "(", "", ")", "", "+", "").Replace(strings.TrimPrefix(c.name, "guard, "))
				prof = make(chan error, 1)
				go func() { prof <- c.srv.cpuProfile(*dur, *profile+"-"+mode+".pprof") }()
			}
			res, err := runLoad(c.srv, c.req, *workers, *dur)
			if prof != nil {
				if perr := <-prof; perr != nil {
					fmt.Fprintln(os.Stderr, "cpu profile:", perr)
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if c.srv == bare {
				bareRPS = res.rps
			}
			a := &accs[i]
			a.rps = append(a.rps, res.rps)
			a.ratio = append(a.ratio, res.rps/bareRPS)
			a.cpu = append(a.cpu, res.cpuSamples...)
			a.errors += res.errors
		}
	}
	fmt.Println("| configuration | req/s (median) | vs bare (median; min–max of rounds) | server CPU µs/req p50 | guard CPU µs/req (p50 − bare p50) | non-200 |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	var bareCPU float64
	for i, c := range configs {
		a := accs[i]
		cpu := median(a.cpu)
		ratio, extra := "1.00", "—"
		if c.srv == bare {
			bareCPU = cpu
		} else {
			ratio = fmt.Sprintf("%.2f (%.2f–%.2f)", median(a.ratio), slices.Min(a.ratio), slices.Max(a.ratio))
			extra = fmt.Sprintf("%.0f", cpu-bareCPU)
		}
		fmt.Printf("| %s | %.0f | %s | %.0f | %s | %d |\n", c.name, median(a.rps), ratio, cpu, extra, a.errors)
	}
	return nil
}

// benchCaddyfile is a loopback HTTPS site answering /fc/* with "ok",
// with or without facegate_guard in front.
func benchCaddyfile(guard bool, logLevel string) string {
	app, handler := "", `respond /fc/* "ok" 200`
	if guard {
		app = "\tfacegate {\n\t\tdata_dir {$BENCH_DIR}/data\n\t}\n"
		handler = "handle /fc/* {\n\t\tfacegate_guard\n\t\trespond \"ok\" 200\n\t}\n\thandle /admin/* {\n\t\tfacegate_admin\n\t}"
	}
	return fmt.Sprintf(`{
	http_port {$BENCH_HTTP_PORT}
	https_port {$BENCH_HTTPS_PORT}
	skip_install_trust
	storage file_system {$BENCH_DIR}/caddy
	admin localhost:{$BENCH_ADMIN_PORT}
	log {
		level %s
	}
%s}

localhost {
	tls internal
	%s
}
`, logLevel, app, handler)
}

// editedPolicies writes the embedded policies and schemas to a temp dir
// with a comment added to routes.rego: an edited policy set that decides
// as the embedded one.
func editedPolicies() (string, error) {
	dir, err := os.MkdirTemp("", "facegate-bench-policies-")
	if err != nil {
		return "", err
	}
	routes := filepath.Join(dir, "facegate", "routes", "routes.rego")
	if err := os.CopyFS(dir, policies.EmbeddedFS()); err != nil {
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	f, err := os.OpenFile(routes, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("\n# edited for the guard bench\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	return dir, nil
}

// benchServer is one running facegate process.
type benchServer struct {
	dir       string
	port      int
	adminPort int
	cmd       *exec.Cmd
	client    *http.Client
	logs      *os.File
}

func benchPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startBenchServer runs bin with caddyfile in a temp dir and waits for HTTPS.
func startBenchServer(bin, caddyfile string, env ...string) (*benchServer, error) {
	dir, err := os.MkdirTemp("", "facegate-guard-bench-")
	if err != nil {
		return nil, err
	}
	s := &benchServer{dir: dir}
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = benchPort(); err != nil {
			return nil, err
		}
	}
	s.port, s.adminPort = ports[1], ports[2]
	cfg := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfg, []byte(caddyfile), 0o600); err != nil {
		return nil, err
	}
	if s.logs, err = os.Create(filepath.Join(dir, "server.log")); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "run", "--config", cfg, "--adapter", "caddyfile")
	s.cmd.Env = append(os.Environ(), "BENCH_DIR="+dir, "BENCH_HTTP_PORT="+strconv.Itoa(ports[0]),
		"BENCH_HTTPS_PORT="+strconv.Itoa(ports[1]), "BENCH_ADMIN_PORT="+strconv.Itoa(ports[2]),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "xdg-config"), "XDG_DATA_HOME="+filepath.Join(dir, "xdg-data"))
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "caddy", "pki", "authorities", "local", "root.crt")
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("server did not come up within 90 s (see its log in " + dir + ")")
		}
		pem, err := os.ReadFile(root)
		if err != nil {
			continue
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: "localhost"},
			TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1
			MaxIdleConnsPerHost: 256,
		}}
		resp, err := s.client.Get(s.url("/fc/account/authenticate"))
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
	}
}

func (s *benchServer) url(path string) string {
	return fmt.Sprintf("https://localhost:%d%s", s.port, path)
}

// cpuProfile saves a CPU profile of d (after the 1 s warm-up) from Caddy's
// admin endpoint.
func (s *benchServer) cpuProfile(d time.Duration, path string) error {
	time.Sleep(time.Second)
	resp, err := http.Get(fmt.Sprintf("http://localhost:%d/debug/pprof/profile?seconds=%d", s.adminPort, int(d/time.Second)-1))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: HTTP %d", resp.StatusCode)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = io.Copy(out, resp.Body)
	return err
}

// stop ends the process and removes its dir.
func (s *benchServer) stop() {
	s.end(15 * time.Second)
	_ = os.RemoveAll(s.dir)
}

// end ends the process (SIGINT, then SIGKILL of its group after grace) and
// closes its log; it keeps the dir, and a second call does nothing.
func (s *benchServer) end(grace time.Duration) {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(grace):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if s.logs != nil {
		s.logs.Close()
	}
}

// benchKeys creates two keys of owner demo on the bootstrap namespace demo,
// tier unlimited, with both auth modes, through the admin API with the
// bootstrap administrator: plain (no limit is charged) and limited (very
// high per-key overrides of concurrency, rate and quota, so that the
// limiter runs on every request but never refuses).
func (s *benchServer) benchKeys() (plain, limited [2]string, err error) {
	raw, err := os.ReadFile(filepath.Join(s.dir, "data", "initial-credentials.json"))
	if err != nil {
		return plain, limited, err
	}
	var creds struct {
		AdminToken   string `json:"admin_token"`
		AdminTOTPURI string `json:"admin_totp_uri"`
	}
	if err := json.Unmarshal(raw, &creds); err != nil {
		return plain, limited, err
	}
	otpKey, err := otp.NewKeyFromURL(creds.AdminTOTPURI)
	if err != nil {
		return plain, limited, err
	}
	// Codes are single-use per 30 s step; the steps now and next are both
	// accepted, one for each key.
	step := time.Now().Unix() / 30
	create := func(limits map[string]any, step int64) ([2]string, error) {
		code, err := totp.GenerateCodeCustom(otpKey.Secret(), time.Unix(step*30, 0),
			totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return [2]string{}, err
		}
		b, _ := json.Marshal(map[string]any{"owner": "demo", "namespaces": []string{"demo"}, "scopes": []string{"*"},
			"tier": "unlimited", "auth_modes": []string{"secret", "signature"}, "limits": limits})
		req, _ := http.NewRequest(http.MethodPost, s.url("/admin/keys"), bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+creds.AdminToken)
		req.Header.Set("X-TOTP-Code", code)
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.client.Do(req)
		if err != nil {
			return [2]string{}, err
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return [2]string{}, fmt.Errorf("creating a key: HTTP %d %s", resp.StatusCode, out)
		}
		var k struct {
			APIKey    string `json:"api_key"`
			APISecret string `json:"api_secret"`
		}
		if err := json.Unmarshal(out, &k); err != nil {
			return [2]string{}, err
		}
		return [2]string{k.APIKey, k.APISecret}, nil
	}
	if plain, err = create(nil, step+1); err != nil {
		return plain, limited, err
	}
	huge := 1_000_000_000
	limited, err = create(map[string]any{
		"concurrency": map[string]any{"kind": "concurrency", "count": 10_000},
		"key-rate":    map[string]any{"kind": "rate", "rate": huge, "per_s": 1, "burst": huge},
		"quota":       map[string]any{"kind": "quota", "count": huge, "per_s": 3600},
	}, step)
	return plain, limited, err
}

// loadResult is one configuration's measurement.
type loadResult struct {
	rps        float64
	cpuSamples []float64 // server CPU µs per request, one per 1 s interval
	errors     int64
}

// median of xs (0 for none); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// runLoad drives s with workers keep-alive connections for a 1 s warm-up
// and then d, sampling the server's CPU time every second.
func runLoad(s *benchServer, mk func(u string) (*http.Request, error), workers int, d time.Duration) (loadResult, error) {
	var done, bad atomic.Int64
	var firstErr atomic.Value
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	u := s.url("/fc/tags/get")
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, err := mk(u)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				resp, err := s.client.Do(req.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
						bad.Add(1)
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Equal(body, []byte("ok")) {
					if bad.Add(1) == 1 {
						firstErr.CompareAndSwap(nil, fmt.Errorf("HTTP %d %.200s", resp.StatusCode, body))
					}
				}
				done.Add(1)
			}
		}()
	}
	time.Sleep(time.Second) // warm-up
	startN, startCPU, startT := done.Load(), procCPU(s.cmd.Process.Pid), time.Now()
	badStart := bad.Load()
	var perReq []float64
	prevN, prevCPU := startN, startCPU
	for t := time.Second; t <= d; t += time.Second {
		time.Sleep(time.Until(startT.Add(t)))
		n, cpu := done.Load(), procCPU(s.cmd.Process.Pid)
		if n > prevN {
			perReq = append(perReq, float64(cpu-prevCPU)/float64(n-prevN)/1e3)
		}
		prevN, prevCPU = n, cpu
	}
	elapsed := time.Since(startT)
	total := done.Load() - startN
	cancel()
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok && total == 0 {
		return loadResult{}, e
	}
	if e, ok := firstErr.Load().(error); ok {
		fmt.Fprintf(os.Stderr, "first error: %v\n", e)
	}
	return loadResult{rps: float64(total) / elapsed.Seconds(), cpuSamples: perReq, errors: bad.Load() - badStart}, nil
}

// procCPU is the process's user+system CPU time in nanoseconds, from
// /proc/<pid>/stat (clock ticks of 10 ms).
func procCPU(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return (ut + st) * int64(10*time.Millisecond)
}
