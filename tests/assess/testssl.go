package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// testsslFinding is one entry of testssl.sh's JSON output.
type testsslFinding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Finding  string `json:"finding"`
}

// testssl grades the TLS configuration with Debian's testssl.sh when it
// is installed (API8): no HIGH or CRITICAL finding. testssl 3.0.8 has no
// letter grade, so the count of findings per severity is the grade
// recorded. Certificate facts of Caddy's internal CA (12-hour leaves
// without CRL or OCSP, short-lived by design) are reported, not counted.
func (a *assessor) testssl() {
	const sent = "testssl --protocols --standard --fs --server-defaults --headers --vulnerable (loopback, 150 s at most)"
	const expected = "no HIGH or CRITICAL finding; TLS 1.2 offered"
	if a.opt.quick {
		a.skip(API8, "testssl.sh grade", sent, expected, "--quick: testssl takes about a minute")
		return
	}
	bin, err := exec.LookPath("testssl")
	if err != nil {
		if bin, err = exec.LookPath("testssl.sh"); err != nil {
			a.skip(API8, "testssl.sh grade", sent, expected, "testssl is not installed (apt-get install testssl.sh)")
			return
		}
	}
	a.add(API8, "testssl.sh grade", sent, expected, func() (string, string) {
		dir, err := os.MkdirTemp("", "assess-testssl-")
		if err != nil {
			return err.Error(), Fail
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "testssl.json")
		ip, port, _ := net.SplitHostPort(a.t.dialTo)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
		defer cancel()
		args := []string{"--quiet", "--color", "0", "--warnings", "off", "--sneaky",
			"--jsonfile", out, "--ip", ip, "--connect-timeout", "5", "--openssl-timeout", "5",
			"--protocols", "--standard", "--fs", "--server-defaults", "--headers", "--vulnerable"}
		if a.opt.ca != "" {
			args = append(args, "--add-ca", a.opt.ca)
		}
		cmd := exec.CommandContext(ctx, bin, append(args, "https://"+net.JoinHostPort(a.t.host, port))...)
		cmd.Env = append(os.Environ(), "TERM=dumb")
		text, _ := cmd.CombinedOutput()
		if ctx.Err() != nil {
			return "testssl did not finish within 150 s", Fail
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			return fmt.Sprintf("testssl wrote no JSON: %v; %s", err, tail(string(text), 300)), Fail
		}
		var findings []testsslFinding
		if err := json.Unmarshal(raw, &findings); err != nil {
			return "testssl JSON: " + err.Error(), Fail
		}
		exempt := map[string]bool{}
		if strings.Contains(a.issuer(), "Caddy Local Authority") {
			exempt = map[string]bool{"cert_expirationStatus": true, "cert_notAfter": true, "cert_revocation": true}
		}
		count := map[string]int{}
		var bad, notes []string
		tls12 := false
		for _, f := range findings {
			count[f.Severity]++
			if f.ID == "TLS1_2" && strings.HasPrefix(f.Finding, "offered") {
				tls12 = true
			}
			if slices.Contains([]string{"HIGH", "CRITICAL"}, f.Severity) || f.Severity == "FATAL" || f.ID == "scanProblem" {
				if exempt[f.ID] {
					notes = append(notes, f.ID+" ("+f.Severity+", internal CA)")
					continue
				}
				bad = append(bad, fmt.Sprintf("%s %s: %s", f.Severity, f.ID, f.Finding))
			}
		}
		obs := fmt.Sprintf("severities %v; TLS 1.2 offered: %v", count, tls12)
		if len(notes) > 0 {
			obs += "; not counted: " + strings.Join(notes, ", ")
		}
		if len(bad) > 0 {
			obs += "; findings: " + strings.Join(bad, "; ")
		}
		return obs, verdict(len(bad) == 0 && tls12)
	})
}

// issuer is the common name of the target certificate's issuer.
func (a *assessor) issuer() string {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp4", a.t.dialTo,
		&tls.Config{ServerName: a.t.host, RootCAs: a.t.pool})
	if err != nil {
		return ""
	}
	defer conn.Close()
	if certs := conn.ConnectionState().PeerCertificates; len(certs) > 0 {
		return certs[0].Issuer.CommonName
	}
	return ""
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
