package policies

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// schemaBaseURL is where schema files are registered, so that
// "$ref": "common.json#/..." resolves between them.
const schemaBaseURL = "https://facegate.dev/schemas/"

// Validator checks a method's params against its JSON Schema. The schemas
// are compiled once; Validate is safe for concurrent use.
type Validator struct {
	schemas map[string]*jsonschema.Schema // by route, "faces/detect"
	results resultCache
}

// resultCache remembers the results of Validate, a pure function of the
// route and the params. Credentials (api_secret, password) never enter it:
// their place in the key is taken by a SHA-256 digest salted with a random
// value of this process. Bounded: emptied when it holds resultCacheMax
// results; only keys up to resultKeyMax bytes are kept.
type resultCache struct {
	mu sync.RWMutex
	m  map[string]SchemaResult
}

const (
	resultCacheMax = 4096
	resultKeyMax   = 1024
)

var resultKeyPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// resultKey encodes route and params (length-prefixed, sorted by name;
// credentials as salted digests), or reports false when they are too many
// or too long to be worth caching.
func resultKey(b []byte, route string, params map[string]string) ([]byte, bool) {
	var names [16]string
	if len(params) > len(names) {
		return b, false
	}
	n := 0
	for k := range params {
		names[n] = k
		n++
	}
	slices.Sort(names[:n])
	b = appendString(b, route)
	for _, k := range names[:n] {
		b = appendString(b, k)
		if sensitiveParams[k] { // the name tells that 32 bytes of digest follow
			b = appendSecretDigest(b, params[k])
		} else {
			b = appendString(b, params[k])
		}
		if len(b) > resultKeyMax {
			return b, false
		}
	}
	return b, true
}

// resultSalt makes the digests of credentials in cache keys useless outside
// this process.
var resultSalt = func() [32]byte {
	var s [32]byte
	_, _ = rand.Read(s[:]) // crypto/rand.Read does not fail (Go 1.24+)
	return s
}()

func appendSecretDigest(b []byte, v string) []byte {
	h := sha256.New()
	h.Write(resultSalt[:])
	h.Write([]byte(v))
	return h.Sum(b)
}

// NewValidator compiles every <group>_<method>.json schema (with the shared
// definitions they reference, e.g. common.json) once. The schemas come from
// dir/schemas when that directory exists, else from dir when it holds
// *.json files, else (and when dir is empty) from the embedded set, so that
// a policy directory with only Rego files keeps the built-in schemas.
func NewValidator(dir string) (*Validator, error) {
	fsys, err := schemaFS(dir)
	if err != nil {
		return nil, err
	}
	vocab, err := listVocabulary()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertVocabs()
	c.RegisterVocabulary(vocab)
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("listing schemas: %w", err)
	}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading schema %s: %w", name, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("parsing schema %s: %w", name, err)
		}
		if err := c.AddResource(schemaBaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("adding schema %s: %w", name, err)
		}
	}
	v := &Validator{schemas: map[string]*jsonschema.Schema{}}
	for _, name := range names {
		group, method, ok := strings.Cut(strings.TrimSuffix(name, ".json"), "_")
		if !ok {
			continue // shared definitions such as common.json
		}
		sch, err := c.Compile(schemaBaseURL + name)
		if err != nil {
			return nil, fmt.Errorf("compiling schema %s: %w", name, err)
		}
		v.schemas[group+"/"+method] = sch
	}
	if len(v.schemas) == 0 {
		return nil, errors.New("compiling schemas: no <group>_<method>.json schema found")
	}
	return v, nil
}

