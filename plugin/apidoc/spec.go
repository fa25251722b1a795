// Package apidoc generates facegate's API reference (docs/api.md) and its
// OpenAPI 3.1 document from the policies' JSON Schemas: the parameters of
// each method (schemas/<group>_<method>.json with common.json), its answer
// and method errors (schemas/answers/answers.json), the route table and the
// gateway's denials (the Rego policies under facegate/), and SkyBiometry's
// error vocabulary (engine/skyerr). `go run ./tools/apidoc` (or
// `go generate ./plugin/apidoc`) writes the files; the binary serves the
// OpenAPI document it builds from the embedded policies.
package apidoc

//go:generate go run ../../tools/apidoc -docs ../../docs

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Spec is everything the generators read, loaded from a policies tree.
type Spec struct {
	Methods []Method
	// Common are common.json's $defs (parameter types), by name.
	Common map[string]map[string]any
	// CommonDoc is common.json's description.
	CommonDoc string
	// Answers are answers.json's $defs (answer objects), by name, in order.
	Answers     map[string]map[string]any
	AnswerNames []string
	// Denials are the gateway's denials found in the Rego policies.
	Denials []Denial
}

// Method is one /fc/ method.
type Method struct {
	Route       string // "faces/detect"
	Summary     string // answers.json
	Description string // the parameter schema's description
	// Schema is the parameter schema as written (refs into common.json).
	Schema   map[string]any
	Params   []Param
	Required []string
	// AnyOf lists alternative required sets (extensions/erase).
	AnyOf [][]string
	// Answer is the answer schema (refs into answers.json).
	Answer map[string]any
	Errors []int
	// From the route table of the routes policy.
	Write, Images, Quota bool
}

// Param is one documented parameter of a method.
type Param struct {
	Name string
	Def  string // the common.json definition it refers to, or ""
	// Schema is the property's schema as written.
	Schema map[string]any
}

// Denial is one `errors.deny(order, status, code, detail, reason)` of the policies.
type Denial struct {
	Status, Code int
	Detail       string // the literal detail, or "(computed)"
	Reason       string
	Package      string // policy package folder, e.g. auth
}

// StandardParams are common.json's standard parameters, on every method.
var StandardParams = []string{"api_key", "api_secret", "format", "callback"}

// Load reads a policies tree: fsys holds facegate/ (Rego) and schemas/.
func Load(fsys fs.FS) (*Spec, error) {
	s := &Spec{Common: map[string]map[string]any{}, Answers: map[string]map[string]any{}}
	common, err := readJSON(fsys, "schemas/common.json")
	if err != nil {
		return nil, err
	}
	s.CommonDoc, _ = common["description"].(string)
	for name, v := range asMap(common["$defs"]) {
		s.Common[name] = asMap(v)
	}
	answers, err := readJSON(fsys, "schemas/answers/answers.json")
	if err != nil {
		return nil, err
	}
	for name, v := range asMap(answers["$defs"]) {
		s.Answers[name] = asMap(v)
		s.AnswerNames = append(s.AnswerNames, name)
	}
	sort.Strings(s.AnswerNames)
	routes, err := routeTable(fsys)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "schemas/*_*.json")
	if err != nil {
		return nil, fmt.Errorf("listing schemas: %w", err)
	}
	methods := asMap(answers["methods"])
	for _, name := range names {
		m, err := loadMethod(fsys, name, methods, routes)
		if err != nil {
			return nil, err
		}
		s.Methods = append(s.Methods, m)
	}
	if len(s.Methods) == 0 {
		return nil, fmt.Errorf("no method schemas under schemas/")
	}
	for route := range methods {
		if !s.hasMethod(route) {
			return nil, fmt.Errorf("answers.json describes %s, which has no parameter schema", route)
		}
	}
	sort.Slice(s.Methods, func(i, j int) bool { return methodOrder(s.Methods[i].Route) < methodOrder(s.Methods[j].Route) })
	if s.Denials, err = denials(fsys); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Spec) hasMethod(route string) bool {
	for _, m := range s.Methods {
		if m.Route == route {
			return true
		}
	}
	return false
}

