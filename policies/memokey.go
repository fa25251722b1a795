package policies

import (
	"encoding/binary"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// inputLeaves are the fields of the input document, in document order,
// as paths of its JSON (and policies/README.md; TestInputLeavesAreTheDocument
// ties the three together). appendLeaf encodes the Go value of each.
var inputLeaves = []string{
	"request.method", "request.route", "request.params", "request.remote_ip",
	"request.tls.version", "request.tls.client_cert_sha256", "request.origin", "request.images", "request.proxied",
	"key.id", "key.found", "key.status", "key.expires_at", "key.scopes", "key.namespaces", "key.auth_modes",
	"key.allowed_origins", "key.client_cert_sha256", "key.tier", "key.limits", "key.domain_write",
	"auth.mode", "auth.secret_ok", "auth.password_ok", "auth.signature.present", "auth.signature.valid",
	"auth.signature.age_s", "auth.signature.replayed", "auth.signature.covered", "auth.cert_bound",
	"schema.valid", "schema.errors", "now_ns",
}

// appendLeaf appends the encoding of the field inputLeaves[leaf] of in.
func appendLeaf(b []byte, in *Input, leaf uint8) []byte {
	r, k, a := &in.Request, &in.Key, &in.Auth
	switch leaf {
	case 0:
		return appendString(b, r.Method)
	case 1:
		return appendString(b, r.Route)
	case 2:
		return appendParams(b, r.Params)
	case 3:
		return appendString(b, r.RemoteIP)
	case 4:
		return appendString(b, r.TLS.Version)
	case 5:
		return appendString(b, r.TLS.ClientCertSHA256)
	case 6:
		return appendString(b, r.Origin)
	case 9:
		return appendString(b, k.ID)
	case 10:
		return appendBool(b, k.Found)
	case 11:
		return appendString(b, k.Status)
	case 13:
		return appendStrings(b, k.Scopes)
	case 14:
		return appendStrings(b, k.Namespaces)
	case 15:
		return appendStrings(b, k.AuthModes)
	case 16:
		return appendStrings(b, k.AllowedOrigins)
	case 17:
		return appendString(b, k.ClientCertSHA256)
	case 18:
		return appendString(b, k.Tier)
	case 19:
		return appendLimits(b, k.Limits)
	case 20:
		return appendBool(b, k.DomainWrite)
	case 21:
		return appendString(b, a.Mode)
	case 22:
		return appendBool(b, a.SecretOK)
	case 23:
		if a.PasswordOK == nil {
			return append(b, 2)
		}
		return appendBool(b, *a.PasswordOK)
	case 24:
		return appendBool(b, a.Signature.Present)
	case 25:
		return appendBool(b, a.Signature.Valid)
	case 27:
		return appendBool(b, a.Signature.Replayed)
	case 28:
		return appendStrings(b, a.Signature.Covered)
	case 29:
		return appendBool(b, a.CertBound)
	case 30:
		return appendBool(b, in.Schema.Valid)
	case 31:
		b = binary.AppendUvarint(b, uint64(len(in.Schema.Errors)))
		for _, e := range in.Schema.Errors {
			b = appendString(appendString(appendString(b, e.Kind), e.Param), e.Message)
		}
		return b
	case 8:
		return appendBool(b, r.Proxied)
	}
	n, _ := leafNumber(in, leaf)
	return binary.AppendVarint(b, n)
}

// leafNumber is the value of a number field (7, 12, 26, 32).
func leafNumber(in *Input, leaf uint8) (int64, bool) {
	switch leaf {
	case 7:
		return int64(in.Request.Images), true
	case 12:
		return in.Key.ExpiresAt, true
	case 26:
		return in.Auth.Signature.AgeS, true
	case 32:
		return in.NowNS, true
	}
	return 0, false
}

// keyStep is one part of a memo key: a field (op leafStep), a param by
// name (paramRaw, paramShape, paramMember), the route among its constants
// (routeStep) or the comparison of now_ns with a number field (clockLeaf)
// or a constant (clockConst).
type keyStep struct {
	op     uint8
	leaf   uint8
	name   string
	konst  int64
	consts []string // routeStep: the route's constants, sorted
}

const (
	leafStep uint8 = iota
	paramRaw
	paramShape
	paramMember
	clockLeaf
	clockConst
	routeStep
)

// memoKeySteps turns what a policy set reads into the steps of its memo
// key: the fields read (a read of an object reads every field under it), the
// params read by name (as sent, or their list shape), and for each operand
// compared with now_ns the sign of the comparison. ok is false when the
// policy set cannot be memoized.
func memoKeySteps(rs *readSet) (steps []keyStep, ok bool) {
	if !rs.memo {
		return nil, false
	}
	wholeParams := false
	for i, leaf := range inputLeaves {
		if !rs.reads(leaf) {
			continue
		}
		if leaf == "now_ns" {
			return nil, false // the policy reads the clock itself
		}
		wholeParams = wholeParams || leaf == "request.params"
		if leaf == routeLeaf && rs.routes != nil {
			steps = append(steps, keyStep{op: routeStep, consts: slices.Sorted(maps.Keys(rs.routes))})
			continue
		}
		steps = append(steps, keyStep{op: leafStep, leaf: uint8(i)})
	}
	if !wholeParams {
		names := make([]string, 0, len(rs.params))
		for name := range rs.params {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			op := paramRaw
			switch {
			case rs.members[name]:
				op = paramMember
			case rs.params[name]:
				op = paramShape
			}
			steps = append(steps, keyStep{op: op, name: name})
		}
	}
	clocks := make([]string, 0, len(rs.clocks))
	for c := range rs.clocks {
		clocks = append(clocks, c)
	}
	slices.Sort(clocks)
	for _, c := range clocks {
		step, ok := clockStep(c)
		if !ok {
			return nil, false
		}
		steps = append(steps, step)
	}
	return steps, true
}

// appendKey appends the key of in.
func appendKey(b []byte, in *Input, steps []keyStep) []byte {
	for i := range steps {
		s := &steps[i]
		switch s.op {
		case leafStep:
			b = appendLeaf(b, in, s.leaf)
		case paramRaw, paramShape, paramMember:
			v, ok := in.Request.Params[s.name]
			b = appendBool(b, ok)
			switch {
			case ok && s.op != paramRaw:
				b = appendListShape(b, v, s.op == paramMember, in.Key.Namespaces)
			case ok:
				b = appendString(b, v)
			}
		case routeStep: // which of the constants the route is, or none
			i, found := slices.BinarySearch(s.consts, in.Request.Route)
			if !found {
				i = -1
			}
			b = binary.AppendVarint(b, int64(i))
		case clockLeaf:
			n, _ := leafNumber(in, s.leaf)
			b = append(b, byte(cmpInt(in.NowNS, n)+1))
		case clockConst:
			b = append(b, byte(cmpInt(in.NowNS, s.konst)+1))
		}
	}
	return b
}

// appendListShape encodes what the rules can compute from a list param
// that they split on ",", trim, compare with "" and "all" and cut after its
// first "@" (readset.go): whether it is blank, and per item (trimmed)
// whether it is empty, "all", a bare name, or names a namespace after its
// first "@" (that namespace kept). With member (readset.go, members: the
// rules test names only for membership in key.namespaces), whether the key
// owns the namespace replaces it, and whether it owns the whole value
// trimmed and each item is added: requests naming namespaces the key does
// not own share an entry, whatever the names.
func appendListShape(b []byte, v string, member bool, owned []string) []byte {
	whole := strings.TrimSpace(v)
	b = appendBool(b, whole != "")
	if member {
		b = appendBool(b, slices.Contains(owned, whole))
	}
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
		case member:
			b = appendBool(append(b, 3), slices.Contains(owned, ns))
		default:
			b = appendString(append(b, 3), ns)
		}
		if member {
			b = appendBool(b, slices.Contains(owned, item))
		}
	}
	return b
}

