// Command assess attacks a running facegate instance from outside, as an
// adversary would, and writes a dated Markdown + JSON report of every case
// (class, what was sent, what a secure gateway must answer, what it
// answered, the verdict) with the versions of facegate, Caddy, OPA and Go.
//
//	go run ./tests/assess --url https://localhost:8443 [--http-url http://localhost:8080]
//	    [--ca data/caddy/pki/authorities/local/root.crt] [--credentials data/initial-credentials.json]
//	    [--out docs/assessment] [--bin bin/facegate] [--pid <instance pid>] [--quick]
//	    [--cases pixels,auth,...] [--budget 10m] [-v]
//
// With --pid it also reads the instance's resident memory during the abuse
// runs and checks at the end that the process is alive; --quick skips
// testssl.sh and those runs and replays at most 8 entries of each corpus.
//
// It uses the instance's initial credentials (admin token and TOTP secret)
// to create owners, namespaces and keys through the admin API, then runs
// the cases: authentication bypass, signature tampering, the namespace
// isolation matrix, lockout abuse, unauthenticated bodies, limits, SSRF,
// plain HTTP, admin API, headers and leaks, testssl.sh when installed, and
// a replay of the committed fuzz corpora. It exits 1 when a case fails, 2
// when the run could not start. Only loopback targets are accepted, and
// every loop is bounded in count and time.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// options are the command line.
type options struct {
	url, httpURL, ca, credentials, out, bin, faces, repo, groups string
	quick, verbose, latest                                       bool
	fuzzMax                                                      int
	budget                                                       time.Duration
	pid                                                          int
}

// initialCredentials is the instance's initial-credentials.json.
type initialCredentials struct {
	APIKey       string `json:"api_key"`
	APISecret    string `json:"api_secret"`
	AdminToken   string `json:"admin_token"`
	AdminTOTPURI string `json:"admin_totp_uri"`
}

func main() {
	opt := parseFlags()
	rep, err := run(opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "assess:", err)
		os.Exit(2)
	}
	if rep.Failed() {
		os.Exit(1)
	}
}

// envOr is the environment variable's value, or def.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags() options {
	var o options
	dataDir := envOr("FACEGATE_DATA_DIR", "./data")
	o.repo = repoRoot()
	flag.StringVar(&o.url, "url", "https://localhost:"+envOr("FACEGATE_HTTPS_PORT", "8443"), "HTTPS base URL of the instance (loopback only)")
	flag.StringVar(&o.httpURL, "http-url", "http://localhost:"+envOr("FACEGATE_HTTP_PORT", "8080"), `its plain HTTP base URL ("off" skips the plain HTTP cases)`)
	flag.StringVar(&o.ca, "ca", filepath.Join(dataDir, "caddy", "pki", "authorities", "local", "root.crt"), "CA certificate of the instance")
	flag.StringVar(&o.credentials, "credentials", filepath.Join(dataDir, "initial-credentials.json"), "the instance's initial credentials file")
	flag.StringVar(&o.out, "out", filepath.Join(o.repo, "docs", "assessment"), "folder of the reports")
	flag.StringVar(&o.bin, "bin", "", "the instance's binary, for its `version` output (default: git describe and go.mod)")
	flag.StringVar(&o.faces, "faces", filepath.Join(o.repo, "..", "shared", "data", "faces"), "folder of the face photos (read only)")
	flag.StringVar(&o.groups, "cases", "", "run only these groups of cases (comma-separated: pixels, auth, signature, admin, isolation, lockout, body, limits, ssrf, transport, host, fuzz, testssl, final)")
	flag.BoolVar(&o.quick, "quick", false, "skip testssl.sh and replay at most 8 entries of each fuzz corpus")
	flag.BoolVar(&o.verbose, "v", false, "print every case as it runs")
	flag.BoolVar(&o.latest, "latest", true, "also write latest.md and latest.json")
	flag.IntVar(&o.fuzzMax, "fuzz-max", 64, "entries replayed per fuzz corpus at most")
	flag.DurationVar(&o.budget, "budget", 10*time.Minute, "time budget of the run; later cases are skipped")
	flag.IntVar(&o.pid, "pid", 0, "process id of the instance, to check it is still alive at the end")
	flag.Parse()
	if o.quick && o.fuzzMax > 8 {
		o.fuzzMax = 8
	}
	return o
}

