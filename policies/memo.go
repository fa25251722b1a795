package policies

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync"
)

// memo caches the decisions of the verified policy set (see fastpath.go),
// keyed by the whole input except now_ns and except the params the
// shipped policies do not read (appendParamsRead). It is exact because, in that
// policy set, a decision depends on now_ns only through the key_expired
// rule (expires_at > 0 and now_ns >= expires_at), and the key includes
// that one bit (TestMemoTimeDependenceIsKnown checks that the shipped
// policies use now_ns nowhere else). It belongs to one prepared policy set,
// so Reload starts an empty one, and it is bounded: it holds at most
// memoMaxEntries, in two generations. Sensitive params (api_secret, password)
// are left out of the key, as out of the input.
type memo struct {
	mu sync.Mutex
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

func newMemo() *memo {
	return &memo{entries: make(map[string]Decision)}
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

// memoKey appends the encoding of everything the policy sees except
// now_ns, plus whether the key has expired, and reports false when the
// encoding is longer than memoMaxKeyBytes. Every string is length-prefixed
// and maps are sorted, so different inputs never share a key.
func (in *Input) memoKey(b []byte) ([]byte, bool) {
	r, k, a, s := &in.Request, &in.Key, &in.Auth, &in.Schema
	b = appendString(b, r.Method)
	b = appendString(b, r.Route)
	b = appendParamsRead(b, r.Params)
	b = appendString(b, r.RemoteIP)
	b = appendString(b, r.TLS.Version)
	b = appendString(b, r.TLS.ClientCertSHA256)
	b = appendString(b, r.Origin)
	b = binary.AppendVarint(b, int64(r.Images))
	b = appendBool(b, r.Proxied)

	b = appendString(b, k.ID)
	b = appendBool(b, k.Found)
	b = appendString(b, k.Status)
	b = binary.AppendVarint(b, k.ExpiresAt)
	b = appendBool(b, k.ExpiresAt > 0 && in.NowNS >= k.ExpiresAt)
	for _, list := range [][]string{k.Scopes, k.Namespaces, k.AuthModes, k.AllowedOrigins} {
		b = appendStrings(b, list)
	}
	b = appendString(b, k.ClientCertSHA256)
	b = appendString(b, k.Tier)
	limits := make([]string, 0, len(k.Limits))
	for name := range k.Limits {
		limits = append(limits, name)
	}
	slices.Sort(limits)
	b = binary.AppendUvarint(b, uint64(len(limits)))
	for _, name := range limits {
		o := k.Limits[name]
		b = appendString(appendString(b, name), o.Kind)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(o.Rate))
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(o.PerS))
		b = binary.AppendVarint(binary.AppendVarint(b, int64(o.Burst)), int64(o.Count))
		b = appendBool(b, o.Disabled)
	}
	b = appendBool(b, k.DomainWrite)

	b = appendString(b, a.Mode)
	b = appendBool(b, a.SecretOK)
	switch {
	case a.PasswordOK == nil:
		b = append(b, 2)
	default:
		b = appendBool(b, *a.PasswordOK)
	}
	b = appendBool(b, a.Signature.Present)
	b = appendBool(b, a.Signature.Valid)
	b = binary.AppendVarint(b, a.Signature.AgeS)
	b = appendBool(b, a.Signature.Replayed)
	b = appendStrings(b, a.Signature.Covered)
	b = appendBool(b, a.CertBound)

	b = appendBool(b, s.Valid)
	b = binary.AppendUvarint(b, uint64(len(s.Errors)))
	for _, e := range s.Errors {
		b = appendString(appendString(appendString(b, e.Kind), e.Param), e.Message)
	}
	return b, len(b) <= memoMaxKeyBytes
}

// appendParamsRead encodes what the shipped policies can observe of the
// params (TestMemoParamsReadIsKnown pins the Rego that reads them, and
// TestMemoParamsProjection checks that inputs sharing this encoding get the
// same decision from OPA): namespace and namespaces as they are; for uids
// and uid, whether present, whether blank, and per comma-separated item
// (trimmed) whether it is empty, "all", a bare name, or names a namespace
// after its first "@" (that namespace kept); whether pids is non-blank.
// Nothing else: the uids themselves, urls, detector ... change no decision
// of the shipped policies (the JSON Schema result, which does depend on
// them, is in the key on its own).
func appendParamsRead(b []byte, params map[string]string) []byte {
	for _, name := range [...]string{"namespace", "namespaces"} {
		v, ok := params[name]
		b = appendBool(b, ok)
		if ok {
			b = appendString(b, v)
		}
	}
	for _, name := range [...]string{"uids", "uid"} {
		v, ok := params[name]
		b = appendBool(b, ok)
		if !ok {
			continue
		}
		b = appendBool(b, strings.TrimSpace(v) != "")
		b = binary.AppendUvarint(b, uint64(strings.Count(v, ",")+1))
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			switch _, ns, at := strings.Cut(item, "@"); {
			case item == "":
				b = append(b, 0)
			case item == "all":
				b = append(b, 1)
			case !at:
				b = append(b, 2)
			default:
				b = appendString(append(b, 3), ns)
			}
		}
	}
	pids, ok := params["pids"]
	return appendBool(b, ok && strings.TrimSpace(pids) != "")
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}
