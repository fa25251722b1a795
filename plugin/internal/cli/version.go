package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	opaversion "github.com/open-policy-agent/opa/v1/version"

	"github.com/facegate/facegate/engine/models/faceapi"
	"github.com/facegate/facegate/engine/models/pigo"
)

// modulePath is facegate's Go module.
const modulePath = "github.com/facegate/facegate"

// FaceAPIVersion is the @vladmandic/face-api release whose model files are
// embedded (engine/models/faceapi/NOTICE).
const FaceAPIVersion = "1.7.15"

// Version overrides facegate's version, e.g.
// -ldflags '-X github.com/facegate/facegate/plugin/internal/cli.Version=v1.2.0';
// by default it comes from the build information.
var Version string

// VersionInfo is what `facegate version` reports.
type VersionInfo struct {
	Facegate string
	Caddy    string
	OPA      string
	Go       string
	Models   []ModelVersion
}

// ModelVersion names an embedded model set, where it comes from and the
// SHA-256 of its files (name and content, in name order; 12 hex digits).
type ModelVersion struct {
	Name, Origin, Digest string
}

// ShortVersion is one line: facegate's version with Caddy's, OPA's and
// Go's. It is cheap (no model digests).
func ShortVersion() string {
	caddySimple, _ := caddy.Version()
	return fmt.Sprintf("facegate %s (Caddy %s, OPA %s, %s)", facegateVersion(), caddySimple, opaversion.Version, runtime.Version())
}

// Versions reports every component, with digests of the embedded models.
func Versions() VersionInfo {
	_, caddyFull := caddy.Version()
	return VersionInfo{
		Facegate: facegateVersion(),
		Caddy:    caddyFull,
		OPA:      opaversion.Version,
		Go:       runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		Models: []ModelVersion{
			{Name: "face-api models", Origin: "npm @vladmandic/face-api " + FaceAPIVersion, Digest: digestFS(faceapi.Files)},
			{Name: "pigo cascades", Origin: "github.com/esimov/pigo " + depVersion("github.com/esimov/pigo"),
				Digest: digestFiles(map[string][]byte{"facefinder": pigo.FaceFinder, "puploc": pigo.Puploc,
					"lp81": pigo.Landmark("lp81"), "lp82": pigo.Landmark("lp82"), "lp93": pigo.Landmark("lp93")})},
		},
	}
}

// String formats v one component a line.
func (v VersionInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "facegate %s\n", v.Facegate)
	fmt.Fprintf(&b, "Caddy    %s\n", v.Caddy)
	fmt.Fprintf(&b, "OPA      %s\n", v.OPA)
	fmt.Fprintf(&b, "Go       %s\n", v.Go)
	for _, m := range v.Models {
		fmt.Fprintf(&b, "model    %s: %s (sha256 %s)\n", m.Name, m.Origin, m.Digest)
	}
	return b.String()
}

// facegateVersion is Version, or the module version from the build
// information (the main module for go build ./xcaddy, a dependency for
// xcaddy build), with the VCS revision when it was recorded.
func facegateVersion() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := "unknown"
	if bi.Main.Path == modulePath {
		v = bi.Main.Version
	} else if d := depVersion(modulePath); d != "unknown" {
		v = d
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(len(rev), 12)] + modified
	}
	return v
}

// depVersion is the version of a dependency in the build information
// (with its replacement, if any), or "unknown".
func depVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path != path {
			continue
		}
		if r := d.Replace; r != nil {
			if r.Version != "" {
				return r.Version
			}
			return d.Version + " => " + r.Path
		}
		return d.Version
	}
	return "unknown"
}

// digestFS digests every file of fsys.
func digestFS(fsys fs.FS) string {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		files[p] = b
		return err
	})
	if err != nil {
		return "unreadable"
	}
	return digestFiles(files)
}

// digestFiles is the SHA-256 of the files' names and contents in name
// order, 12 hex digits.
func digestFiles(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
