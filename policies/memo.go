package policies

import (
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// memo caches the decisions of one prepared policy set, allowed and denied
// alike, keyed by exactly what the decision reads of the input: the values
// of the input paths that the rules reachable from data.facegate.decision
// read, and the outcomes of their clock tests (`input.now_ns >=
// input.key.expires_at`), as the rule cache finds them (rulecache.go). The
// key is derived from the loaded policy set, so an edited set gets a memo
// keyed on what it reads; a set whose decision reads the whole input, a
// dynamic ref into it, now_ns outside a clock test, a non-deterministic
// built-in or `with` gets none. Reload starts an empty one.
//
// The key is encoded from the Go Input through its JSON field names (the
// names Value gives the policy), without building the OPA value; every
// string is length-prefixed and maps are sorted, so two inputs that differ
// in what the decision reads never share an entry. It is bounded: at most
// memoMaxEntries decisions, in two generations, and inputs whose key is
// longer than memoMaxKeyBytes are not memoized.
type memo struct {
	paths []goPath
	clock []goClockTest
	mu    sync.Mutex
	// entries is the current generation, older the one before: when
	// entries holds half of memoMaxEntries it becomes older (dropping the
	// previous older), so decisions still in use survive while the memo
	// stays bounded even with more distinct callers than it can hold.
	entries, older map[string]Decision
}

const (
	// memoMaxEntries bounds the memo (a few hundred bytes per entry).
	memoMaxEntries = 4096
	// memoMaxKeyBytes: inputs with a longer encoding are not memoized.
	memoMaxKeyBytes = 2048
)

// newMemo returns the memo for a decision with these dependencies, or nil
// when they do not allow one.
func newMemo(deps *ruleDeps) *memo {
	if deps == nil || !deps.cacheable {
		return nil
	}
	m := &memo{entries: make(map[string]Decision)}
	for _, p := range deps.paths {
		if g, ok := compilePath(p); ok {
			m.paths = append(m.paths, g)
		}
	}
	for _, t := range deps.clock {
		now, ok := compilePath(t.now)
		if !ok { // a path Input never has: the test is always undefined
			continue
		}
		g := goClockTest{test: t, now: now}
		if t.other != nil {
			other, ok := compilePath(t.other)
			g.other, g.otherNever = other, !ok
		}
		m.clock = append(m.clock, g)
	}
	return m
}

var memoKeyPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// get returns the decision stored under key, with its own Limits slice.
func (m *memo) get(key []byte) (Decision, bool) {
	m.mu.Lock()
	dec, ok := m.entries[string(key)]
	if !ok {
		if dec, ok = m.older[string(key)]; ok {
			m.insert(string(key), dec) // still in use: keep it a generation longer
		}
	}
	m.mu.Unlock()
	if ok {
		dec.Limits = slices.Clone(dec.Limits)
	}
	return dec, ok
}

// put stores a copy of dec under key.
func (m *memo) put(key []byte, dec Decision) {
	dec.Limits = slices.Clone(dec.Limits)
	m.mu.Lock()
	m.insert(string(key), dec)
	m.mu.Unlock()
}

// insert adds an entry to the current generation, starting a new one when
// it is full; m.mu must be held.
func (m *memo) insert(key string, dec Decision) {
	if len(m.entries) >= memoMaxEntries/2 {
		m.older, m.entries = m.entries, make(map[string]Decision, memoMaxEntries/2)
	}
	m.entries[key] = dec
}

// key appends the memo key of in to b and reports false when in is not
// to be memoized (a key longer than memoMaxKeyBytes, or a clock test on a
// value that is not a scalar).
func (m *memo) key(b []byte, in *Input) ([]byte, bool) {
	root := reflect.ValueOf(in).Elem()
	for _, p := range m.paths {
		v, ok := p.resolve(root)
		if !ok {
			b = append(b, 0)
			continue
		}
		if b, ok = appendValue(append(b, 1), v); !ok || len(b) > memoMaxKeyBytes {
			return b, false
		}
	}
	for _, t := range m.clock {
		out, ok := t.outcome(root)
		if !ok {
			return b, false
		}
		switch out {
		case nil:
			b = append(b, 2)
		default:
			b = appendBool(b, bool(out.(ast.Boolean)))
		}
	}
	return b, len(b) <= memoMaxKeyBytes
}

// goPath is an input path compiled to steps through the Go Input: struct
// fields (by their JSON name) and map keys.
type goPath []goStep

type goStep struct {
	field     int           // struct field index, when key is not valid
	omitempty bool          // the field is left out of the policy input when zero
	key       reflect.Value // map key
}

var inputType = reflect.TypeFor[Input]()

// paramsType is the type of Request.Params, the only map whose sensitive
// keys (api_secret, password) the policy input leaves out.
var paramsType = reflect.TypeFor[map[string]string]()

// compilePath follows p through Input's JSON names; false means that no
// Input has a value at p (it is undefined for every request).
func compilePath(p depPath) (goPath, bool) {
	t := inputType
	var g goPath
	for _, term := range p {
		name := string(term.Value.(ast.String))
		switch t.Kind() {
		case reflect.Struct:
			i, omitempty, ok := jsonField(t, name)
			if !ok {
				return nil, false
			}
			g = append(g, goStep{field: i, omitempty: omitempty})
			t = t.Field(i).Type
		case reflect.Map:
			if t == paramsType && sensitiveParams[name] {
				return nil, false
			}
			g = append(g, goStep{key: reflect.ValueOf(name)})
			t = t.Elem()
		default:
			return nil, false
		}
	}
	return g, true
}

// jsonField finds the field of struct type t with JSON name name.
func jsonField(t reflect.Type, name string) (int, bool, bool) {
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		n, opts, _ := cutComma(tag)
		if n == name {
			return i, opts == "omitempty", true
		}
	}
	return 0, false, false
}

