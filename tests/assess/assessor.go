package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// assessor runs the cases against one target and collects them.
type assessor struct {
	t        *target
	opt      options
	red      *redactor
	adm      *adminPool
	initial  key    // the instance's initial API key (free tier)
	k0       key    // an unlimited key of the assessment's own
	sfx      string // makes this run's owners and namespaces unique
	photo    []byte
	photo2   []byte
	big      []byte // a real photo over the 64 KiB unauthenticated allowance
	deadline time.Time

	mu      sync.Mutex
	cases   []Case
	counter map[string]int
	scanned int
	leaks   []string
}

// Classes: the OWASP API Security Top 10 (2023) categories the cases
// belong to, and the fuzz corpus replay.
const (
	API1 = "API1:2023 Broken Object Level Authorization"
	API2 = "API2:2023 Broken Authentication"
	API3 = "API3:2023 Broken Object Property Level Authorization"
	API4 = "API4:2023 Unrestricted Resource Consumption"
	API5 = "API5:2023 Broken Function Level Authorization"
	API6 = "API6:2023 Unrestricted Access to Sensitive Business Flows"
	API7 = "API7:2023 Server Side Request Forgery"
	API8 = "API8:2023 Security Misconfiguration"
	API9 = "API9:2023 Improper Inventory Management"
	FUZZ = "Fuzz corpus replay"
)

// add runs one case: fn returns what was observed and the verdict. A
// panic in fn is a failed case, and a case past the time budget is
// skipped without being sent.
func (a *assessor) add(class, title, sent, expected string, fn func() (string, string)) {
	start := time.Now()
	c := Case{ID: a.nextID(class), Class: class, Title: title, Sent: sent, Expected: expected}
	if time.Now().After(a.deadline) {
		c.Observed, c.Verdict = "not sent: the run's time budget is spent", Skip
	} else {
		func() {
			defer func() {
				if p := recover(); p != nil {
					c.Observed, c.Verdict = fmt.Sprintf("assessment error: %v", p), Fail
				}
			}()
			c.Observed, c.Verdict = fn()
		}()
	}
	c.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
	c.Sent, c.Observed = a.red.clean(c.Sent), a.red.clean(c.Observed)
	a.mu.Lock()
	a.cases = append(a.cases, c)
	a.mu.Unlock()
	if a.opt.verbose {
		fmt.Printf("%-4s %-9s %s: %s\n", c.Verdict, c.ID, c.Title, c.Observed)
	}
}

// skip records a case that could not be run, with the reason.
func (a *assessor) skip(class, title, sent, expected, reason string) {
	a.add(class, title, sent, expected, func() (string, string) { return reason, Skip })
}

// nextID numbers the cases of a class: API2-007.
func (a *assessor) nextID(class string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	short, _, _ := strings.Cut(class, ":")
	if class == FUZZ {
		short = "FUZZ"
	}
	a.counter[short]++
	return fmt.Sprintf("%s-%03d", short, a.counter[short])
}

// ns is a name of this run: a repeated run against the same instance
// creates namespaces of its own.
func (a *assessor) ns(name string) string { return name + "-" + a.sfx }

// verdict is Pass when ok, else Fail.
func verdict(ok bool) string {
	if ok {
		return Pass
	}
	return Fail
}

// secretExpected marks a request whose answer legitimately carries a
// secret (an admin call that creates a key or an administrator).
type secretExpected struct{}

// expectSecret marks req as one whose answer may show a new secret.
func expectSecret(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), secretExpected{}, true))
}

// scan checks an answer for any secret the run knows (API3): answers
// never carry a secret, except the one-time answer of a creation.
func (a *assessor) scan(req *http.Request, r *resp) {
	if req.Context().Value(secretExpected{}) != nil && r.Status < 300 {
		return
	}
	var hdr strings.Builder
	for k, vs := range r.Header {
		hdr.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	leak := a.red.find(string(r.Body) + hdr.String())
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scanned++
	if leak != "" && len(a.leaks) < 20 {
		a.leaks = append(a.leaks, fmt.Sprintf("%s %s: HTTP %d carries %s", req.Method, req.URL.Path, r.Status, leak))
	}
}

// redactor knows every secret of the run and what to print instead.
type redactor struct {
	mu      sync.Mutex
	secrets map[string]string // secret -> label
}

func newRedactor() *redactor { return &redactor{secrets: map[string]string{}} }

// add registers a secret (and its URL-escaped form) under a label.
func (r *redactor) add(secret, label string) {
	if len(secret) < 8 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[secret] = "<" + label + ">"
	if q := url.QueryEscape(secret); q != secret {
		r.secrets[q] = "<" + label + ">"
	}
}

// ordered lists the secrets longest first (a secret may contain another).
func (r *redactor) ordered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.secrets))
	for s := range r.secrets {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// clean replaces every known secret in s by its label.
func (r *redactor) clean(s string) string {
	for _, sec := range r.ordered() {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, r.label(sec))
		}
	}
	return s
}

func (r *redactor) label(sec string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.secrets[sec]
}

// find returns the label of a secret found in s, or "".
func (r *redactor) find(s string) string {
	for _, sec := range r.ordered() {
		if strings.Contains(s, sec) {
			return r.label(sec)
		}
	}
	return ""
}

// cleanErr is err with every secret redacted (a transport error names the
// URL, whose query may carry one).
func (r *redactor) cleanErr(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(r.clean(err.Error()))
}
