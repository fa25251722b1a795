package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

func newTestValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewValidator("")
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

// kinds renders a result as "param:kind" strings, sorted.
func kinds(r SchemaResult) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Param+":"+e.Kind)
	}
	sort.Strings(out)
	return out
}

func TestValidate(t *testing.T) {
	v := newTestValidator(t)
	long := strings.Repeat("u@docs,", 1001)
	cases := []struct {
		route  string
		params map[string]string
		want   []string // "param:kind"; nil = valid
	}{
		{"faces/detect", map[string]string{"urls": "https://a.example/x.jpg,http://b.example/y.png"}, nil},
		{"faces/detect", map[string]string{}, nil}, // images may be uploaded; the policy checks the count
		{"faces/detect", map[string]string{"detector": "aggressive", "attributes": "all", "detect_all_feature_points": "true"}, nil},
		{"faces/detect", map[string]string{"detector": "fast"}, []string{"detector:invalid"}},
		{"faces/detect", map[string]string{"urls": "ftp://a.example/x.jpg"}, []string{"urls:invalid"}},
		{"faces/detect", map[string]string{"urls": "file:///etc/passwd"}, []string{"urls:invalid"}},
		{"faces/detect", map[string]string{"attributes": "gender,<script>"}, []string{"attributes:invalid"}},
		{"faces/detect", map[string]string{"detect_all_feature_points": "yes"}, []string{"detect_all_feature_points:invalid"}},
		{"faces/detect", map[string]string{"format": "xml", "callback": "jQuery123_cb.x$"}, nil},
		{"faces/detect", map[string]string{"format": "yaml"}, []string{"format:invalid"}},
		{"faces/detect", map[string]string{"callback": "alert(1)"}, []string{"callback:invalid"}},
		{"faces/detect", map[string]string{"callback": "1abc"}, []string{"callback:invalid"}},
		{"faces/detect", map[string]string{"force_reprocess_image": "1", "unknown_thing": "whatever", "user_auth": "fb_user:1"}, nil},
		{"faces/recognize", map[string]string{"uids": "mark@docs, anna@docs", "limit": "1000", "matching_threshold": "0"}, nil},
		{"faces/recognize", map[string]string{"uids": "all", "namespace": "docs"}, nil},
		{"faces/recognize", map[string]string{"uids": "mark"}, nil}, // namespace resolution is the policy's
		{"faces/recognize", map[string]string{}, []string{"uids:missing"}},
		{"faces/recognize", map[string]string{"uids": "bad uid@docs"}, []string{"uids:invalid"}},
		{"faces/recognize", map[string]string{"uids": "a@b@c"}, []string{"uids:invalid"}},
		{"faces/recognize", map[string]string{"uids": strings.Repeat("x", 65) + "@docs"}, []string{"uids:invalid"}},
		{"faces/recognize", map[string]string{"uids": long[:len(long)-1]}, []string{"uids:too_long"}},
		{"faces/recognize", map[string]string{"uids": "a@docs", "limit": "0"}, []string{"limit:invalid"}},
		{"faces/recognize", map[string]string{"uids": "a@docs", "limit": "1001"}, []string{"limit:invalid"}},
		{"faces/recognize", map[string]string{"uids": "a@docs", "matching_threshold": "101"}, []string{"matching_threshold:invalid"}},
		{"faces/recognize", map[string]string{"uids": "a@docs", "namespace": "../etc"}, []string{"namespace:invalid"}},
		{"faces/group", map[string]string{"uids": "all", "namespace": "docs", "threshold": "70", "return_similarities": "false"}, nil},
		{"faces/group", map[string]string{"uids": "all", "threshold": "-1"}, []string{"threshold:invalid"}},
		{"faces/train", map[string]string{"uids": "mark@docs"}, nil},
		{"faces/train", map[string]string{"namespace": "docs"}, []string{"uids:missing"}},
		{"faces/status", map[string]string{"uids": "mark@docs"}, nil},
		{"tags/add", map[string]string{"url": "https://a.example/x.jpg", "x": "50", "y": "12.5", "width": "100", "height": "0", "uid": "mark@docs", "label": "Mark"}, nil},
		{"tags/add", map[string]string{"url": "https://a.example/x.jpg", "x": "100.5", "y": "1", "width": "1", "height": "1", "uid": "mark@docs"}, []string{"x:invalid"}},
		{"tags/add", map[string]string{"x": "1", "y": "1", "width": "1", "height": "1"}, []string{"uid:missing", "url:missing"}},
		{"tags/add", map[string]string{"url": "https://a.example/x.jpg", "x": "1", "y": "1", "width": "1", "height": "1", "uid": "m@d", "label": "a\nb"}, []string{"label:invalid"}},
		{"tags/save", map[string]string{"uid": "mark@docs", "tids": "TEMP_F@0c95576847e3cd7abbb8f8c1d9ef7ed8_5b4fd1a1bb35e_56.80_41.08_0_1,0a1b2c3d_1234567890abc"}, nil},
		{"tags/save", map[string]string{"uid": "mark@docs", "tids": "a b"}, []string{"tids:invalid"}},
		{"tags/save", map[string]string{"uid": "mark@docs"}, []string{"tids:missing"}},
		{"tags/get", map[string]string{"uids": "mark@docs", "order": "random", "together": "0", "limit": "5", "filter": "gender:male"}, nil},
		{"tags/get", map[string]string{"order": "oldest"}, []string{"order:invalid"}},
		{"tags/get", map[string]string{"label": strings.Repeat("x", 10000)}, nil}, // not a tags/get param: ignored
		{"tags/remove", map[string]string{"tids": "0a1b2c3d_1234567890abc", "password": "pw"}, nil},
		{"tags/remove", map[string]string{"password": strings.Repeat("p", 300)}, []string{"password:invalid", "tids:missing"}},
		{"extensions/erase", map[string]string{"uids": "ann@docs,bob@docs"}, nil},
		{"extensions/erase", map[string]string{"namespace": "docs", "all": "true"}, nil},
		{"extensions/erase", map[string]string{"uids": "not a uid"}, []string{"uids:invalid"}},
		{"account/authenticate", map[string]string{"api_key": "fg_live_abc"}, nil},
		{"account/authenticate", map[string]string{"api_key": "fg live"}, []string{"api_key:invalid"}},
		{"account/limits", nil, nil},
		{"account/namespaces", map[string]string{}, nil},
		{"account/users", map[string]string{"namespaces": "docs,team"}, nil},
		{"account/users", map[string]string{}, []string{"namespaces:missing"}},
		{"account/users", map[string]string{"namespaces": strings.TrimSuffix(strings.Repeat("n,", 101), ",")}, []string{"namespaces:too_long"}},
		{"faces/nope", map[string]string{}, []string{":unknown_route"}},
		{"", map[string]string{}, []string{":unknown_route"}},
	}
	for _, c := range cases {
		t.Run(c.route, func(t *testing.T) {
			got := v.Validate(c.route, c.params)
			if c.want == nil {
				if !got.Valid || len(got.Errors) != 0 {
					t.Fatalf("params %v: got %+v, want valid", c.params, got)
				}
				return
			}
			if got.Valid {
				t.Fatalf("params %v: valid, want %v", c.params, c.want)
			}
			if k := kinds(got); !slices.Equal(k, c.want) {
				t.Errorf("params %v: errors %v (%+v), want %v", c.params, k, got.Errors, c.want)
			}
			for _, e := range got.Errors {
				if e.Message == "" {
					t.Errorf("empty message for %s", e.Param)
				}
			}
		})
	}
}