func cutComma(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// resolve returns the value at g in the input root, false when undefined.
func (g goPath) resolve(root reflect.Value) (reflect.Value, bool) {
	v := root
	for _, s := range g {
		if s.key.IsValid() {
			if v = v.MapIndex(s.key); !v.IsValid() {
				return v, false
			}
			continue
		}
		if v = v.Field(s.field); s.omitempty && isZero(v) {
			return v, false
		}
	}
	return v, true
}

// isZero is whether the input's value leaves out a zero omitempty field
// (LimitOverride.value compares with 0, so -0.0 is left out too).
func isZero(v reflect.Value) bool {
	if v.Kind() == reflect.Float64 {
		return v.Float() == 0
	}
	return v.IsZero()
}

// appendValue encodes v injectively for its type (the path fixes the
// type); false for a kind Input does not hold (TestMemoKeyCoversEveryInputField).
func appendValue(b []byte, v reflect.Value) ([]byte, bool) {
	switch v.Kind() {
	case reflect.String:
		return appendString(b, v.String()), true
	case reflect.Bool:
		return appendBool(b, v.Bool()), true
	case reflect.Int, reflect.Int64:
		return binary.AppendVarint(b, v.Int()), true
	case reflect.Float64:
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v.Float())), true
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0), true
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		ok := true
		for i := 0; i < v.Len() && ok; i++ {
			b, ok = appendValue(b, v.Index(i))
		}
		return b, ok
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return b, false
		}
		if v.Type() == paramsType {
			return appendParams(b, v.Interface().(map[string]string)), true
		}
		keys := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			keys = append(keys, it.Key().String())
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		ok := true
		for i := 0; i < len(keys) && ok; i++ {
			b, ok = appendValue(appendString(b, keys[i]), v.MapIndex(reflect.ValueOf(keys[i])))
		}
		return b, ok
	case reflect.Struct:
		ok := true
		for i := 0; i < v.NumField() && ok; i++ {
			b, ok = appendValue(b, v.Field(i))
		}
		return b, ok
	}
	return b, false
}

// appendParams encodes the params without the sensitive ones, sorted.
func appendParams(b []byte, params map[string]string) []byte {
	var buf [16]string
	keys := buf[:0]
	for k := range params {
		if !sensitiveParams[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(appendString(b, k), params[k])
	}
	return b
}

// goClockTest is a clock test evaluated on the Go input.
type goClockTest struct {
	test       clockTest
	now, other goPath
	otherNever bool // the other path is undefined for every input
}

// outcome is the test's outcome (nil: undefined), false when an operand is
// not a scalar.
func (t goClockTest) outcome(root reflect.Value) (ast.Value, bool) {
	now, ok := scalarAt(root, t.now)
	if !ok {
		return nil, false
	}
	var other ast.Value
	if t.test.other != nil && !t.otherNever {
		if other, ok = scalarAt(root, t.other); !ok {
			return nil, false
		}
	}
	return t.test.outcome(now, other), true
}

// scalarAt is the OPA value Value gives the scalar at g (nil when
// undefined), false when it is not a scalar.
func scalarAt(root reflect.Value, g goPath) (ast.Value, bool) {
	v, ok := g.resolve(root)
	if !ok {
		return nil, true
	}
	switch v.Kind() {
	case reflect.String:
		return ast.String(v.String()), true
	case reflect.Bool:
		return ast.Boolean(v.Bool()), true
	case reflect.Int, reflect.Int64:
		return intTerm(v.Int()).Value, true
	case reflect.Float64:
		return ast.FloatNumberTerm(v.Float()).Value, true
	case reflect.Pointer:
		if v.IsNil() {
			return ast.NullValue, true
		}
		if v.Elem().Kind() == reflect.Bool {
			return ast.Boolean(v.Elem().Bool()), true
		}
	}
	return nil, false
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}
