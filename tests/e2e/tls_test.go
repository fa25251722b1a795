package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTLSMatrix checks the transport profile of docs/security.md §3 with Go's
// TLS client: TLS 1.0 and 1.1 refused, TLS 1.2 only with ECDHE AEAD
// suites, TLS 1.3 accepted.
func TestTLSMatrix(t *testing.T) {
	s := startServer(t, t.TempDir())
	addr := fmt.Sprintf("127.0.0.1:%d", s.httpsPort)
	gcm := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}
	for _, tc := range []struct {
		name     string
		min, max uint16
		suites   []uint16
		ok       bool
	}{
		{"TLS 1.0", tls.VersionTLS10, tls.VersionTLS10, nil, false},
		{"TLS 1.1", tls.VersionTLS11, tls.VersionTLS11, nil, false},
		{"TLS 1.2 ECDHE CBC", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}, false},
		{"TLS 1.2 RSA key exchange", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA}, false},
		{"TLS 1.2 3DES and RC4", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA}, false},
		{"TLS 1.2 ECDHE AES-GCM", tls.VersionTLS12, tls.VersionTLS12, gcm, true},
		{"TLS 1.2 ECDHE ChaCha20-Poly1305", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}, true},
		{"TLS 1.3", tls.VersionTLS13, tls.VersionTLS13, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := secHandshake(addr, tc.min, tc.max, tc.suites)
			if tc.ok && err != nil {
				t.Errorf("handshake refused: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("handshake succeeded")
			}
		})
	}
	t.Run("TLS 1.2 default offer negotiates an AEAD suite", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		name := tls.CipherSuiteName(conn.ConnectionState().CipherSuite)
		if !strings.Contains(name, "ECDHE") || !(strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")) {
			t.Errorf("negotiated %s", name)
		}
	})
}

// TestTestssl grades the running binary with Debian's testssl.sh (loopback
// only, bounded in time) and fails on any HIGH or CRITICAL finding.
func TestTestssl(t *testing.T) {
	bin, err := exec.LookPath("testssl")
	if err != nil {
		if bin, err = exec.LookPath("testssl.sh"); err != nil {
			t.Skip("testssl is not installed (apt-get install testssl.sh): skipping the TLS grading")
		}
	}
	s := startServer(t, t.TempDir())
	out := filepath.Join(t.TempDir(), "testssl.json")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--quiet", "--color", "0", "--warnings", "off", "--sneaky",
		"--severity", "HIGH", "--jsonfile", out, "--ip", "127.0.0.1", "--add-ca", s.rootCA(),
		"--connect-timeout", "5", "--openssl-timeout", "5",
		"--protocols", "--standard", "--fs", "--server-defaults", "--headers", "--vulnerable",
		fmt.Sprintf("https://localhost:%d", s.httpsPort))
	cmd.Env = append(os.Environ(), "TERM=dumb")
	start := time.Now()
	text, err := cmd.CombinedOutput()
	t.Logf("testssl ran %v", time.Since(start).Round(time.Second))
	if ctx.Err() != nil {
		t.Fatalf("testssl did not finish within 150 s:\n%s", secTail(text, 3000))
	}
	// testssl's exit status counts findings; the JSON file is what counts here.
	raw, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatalf("testssl wrote no JSON (%v, exit %v):\n%s", rerr, err, secTail(text, 3000))
	}
	var findings []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Finding  string `json:"finding"`
	}
	if err := json.Unmarshal(raw, &findings); err != nil {
		t.Fatalf("testssl JSON: %v", err)
	}
	// Caddy's internal CA (tls internal, the local-dev config) issues
	// 12-hour leaf certificates without CRL or OCSP URIs: short-lived by
	// design instead of revocable. testssl grades those certificate facts
	// HIGH; they say nothing about the TLS configuration, and ACME
	// certificates in production do not have them. Only these three ids
	// are exempt, and only for a certificate of that CA.
	internalCA := secIssuer(t, fmt.Sprintf("127.0.0.1:%d", s.httpsPort))
	exempt := map[string]bool{}
	if strings.Contains(internalCA, "Caddy Local Authority") {
		exempt = map[string]bool{"cert_expirationStatus": true, "cert_notAfter": true, "cert_revocation": true}
	}
	bad := 0
	for _, f := range findings {
		if exempt[f.ID] {
			t.Logf("testssl %s finding %s (internal CA, exempt): %s", f.Severity, f.ID, f.Finding)
			continue
		}
		if slices.Contains([]string{"HIGH", "CRITICAL"}, f.Severity) {
			bad++
			t.Errorf("testssl %s finding %s: %s", f.Severity, f.ID, f.Finding)
		}
		if f.Severity == "FATAL" || f.ID == "scanProblem" {
			t.Errorf("testssl could not scan: %s %s", f.ID, f.Finding)
		}
	}
	t.Logf("testssl: %d findings at HIGH or above, %d reported entries", bad, len(findings))
	secCheckTestsslRan(t, string(text))
}

// secCheckTestsslRan fails when testssl's output shows it never reached the
// server (a scan that ran nothing would report no findings).
func secCheckTestsslRan(t *testing.T, text string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	var tls12 bool
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "TLS 1.2") && strings.Contains(line, "offered") {
			tls12 = true
		}
	}
	if !tls12 {
		t.Errorf("testssl output does not show TLS 1.2 offered; did it reach the server?\n%s", secTail([]byte(text), 3000))
	}
}

// secIssuer is the issuer of the server certificate at addr.
func secIssuer(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Issuer.String()
}

// secTail is the end of b, at most n bytes.
func secTail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