// clockStep is the step encoding how now_ns compares with a number field
// or constant (-1, 0, 1), which decides every comparison between them.
func clockStep(operand string) (keyStep, bool) {
	if konst, ok := strings.CutPrefix(operand, "#"); ok {
		n, err := strconv.ParseInt(konst, 10, 64)
		return keyStep{op: clockConst, konst: n}, err == nil // other numbers: not followed
	}
	for i, leaf := range inputLeaves {
		if _, num := leafNumber(&Input{}, uint8(i)); leaf == operand && num {
			return keyStep{op: clockLeaf, leaf: uint8(i)}, true
		}
	}
	return keyStep{}, false // a string, list or object field: not followed
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// appendParams encodes the params as the policy sees them (sorted, without
// the sensitive ones).
func appendParams(b []byte, params map[string]string) []byte {
	names := make([]string, 0, len(params))
	for name := range params {
		if !sensitiveParams[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		b = appendString(appendString(b, name), params[name])
	}
	return b
}

func appendLimits(b []byte, limits map[string]LimitOverride) []byte {
	names := make([]string, 0, len(limits))
	for name := range limits {
		names = append(names, name)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		o := limits[name]
		b = appendString(appendString(b, name), o.Kind)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(o.Rate))
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(o.PerS))
		b = binary.AppendVarint(binary.AppendVarint(b, int64(o.Burst)), int64(o.Count))
		b = appendBool(b, o.Disabled)
	}
	return b
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