// methodOrder sorts faces, tags, account, then extensions, each by name.
func methodOrder(route string) string {
	group, _, _ := strings.Cut(route, "/")
	rank := map[string]string{"faces": "1", "tags": "2", "account": "3"}[group]
	if rank == "" {
		rank = "9"
	}
	return rank + route
}

func loadMethod(fsys fs.FS, name string, methods map[string]any, routes map[string]map[string]bool) (Method, error) {
	doc, err := readJSON(fsys, name)
	if err != nil {
		return Method{}, err
	}
	group, method, _ := strings.Cut(strings.TrimSuffix(path.Base(name), ".json"), "_")
	route := group + "/" + method
	info := asMap(methods[route])
	if info == nil {
		return Method{}, fmt.Errorf("answers.json has no entry for %s", route)
	}
	rt, ok := routes[route]
	if !ok {
		return Method{}, fmt.Errorf("the routes policy has no entry for %s", route)
	}
	m := Method{
		Route:  route,
		Schema: doc,
		Answer: asMap(info["answer"]),
		Write:  rt["write"], Images: rt["images"], Quota: rt["quota"],
	}
	m.Summary, _ = info["summary"].(string)
	m.Description, _ = doc["description"].(string)
	for _, c := range asSlice(info["errors"]) {
		f, _ := c.(float64)
		m.Errors = append(m.Errors, int(f))
	}
	props := asMap(doc["properties"])
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := Param{Name: k, Schema: asMap(props[k])}
		if ref, ok := p.Schema["$ref"].(string); ok {
			p.Def = strings.TrimPrefix(ref, "common.json#/$defs/")
		}
		m.Params = append(m.Params, p)
	}
	m.Required = stringList(doc["required"])
	for _, alt := range asSlice(doc["anyOf"]) {
		m.AnyOf = append(m.AnyOf, stringList(asMap(alt)["required"]))
	}
	return m, nil
}

// routeEntry matches one line of the routes policy's table.
var routeEntry = regexp.MustCompile(`"([a-z]+/[a-z_]+)": \{"write": (true|false), "images": (true|false), "quota": (true|false)\}`)

func routeTable(fsys fs.FS) (map[string]map[string]bool, error) {
	src, err := fs.ReadFile(fsys, "facegate/routes/routes.rego")
	if err != nil {
		return nil, fmt.Errorf("reading the routes policy: %w", err)
	}
	out := map[string]map[string]bool{}
	for _, m := range routeEntry.FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = map[string]bool{"write": m[2] == "true", "images": m[3] == "true", "quota": m[4] == "true"}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no route table found in the routes policy")
	}
	return out, nil
}

// denyCall matches errors.deny(order, status, code, detail, "reason").
var denyCall = regexp.MustCompile(`errors\.deny\((\d+), (\d+), (\d+), (.*), "([a-z_]+)"\)`)

func denials(fsys fs.FS) ([]Denial, error) {
	var out []Denial
	seen := map[string]bool{}
	err := fs.WalkDir(fsys, "facegate", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		for _, m := range denyCall.FindAllStringSubmatch(string(src), -1) {
			status, _ := strconv.Atoi(m[2])
			code, _ := strconv.Atoi(m[3])
			detail := "(computed)"
			if s, err := strconv.Unquote(m[4]); err == nil {
				detail = s
			}
			key := m[5] + "/" + detail
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Denial{Status: status, Code: code, Detail: detail, Reason: m[5], Package: path.Base(path.Dir(p))})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the policies: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Code != out[j].Code {
			return out[i].Code < out[j].Code
		}
		return out[i].Reason < out[j].Reason
	})
	return out, nil
}

func readJSON(fsys fs.FS, name string) (map[string]any, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	return v, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func stringList(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
