package plugin

import (
	"crypto/tls"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/policies"
)

// policyInput builds the OPA input document described in policies/README.md.
func (g *Guard) policyInput(r *http.Request, st *state, call *fcRequest, ev *evidence) *policies.Input {
	in := &policies.Input{NowNS: time.Now().UnixNano()}
	in.Request = policies.RequestInput{
		Method:   r.Method,
		Route:    call.Route,
		Params:   redactParams(call.Params),
		RemoteIP: ev.remoteIP,
		Origin:   ev.origin,
		Images:   call.images(),
		Proxied:  g.Mode == "proxy",
	}
	if r.TLS != nil {
		in.Request.TLS = policies.TLSInput{Version: tlsVersion(r.TLS.Version), ClientCertSHA256: ev.certSHA}
	}
	in.Key = policies.KeyInput{ID: ev.keyID, Found: ev.found}
	if ev.found {
		k := ev.key
		in.Key.Status = k.Status
		in.Key.ExpiresAt = k.ExpiresAt * int64(time.Second) // keyring: unix s; policy: ns like now_ns
		in.Key.Scopes = k.Scopes
		in.Key.Namespaces = k.Namespaces
		in.Key.AuthModes = k.AuthModes
		in.Key.AllowedOrigins = k.AllowedOrigins
		in.Key.ClientCertSHA256 = k.ClientCertSHA256
		in.Key.Tier = k.Tier
		in.Key.Limits = limitOverrides(k.Limits)
	}
	in.Auth = policies.AuthInput{
		Mode:      ev.mode,
		SecretOK:  ev.secretOK,
		CertBound: ev.found && ev.key.ClientCertSHA256 != "" && ev.key.ClientCertSHA256 == ev.certSHA,
	}
	if ev.sig != nil || ev.sigErr != "" {
		in.Auth.Signature = policies.SignatureInput{
			Present:  true,
			Valid:    ev.sigResult.Valid && ev.sigErr == "" && ev.sigSecret != nil,
			AgeS:     ev.sigResult.AgeS,
			Replayed: ev.replayed,
			Covered:  ev.sigResult.Covered,
		}
	}
	if g.Mode == "proxy" {
		in.Schema = policies.SchemaResult{Valid: true}
	} else {
		in.Schema = st.validator.Validate(call.Route, call.Params)
	}
	return in
}

// limitOverrides converts a key record's free-form per-key limits into the
// policy input's typed overrides; entries of the wrong shape are dropped (the
// admin API validates them when they are written). It reads the decoded
// JSON directly, with encoding/json's rules (TestLimitOverridesMatchJSON),
// because a JSON round trip per request cost the guard ~40 allocations.
func limitOverrides(raw map[string]any) map[string]policies.LimitOverride {
	if len(raw) == 0 {
		return nil
	}
	out := make(map[string]policies.LimitOverride, len(raw))
	for name, v := range raw {
		if o, ok := limitOverride(v); ok {
			out[name] = o
		}
	}
	return out
}

// limitOverride decodes one override as json.Unmarshal would decode its
// JSON encoding into a LimitOverride: null gives the zero override, an
// object sets the known fields (null fields keep their zero value, other
// fields are ignored), and any value of the wrong type fails the whole entry.
func limitOverride(v any) (policies.LimitOverride, bool) {
	var o policies.LimitOverride
	if v == nil {
		return o, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return o, false
	}
	for field, fv := range m {
		switch field {
		case "kind", "rate", "per_s", "burst", "count", "disabled":
		default:
			if limitFieldFold(field) {
				// encoding/json also matches other cases of the names, the
				// last one in key order winning: rare enough to ask it.
				return limitOverrideJSON(v)
			}
			continue
		}
		if fv == nil {
			continue
		}
		switch field {
		case "kind":
			o.Kind, ok = fv.(string)
		case "rate":
			o.Rate, ok = jsonFloat(fv)
		case "per_s":
			o.PerS, ok = jsonFloat(fv)
		case "burst":
			o.Burst, ok = jsonInt(fv)
		case "count":
			o.Count, ok = jsonInt(fv)
		case "disabled":
			o.Disabled, ok = fv.(bool)
		}
		if !ok {
			return policies.LimitOverride{}, false
		}
	}
	return o, true
}

// limitFieldFold reports whether name is another case of a field name.
func limitFieldFold(name string) bool {
	for _, f := range [...]string{"kind", "rate", "per_s", "burst", "count", "disabled"} {
		if strings.EqualFold(name, f) {
			return true
		}
	}
	return false
}

// limitOverrideJSON decodes one override through its JSON encoding.
func limitOverrideJSON(v any) (policies.LimitOverride, bool) {
	var o policies.LimitOverride
	b, err := json.Marshal(v)
	if err != nil || json.Unmarshal(b, &o) != nil {
		return policies.LimitOverride{}, false
	}
	return o, true
}

// jsonFloat accepts the numbers a JSON decode or a Go caller put in a map.
func jsonFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// jsonInt accepts integral numbers that encoding/json would decode into an
// int: float64s that it prints without an exponent (|x| < 1e21) and that
// fit an int64.
func jsonInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) >= 1e21 {
			return 0, false
		}
		if math.Abs(n) <= 1<<53 { // printed exactly
			return int(n), true
		}
		// Beyond 2^53 encoding/json prints the shortest digits that round
		// trip, which may not fit an int64 even when the value does.
		i, err := strconv.ParseInt(strconv.FormatFloat(n, 'f', -1, 64), 10, 64)
		return int(i), err == nil
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// redactParams drops credentials before parameters reach the policy input
// (and so any decision log an operator might add).
// Without credentials among them (signature mode), p itself is returned:
// the policy input only reads it.
func redactParams(p map[string]string) map[string]string {
	_, secret := p["api_secret"]
	_, password := p["password"]
	if !secret && !password {
		return p
	}
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch k {
		case "api_secret", "password":
			continue
		}
		out[k] = v
	}
	return out
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "1.3"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS10:
		return "1.0"
	}
	return ""
}