func schemaFS(dir string) (fs.FS, error) {
	if dir == "" {
		return fs.Sub(embedded, "schemas")
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("schema directory: %w", err)
	}
	if info, err := os.Stat(filepath.Join(dir, "schemas")); err == nil && info.IsDir() {
		return os.DirFS(filepath.Join(dir, "schemas")), nil
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(names) > 0 {
		return os.DirFS(dir), nil
	}
	return fs.Sub(embedded, "schemas")
}

// Routes lists the routes that have a schema, sorted.
func (v *Validator) Routes() []string {
	routes := make([]string, 0, len(v.schemas))
	for r := range v.schemas {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	return routes
}

// Validate checks params against the schema of route ("faces/detect").
// Unknown params are ignored. An unknown route is invalid with kind
// "unknown_route". Messages never contain parameter values.
//
// Results are cached by route and params (see resultCache): the returned
// Errors must only be read.
func (v *Validator) Validate(route string, params map[string]string) SchemaResult {
	bp := resultKeyPool.Get().(*[]byte)
	defer resultKeyPool.Put(bp)
	key, cacheable := resultKey((*bp)[:0], route, params)
	*bp = key[:0]
	if cacheable {
		v.results.mu.RLock()
		r, ok := v.results.m[string(key)]
		v.results.mu.RUnlock()
		if ok {
			return r
		}
	}
	r := v.validate(route, params)
	if cacheable {
		r = detachResult(r)
		v.results.mu.Lock()
		if v.results.m == nil || len(v.results.m) >= resultCacheMax {
			v.results.m = make(map[string]SchemaResult)
		}
		v.results.m[string(key)] = r
		v.results.mu.Unlock()
	}
	return r
}

// detachResult copies the strings of r, which may be slices of the request
// (param names), so that a cached result does not keep the request alive.
func detachResult(r SchemaResult) SchemaResult {
	errs := make([]SchemaError, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = SchemaError{Kind: strings.Clone(e.Kind), Param: strings.Clone(e.Param), Message: strings.Clone(e.Message)}
	}
	r.Errors = errs
	return r
}

// validate is Validate without the cache.
func (v *Validator) validate(route string, params map[string]string) SchemaResult {
	sch, ok := v.schemas[path.Clean(route)]
	if !ok || route == "" {
		return SchemaResult{Errors: []SchemaError{{Kind: KindUnknownRoute, Message: "no such method"}}}
	}
	inst := make(map[string]any, len(params))
	for k, val := range params {
		inst[k] = val
	}
	err := sch.Validate(inst)
	if err == nil {
		return SchemaResult{Valid: true, Errors: []SchemaError{}}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return SchemaResult{Errors: []SchemaError{{Kind: KindInvalid, Message: "cannot be validated"}}}
	}
	return SchemaResult{Errors: schemaErrors(ve)}
}

// schemaErrors flattens a validation error into one error per param,
// missing params first.
func schemaErrors(ve *jsonschema.ValidationError) []SchemaError {
	byParam := map[string]SchemaError{}
	rank := map[string]int{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			for _, p := range req.Missing {
				byParam[p] = SchemaError{Kind: KindMissing, Param: p, Message: "is required"}
				rank[p] = 100
			}
			return
		}
		param := ""
		if len(e.InstanceLocation) > 0 {
			param = e.InstanceLocation[0]
		}
		se, r := describe(e.ErrorKind)
		se.Param = param
		if old, seen := rank[param]; !seen || r > old {
			byParam[param] = se
			rank[param] = r
		}
	}
	walk(ve)
	out := make([]SchemaError, 0, len(byParam))
	for _, se := range byParam {
		out = append(out, se)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Kind == KindMissing) != (out[j].Kind == KindMissing) {
			return out[i].Kind == KindMissing
		}
		return out[i].Param < out[j].Param
	})
	return out
}

// describe turns an error kind into a kind and a value-free message, with
// a rank: when a param fails several keywords the highest rank is kept.
func describe(k jsonschema.ErrorKind) (SchemaError, int) {
	switch k := k.(type) {
	case *ListTooLong:
		return SchemaError{Kind: KindTooLong, Message: fmt.Sprintf("has too many items (at most %d)", k.Want)}, 50
	case *ListItemNotAllowed:
		return SchemaError{Kind: KindInvalid, Message: "may only list " + strings.Join(k.Want, ", ")}, 35
	case *kind.MaxLength:
		return SchemaError{Kind: KindInvalid, Message: fmt.Sprintf("is too long (at most %d characters)", k.Want)}, 40
	case *kind.MinLength:
		return SchemaError{Kind: KindInvalid, Message: fmt.Sprintf("is too short (at least %d characters)", k.Want)}, 30
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return SchemaError{Kind: KindInvalid, Message: "must be one of " + strings.Join(want, ", ")}, 30
	case *kind.Type:
		return SchemaError{Kind: KindInvalid, Message: "must be " + strings.Join(k.Want, " or ")}, 30
	case *kind.Pattern:
		return SchemaError{Kind: KindInvalid, Message: "has an invalid format"}, 20
	}
	return SchemaError{Kind: KindInvalid, Message: "is invalid"}, 10
}