// repoRoot is the nearest folder up from the working directory with a
// go.mod (the facegate repository when run by make or go run).
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// run sets the assessment up, runs every group of cases and writes the
// report.
func run(opt options) (*Report, error) {
	start := time.Now()
	t, err := newTarget(opt.url, opt.ca)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(opt.credentials)
	if err != nil {
		return nil, fmt.Errorf("reading credentials: %w", err)
	}
	var cr initialCredentials
	if err := json.Unmarshal(raw, &cr); err != nil || cr.AdminToken == "" || cr.AdminTOTPURI == "" {
		return nil, fmt.Errorf("credentials file %s has no admin_token and admin_totp_uri", opt.credentials)
	}
	a := &assessor{t: t, opt: opt, red: newRedactor(), counter: map[string]int{}, deadline: start.Add(opt.budget),
		sfx: fmt.Sprintf("%06x", rand.IntN(1<<24))}
	a.red.add(cr.APISecret, "initial api_secret")
	a.initial = key{ID: cr.APIKey, Secret: cr.APISecret}
	a.adm = newAdminPool(a, cr.AdminToken, cr.AdminTOTPURI)
	if err := a.loadPhotos(); err != nil {
		return nil, err
	}
	if r := a.do(t.client(t.nextSource()), a.form("account/authenticate", nil)); r.Err != nil {
		return nil, fmt.Errorf("the instance does not answer at %s: %v", opt.url, r.Err)
	}
	if a.k0, err = a.adm.ownerKey(a.ns("assess"), a.ns("assess-main")); err != nil {
		return nil, fmt.Errorf("setting up through the admin API: %w", err)
	}

	groups := []struct {
		name string
		run  func()
	}{
		// pixels first: its RSS bound is measured on a process whose heap the
		// other cases have not grown yet, as in the runs of issue 11.
		{"pixels", a.pixelCases}, {"auth", a.authCases}, {"signature", a.signatureCases}, {"admin", a.adminCases},
		{"isolation", a.isolationCases}, {"lockout", a.lockoutCases}, {"body", a.bodyCases},
		{"limits", a.limitCases}, {"ssrf", a.ssrfCases},
		{"transport", a.transportCases}, {"host", a.hostCases}, {"fuzz", a.fuzzReplay}, {"testssl", a.testssl}, {"final", a.finalCases},
	}
	only := map[string]bool{}
	for _, g := range strings.Split(opt.groups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			only[g] = true
		}
	}
	for _, g := range groups {
		if len(only) == 0 || only[g.name] {
			g.run()
		}
	}

	rep := &Report{Date: now(), Target: opt.url, Versions: versionsOf(opt.bin, opt.repo), Cases: a.cases}
	rep.Options = strings.Join(os.Args[1:], " ")
	rep.Seconds = time.Since(start).Round(time.Second).Seconds()
	rep.summarize()
	files, err := rep.write(opt.out, opt.latest, a.red)
	if err != nil {
		return nil, err
	}
	fmt.Printf("assessment of %s: %d pass, %d fail, %d skip in %.0f s\n", opt.url, rep.Summary[Pass], rep.Summary[Fail], rep.Summary[Skip], rep.Seconds)
	for _, c := range rep.Cases {
		if c.Verdict == Fail {
			fmt.Printf("FAIL %s %s: expected %s; observed %s\n", c.ID, c.Title, c.Expected, c.Observed)
		}
	}
	fmt.Println("report:", strings.Join(files, " "))
	return rep, nil
}

// loadPhotos reads the real photos the cases upload.
func (a *assessor) loadPhotos() error {
	read := func(rel string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(a.opt.faces, rel))
		if err != nil {
			return nil, fmt.Errorf("reading a face photo (--faces): %w", err)
		}
		return b, nil
	}
	var err error
	if a.photo, err = read("recognition/lfw/images/Aaron_Sorkin/Aaron_Sorkin_0001.jpg"); err != nil {
		return err
	}
	if a.photo2, err = read("recognition/lfw/images/Aaron_Sorkin/Aaron_Sorkin_0002.jpg"); err != nil {
		return err
	}
	if a.big, err = read("detection/images/2008_002079.jpg"); err != nil {
		return err
	}
	if len(a.big) <= 64<<10 {
		return fmt.Errorf("detection/images/2008_002079.jpg must be over 64 KiB")
	}
	return nil
}
