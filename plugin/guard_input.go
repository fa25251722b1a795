package plugin

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"time"

	"github.com/facegate/facegate/policies"
)

// policyInput builds the OPA input document of DESIGN.md ("The OPA contract").
func (g *Guard) policyInput(r *http.Request, st *state, call *fcRequest, ev *evidence) *policies.Input {
	in := &policies.Input{NowNS: time.Now().UnixNano()}
	in.Request = policies.RequestInput{
		Method:   r.Method,
		Route:    call.Route,
		Params:   redactParams(call.Params),
		RemoteIP: clientAddr(r),
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
// admin API validates them when they are written).
func limitOverrides(raw map[string]any) map[string]policies.LimitOverride {
	if len(raw) == 0 {
		return nil
	}
	out := make(map[string]policies.LimitOverride, len(raw))
	for name, v := range raw {
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		var o policies.LimitOverride
		if json.Unmarshal(b, &o) == nil {
			out[name] = o
		}
	}
	return out
}

// redactParams drops credentials before parameters reach the policy input
// (and so any decision log an operator might add).
func redactParams(p map[string]string) map[string]string {
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
