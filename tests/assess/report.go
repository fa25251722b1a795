package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Verdicts of a case.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// Case is one attack and what came of it.
type Case struct {
	ID       string  `json:"id"`
	Class    string  `json:"class"`
	Title    string  `json:"title"`
	Sent     string  `json:"sent"`
	Expected string  `json:"expected"`
	Observed string  `json:"observed"`
	Verdict  string  `json:"verdict"`
	Seconds  float64 `json:"seconds"`
}

// Versions are the versions of what was assessed and of the assessor.
type Versions struct {
	Facegate string `json:"facegate"`
	Caddy    string `json:"caddy"`
	OPA      string `json:"opa"`
	Go       string `json:"go"`
	Source   string `json:"source"` // where the versions were read
}

// Report is the whole assessment, written as JSON and Markdown.
type Report struct {
	Date     string         `json:"date"`
	Target   string         `json:"target"`
	Options  string         `json:"options"`
	Versions Versions       `json:"versions"`
	Summary  map[string]int `json:"summary"`
	Seconds  float64        `json:"seconds"`
	Cases    []Case         `json:"cases"`
}

// Failed reports whether any case failed.
func (r *Report) Failed() bool { return r.Summary[Fail] > 0 }

// summarize counts the verdicts.
func (r *Report) summarize() {
	r.Summary = map[string]int{Pass: 0, Fail: 0, Skip: 0}
	for _, c := range r.Cases {
		r.Summary[c.Verdict]++
	}
}

// versionsOf reads the versions of the instance's binary when one is
// given: its `version` output, and for a (devel) build the commit Go
// stamped into it (vcs.revision, "-modified" for a dirty tree). Without
// a binary, or when the binary carries no commit, facegate's version is
// git describe of the source tree, and Caddy's, OPA's and Go's come from
// the assessor's own module graph, which is the same go.mod.
func versionsOf(bin, repo string) Versions {
	v := Versions{Facegate: gitDescribe(repo), Go: runtime.Version(), Source: "git describe and the module graph of the assessor"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Caddy, v.OPA = depVersions(bi)
	}
	if bin == "" {
		return v
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return v
	}
	v.Source = "`" + filepath.Base(bin) + " version`"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch name, val := f[0], f[1]; name { // Caddy's module hash and Go's platform dropped
		case "facegate":
			v.Facegate = val
		case "Caddy":
			v.Caddy = val
		case "OPA":
			v.OPA = val
		case "Go":
			v.Go = val
		}
	}
	if v.Facegate == "(devel)" || v.Facegate == "" {
		v.Facegate = "(devel), source tree " + gitDescribe(repo) + " (no commit stamped in the binary)"
		if bi, err := buildinfo.ReadFile(bin); err == nil {
			rev, modified := "", false
			for _, st := range bi.Settings {
				switch st.Key {
				case "vcs.revision":
					rev = st.Value
				case "vcs.modified":
					modified = st.Value == "true"
				}
			}
			if rev != "" {
				v.Facegate = "(devel) built from commit " + rev[:min(12, len(rev))]
				if modified {
					v.Facegate += " with local changes"
				}
			}
		}
	}
	return v
}

// depVersions are the Caddy and OPA module versions of a build.
func depVersions(bi *debug.BuildInfo) (caddy, opa string) {
	for _, m := range bi.Deps {
		switch m.Path {
		case "github.com/caddyserver/caddy/v2":
			caddy = m.Version
		case "github.com/open-policy-agent/opa":
			opa = m.Version
		}
	}
	return caddy, opa
}

// gitDescribe is `git describe --always --dirty` of repo, or "unknown".
func gitDescribe(repo string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty", "--tags")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// write stores the report as <dir>/assessment-<date>.{json,md} and, with
// latest, as latest.{json,md} too. Every secret the run knows is
// redacted first, and the written text is checked for them again.
func (r *Report) write(dir string, latest bool, red *redactor) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating report dir: %w", err)
	}
	for i := range r.Cases {
		c := &r.Cases[i]
		c.Sent, c.Expected, c.Observed, c.Title = red.clean(c.Sent), red.clean(c.Expected), red.clean(c.Observed), red.clean(c.Title)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	md := r.markdown()
	if leak := red.find(string(js) + md); leak != "" {
		return nil, fmt.Errorf("report would contain a secret (%s): not written", leak)
	}
	stamp := strings.ReplaceAll(r.Date[:19], ":", "")
	names := []string{"assessment-" + stamp}
	if latest {
		names = append(names, "latest")
	}
	var written []string
	for _, n := range names {
		for ext, data := range map[string][]byte{".json": append(js, '\n'), ".md": []byte(md)} {
			p := filepath.Join(dir, n+ext)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return written, fmt.Errorf("writing report: %w", err)
			}
			written = append(written, p)
		}
	}
	return written, nil
}

// markdown renders the report: header, versions, a count per class and
// every case.
func (r *Report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# facegate security assessment\n\n")
	fmt.Fprintf(&b, "- Date: %s\n- Target: `%s`\n- Options: `%s`\n- Duration: %.0f s\n", r.Date, r.Target, r.Options, r.Seconds)
	fmt.Fprintf(&b, "- facegate %s · Caddy %s · OPA %s · Go %s (from %s)\n", r.Versions.Facegate, r.Versions.Caddy, r.Versions.OPA, r.Versions.Go, r.Versions.Source)
	fmt.Fprintf(&b, "- Result: **%d pass, %d fail, %d skip** of %d cases\n\n", r.Summary[Pass], r.Summary[Fail], r.Summary[Skip], len(r.Cases))
	b.WriteString("Produced by `make assess` (`go run ./tests/assess`), which attacks a running instance from outside:\n" +
		"it sets up owners, namespaces and keys through the admin API with the instance's initial credentials, then\n" +
		"sends each case below and compares the answer with what a secure gateway must do. Secrets are redacted.\n\n")
	b.WriteString("## By class\n\n| class | pass | fail | skip |\n|---|---|---|---|\n")
	type count struct{ p, f, s int }
	var order []string
	per := map[string]*count{}
	for _, c := range r.Cases {
		if per[c.Class] == nil {
			per[c.Class] = &count{}
			order = append(order, c.Class)
		}
		switch c.Verdict {
		case Pass:
			per[c.Class].p++
		case Fail:
			per[c.Class].f++
		default:
			per[c.Class].s++
		}
	}
	for _, cl := range order {
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", cl, per[cl].p, per[cl].f, per[cl].s)
	}
	b.WriteString("\n## Cases\n\n| id | class | case | sent | expected | observed | verdict |\n|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cases {
		v := c.Verdict
		if v == Fail {
			v = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", c.ID, c.Class, cell(c.Title), cell(c.Sent), cell(c.Expected), cell(c.Observed), v)
	}
	return b.String()
}

// cell makes text safe for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", "<br>")
	return s
}

// now is the report's date format.
func now() string { return time.Now().UTC().Format(time.RFC3339) }