func TestValidateMissingSortsFirst(t *testing.T) {
	got := newTestValidator(t).Validate("tags/add", map[string]string{"x": "500"})
	if len(got.Errors) < 2 || got.Errors[0].Kind != KindMissing || got.Errors[len(got.Errors)-1].Kind != KindInvalid {
		t.Errorf("errors not ordered missing first: %+v", got.Errors)
	}
}

// TestValidateNeverEchoesValues: messages must not leak what the client sent.
func TestValidateNeverEchoesValues(t *testing.T) {
	v := newTestValidator(t)
	secret := "S3CRETVALUE"
	for _, params := range []map[string]string{
		{"uids": secret + " x"},
		{"uids": "a@docs", "limit": secret},
		{"uids": "a@docs", "detector": secret},
		{"uids": "a@docs", "api_secret": strings.Repeat(secret, 40)},
	} {
		for _, e := range v.Validate("faces/recognize", params).Errors {
			if strings.Contains(e.Message, secret) || strings.Contains(e.Param, secret) {
				t.Errorf("error echoes the value: %+v", e)
			}
		}
	}
}

// TestEveryRouteHasASchema keeps the Rego route table and the schemas in
// step.
func TestEveryRouteHasASchema(t *testing.T) {
	rs, err := rego.New(rego.Query("x := object.keys(data.facegate.routes.table)"),
		rego.Module("routes.rego", mustRead(t, "facegate/routes/routes.rego")),
		rego.Module("errors.rego", mustRead(t, "facegate/errors/errors.rego")),
	).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("reading the route table: %v", err)
	}
	var routes []string
	for _, r := range rs[0].Bindings["x"].([]any) {
		routes = append(routes, r.(string))
	}
	sort.Strings(routes)
	if got := newTestValidator(t).Routes(); !slices.Equal(got, routes) {
		t.Errorf("schemas for %v, routes %v", got, routes)
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidatorDirs(t *testing.T) {
	full := copyEmbedded(t) // facegate/ + schemas/
	editFile(t, filepath.Join(full, "schemas/common.json"), `"enum": [
        "normal",
        "aggressive"
      ]`, `"enum": [
        "normal"
      ]`)
	flat := t.TempDir()
	for _, n := range []string{"common.json", "faces_detect.json"} {
		if err := os.WriteFile(filepath.Join(flat, n), []byte(mustRead(t, "schemas/"+n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	regoOnly := t.TempDir()
	brokenDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(brokenDir, "faces_detect.json"), []byte(`{"$ref": "missing.json"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	badJSON := t.TempDir()
	if err := os.WriteFile(filepath.Join(badJSON, "faces_detect.json"), []byte(`{`), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("dir/schemas overrides", func(t *testing.T) {
		v, err := NewValidator(full)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Validate("faces/detect", map[string]string{"detector": "aggressive"}); got.Valid {
			t.Error("edited schema not used")
		}
	})
	t.Run("flat dir", func(t *testing.T) {
		v, err := NewValidator(flat)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Routes(); !slices.Equal(got, []string{"faces/detect"}) {
			t.Errorf("routes %v", got)
		}
	})
	t.Run("dir without schemas keeps the embedded ones", func(t *testing.T) {
		v, err := NewValidator(regoOnly)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Routes()) != 14 { // 13 SkyBiometry methods + extensions/erase
			t.Errorf("routes %v", v.Routes())
		}
	})
	for name, dir := range map[string]string{"missing dir": filepath.Join(flat, "nope"), "broken ref": brokenDir, "bad json": badJSON} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewValidator(dir); err == nil {
				t.Error("NewValidator succeeded")
			}
		})
	}
}

func TestCountListItems(t *testing.T) {
	for s, want := range map[string]int{"": 0, "a": 1, "a,b": 2, " a , ,b,": 2, ",,,": 0} {
		if got := countListItems(s); got != want {
			t.Errorf("countListItems(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestValidateResultCache: cached results equal fresh ones, calls with
// credentials are never cached, and the cache stays bounded.
func TestValidateResultCache(t *testing.T) {
	v := newTestValidator(t)
	routes := []string{"faces/detect", "faces/recognize", "tags/save", "tags/get", "faces/train", "nope/nope"}
	names := []string{"uids", "uid", "namespace", "urls", "detector", "attributes", "tids", "label", "limit"}
	values := []string{"", "all", "mark@docs", "normal", "aggressive", "x", "https://example.com/a.jpg", "1,2,3", strings.Repeat("u@d,", 30)}
	rng := rand.New(rand.NewPCG(5, 6))
	type call struct {
		route  string
		params map[string]string
	}
	var calls []call
	for range 400 {
		p := map[string]string{}
		for range rng.IntN(4) {
			p[names[rng.IntN(len(names))]] = values[rng.IntN(len(values))]
		}
		calls = append(calls, call{routes[rng.IntN(len(routes))], p})
	}
	for pass := range 2 {
		for _, c := range calls {
			got, want := v.Validate(c.route, c.params), v.validate(c.route, c.params)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pass %d: Validate(%s, %v) = %+v, uncached %+v", pass, c.route, c.params, got, want)
			}
		}
	}
	if n := len(v.results.m); n == 0 || n > len(calls) {
		t.Errorf("%d cached results for %d calls", n, len(calls))
	}
	// Credentials are cached by salted digest: right results, no secret in
	// any key.
	long := strings.Repeat("s", 300) // over api_secret's maxLength
	for _, name := range []string{"api_secret", "password"} {
		for range 2 {
			for _, secret := range []string{"s3cr3t-value", long} {
				p := map[string]string{"uids": "all", "namespace": "docs", name: secret}
				if got, want := v.Validate("tags/save", p), v.validate("tags/save", p); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s of %d bytes: Validate %+v, uncached %+v", name, len(secret), got, want)
				}
			}
		}
	}
	if r := v.Validate("tags/save", map[string]string{"uids": "all", "namespace": "docs", "api_secret": long}); r.Valid {
		t.Error("an over-long api_secret validated (from the cache)")
	}
	for k := range v.results.m {
		if strings.Contains(k, "s3cr3t") || strings.Contains(k, "sssss") {
			t.Fatalf("a cache key holds a credential: %q", k)
		}
	}
	for i := range resultCacheMax + 10 {
		v.Validate("tags/get", map[string]string{"uids": fmt.Sprintf("u%d@docs", i)})
	}
	if n := len(v.results.m); n > resultCacheMax {
		t.Errorf("cache holds %d results, more than %d", n, resultCacheMax)
	}
}
