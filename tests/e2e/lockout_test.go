package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLockoutCannotBeTurnedAgainstTheHolder is the regression test of the
// assessment's finding that anyone who knows a key id could lock its holder
// out: wrong secrets and replayed signed requests from several addresses
// must not refuse the holder's right secret or fresh signatures from an
// address that has not failed; they only slow down the failing requests,
// which the audit log and the metrics report.
func TestLockoutCannotBeTurnedAgainstTheHolder(t *testing.T) {
	s := secStartConfig(t, t.TempDir(), func(*server) string { return secCaddyfile("") })
	adm := newSecAdmin(t, s)
	key, secret := adm.secOwner("alice", "alicens")
	holder := secClient(t, s)

	captured, body := secSignedForm(t, s, "account/authenticate", key, secret, url.Values{"x": {"1"}})
	if r := secDo(t, holder, secResend(captured, body)); !r.ok() {
		t.Fatalf("the holder's first signed request: %s", r)
	}
	holderWorks := func(when string) {
		t.Helper()
		if r := secCall(t, holder, s, "account/authenticate", key, secret, nil); !r.ok() {
			t.Fatalf("%s: the holder's right secret is refused: %s", when, r)
		}
		req, b := secSignedForm(t, s, "account/authenticate", key, secret, url.Values{"n": {strconv.FormatInt(time.Now().UnixNano(), 10)}})
		if r := secDo(t, holder, secResend(req, b)); !r.ok() {
			t.Fatalf("%s: the holder's fresh signature is refused: %s", when, r)
		}
	}

	// Four addresses fail on the key: wrong secrets and replays of the
	// captured request, 12 failures in all (the allowance is 10 a minute).
	var failures, slowest time.Duration
	n := 0
	for a := 0; a < 4; a++ {
		attacker := secClient(t, s)
		for i := 0; i < 3; i++ {
			var req *http.Request
			if i == 2 {
				req = secResend(captured, body)
			} else {
				req = secForm(s, "account/authenticate", url.Values{"api_key": {key}, "api_secret": {"guess" + strconv.Itoa(n)}})
			}
			start := time.Now()
			r := secDo(t, attacker, req)
			took := time.Since(start)
			n++
			if r.Status != http.StatusUnauthorized || r.code() != 204 {
				t.Fatalf("failure %d from attacker %d: %s, want 401 error 204", n, a, r)
			}
			if n > 10 {
				slowest = max(slowest, took)
			} else {
				failures += took
			}
		}
		holderWorks("after attacker " + strconv.Itoa(a))
	}
	// Failures past the allowance wait (250 ms, then 500 ms); lower bounds
	// only, the machine may be slower but never faster than the delay.
	if slowest < 400*time.Millisecond {
		t.Errorf("failures past the allowance are not delayed: slowest %v (the first ten took %v in all)", slowest, failures)
	}
	holderWorks("after all attackers")

	t.Run("audit log reports the key", func(t *testing.T) {
		r := adm.do(http.MethodGet, "/audit?limit=1000", nil)
		var out struct {
			Entries []struct {
				Action, Target, Detail string
			} `json:"entries"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("audit: %s", r)
		}
		found := 0
		for _, e := range out.Entries {
			if e.Action == "key.auth_failures" && e.Target == key {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%d key.auth_failures entries for the key, want 1: %s", found, r.Body)
		}
		secNoSecrets(t, "audit log", r.Body, secret)
	})
	t.Run("metrics count failures and delays", func(t *testing.T) {
		resp, err := http.Get("http://" + s.adminAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		text, _ := io.ReadAll(resp.Body)
		// The readiness probe of the harness fails too (no credentials).
		if v := metricValue(string(text), "facegate_guard_failed_authentications_total"); v < 12 {
			t.Errorf("failed_authentications_total = %v, want at least 12", v)
		}
		if v := metricValue(string(text), `facegate_guard_auth_lockouts_total{kind="key_delay"}`); v != 2 {
			t.Errorf(`auth_lockouts_total{kind="key_delay"} = %v, want 2`, v)
		}
		if strings.Contains(string(text), key) {
			t.Error("a key id appears in the metrics")
		}
	})
}

// metricValue is the value of a series in a Prometheus text exposition
// (name with its labels as exposed), or -1 when it is absent.
func metricValue(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f
			}
		}
	}
	return -1
}
